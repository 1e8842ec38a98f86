//! Background loops beside the web server. Each loop body is a `step` over the database
//! that tests call directly; a loop never dies on an error and stops claiming work as soon
//! as shutdown is signalled.

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Settings;
use crate::db::{self, Db};
use crate::error::AppError;
use crate::monitoring::Metrics;
use crate::services::Ctx;

pub fn spawn_all(ctx: Ctx, settings: &Settings, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let session_lifetime = chrono::Duration::seconds(settings.session_absolute_timeout_secs as i64);
    let metrics = ctx.metrics.clone();
    let (reconcile_ctx, sweeper_ctx, housekeeping_ctx, dialer_ctx) =
        (ctx.clone(), ctx.clone(), ctx.clone(), ctx.clone());
    let (imports_ctx, purge_ctx, pipeline_ctx) = (ctx.clone(), ctx.clone(), ctx);
    let retention = crate::imports::Retention::from_settings(settings);
    let (dialer_every, reconcile_every) =
        (Duration::from_millis(settings.dialer_interval_ms), Duration::from_secs(settings.reconcile_interval_secs));
    vec![
        run_periodically("dialer", dialer_every, shutdown.clone(), &metrics, move || {
            let ctx = dialer_ctx.clone();
            async move {
                crate::dialer::step(&ctx, ctx.clock.now_utc()).await?;
                Ok(())
            }
        }),
        run_periodically("reconciler", reconcile_every, shutdown.clone(), &metrics, move || {
            let ctx = reconcile_ctx.clone();
            async move {
                crate::calls::reconcile::step(&ctx, ctx.clock.now()).await?;
                Ok(())
            }
        }),
        run_periodically("pipeline", Duration::from_secs(2), shutdown.clone(), &metrics, move || {
            let ctx = pipeline_ctx.clone();
            async move {
                crate::pipeline::step(&ctx, ctx.clock.now()).await?;
                Ok(())
            }
        }),
        run_periodically("webhook sweeper", Duration::from_secs(30), shutdown.clone(), &metrics, move || {
            let ctx = sweeper_ctx.clone();
            async move {
                crate::calls::sweeper::sweep(&ctx, ctx.clock.now()).await?;
                Ok(())
            }
        }),
        run_periodically("housekeeping", Duration::from_secs(300), shutdown.clone(), &metrics, move || {
            let ctx = housekeeping_ctx.clone();
            async move {
                housekeeping_step(&ctx.db, session_lifetime, ctx.clock.now()).await?;
                Ok(())
            }
        }),
        run_periodically("import file purge", Duration::from_secs(600), shutdown.clone(), &metrics, move || {
            let ctx = purge_ctx.clone();
            async move {
                let purged = crate::imports::purge_files(&ctx, retention, ctx.clock.now()).await?;
                if purged > 0 {
                    tracing::info!(purged, "deleted uploaded lead files past their retention");
                }
                Ok(())
            }
        }),
        run_periodically("lead imports", Duration::from_secs(2), shutdown.clone(), &metrics, move || {
            let ctx = imports_ctx.clone();
            let stopping = shutdown.clone();
            async move {
                // Stop between batches on shutdown; another start resumes after the lease.
                let keep_going = move || !*stopping.borrow();
                tokio::task::spawn_blocking(move || crate::imports::step(&ctx, ctx.clock.now(), &keep_going))
                    .await
                    .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))??;
                Ok(())
            }
        }),
    ]
}

/// Drains the metrics' histogram samples now and then, whether or not anyone scrapes them.
pub fn metrics_upkeep(metrics: Metrics, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    let upkeep = metrics.clone();
    run_periodically("metrics upkeep", Duration::from_secs(10), shutdown, &metrics, move || {
        upkeep.upkeep();
        std::future::ready(Ok(()))
    })
}

/// Runs `step` every `interval` until shutdown; errors are logged and the loop goes on.
/// Each step's duration and result go to `metrics`.
pub fn run_periodically<F, Fut>(
    name: &'static str,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
    metrics: &Metrics,
    mut step: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), AppError>> + Send,
{
    let metrics = metrics.clone();
    metrics.loop_started(name);
    tokio::spawn(async move {
        loop {
            if *shutdown.borrow() {
                break;
            }
            let started = Instant::now();
            let result = step().await;
            metrics.loop_stepped(name, started.elapsed(), result.is_ok());
            if let Err(err) = result {
                tracing::warn!(task = name, error = ?err, "background step failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(interval) => {},
                _ = shutdown.changed() => {},
            }
        }
        tracing::debug!(task = name, "background task stopped");
    })
}

/// What one housekeeping pass removed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Housekeeping {
    pub sessions: usize,
    pub login_attempts: usize,
    /// Calls from before voxdial kept the lead's week hour, given one.
    pub week_hours: usize,
}

/// Deletes expired sessions and login attempts older than 30 days, and gives calls recorded
/// before the analytics rollups their lead's week hour (nothing to do once done).
pub async fn housekeeping_step(
    db: &Db,
    absolute: chrono::Duration,
    now: NaiveDateTime,
) -> Result<Housekeeping, AppError> {
    db.run(move |conn| {
        Ok(Housekeeping {
            sessions: db::sessions::delete_expired(conn, now, now - absolute)?,
            login_attempts: db::login_attempts::delete_older_than(conn, now - chrono::Duration::days(30))?,
            week_hours: db::analytics::backfill_week_hours(conn)?,
        })
    })
    .await
}
