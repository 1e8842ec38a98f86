//! Calls: starting one (R-CALL, R-CALL-UNCERTAIN), applying what the provider reports
//! (R-OUTCOME, R-WEBHOOK-IDEM), reconciling calls whose report never came (R-RECONCILE),
//! and a person settling a call nobody could account for.
//!
//! A call's row is committed before the provider is asked to dial, no transaction is ever
//! open while the provider is being asked, and an uncertain answer keeps the lead's live
//! call until the call is settled: a lead is never dialed twice for one attempt.

pub mod events;
pub mod inbound;
mod manual_hours;
mod prepare;
pub mod reconcile;
pub mod review;
pub mod settle;
pub mod sweeper;
pub mod variables;
pub mod webhook_gate;
pub mod webhook_intake;

use crate::audit::Actor;
use crate::db::{self, DbConnection};
use crate::domain::interaction::CallStatus;
use crate::domain::outcome::Outcome;
use crate::domain::phone::E164;
use crate::domain::resolution::ConfigError;
use crate::error::AppError;
use crate::ids::{ConnectionId, InteractionId, LeadId};
use crate::provider::{CallAccepted, ProviderError};
use crate::services::{Ctx, connections};
pub use prepare::{Prepared, prepare};
pub use variables::INTERACTION_VARIABLE;

/// Who asks for a call.
#[derive(Debug, Clone)]
pub enum Requester {
    /// A team member pressing "Call now" (audit-logged with the call); `confirmed` once they
    /// have seen and accepted the warnings (a paused campaign, outside its windows, no
    /// consent on record).
    Person { actor: Actor, confirmed: bool },
    /// The auto-dialer.
    Dialer,
}

/// Why a call may not be made at all; nothing is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    LeadDeleted,
    CampaignArchived,
    /// The lead's status says it asked not to be called.
    OptedOut(E164),
    /// The number is on a do-not-call list.
    OnDoNotCallList {
        phone: E164,
        campaign_list: bool,
        reason: String,
    },
    /// An earlier call's outcome is unknown; a person settles it first.
    NeedsReview,
    /// The lead already has a live call.
    CallInProgress,
    /// The legal floor or the lead's regional rules forbid calling now; no override.
    OutsideCallingHours {
        local_time: String,
        zone: String,
        reason: String,
        opens: Option<String>,
    },
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::LeadDeleted => "This lead was deleted.".into(),
            Refusal::CampaignArchived => "The campaign is archived.".into(),
            Refusal::OptedOut(phone) => format!("{phone} asked not to be called (status: do not call)."),
            Refusal::OnDoNotCallList { phone, campaign_list, reason } => {
                let list = if *campaign_list { "this campaign's do-not-call list" } else { "the do-not-call list" };
                let reason = if reason.is_empty() { String::new() } else { format!(" ({reason})") };
                format!("{phone} is on {list}{reason}.")
            }
            Refusal::NeedsReview => "An earlier call's outcome is unknown: settle it on the call's page before \
                                     calling this lead again."
                .into(),
            Refusal::CallInProgress => "This lead already has a call in progress.".into(),
            Refusal::OutsideCallingHours { local_time, zone, reason, opens } => {
                let opens = opens.as_ref().map_or_else(
                    || "There is no allowed calling time in the next two weeks.".to_owned(),
                    |at| format!("Calling opens at {at} (their time)."),
                );
                format!("It is {local_time} in {zone} for this lead: {reason}. {opens}")
            }
        }
    }
}

/// How a call request ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallStart {
    /// The provider took the call.
    Accepted {
        interaction_id: InteractionId,
    },
    /// The provider's answer leaves open whether the call rings; the lead keeps its live
    /// call until a webhook, the reconciler or a person settles it.
    Unconfirmed {
        interaction_id: InteractionId,
        message: String,
    },
    /// Configuration is missing (R-CONFIG-ERR): recorded as a failed call, nothing dialed.
    ConfigError {
        interaction_id: InteractionId,
        error: ConfigError,
    },
    /// The provider definitely refused the call.
    ProviderError {
        interaction_id: InteractionId,
        message: String,
    },
    /// voxdial could not ask the provider at all; recorded as failed, nothing dialed.
    NotSent {
        interaction_id: InteractionId,
        message: String,
    },
    Refused(Refusal),
    /// A person must confirm first; nothing was recorded.
    NeedsConfirmation(Vec<String>),
}

impl CallStart {
    pub fn interaction_id(&self) -> Option<InteractionId> {
        match self {
            CallStart::Accepted { interaction_id }
            | CallStart::Unconfirmed { interaction_id, .. }
            | CallStart::ConfigError { interaction_id, .. }
            | CallStart::ProviderError { interaction_id, .. }
            | CallStart::NotSent { interaction_id, .. } => Some(*interaction_id),
            CallStart::Refused(_) | CallStart::NeedsConfirmation(_) => None,
        }
    }
}

/// Places a call to a lead: resolve and render, commit the call row (with its audit entry
/// for a person), then ask the provider, then record its answer.
pub async fn start_call(ctx: &Ctx, lead_id: LeadId, requester: Requester) -> Result<CallStart, AppError> {
    let now = ctx.clock.now_utc();
    let prepared = ctx.db.write(move |conn| prepare(conn, lead_id, &requester, now)).await?;
    match prepared {
        Ok(ready) => dial(ctx, ready).await,
        Err(decided) => Ok(decided),
    }
}

/// Asks the provider to place a prepared call (its `dialing` row committed) and records the
/// answer. Used by "Call now" and by the dialer alike.
pub async fn dial(ctx: &Ctx, prepared: Prepared) -> Result<CallStart, AppError> {
    let start = place(ctx, prepared).await;
    if let Ok(start) = &start {
        ctx.metrics.call_dialed(start);
    }
    start
}

async fn place(ctx: &Ctx, prepared: Prepared) -> Result<CallStart, AppError> {
    let interaction_id = prepared.interaction_id;
    let client = match connections::client_for(ctx, &prepared.connection) {
        Ok(client) => client,
        Err(err) => {
            tracing::error!(%interaction_id, error = ?err, "no provider client; the call was not placed");
            let message = "voxdial could not use the connection's API key (was the secret key changed?); \
                           nothing was dialed"
                .to_owned();
            let now = ctx.clock.now();
            let reason = message.clone();
            ctx.db.write(move |conn| settle::fail_unsent(conn, interaction_id, "PROVIDER_SETUP", &reason, now)).await?;
            return Ok(CallStart::NotSent { interaction_id, message });
        }
    };
    let answer = client.start_call(&prepared.call).await;
    #[cfg(feature = "failpoints")]
    fail::fail_point!("call-after-post");
    let connection_id = prepared.connection.id;
    let now = ctx.clock.now();
    let recorded = ctx.db.run(move |conn| record_answer(conn, interaction_id, connection_id, answer, now)).await;
    #[cfg(feature = "failpoints")]
    fail::fail_point!("call-after-answer");
    recorded
}

fn record_answer(
    conn: &mut DbConnection,
    interaction_id: InteractionId,
    connection_id: ConnectionId,
    answer: Result<CallAccepted, ProviderError>,
    now: chrono::NaiveDateTime,
) -> Result<CallStart, AppError> {
    match answer {
        Ok(accepted) => {
            db::write_tx(conn, |conn| {
                db::interactions::mark_accepted(
                    conn,
                    interaction_id,
                    accepted.conversation_id.as_deref(),
                    accepted.call_sid.as_deref(),
                    now,
                )
            })?;
            // A webhook that outran this answer waits for the conversation id: apply it
            // now (or the sweeper will: the call is placed either way).
            if let Some(conversation_id) = &accepted.conversation_id
                && let Err(err) = events::apply_waiting(conn, connection_id, conversation_id, now)
            {
                tracing::warn!(%interaction_id, error = ?err, "an early webhook is left for the sweeper");
            }
            Ok(CallStart::Accepted { interaction_id })
        }
        Err(err) if err.outcome_unknown() => {
            let message = format!(
                "The provider did not confirm the call ({err}). It may be ringing: the lead is held until a webhook, \
                 the reconciler or a person settles it, and it is not dialed again meanwhile."
            );
            db::write_tx(conn, |conn| db::interactions::note_error(conn, interaction_id, &message, now))?;
            tracing::warn!(%interaction_id, error = %err, "call outcome uncertain; held for reconciliation");
            Ok(CallStart::Unconfirmed { interaction_id, message })
        }
        Err(err) => {
            let message = err.to_string();
            db::write_tx(conn, |conn| {
                settle::end_without_report(
                    conn,
                    interaction_id,
                    CallStatus::Failed,
                    Outcome::Failed,
                    "PROVIDER_ERROR",
                    &message,
                    now,
                )
            })?;
            Ok(CallStart::ProviderError { interaction_id, message })
        }
    }
}
