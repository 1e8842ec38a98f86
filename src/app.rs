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

use std::sync::Arc;

use crate::auth::password::PasswordHasher;
use crate::auth::session_store::DbSessionStore;
use crate::calls::webhook_gate::WebhookGate;
use crate::clock::{Clock, SystemClock};
use crate::config::{Settings, redact_url};
use crate::crypto::{MasterKey, SecretBox};
use crate::db::Db;
use crate::error::AppError;
use crate::monitoring::Metrics;
use crate::provider::measured::MeasuredProviders;
use crate::provider::{HttpProviders, HttpSettings, ProviderFactory};
use crate::services::{Ctx, InstanceId, ServiceSettings};
use crate::web;
use crate::worker;

/// What the web layer shares between handlers: the services' context plus what only the
/// web needs.
pub struct AppState {
    pub ctx: Ctx,
    pub settings: Settings,
    pub hasher: PasswordHasher,
    pub key: MasterKey,
    /// The public base URL, no trailing slash (webhook URLs, Origin check).
    pub public_url: String,
    /// Dry runs on demand (the Dialer tab's preview) are heavy: one at a time.
    pub dry_runs: std::sync::Arc<tokio::sync::Semaphore>,
    /// Lead file uploads being read: each may hold a large file as text, so only a few at once.
    pub uploads: std::sync::Arc<tokio::sync::Semaphore>,
    /// Post-call webhooks' body limits and refusal counters.
    pub webhook_gate: WebhookGate,
}

/// What the application depends on from outside; tests replace the clock and the
/// provider.
pub struct Dependencies {
    pub clock: Arc<dyn Clock>,
    /// `None`: the providers' real HTTP APIs.
    pub providers: Option<Arc<dyn ProviderFactory>>,
    /// `None`: a fresh one for this process.
    pub instance_id: Option<InstanceId>,
}

impl Default for Dependencies {
    fn default() -> Self {
        Dependencies { clock: Arc::new(SystemClock), providers: None, instance_id: None }
    }
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
        Application::build_with(settings, Dependencies::default()).await
    }

    pub async fn build_with(settings: Settings, deps: Dependencies) -> anyhow::Result<Application> {
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

        let ctx = services_context(&settings, db, &key, public_url.clone(), deps);
        crate::services::installation::require_matching_key(&ctx).await?;
        let state = actix_web::web::Data::new(AppState {
            ctx,
            hasher: PasswordHasher::new(4),
            key,
            public_url,
            settings,
            dry_runs: std::sync::Arc::new(tokio::sync::Semaphore::new(1)),
            uploads: std::sync::Arc::new(tokio::sync::Semaphore::new(web::imports::CONCURRENT_UPLOADS)),
            webhook_gate: WebhookGate::default(),
        });
        let server = http_server(state.clone(), listener)?;
        let (shutdown, _) = watch::channel(false);
        let mut background = if state.settings.background_tasks {
            worker::spawn_all(state.ctx.clone(), &state.settings, shutdown.subscribe())
        } else {
            Vec::new()
        };
        background.push(worker::metrics_upkeep(state.ctx.metrics.clone(), shutdown.subscribe()));
        tracing::info!(%addr, public_url = %state.public_url, database = ?state.ctx.db.backend(), "voxdial is listening");
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

    /// The services' context, for driving services and background steps directly.
    pub fn ctx(&self) -> Ctx {
        self.state.ctx.clone()
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

/// The services' context for these settings: the one place it is put together (the
/// server, the command line and tests all use it).
pub fn services_context(settings: &Settings, db: Db, key: &MasterKey, public_url: String, deps: Dependencies) -> Ctx {
    let providers = deps.providers.unwrap_or_else(|| {
        let http =
            HttpSettings { timeout: Duration::from_secs(settings.provider_timeout_secs), ..HttpSettings::default() };
        Arc::new(HttpProviders::new(http))
    });
    let metrics = Metrics::new();
    Ctx {
        db,
        clock: deps.clock,
        providers: Arc::new(MeasuredProviders::new(providers, metrics.clone())),
        secrets: SecretBox::new(key),
        instance_id: deps.instance_id.unwrap_or_else(InstanceId::generate),
        settings: Arc::new(ServiceSettings {
            public_url,
            store_call_audio: settings.store_call_audio,
            reconcile_after: chrono::Duration::seconds(settings.reconcile_after_secs as i64),
            reconcile_give_up: chrono::Duration::seconds(settings.reconcile_give_up_secs as i64),
        }),
        metrics,
    }
}

fn http_server(state: actix_web::web::Data<AppState>, listener: TcpListener) -> anyhow::Result<Server> {
    let settings = &state.settings;
    let cookie_key = state.key.cookie_key();
    let session_store =
        DbSessionStore::new(state.ctx.db.clone(), Duration::from_secs(settings.session_absolute_timeout_secs));
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
            .wrap(from_fn(web::metrics::count_requests))
            .wrap(TracingLogger::<crate::telemetry::RequestSpans>::new())
            .configure(web::health::routes)
            .configure(web::metrics::routes)
            .configure(web::assets::routes)
            .configure(web::webhooks::routes)
            .service(actix_web::web::scope("").wrap(sessions).configure(web::ui_routes))
            .default_service(actix_web::web::to(|| async { Err::<actix_web::HttpResponse, _>(AppError::NotFound) }))
    })
    .workers(workers)
    // Each open connection may hold a read buffer of up to 128 KiB: a cap per worker keeps a
    // flood of connections within the memory budget (more wait in the listen backlog).
    .max_connections(MAX_CONNECTIONS_PER_WORKER)
    .shutdown_timeout(shutdown_timeout)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}

/// Far above what a team's browsers and the provider's webhooks need at once.
const MAX_CONNECTIONS_PER_WORKER: usize = 256;

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
