//! How a call ends and what that does to its lead (R-OUTCOME), in the caller's
//! transaction. Every transition is one conditional update from the states it may leave;
//! a report that finds the call already ended changes nothing.

use chrono::NaiveDateTime;

use crate::db::interactions::{Ending, Interaction, NewTurn};
use crate::db::leads::CallResult;
use crate::db::suppression::NewEntry;
use crate::db::{self, DbConnection};
use crate::dialer;
use crate::domain::dialing::rules::DialBlock;
use crate::domain::interaction::CallStatus;
use crate::domain::lead::LeadStatus;
use crate::domain::lead::lead_zone;
use crate::domain::outcome::{AnalysisFacts, Outcome, StatusMap, callback_said, classify};
use crate::domain::phone::E164;
use crate::domain::pipeline::answer::local_time_to_utc;
use crate::domain::suppression::SuppressionSource;
use crate::error::AppError;
use crate::ids::InteractionId;
use crate::provider::{CallReport, FailureReason};

/// Statuses a provider report may settle: live calls, and (late) calls voxdial ended as
/// failed or unknown without hearing from the provider (R-WEBHOOK-IDEM).
pub const SETTLEABLE: [CallStatus; 4] =
    [CallStatus::Dialing, CallStatus::InProgress, CallStatus::Unknown, CallStatus::Failed];

/// Completes a call from a provider report (webhook or lookup): its transcript, analysis,
/// outcome and its lead's new status, all or nothing. `None` if it had already ended.
pub fn complete(
    conn: &mut DbConnection,
    call: &Interaction,
    report: &CallReport,
    now: NaiveDateTime,
) -> Result<Option<Outcome>, AppError> {
    let pipeline = db::pipeline::campaign_config(conn, call.campaign_id)?;
    let facts = AnalysisFacts {
        call_successful: report.call_successful.clone(),
        collected: pipeline.provider_fields.rename(&report.collected),
        termination_reason: report.termination_reason.clone(),
    };
    let outcome = classify(&facts);
    let analysis = report.analysis.as_ref().map(|a| a.to_string());
    let ending = Ending {
        outcome: Some(outcome),
        termination_reason: report.termination_reason.as_deref(),
        duration_secs: report.duration_secs,
        call_successful: report.call_successful.as_deref(),
        summary: report.summary.as_deref(),
        provider_analysis: analysis.as_deref(),
        call_sid: report.call_sid.as_deref(),
        ..Ending::default()
    };
    if !db::interactions::end(conn, call, &SETTLEABLE, CallStatus::Completed, &ending, now)? {
        return Ok(None);
    }
    let turns: Vec<NewTurn<'_>> = report
        .transcript
        .iter()
        .map(|t| NewTurn {
            role: t.speaker.as_str(),
            message: t.message.as_deref(),
            time_in_call_secs: t.time_in_call_secs,
        })
        .collect();
    db::interactions::insert_transcript(conn, call.id, &turns)?;
    if let Some(connection_id) = call.provider_connection_id {
        db::recordings::link(conn, connection_id, &report.conversation_id, call.id)?;
    }
    let callback_at = match callback_said(&facts) {
        Some(said) => local_time_to_utc(said, lead_zone_of(conn, call)?),
        None => None,
    };
    apply_outcome_to_lead(conn, call, outcome, callback_at, now)?;
    if pipeline.llm_enabled && pipeline.has_llm_steps() {
        db::pipeline::enqueue(conn, call.id, None, now)?;
    }
    Ok(Some(outcome))
}

/// The zone a lead's own times are in: its zone, its number's, else its campaign's.
fn lead_zone_of(conn: &mut DbConnection, call: &Interaction) -> Result<chrono_tz::Tz, AppError> {
    let lead = db::leads::find(conn, call.lead_id)?;
    let campaign = db::campaigns::find(conn, call.campaign_id)?;
    Ok(lead_zone(lead.timezone, &lead.phone, Some(campaign.timezone)).map_or(campaign.timezone, |z| z.zone))
}

/// Ends a call that never connected as busy, no answer or failed. `None` if it had already
/// ended.
pub fn fail(
    conn: &mut DbConnection,
    call: &Interaction,
    reason: &FailureReason,
    call_sid: Option<&str>,
    now: NaiveDateTime,
) -> Result<Option<Outcome>, AppError> {
    let (status, outcome, detail) = match reason {
        FailureReason::Busy => (CallStatus::Busy, Outcome::Busy, None),
        FailureReason::NoAnswer => (CallStatus::NoAnswer, Outcome::NoAnswer, None),
        FailureReason::Other(why) => {
            (CallStatus::Failed, Outcome::Failed, Some(format!("the call did not connect: {why}")))
        }
    };
    let ending = Ending {
        outcome: Some(outcome),
        error_code: detail.as_ref().map(|_| "CALL_FAILED"),
        error_message: detail.as_deref(),
        call_sid,
        ..Ending::default()
    };
    // A call already failed is not failed again.
    let from: Vec<CallStatus> = SETTLEABLE.into_iter().filter(|s| *s != status).collect();
    if !db::interactions::end(conn, call, &from, status, &ending, now)? {
        return Ok(None);
    }
    apply_outcome_to_lead(conn, call, outcome, None, now)?;
    Ok(Some(outcome))
}

/// Marks a live call nobody can account for; its lead waits for a person (R-RECONCILE).
/// `false` if it had ended meanwhile.
pub fn mark_unknown(
    conn: &mut DbConnection,
    call: &Interaction,
    reason: &str,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let message = format!("Outcome unknown: {reason}. Check the call at the provider, then settle it here.");
    let ending = Ending { error_code: Some("OUTCOME_UNKNOWN"), error_message: Some(&message), ..Ending::default() };
    if !db::interactions::end(conn, call, &CallStatus::LIVE, CallStatus::Unknown, &ending, now)? {
        return Ok(false);
    }
    let lead = db::leads::find(conn, call.lead_id)?;
    let hold = CallResult {
        status: None,
        retry_at: None,
        next_call_at: None,
        dial_block: Some(DialBlock::NeedsReview),
        reached: false,
        needs_review: true,
    };
    db::leads::record_call_result(conn, &lead, &hold, now)?;
    tracing::warn!(interaction_id = %call.id, reason, "call outcome unknown; held for review");
    Ok(true)
}

/// Ends a call the provider gave a definite answer about without a report (e.g. a 4xx when
/// asked to dial), with its lead's update.
pub fn end_without_report(
    conn: &mut DbConnection,
    id: InteractionId,
    status: CallStatus,
    outcome: Outcome,
    error_code: &str,
    message: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let call = db::interactions::find(conn, id)?;
    let ending = Ending {
        outcome: Some(outcome),
        error_code: Some(error_code),
        error_message: Some(message),
        ..Ending::default()
    };
    if db::interactions::end(conn, &call, &CallStatus::LIVE, status, &ending, now)? {
        apply_outcome_to_lead(conn, &call, outcome, None, now)?;
    }
    Ok(())
}

/// Ends a call the provider was never asked about (R-CALL-UNCERTAIN): failed at once, not
/// an attempt, and the campaign shows the problem until a call goes through.
pub fn fail_unsent(
    conn: &mut DbConnection,
    id: InteractionId,
    error_code: &str,
    message: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if db::interactions::end_unsent(conn, id, error_code, message, now)? {
        let call = db::interactions::find(conn, id)?;
        let lead = db::leads::find(conn, call.lead_id)?;
        db::leads::undo_attempt(conn, &lead, now)?;
        db::campaigns::set_blocking_error(conn, call.campaign_id, error_code, message, now)?;
    }
    Ok(())
}

/// What an ended call does to its lead, in the caller's transaction (R-OUTCOME): the
/// campaign's outcome → status map, the next due time, and an opt-out to the DNC list.
pub fn apply_outcome_to_lead(
    conn: &mut DbConnection,
    interaction: &Interaction,
    outcome: Outcome,
    callback_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let campaign = db::campaigns::find(conn, interaction.campaign_id)?;
    let lead = db::leads::find(conn, interaction.lead_id)?;
    let map = StatusMap::from_json(campaign.outcome_status_map.as_deref());
    // Once a lead said "do not call", only a person may change that.
    let status =
        if lead.status == LeadStatus::DoNotCall { lead.status } else { map.status_for(outcome).unwrap_or(lead.status) };
    let result = dialer::schedule::after_outcome(conn, &campaign, &lead, status, outcome, callback_at, now)?;
    db::leads::record_call_result(conn, &lead, &result, now)?;
    if outcome == Outcome::DoNotCall {
        add_opt_out(conn, interaction.id, &lead.phone, now)?;
    }
    Ok(())
}

/// Puts the number of a lead who asked not to be called on the global do-not-call list; a
/// number already there stays as it is (inside a savepoint, so the caller's transaction
/// survives on PostgreSQL).
pub fn add_opt_out(
    conn: &mut DbConnection,
    interaction_id: InteractionId,
    phone: &E164,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let reason = format!("Asked not to be called (call #{interaction_id})");
    let entry = NewEntry {
        phone,
        campaign_id: None,
        reason: &reason,
        source: SuppressionSource::OptOut,
        created_by: None,
        interaction_id: Some(interaction_id),
    };
    db::suppression::add(conn, &entry, now)?;
    Ok(())
}
