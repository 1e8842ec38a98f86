//! The real `voxdial serve` in a child process, on a test app's database and key, for tests
//! that measure the server's own memory; and a browser for it (cookies, CSRF token).

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::helpers::{TestApp, assert_is_redirect_to, extract_csrf};

pub struct Served {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub address: String,
}

impl Served {
    /// Starts it beside `app` (same database, same installation key); it stops when dropped.
    pub async fn beside(app: &TestApp) -> Served {
        let key = app.state.settings.secret_key.clone().expect("test apps have a fixed key");
        let mut child = Command::new(env!("CARGO_BIN_EXE_voxdial"))
            .arg("serve")
            .env_remove("RUST_LOG")
            .env_remove("VOXDIAL_CONFIG")
            .env("VOXDIAL_BIND", "127.0.0.1:0")
            .env("VOXDIAL_DATABASE_URL", app.database.url())
            .env("VOXDIAL_SECRET_KEY", key)
            .env("VOXDIAL_LOG_FORMAT", "json")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting voxdial serve");
        let stderr = child.stderr.take().expect("its stderr");
        let (listening, started) = tokio::sync::oneshot::channel();
        // Reads the address it listens on, then keeps the pipe drained.
        std::thread::spawn(move || {
            let mut listening = Some(listening);
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let event: Value = serde_json::from_str(&line).unwrap_or_default();
                if event["message"] == "voxdial is listening"
                    && let (Some(addr), Some(sender)) = (event["addr"].as_str(), listening.take())
                {
                    let _ = sender.send(addr.to_owned());
                }
            }
        });
        let address = tokio::time::timeout(Duration::from_secs(20), started)
            .await
            .expect("voxdial serve did not start listening in time")
            .expect("voxdial serve exited before listening");
        Served { child, address }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// A field of the server's /proc status (VmRSS, VmHWM), in bytes.
    pub fn memory(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).expect("its /proc status");
        let line = status.lines().find(|l| l.starts_with(&format!("{field}:"))).expect("the field");
        line.split_whitespace().nth(1).and_then(|kib| kib.parse::<u64>().ok()).expect("a number of kB") * 1024
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser logged in to a served instance.
pub struct Browser<'a> {
    served: &'a Served,
    client: reqwest::Client,
    csrf: String,
}

impl<'a> Browser<'a> {
    pub async fn log_in(served: &'a Served, email: &str, password: &str) -> Browser<'a> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("HTTP client");
        let mut browser = Browser { served, client, csrf: String::new() };
        browser.csrf = browser.csrf_of("/login").await;
        let response = browser.post_form("/login", &[("email", email), ("password", password)]).await;
        assert_is_redirect_to(&response, "/");
        // The token changes at login.
        browser.csrf = browser.csrf_of("/profile").await;
        browser
    }

    async fn csrf_of(&self, path: &str) -> String {
        let page = self.get(path).await.text().await.unwrap();
        extract_csrf(&page).unwrap_or_else(|| panic!("no CSRF token on {path}"))
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.served.url(path)).send().await.expect("GET")
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let mut fields = fields.to_vec();
        fields.push(("csrf_token", &self.csrf));
        self.client.post(self.served.url(path)).form(&fields).send().await.expect("POST")
    }
}
