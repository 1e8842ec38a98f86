//! What every benchmark sets up the same way: its knobs, its database, an in-process app's
//! settings, and a real `voxdial serve` process.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use voxdial::config::Settings;
use voxdial::crypto::MasterKey;

/// A knob from the environment, or its default.
pub fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// `VOXDIAL_BENCH_DATABASE_URL`, else a SQLite file named `file` in `dir`.
pub fn database_url(dir: &Path, file: &str) -> String {
    std::env::var("VOXDIAL_BENCH_DATABASE_URL").unwrap_or_else(|_| dir.join(file).display().to_string())
}

/// Settings for an app built in the benchmark's own process, quiet and without background loops.
pub fn quiet_settings(database_url: String) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        database_url,
        secret_key: Some(MasterKey::generate().encode()),
        background_tasks: false,
        log_filter: "warn".into(),
        ..Settings::default()
    }
}

/// A real server process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `voxdial serve` on `database_url` with `key` and waits until it is ready.
pub async fn serve(database_url: &str, key: &MasterKey, background_tasks: bool) -> Server {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_voxdial"))
        .arg("serve")
        .env("VOXDIAL_DATABASE_URL", database_url)
        .env("VOXDIAL_SECRET_KEY", key.encode())
        .env("VOXDIAL_BIND", format!("127.0.0.1:{port}"))
        .env("VOXDIAL_LOG_FILTER", "warn")
        .env("VOXDIAL_BACKGROUND_TASKS", background_tasks.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let server = Server { child, base: format!("http://127.0.0.1:{port}") };
    let client = reqwest::Client::new();
    for _ in 0..400 {
        if client.get(format!("{}/readyz", server.base)).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server
}
