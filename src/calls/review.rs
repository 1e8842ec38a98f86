//! A person settles a call whose outcome nobody could establish: they checked at the
//! provider (or with the lead) and say whether the lead was reached. The normal outcome
//! rules then apply, and the lead may be called again.

use crate::audit::{self, Actor, Change};
use crate::db;
use crate::db::interactions::Ending;
use crate::domain::interaction::CallStatus;
use crate::domain::outcome::Outcome;
use crate::error::AppError;
use crate::ids::InteractionId;
use crate::services::Ctx;

/// What the person found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finding {
    /// The lead was reached; the outcome is what was said.
    Reached(Outcome),
    /// The call never reached the lead.
    NotReached,
}

impl Finding {
    pub fn parse(reached: bool, outcome: &str) -> Result<Finding, AppError> {
        if !reached {
            return Ok(Finding::NotReached);
        }
        Outcome::from_code(outcome)
            .filter(|o| Outcome::CONNECTED.contains(o))
            .map(Finding::Reached)
            .ok_or_else(|| AppError::validation("Choose what came of the call"))
    }
}

/// Settles an `unknown` call as the person found it, with the lead's update and an audit
/// entry, in one transaction. A call that is no longer unknown (a late report settled it
/// meanwhile) is left alone and the person is told.
pub async fn settle_unknown(ctx: &Ctx, id: InteractionId, finding: Finding, actor: Actor) -> Result<(), AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let call = db::interactions::find(conn, id)?;
            let (status, outcome) = match finding {
                Finding::Reached(outcome) => (CallStatus::Completed, outcome),
                Finding::NotReached => (CallStatus::NoAnswer, Outcome::NoAnswer),
            };
            let note = format!("The outcome was unknown; {} settled it as “{}”.", actor.name, outcome.label());
            let ending = Ending {
                outcome: Some(outcome),
                error_code: Some("OUTCOME_UNKNOWN"),
                error_message: Some(&note),
                ..Ending::default()
            };
            if !db::interactions::end(conn, &call, &[CallStatus::Unknown], status, &ending, now)? {
                return Err(AppError::conflict(format!(
                    "This call is no longer waiting for review: it is {} now.",
                    call.status.label().to_lowercase()
                )));
            }
            super::settle::apply_outcome_to_lead(conn, &call, outcome, None, now)?;
            let summary = format!("Settled call #{id} (outcome unknown) as “{}”", outcome.label());
            let change = Change {
                action: "call.settle",
                object_kind: "interaction",
                object_id: Some(id.get()),
                summary: &summary,
            };
            audit::record(conn, &actor, change, now)?;
            Ok(outcome)
        })
        .await
        .map(|outcome| ctx.metrics.call_ended(Some(outcome)))
}
