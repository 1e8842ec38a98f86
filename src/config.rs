//! Typed settings: defaults, then an optional TOML file, then `VOXDIAL_*` environment
//! variables (for example `VOXDIAL_DATABASE_URL`). Built once and passed by value.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;

#[derive(Clone, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    pub bind: String,
    /// The URL browsers and the provider use to reach voxdial (for webhook URLs and the
    /// Origin check). Defaults to `http://<bind>`.
    pub public_url: Option<String>,
    /// `postgres://…` for PostgreSQL; otherwise a SQLite file path (optionally `sqlite://…`).
    pub database_url: String,
    pub database_pool_size: u32,
    /// Base64 of 32 random bytes. Encrypts provider secrets and signs session cookies.
    /// When unset, `secret_key_file` is read, or created on first start.
    pub secret_key: Option<String>,
    /// Defaults to `voxdial.key` beside the SQLite file (or in the working directory).
    pub secret_key_file: Option<PathBuf>,
    /// Send cookies with `Secure`. Defaults to true when `public_url` is https.
    pub cookie_secure: Option<bool>,
    pub session_idle_timeout_secs: u64,
    pub session_absolute_timeout_secs: u64,
    /// Failed logins allowed per account, and per client address, within the window.
    pub login_max_failures_per_account: u32,
    pub login_max_failures_per_address: u32,
    pub login_throttle_window_secs: u64,
    /// The longest a login on an account over its failure limit is held before it is
    /// checked (it is slowed down, never locked).
    pub login_slowdown_max_ms: u64,
    /// `text` or `json`.
    pub log_format: String,
    /// A tracing filter such as `info` or `voxdial=debug,info`; `RUST_LOG` wins when set.
    pub log_filter: String,
    /// HTTP worker threads; defaults to the number of CPUs.
    pub workers: Option<usize>,
    /// How long a graceful stop waits for in-flight requests.
    pub shutdown_timeout_secs: u64,
    /// Whether background loops run in this process.
    pub background_tasks: bool,
    /// Take the client address from `Forwarded`/`X-Forwarded-For` (only behind a proxy
    /// that sets them); otherwise the socket peer address is used.
    pub trust_proxy_headers: bool,
    /// How long a provider API request may take.
    pub provider_timeout_secs: u64,
    /// Keep call recordings the provider posts (`post_call_audio`).
    pub store_call_audio: bool,
    /// Calls still live this long after their last change are checked with the provider.
    pub reconcile_after_secs: u64,
    /// Calls whose outcome is still unknown this long after they started are marked unknown.
    pub reconcile_give_up_secs: u64,
    /// Pause between two dialer steps.
    pub dialer_interval_ms: u64,
    /// Pause between two reconciler passes.
    pub reconcile_interval_secs: u64,
    /// Days an uploaded lead file is kept after its import finished (the results stay).
    pub import_file_retention_days: u64,
    /// Hours an uploaded lead file is kept when its import is never started.
    pub import_draft_retention_hours: u64,
    /// The bearer token Prometheus sends to read `/metrics`; without one `/metrics` does not
    /// exist (R-METRICS).
    pub metrics_token: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            bind: "127.0.0.1:8080".into(),
            public_url: None,
            database_url: "voxdial.db".into(),
            database_pool_size: 8,
            secret_key: None,
            secret_key_file: None,
            cookie_secure: None,
            session_idle_timeout_secs: 30 * 60,
            session_absolute_timeout_secs: 12 * 60 * 60,
            login_max_failures_per_account: 10,
            login_max_failures_per_address: 50,
            login_throttle_window_secs: 15 * 60,
            login_slowdown_max_ms: 8_000,
            log_format: "text".into(),
            log_filter: "info".into(),
            workers: None,
            shutdown_timeout_secs: 30,
            background_tasks: true,
            trust_proxy_headers: false,
            provider_timeout_secs: 15,
            store_call_audio: true,
            reconcile_after_secs: 15 * 60,
            reconcile_give_up_secs: 2 * 60 * 60,
            dialer_interval_ms: 2000,
            reconcile_interval_secs: 60,
            import_file_retention_days: 7,
            import_draft_retention_hours: 24,
            metrics_token: None,
        }
    }
}

impl std::fmt::Debug for Settings {
    // Never print the secret key or credentials inside the database URL.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("public_url", &self.public_url)
            .field("database_url", &redact_url(&self.database_url))
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<set>"))
            .field("secret_key_file", &self.secret_key_file)
            .field("cookie_secure", &self.cookie_secure)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "<set>"))
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Defaults, then `file` (when given), then the environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Settings> {
        let mut builder = config::Config::builder();
        if let Some(path) = file {
            builder = builder.add_source(config::File::from(path).required(true));
        }
        builder =
            builder.add_source(config::Environment::with_prefix("VOXDIAL").prefix_separator("_").try_parsing(true));
        let settings: Settings =
            builder.build().context("reading configuration")?.try_deserialize().context("invalid configuration")?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> anyhow::Result<()> {
        if !matches!(self.log_format.as_str(), "text" | "json") {
            anyhow::bail!("log_format must be `text` or `json`, not `{}`", self.log_format);
        }
        if self.session_idle_timeout_secs == 0 || self.session_absolute_timeout_secs == 0 {
            anyhow::bail!("session timeouts must be positive");
        }
        if self.dialer_interval_ms == 0 || self.reconcile_interval_secs == 0 {
            // Zero would spin the loop without a pause.
            anyhow::bail!("dialer_interval_ms and reconcile_interval_secs must be positive");
        }
        if self.import_draft_retention_hours == 0 {
            // Zero would delete a file while its uploader is still mapping the columns.
            anyhow::bail!("import_draft_retention_hours must be positive");
        }
        if let Some(token) = &self.metrics_token
            && (token.len() < MIN_METRICS_TOKEN_LEN || token.chars().any(|c| c.is_whitespace() || c.is_control()))
        {
            // Never echo the token itself.
            anyhow::bail!(
                "metrics_token must be at least {MIN_METRICS_TOKEN_LEN} characters without spaces \
                 (e.g. `openssl rand -hex 32`)"
            );
        }
        if let Some(url) = &self.public_url
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            anyhow::bail!("public_url must start with http:// or https://");
        }
        Ok(())
    }

    /// The public base URL without a trailing slash.
    pub fn public_base_url(&self, bound: SocketAddr) -> String {
        match &self.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => format!("http://{bound}"),
        }
    }

    pub fn cookies_secure(&self) -> bool {
        self.cookie_secure.unwrap_or_else(|| self.public_url.as_deref().is_some_and(|u| u.starts_with("https://")))
    }

    /// Where the secret key file lives when no key is configured directly.
    pub fn secret_key_path(&self) -> PathBuf {
        if let Some(path) = &self.secret_key_file {
            return path.clone();
        }
        if crate::db::Backend::from_url(&self.database_url) == crate::db::Backend::Sqlite {
            let db_path = Path::new(crate::db::sqlite_path(&self.database_url));
            if let Some(dir) = db_path.parent() {
                return dir.join("voxdial.key");
            }
        }
        PathBuf::from("voxdial.key")
    }
}

/// Shorter tokens could be guessed by a scraper's neighbours.
const MIN_METRICS_TOKEN_LEN: usize = 24;

/// Hides the password part of a URL such as `postgres://user:secret@host/db`.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme_end + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redacts_password_in_database_url() {
        assert_eq!(redact_url("postgres://app:hunter2@db:5432/voxdial"), "postgres://app:***@db:5432/voxdial");
        assert_eq!(redact_url("postgres://app@db/voxdial"), "postgres://app@db/voxdial");
        assert_eq!(redact_url("data/voxdial.db"), "data/voxdial.db");
    }

    #[test]
    fn cookies_are_secure_for_https_public_urls_by_default() {
        let mut s = Settings::default();
        assert!(!s.cookies_secure());
        s.public_url = Some("https://dial.example.com".into());
        assert!(s.cookies_secure());
        s.cookie_secure = Some(false);
        assert!(!s.cookies_secure());
    }

    #[test]
    fn r_metrics_a_short_metrics_token_is_refused_without_echoing_it() {
        let short = Settings { metrics_token: Some("tiny-secret".into()), ..Settings::default() };
        let err = short.validate().unwrap_err().to_string();
        assert!(!err.contains("tiny-secret"), "{err}");
        let long = Settings { metrics_token: Some("k".repeat(MIN_METRICS_TOKEN_LEN)), ..Settings::default() };
        assert!(long.validate().is_ok());
        assert!(!format!("{long:?}").contains("kkkk"), "Debug hides the token");
    }

    #[test]
    fn key_file_sits_beside_the_sqlite_database() {
        let s = Settings { database_url: "sqlite://data/voxdial.db".into(), ..Settings::default() };
        assert_eq!(s.secret_key_path(), PathBuf::from("data/voxdial.key"));
    }
}
