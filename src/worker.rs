//! Background loops beside the web server. Each loop body is a `step` over the database
//! that tests call directly; a loop never dies on an error and stops claiming work as soon
//! as shutdown is signalled.

use std::future::Future;
use std::time::Duration;

use actix_web::web::Data;
use chrono::NaiveDateTime;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::app::AppState;
use crate::db::{self, Db};
use crate::error::AppError;

pub fn spawn_all(state: Data<AppState>, shutdown: watch::Receiver<bool>) -> Vec<JoinHandle<()>> {
    let housekeeping_state = state.clone();
    let imports_state = state.clone();
    let reconcile_state = state.clone();
    let sweeper_state = state.clone();
    vec![
        run_periodically("reconciler", Duration::from_secs(60), shutdown.clone(), move || {
            let state = reconcile_state.clone();
            async move {
                let after = chrono::Duration::seconds(state.settings.reconcile_after_secs as i64);
                let give_up = chrono::Duration::seconds(state.settings.reconcile_give_up_secs as i64);
                crate::calls::reconcile::step(&state, db::now(), after, give_up).await?;
                Ok(())
            }
        }),
        run_periodically("webhook sweeper", Duration::from_secs(30), shutdown.clone(), move || {
            let state = sweeper_state.clone();
            async move {
                state.db.run(|conn| crate::calls::events::sweep(conn, db::now())).await?;
                Ok(())
            }
        }),
        run_periodically("housekeeping", Duration::from_secs(300), shutdown.clone(), move || {
            let state = housekeeping_state.clone();
            async move {
                housekeeping_step(&state.db, &state.settings, db::now()).await?;
                Ok(())
            }
        }),
        run_periodically("lead imports", Duration::from_secs(2), shutdown.clone(), move || {
            let state = imports_state.clone();
            let stopping = shutdown.clone();
            async move {
                let (db, owner) = (state.db.clone(), state.instance_id.clone());
                // Stop between batches on shutdown; another start resumes after the lease.
                let keep_going = move || !*stopping.borrow();
                tokio::task::spawn_blocking(move || crate::imports::step(&db, &owner, db::now(), &keep_going))
                    .await
                    .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))??;
                Ok(())
            }
        }),
    ]
}

/// Runs `step` every `interval` until shutdown; errors are logged and the loop goes on.
pub fn run_periodically<F, Fut>(
    name: &'static str,
    interval: Duration,
    mut shutdown: watch::Receiver<bool>,
    mut step: F,
) -> JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), AppError>> + Send,
{
    tokio::spawn(async move {
        loop {
            if *shutdown.borrow() {
                break;
            }
            if let Err(err) = step().await {
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
}

/// Deletes expired sessions and login attempts older than 30 days.
pub async fn housekeeping_step(
    db: &Db,
    settings: &crate::config::Settings,
    now: NaiveDateTime,
) -> Result<Housekeeping, AppError> {
    let absolute = chrono::Duration::seconds(settings.session_absolute_timeout_secs as i64);
    db.run(move |conn| {
        Ok(Housekeeping {
            sessions: db::sessions::delete_expired(conn, now, now - absolute)?,
            login_attempts: db::login_attempts::delete_older_than(conn, now - chrono::Duration::days(30))?,
        })
    })
    .await
}
