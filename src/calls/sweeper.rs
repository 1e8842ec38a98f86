//! The webhook sweeper (R-WEBHOOK-IDEM): events stored but not applied (a transient
//! failure, or an event that outran its call) are retried, each on its own, with backoff; an
//! event that keeps failing is parked for an admin and never holds up the events behind it.

use chrono::{Duration, NaiveDateTime};

use super::events::reapply;
use crate::db::{self, write_tx};
use crate::error::AppError;
use crate::services::Ctx;

/// Events one sweep looks at.
const SWEEP_BATCH: i64 = 100;
/// How long one sweeper owns an event it is applying.
const SWEEP_CLAIM: Duration = Duration::minutes(2);
/// Failed attempts after which an event is parked for an admin.
pub const MAX_ATTEMPTS: i32 = 10;

/// What one sweep did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Swept {
    pub applied: usize,
    pub failed: usize,
    pub parked: usize,
}

/// One sweep over the due events.
pub async fn sweep(ctx: &Ctx, now: NaiveDateTime) -> Result<Swept, AppError> {
    let due = ctx.db.run(move |conn| Ok(db::webhook_events::due(conn, now, SWEEP_BATCH)?)).await?;
    let mut swept = Swept::default();
    for event in due {
        let (id, attempts) = (event.id, event.attempts);
        let outcome = ctx
            .db
            .run(move |conn| {
                if !write_tx(conn, |conn| db::webhook_events::claim(conn, event.id, now, now + SWEEP_CLAIM))? {
                    return Ok(None);
                }
                Ok(Some(reapply(conn, &event, now)?))
            })
            .await;
        match outcome {
            Ok(Some(ended)) => {
                swept.applied += 1;
                if ended.is_some() {
                    ctx.metrics.call_ended(ended);
                }
            }
            Ok(None) => {}
            Err(err) => {
                let retry_at = (attempts + 1 < MAX_ATTEMPTS).then(|| now + retry_delay(attempts));
                tracing::warn!(event_id = %id, attempts = attempts + 1, parked = retry_at.is_none(), error = ?err, "webhook event failed to apply");
                let message = format!("attempt {} failed: {}", attempts + 1, err.with_causes());
                // If even this cannot be written, the claim expires and a later sweep retries.
                let recorded = ctx
                    .db
                    .write(move |conn| Ok(db::webhook_events::record_failure(conn, id, &message, retry_at, now)?))
                    .await;
                if let Err(record_err) = recorded {
                    tracing::error!(event_id = %id, error = ?record_err, "could not record the failed attempt");
                }
                swept.failed += 1;
                swept.parked += usize::from(retry_at.is_none());
            }
        }
    }
    let cutoff = now - Duration::days(7);
    ctx.db.write(move |conn| Ok(db::webhook_events::delete_rejected_before(conn, cutoff)?)).await?;
    Ok(swept)
}

/// 30 s, 1 min, 2 min … capped at an hour.
fn retry_delay(failed_attempts: i32) -> Duration {
    Duration::seconds(30 * 2_i64.pow(failed_attempts.clamp(0, 7) as u32)).min(Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_webhook_idem_retries_back_off_and_stop_growing() {
        assert_eq!(retry_delay(0), Duration::seconds(30));
        assert_eq!(retry_delay(1), Duration::seconds(60));
        assert_eq!(retry_delay(6), Duration::seconds(1920));
        assert_eq!(retry_delay(9), Duration::hours(1));
    }
}
