//! Builds and runs the application: pool, migrations, routes, middleware, background
//! tasks and graceful shutdown.

use std::net::{SocketAddr, TcpListener};
use std::time::Duration;

use actix_session::SessionMiddleware;
use actix_session::config::{PersistentSession, TtlExtensionPolicy};
use actix_web::cookie::SameSite;
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::dev::{Server, ServerHandle};
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer};
use anyhow::Context as _;
use tokio::sync::watch;
use tracing_actix_web::TracingLogger;

use crate::auth::password::PasswordHasher;
use crate::auth::session_store::DbSessionStore;
use crate::config::{Settings, redact_url};
use crate::crypto::{MasterKey, SecretBox};
use crate::db::Db;
use crate::error::AppError;
use crate::provider::{self, HttpSettings};
use crate::web;
use crate::worker;

/// Shared by every handler and background task.
pub struct AppState {
    pub db: Db,
    pub settings: Settings,
    pub hasher: PasswordHasher,
    pub key: MasterKey,
    /// Seals and opens provider secrets at rest.
    pub secrets: SecretBox,
    /// Shared HTTP client for provider calls, and its timeouts/retries.
    pub http: reqwest::Client,
    pub provider_http: HttpSettings,
    /// The public base URL, no trailing slash (webhook URLs, Origin check).
    pub public_url: String,
    /// Names this process in leases it takes on shared work.
    pub instance_id: String,
}

pub struct Application {
    addr: SocketAddr,
    server: Server,
    state: actix_web::web::Data<AppState>,
    shutdown: watch::Sender<bool>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl Application {
    /// Connects, migrates and binds (port 0 picks a free port), ready to run.
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let db = Db::connect(&settings.database_url, settings.database_pool_size)?;
        let migrate_db = db.clone();
        let applied = tokio::task::spawn_blocking(move || migrate_db.migrate())
            .await
            .context("migration task panicked")?
            .with_context(|| format!("migrating {}", redact_url(&settings.database_url)))?;
        for version in &applied {
            tracing::info!(%version, "applied migration");
        }
        let key = MasterKey::load_or_create(&settings)?;

        let listener = TcpListener::bind(&settings.bind).with_context(|| format!("binding {}", settings.bind))?;
        let addr = listener.local_addr()?;
        let public_url = settings.public_base_url(addr);
        if !settings.cookies_secure() && !addr.ip().is_loopback() {
            tracing::warn!("session cookies are sent without Secure; set public_url to an https:// URL in production");
        }

        let provider_http =
            HttpSettings { timeout: Duration::from_secs(settings.provider_timeout_secs), ..HttpSettings::default() };
        let state = actix_web::web::Data::new(AppState {
            db,
            hasher: PasswordHasher::new(4),
            secrets: SecretBox::new(&key),
            key,
            http: provider::http_client(provider_http),
            provider_http,
            public_url,
            instance_id: format!("{}-{}", std::process::id(), &crate::crypto::random_token()[..8]),
            settings,
        });
        let server = http_server(state.clone(), listener)?;
        let (shutdown, _) = watch::channel(false);
        let background = if state.settings.background_tasks {
            worker::spawn_all(state.clone(), shutdown.subscribe())
        } else {
            Vec::new()
        };
        tracing::info!(%addr, public_url = %state.public_url, database = ?state.db.backend(), "voxdial is listening");
        Ok(Application { addr, server, state, shutdown, background })
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn address(&self) -> SocketAddr {
        self.addr
    }

    pub fn state(&self) -> actix_web::web::Data<AppState> {
        self.state.clone()
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGINT/SIGTERM (or `handle().stop()`): background loops stop claiming
    /// work, in-flight requests finish, then the loops are awaited.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let Application { server, shutdown, background, .. } = self;
        let handle = server.handle();
        let signals = tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("shutting down: finishing in-flight requests");
            handle.stop(true).await;
        });
        let result = server.await;
        signals.abort();
        let _ = shutdown.send(true);
        for task in background {
            let _ = tokio::time::timeout(Duration::from_secs(10), task).await;
        }
        tracing::info!("stopped");
        result.context("HTTP server failed")
    }
}

fn http_server(state: actix_web::web::Data<AppState>, listener: TcpListener) -> anyhow::Result<Server> {
    let settings = &state.settings;
    let cookie_key = state.key.cookie_key();
    let session_store =
        DbSessionStore::new(state.db.clone(), Duration::from_secs(settings.session_absolute_timeout_secs));
    let secure = settings.cookies_secure();
    let cookie_name = if secure { "__Host-voxdial" } else { "voxdial_session" };
    let idle = CookieDuration::seconds(settings.session_idle_timeout_secs as i64);
    let workers = settings.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let shutdown_timeout = settings.shutdown_timeout_secs;

    let server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(session_store.clone(), cookie_key.clone())
            .cookie_name(cookie_name.to_owned())
            .cookie_secure(secure)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .session_lifecycle(
                PersistentSession::default()
                    .session_ttl(idle)
                    .session_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
            )
            .build();
        App::new()
            .app_data(state.clone())
            .app_data(actix_web::web::FormConfig::default().limit(2 * 1024 * 1024))
            .wrap(from_fn(web::errors::render_errors))
            .wrap(Compress::default())
            .wrap(from_fn(web::headers::security_headers))
            .wrap(TracingLogger::default())
            .configure(web::health::routes)
            .configure(web::assets::routes)
            .configure(web::webhooks::routes)
            .service(actix_web::web::scope("").wrap(sessions).configure(web::ui_routes))
            .default_service(actix_web::web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }))
    })
    .workers(workers)
    .shutdown_timeout(shutdown_timeout)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("installing the SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}
