//! The reconciler (R-RECONCILE): calls still live long after their last news are settled
//! by asking the provider; a call nobody can account for is marked `unknown` for a person
//! and is never dialed again by itself.
//!
//! Each call is claimed on its own (several instances may run this), checked outside any
//! transaction, and settled in one; a call whose check fails is retried later with backoff
//! and never holds up the calls behind it.

use chrono::{Duration, NaiveDateTime};

use super::settle;
use crate::db;
use crate::db::interactions::Interaction;
use crate::domain::outcome::Outcome;
use crate::error::AppError;
use crate::provider::{CallReport, ConversationState, FailureReason, ProviderError};
use crate::services::{Ctx, connections};

/// Calls one pass looks at.
const BATCH: i64 = 50;
/// How long one reconciler owns a call it is checking.
const CLAIM: Duration = Duration::minutes(2);
/// When a call the provider still reports as running is looked at again.
const RECHECK: Duration = Duration::minutes(5);
/// Failed checks after which a call is left to a person.
const MAX_CHECK_FAILURES: i32 = 20;

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub completed: usize,
    pub failed: usize,
    pub unknown: usize,
    pub still_running: usize,
    /// Checks that went wrong (provider away, database trouble); retried later.
    pub errors: usize,
}

enum Verdict {
    Completed(Outcome),
    Failed,
    Unknown,
    StillRunning,
    /// Another reconciler has the call, or it ended meanwhile.
    Skipped,
}

/// One pass over the calls that have gone quiet.
pub async fn step(ctx: &Ctx, now: NaiveDateTime) -> Result<Reconciled, AppError> {
    let stale_before = now - ctx.settings.reconcile_after;
    let due = ctx.db.run(move |conn| Ok(db::interactions::due_for_check(conn, stale_before, now, BATCH)?)).await?;
    let mut done = Reconciled::default();
    for call in due {
        let (id, failures) = (call.id, call.check_failures);
        match check(ctx, call, now).await {
            Ok(Verdict::Completed(outcome)) => {
                done.completed += 1;
                ctx.metrics.call_ended(Some(outcome));
            }
            Ok(Verdict::Failed) => {
                done.failed += 1;
                ctx.metrics.call_ended(Some(Outcome::Failed));
            }
            Ok(Verdict::Unknown) => {
                done.unknown += 1;
                ctx.metrics.call_ended(None);
            }
            Ok(Verdict::StillRunning) => done.still_running += 1,
            Ok(Verdict::Skipped) => {}
            Err(err) => {
                done.errors += 1;
                tracing::warn!(interaction_id = %id, failures = failures + 1, error = ?err, "reconciling a call failed");
                let retry_at = now + backoff(failures);
                let scheduled =
                    ctx.db.write(move |conn| Ok(db::interactions::schedule_check(conn, id, retry_at, true)?)).await;
                if let Err(err) = scheduled {
                    // The claim expires by itself; a later pass retries.
                    tracing::error!(interaction_id = %id, error = ?err, "could not schedule the next check");
                }
            }
        }
    }
    Ok(done)
}

async fn check(ctx: &Ctx, call: Interaction, now: NaiveDateTime) -> Result<Verdict, AppError> {
    let id = call.id;
    if !ctx.db.write(move |conn| Ok(db::interactions::claim_check(conn, id, now, now + CLAIM)?)).await? {
        return Ok(Verdict::Skipped);
    }
    let report = match (&call.provider_conversation_id, call.provider_connection_id) {
        (Some(conversation_id), Some(connection_id)) => {
            let (_, client) = connections::load_client(ctx, connection_id).await?;
            Some(client.get_conversation(conversation_id).await)
        }
        _ => None,
    };
    let give_up = now - ctx.settings.reconcile_give_up;
    ctx.db.write(move |conn| settle_from(conn, &call, report, give_up, now)).await
}

fn settle_from(
    conn: &mut db::DbConnection,
    call: &Interaction,
    report: Option<Result<CallReport, ProviderError>>,
    give_up: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<Verdict, AppError> {
    let too_old = call.created_at < give_up;
    let unknown = |conn: &mut db::DbConnection, reason: &str| -> Result<Verdict, AppError> {
        Ok(if settle::mark_unknown(conn, call, reason, now)? { Verdict::Unknown } else { Verdict::Skipped })
    };
    match report {
        Some(Ok(report)) if report.state == ConversationState::Done => {
            Ok(settle::complete(conn, call, &report, now)?.map_or(Verdict::Skipped, Verdict::Completed))
        }
        Some(Ok(report)) if report.state == ConversationState::Failed => {
            let reason = FailureReason::Other("the provider reports the conversation failed".into());
            Ok(settle::fail(conn, call, &reason, report.call_sid.as_deref(), now)?
                .map_or(Verdict::Skipped, |_| Verdict::Failed))
        }
        Some(Err(ProviderError::NotFound(_))) => unknown(conn, "the provider does not know this conversation"),
        None => unknown(conn, "the provider never confirmed the call and no webhook arrived"),
        _ if too_old => unknown(conn, "no outcome could be established in time"),
        _ if call.check_failures + 1 >= MAX_CHECK_FAILURES => unknown(conn, "the provider could not be asked"),
        // Still ringing, talking or being analysed, or the provider is briefly away.
        Some(Ok(_)) => {
            db::interactions::schedule_check(conn, call.id, now + RECHECK, false)?;
            Ok(Verdict::StillRunning)
        }
        Some(Err(err)) => Err(AppError::Unavailable(anyhow::anyhow!("asking the provider failed: {err}"))),
    }
}

/// 1, 2, 4 … minutes between failed checks, capped at half an hour.
fn backoff(failures: i32) -> Duration {
    Duration::minutes(2_i64.pow(failures.clamp(0, 5) as u32)).min(Duration::minutes(30))
}
