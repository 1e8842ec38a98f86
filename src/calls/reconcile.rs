//! The reconciler (R-RECONCILE): calls still live long after they started are settled by
//! asking the provider; a call nobody can account for is marked `unknown` for a person and
//! is never dialed again by itself.

use chrono::{Duration, NaiveDateTime};

use super::events;
use crate::app::AppState;
use crate::connections;
use crate::db::leads::CallResult;
use crate::db::{self, write_tx};
use crate::error::AppError;
use crate::provider::{ConversationState, FailureReason, ProviderError};

/// One instance reconciles at a time.
const LEASE_NAME: &str = "reconciler";
const BATCH: i64 = 50;

/// What one pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Reconciled {
    pub completed: usize,
    pub failed: usize,
    pub unknown: usize,
    pub still_running: usize,
}

/// Settles calls live for longer than `after`; gives up on them (unknown) after `give_up`.
pub async fn step(
    state: &AppState,
    now: NaiveDateTime,
    after: Duration,
    give_up: Duration,
) -> Result<Reconciled, AppError> {
    let holder = state.instance_id.clone();
    let stale = state
        .db
        .run(move |conn| {
            let ours = write_tx(conn, |conn| {
                db::leases::try_acquire(conn, LEASE_NAME, &holder, now, now + Duration::minutes(2))
            })?;
            if !ours {
                return Ok(Vec::new());
            }
            Ok(db::interactions::stale_open(conn, now - after, BATCH)?)
        })
        .await?;
    let mut done = Reconciled::default();
    for call in stale {
        let verdict = match (&call.provider_conversation_id, call.provider_connection_id) {
            (Some(conversation_id), Some(connection_id)) => {
                let (_, client) = connections::load_client(state, connection_id).await?;
                Some(client.get_conversation(conversation_id).await)
            }
            _ => None,
        };
        let too_old = call.created_at < now - give_up;
        let settled = state
            .db
            .run(move |conn| {
                write_tx(conn, |conn| {
                    Ok::<_, AppError>(match verdict {
                        Some(Ok(report)) if report.state == ConversationState::Done => {
                            events::complete(conn, &call, &report, now)?.map(|_| Settled::Completed)
                        }
                        Some(Ok(report)) if report.state == ConversationState::Failed => {
                            let reason = FailureReason::Other("the provider reports the conversation failed".into());
                            events::fail(conn, &call, &reason, report.call_sid.as_deref(), now)?
                                .map(|_| Settled::Failed)
                        }
                        Some(Err(ProviderError::NotFound(_))) => {
                            unknown(conn, &call, "the provider does not know this conversation", now)?
                        }
                        None if call.created_at < now - after => {
                            unknown(conn, &call, "the provider never confirmed the call and no webhook arrived", now)?
                        }
                        // Still ringing, talking or being analysed, or the provider is away.
                        Some(Ok(_)) | Some(Err(_)) | None if too_old => {
                            unknown(conn, &call, "no outcome could be established in time", now)?
                        }
                        _ => {
                            db::interactions::touch(conn, call.id, now)?;
                            None
                        }
                    })
                })
            })
            .await?;
        match settled {
            Some(Settled::Completed) => done.completed += 1,
            Some(Settled::Failed) => done.failed += 1,
            Some(Settled::Unknown) => done.unknown += 1,
            None => done.still_running += 1,
        }
    }
    Ok(done)
}

enum Settled {
    Completed,
    Failed,
    Unknown,
}

/// Marks a call unknown and holds its lead for review.
fn unknown(
    conn: &mut db::DbConnection,
    call: &db::interactions::Interaction,
    reason: &str,
    now: NaiveDateTime,
) -> Result<Option<Settled>, AppError> {
    let message = format!("Outcome unknown: {reason}. Check the call at the provider before calling this lead again.");
    if !db::interactions::mark_unknown(conn, call, &message, now)? {
        return Ok(None);
    }
    let hold = CallResult { status: None, next_call_at: None, reached: false, needs_review: true };
    let lead = db::leads::find(conn, call.lead_id)?;
    db::leads::record_call_result(conn, &lead, &hold, now)?;
    tracing::warn!(interaction_id = call.id, reason, "call outcome unknown; marked for review");
    Ok(Some(Settled::Unknown))
}
