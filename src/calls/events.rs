//! Post-call webhooks (R-WEBHOOK-AUTH, R-WEBHOOK-IDEM, R-OUTCOME).
//!
//! Raw bytes → verify the signature → store the event (its unique key makes a redelivery
//! a no-op) → apply it: the call's transition and its lead's update in one transaction →
//! record the result. A transient failure answers 5xx and leaves the event pending for the
//! sweeper; an authentic but unreadable body is kept and answered 4xx.

use chrono::{Duration, NaiveDateTime};

use super::apply_outcome_to_lead;
use crate::app::AppState;
use crate::connections;
use crate::crypto::SecretBox;
use crate::db::interactions::{Ending, Interaction, NewTurn};
use crate::db::providers::SecretField;
use crate::db::webhook_events::{NewEvent, state};
use crate::db::{self, DbConnection, write_tx};
use crate::domain::interaction::CallStatus;
use crate::domain::outcome::{AnalysisFacts, Outcome, callback_time, classify};
use crate::error::AppError;
use crate::provider::{CallReport, FailureReason, ProviderKind, SignatureVerdict, WebhookEvent};

/// The HTTP answer to a webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub message: String,
}

impl Reply {
    fn new(status: u16, message: impl Into<String>) -> Reply {
        Reply { status, message: message.into() }
    }
}

/// How much of a refused body is kept for diagnosis.
const REJECTED_BODY_KEPT: usize = 2048;
/// How long an event may wait for its call before it is set aside.
const WAIT_FOR_CALL: Duration = Duration::hours(24);

/// One delivery of a post-call webhook, as it came in.
pub struct Delivery {
    pub connection_id: i64,
    pub signature: Option<String>,
    pub body: actix_web::web::Bytes,
    pub received_at: chrono::DateTime<chrono::Utc>,
}

/// Handles one delivery: all of it on one database connection, the accepted event stored
/// and applied in one transaction.
pub async fn receive(state: &AppState, delivery: Delivery) -> Result<Reply, AppError> {
    let secrets = state.secrets.clone();
    let store_audio = state.settings.store_call_audio;
    state.db.run(move |conn| ingest(conn, &secrets, &delivery, store_audio)).await
}

fn ingest(
    conn: &mut DbConnection,
    secrets: &SecretBox,
    delivery: &Delivery,
    store_audio: bool,
) -> Result<Reply, AppError> {
    let connection_id = delivery.connection_id;
    let connection = match db::providers::find(conn, connection_id) {
        Ok(connection) => connection,
        Err(diesel::result::Error::NotFound) => return Ok(Reply::new(404, "unknown provider connection")),
        Err(e) => return Err(e.into()),
    };
    let kind = ProviderKind::parse(&connection.kind).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    let secret = match &connection.webhook_secret_enc {
        Some(sealed) => Some(connections::open(secrets, SecretField::WebhookSecret, sealed)?),
        None => None,
    };
    let body = &delivery.body;
    let verdict =
        kind.verify_webhook(delivery.signature.as_deref(), body, secret.as_deref(), delivery.received_at.timestamp());
    let received_at = delivery.received_at.naive_utc();
    if verdict != SignatureVerdict::Valid {
        tracing::warn!(connection_id, verdict = verdict.as_str(), "webhook refused");
        let kept: String = String::from_utf8_lossy(body).chars().take(REJECTED_BODY_KEPT).collect();
        let event = unaccepted(
            connection_id,
            verdict,
            "unverified",
            state::REJECTED,
            verdict.explanation(),
            &kept,
            received_at,
        );
        write_tx(conn, |conn| db::webhook_events::insert(conn, &event))?;
        return Ok(Reply::new(401, format!("invalid signature: {}", verdict.explanation())));
    }

    let envelope = match kind.parse_webhook(body) {
        Ok(envelope) => envelope,
        Err(reason) => {
            let raw = String::from_utf8_lossy(body);
            let event = unaccepted(connection_id, verdict, "unreadable", state::INVALID, &reason, &raw, received_at);
            write_tx(conn, |conn| db::webhook_events::insert(conn, &event))?;
            return Ok(Reply::new(400, reason));
        }
    };

    // Audio is stored as a recording; the event keeps the body without the audio.
    let raw_body = match &envelope.event {
        Ok(WebhookEvent::Audio { .. }) => without_audio(body),
        _ => String::from_utf8_lossy(body).into_owned(),
    };
    let event = NewEvent {
        provider_connection_id: connection_id,
        event_type: &envelope.event_type,
        conversation_id: envelope.conversation_id.as_deref(),
        event_timestamp: envelope.event_timestamp,
        signature_verdict: verdict.as_str(),
        processing_state: state::PENDING,
        processing_result: None,
        raw_body: &raw_body,
        received_at,
    };
    match write_tx(conn, |conn| store_and_apply(conn, &event, &envelope.event, store_audio)) {
        Ok(reply) => Ok(reply),
        Err(err) => {
            // Keep the event for the sweeper (and answer 5xx, so the provider retries too).
            if let Err(keep_err) = write_tx(conn, |conn| db::webhook_events::insert(conn, &event)) {
                tracing::error!(error = %keep_err, "the webhook could not be kept for a retry either");
            }
            Err(err)
        }
    }
}

/// An event kept for diagnosis only: refused, or authentic but unreadable.
fn unaccepted<'a>(
    connection_id: i64,
    verdict: SignatureVerdict,
    event_type: &'a str,
    processing_state: &'a str,
    reason: &'a str,
    raw_body: &'a str,
    received_at: NaiveDateTime,
) -> NewEvent<'a> {
    NewEvent {
        provider_connection_id: connection_id,
        event_type,
        conversation_id: None,
        event_timestamp: None,
        signature_verdict: verdict.as_str(),
        processing_state,
        processing_result: Some(reason),
        raw_body,
        received_at,
    }
}

/// Stores an accepted event and applies it, inside the caller's transaction. A redelivery
/// of an event that is still waiting is applied again; any other redelivery changes nothing.
fn store_and_apply(
    conn: &mut DbConnection,
    new: &NewEvent<'_>,
    event: &Result<WebhookEvent, String>,
    store_audio: bool,
) -> Result<Reply, AppError> {
    let event_id = match db::webhook_events::insert(conn, new)? {
        Some(id) => id,
        None => {
            let existing = db::webhook_events::record_redelivery(
                conn,
                new.provider_connection_id,
                new.event_type,
                new.conversation_id,
            )?
            .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("a conflicting webhook event could not be found")))?;
            if existing.processing_state != state::PENDING {
                return Ok(Reply::new(
                    200,
                    format!("duplicate delivery of event {}: already {}", existing.id, existing.processing_state),
                ));
            }
            existing.id
        }
    };
    let applied = match event {
        Ok(event) => apply(conn, new.provider_connection_id, event, store_audio, new.received_at)?,
        Err(reason) => Applied { state: state::INVALID, result: reason.clone(), interaction_id: None },
    };
    db::webhook_events::record_result(
        conn,
        event_id,
        applied.state,
        &applied.result,
        applied.interaction_id,
        new.received_at,
    )?;
    Ok(match applied.state {
        s if s == state::INVALID => Reply::new(400, applied.result),
        _ => Reply::new(200, applied.result),
    })
}

/// The body as stored for an audio event: the audio itself lives in the recording.
fn without_audio(body: &[u8]) -> String {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut json) => {
            if let Some(audio) = json.get_mut("data").and_then(|d| d.get_mut("full_audio")) {
                *audio = serde_json::Value::from("(stored as the call's recording)");
            }
            json.to_string()
        }
        Err(_) => String::new(),
    }
}

/// What applying an event did.
#[derive(Debug, Clone)]
pub struct Applied {
    pub state: &'static str,
    pub result: String,
    pub interaction_id: Option<i64>,
}

impl Applied {
    fn processed(result: String, interaction_id: i64) -> Applied {
        Applied { state: state::PROCESSED, result, interaction_id: Some(interaction_id) }
    }

    fn ignored(result: String, interaction_id: Option<i64>) -> Applied {
        Applied { state: state::IGNORED, result, interaction_id }
    }

    fn waiting(result: &str) -> Applied {
        Applied { state: state::PENDING, result: result.to_owned(), interaction_id: None }
    }
}

/// Finds the call an event is about: by conversation id, else by voxdial's own id echoed in
/// the dynamic variables (the process may have died before it stored the conversation id).
fn find_call(
    conn: &mut DbConnection,
    connection_id: i64,
    conversation_id: &str,
    interaction_ref: Option<i64>,
) -> Result<Option<Interaction>, AppError> {
    if let Some(found) = db::interactions::find_by_conversation(conn, connection_id, conversation_id)? {
        return Ok(Some(found));
    }
    let Some(id) = interaction_ref else { return Ok(None) };
    match db::interactions::find(conn, id) {
        Ok(found)
            if found.provider_connection_id == Some(connection_id) && found.provider_conversation_id.is_none() =>
        {
            db::interactions::set_conversation_id(conn, found.id, conversation_id)?;
            Ok(Some(found))
        }
        Ok(_) | Err(diesel::result::Error::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Applies one event inside the caller's transaction.
pub fn apply(
    conn: &mut DbConnection,
    connection_id: i64,
    event: &WebhookEvent,
    store_audio: bool,
    now: NaiveDateTime,
) -> Result<Applied, AppError> {
    Ok(match event {
        WebhookEvent::Completed(report) => {
            match find_call(conn, connection_id, &report.conversation_id, report.interaction_ref)? {
                None => Applied::waiting("no call matches this conversation yet"),
                Some(call) => match complete(conn, &call, report, now)? {
                    Some(outcome) => {
                        Applied::processed(format!("call #{} completed: {}", call.id, outcome.label()), call.id)
                    }
                    None => Applied::ignored(already_ended(conn, call.id)?, Some(call.id)),
                },
            }
        }
        WebhookEvent::InitiationFailed { conversation_id, reason, call_sid } => {
            match find_call(conn, connection_id, conversation_id, None)? {
                None => Applied::waiting("no call matches this conversation yet"),
                Some(call) => match fail(conn, &call, reason, call_sid.as_deref(), now)? {
                    Some(outcome) => {
                        Applied::processed(format!("call #{} did not connect: {}", call.id, outcome.label()), call.id)
                    }
                    None => Applied::ignored(already_ended(conn, call.id)?, Some(call.id)),
                },
            }
        }
        WebhookEvent::Audio { conversation_id, audio } => {
            if !store_audio {
                return Ok(Applied::ignored("call audio is not kept (store_call_audio = false)".into(), None));
            }
            let call = db::interactions::find_by_conversation(conn, connection_id, conversation_id)?;
            let stored =
                db::recordings::insert(conn, connection_id, conversation_id, call.as_ref().map(|c| c.id), audio)?;
            let result = match (stored, &call) {
                (false, _) => "the recording was already stored".to_owned(),
                (true, Some(call)) => format!("recording stored for call #{} ({} bytes)", call.id, audio.len()),
                (true, None) => format!("recording stored ({} bytes); it joins its call once known", audio.len()),
            };
            Applied { state: state::PROCESSED, result, interaction_id: call.map(|c| c.id) }
        }
        WebhookEvent::Other => Applied::ignored("an event type voxdial does not act on; kept".into(), None),
    })
}

fn already_ended(conn: &mut DbConnection, interaction_id: i64) -> Result<String, AppError> {
    let call = db::interactions::find(conn, interaction_id)?;
    Ok(format!("call #{} had already ended as {}; nothing changed", call.id, call.status))
}

/// Completes a call from a provider report (webhook or lookup): its transcript, analysis and
/// outcome, and its lead's new status, all or nothing. `None` if it had already ended.
pub fn complete(
    conn: &mut DbConnection,
    call: &Interaction,
    report: &CallReport,
    now: NaiveDateTime,
) -> Result<Option<Outcome>, AppError> {
    let facts = AnalysisFacts {
        call_successful: report.call_successful.clone(),
        collected: report.collected.clone(),
        termination_reason: report.termination_reason.clone(),
    };
    let outcome = classify(&facts);
    let analysis = report.analysis.as_ref().map(|a| a.to_string());
    let ending = Ending {
        outcome: Some(outcome.as_str()),
        termination_reason: report.termination_reason.as_deref(),
        duration_secs: report.duration_secs,
        call_successful: report.call_successful.as_deref(),
        summary: report.summary.as_deref(),
        provider_analysis: analysis.as_deref(),
        call_sid: report.call_sid.as_deref(),
        ..Ending::default()
    };
    if !db::interactions::end(conn, call, &CallStatus::OPEN, CallStatus::Completed, &ending, now)? {
        // Closed before (e.g. as failed on an unreadable answer): a request not to be called
        // still counts.
        if outcome == Outcome::DoNotCall {
            super::add_opt_out(conn, call, &call.to_number)?;
        }
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
    apply_outcome_to_lead(conn, call, outcome, callback_time(&facts), now)?;
    Ok(Some(outcome))
}

/// Ends a call that never connected as busy, no answer or failed. `None` if it had already ended.
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
        outcome: Some(outcome.as_str()),
        error_code: detail.as_ref().map(|_| "CALL_FAILED"),
        error_message: detail.as_deref(),
        call_sid,
        ..Ending::default()
    };
    if !db::interactions::end(conn, call, &CallStatus::OPEN, status, &ending, now)? {
        return Ok(None);
    }
    apply_outcome_to_lead(conn, call, outcome, None, now)?;
    Ok(Some(outcome))
}

/// Applies events that arrived before their call knew its conversation id.
pub fn apply_waiting(
    conn: &mut DbConnection,
    connection_id: i64,
    conversation_id: &str,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let waiting = db::webhook_events::pending_for_conversation(conn, connection_id, conversation_id)?;
    let count = waiting.len();
    for event in waiting {
        reapply(conn, &event, now)?;
    }
    Ok(count)
}

/// Re-reads a stored event and applies it again (sweeper, late matches).
fn reapply(
    conn: &mut DbConnection,
    event: &db::webhook_events::WebhookEvent,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let connection = db::providers::find(conn, event.provider_connection_id)?;
    let kind = ProviderKind::parse(&connection.kind).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    write_tx(conn, |conn| {
        let applied = match kind.parse_webhook(event.raw_body.as_bytes()).map(|e| e.event) {
            Ok(Ok(parsed)) => apply(conn, event.provider_connection_id, &parsed, false, now)?,
            Ok(Err(reason)) | Err(reason) => Applied { state: state::INVALID, result: reason, interaction_id: None },
        };
        // Events whose call never shows up are set aside after a day.
        let applied = if applied.state == state::PENDING && event.received_at < now - WAIT_FOR_CALL {
            Applied::ignored("no call matched this conversation within a day".into(), None)
        } else {
            applied
        };
        db::webhook_events::record_result(conn, event.id, applied.state, &applied.result, applied.interaction_id, now)?;
        Ok::<_, AppError>(())
    })
}

/// The sweeper: retries pending events (transient failures, early arrivals).
pub fn sweep(conn: &mut DbConnection, now: NaiveDateTime) -> Result<usize, AppError> {
    let pending = db::webhook_events::pending(conn, 100)?;
    let count = pending.len();
    for event in pending {
        reapply(conn, &event, now)?;
    }
    db::webhook_events::delete_rejected_before(conn, now - Duration::days(7))?;
    Ok(count)
}
