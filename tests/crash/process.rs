//! The real `voxdial` binary in a child process.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// `voxdial serve` on a free port, with background loops that run every fraction of a
/// second and check quiet calls after two seconds.
pub struct Voxdial {
    child: Child,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
}

impl Voxdial {
    /// Starts it on `database_url` with the installation key `secret_key`; with a failpoint,
    /// the process sleeps there for a minute, long enough for a test to kill it.
    pub async fn start(database_url: &str, secret_key: &str, failpoint: Option<&str>) -> Voxdial {
        let mut command = Command::new(env!("CARGO_BIN_EXE_voxdial"));
        command
            .arg("serve")
            .env_remove("RUST_LOG")
            .env_remove("VOXDIAL_CONFIG")
            .env("VOXDIAL_BIND", "127.0.0.1:0")
            .env("VOXDIAL_DATABASE_URL", database_url)
            .env("VOXDIAL_SECRET_KEY", secret_key)
            .env("VOXDIAL_WORKERS", "1")
            .env("VOXDIAL_LOG_FORMAT", "json")
            .env("VOXDIAL_DIALER_INTERVAL_MS", "200")
            .env("VOXDIAL_RECONCILE_INTERVAL_SECS", "1")
            .env("VOXDIAL_RECONCILE_AFTER_SECS", "2")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        match failpoint {
            Some(point) => command.env("FAILPOINTS", format!("{point}=sleep(60000)")),
            None => command.env_remove("FAILPOINTS"),
        };
        // Owned by `Voxdial` at once, so that a failed start below kills it too.
        let mut voxdial = Voxdial { child: command.spawn().expect("starting voxdial"), address: String::new() };
        let stderr = voxdial.child.stderr.take().expect("voxdial's stderr");
        let (listening, started) = tokio::sync::oneshot::channel();
        // Forwards the log (shown when a test fails), and reads the failpoints configured and
        // the address it listens on.
        std::thread::spawn(move || {
            let (mut listening, mut failpoints) = (Some(listening), String::new());
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("voxdial: {line}");
                let event: Value = serde_json::from_str(&line).unwrap_or_default();
                if event["message"] == "fail points configured: for tests only" {
                    failpoints = event["configured"].as_str().unwrap_or_default().to_owned();
                }
                if event["message"] == "voxdial is listening"
                    && let (Some(addr), Some(sender)) = (event["addr"].as_str(), listening.take())
                {
                    let _ = sender.send((addr.to_owned(), failpoints.clone()));
                }
            }
        });
        let (address, configured) = tokio::time::timeout(Duration::from_secs(20), started)
            .await
            .expect("voxdial did not start listening in time")
            .expect("voxdial exited before listening");
        if let Some(point) = failpoint {
            // Another build without the feature may have replaced target/debug/voxdial.
            assert!(configured.contains(point), "{point} is not set: was voxdial built with --features failpoints?");
        }
        voxdial.address = format!("http://{address}");
        voxdial
    }

    /// SIGKILL (what dropping does): no shutdown code runs.
    pub fn kill(self) {
        drop(self);
    }
}

impl Drop for Voxdial {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
