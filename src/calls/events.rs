//! Post-call webhooks (R-WEBHOOK-AUTH, R-WEBHOOK-IDEM, R-OUTCOME), once
//! [`webhook_intake`](super::webhook_intake) has read the body.
//!
//! Raw bytes → verify the signature → store the event (its unique key makes a redelivery
//! a no-op) → apply it: the call's transition and its lead's update in one transaction →
//! record the result. A transient failure leaves the event pending for the sweeper (and the
//! caller answers so that the provider may retry); an authentic but unreadable body is kept.
//! A refused delivery is counted, and stored only when it is one of the few kept.

use bytes::Bytes;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use super::settle;
use super::webhook_gate::{Refusal, RefusalLog};
use crate::crypto::SecretBox;
use crate::db::interactions::Interaction;
use crate::db::providers::SecretField;
use crate::db::webhook_events::NewEvent;
use crate::db::{self, DbConnection, write_tx};
use crate::domain::outcome::Outcome;
use crate::domain::webhook::ProcessingState;
use crate::error::AppError;
use crate::ids::{ConnectionId, InteractionId};
use crate::provider::{SignatureVerdict, WebhookEvent};
use crate::services::connections;

/// How much of a refused body is kept for diagnosis.
const REJECTED_BODY_KEPT: usize = 2048;
/// How long an event may wait for its call before it is set aside.
const WAIT_FOR_CALL: Duration = Duration::hours(24);

/// A delivery whose body was read.
pub(super) struct Received {
    pub connection_id: ConnectionId,
    pub signature: Option<String>,
    pub body: Bytes,
    pub received_at: DateTime<Utc>,
}

/// What became of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Receipt {
    /// Stored and applied (or stored to wait for its call, or kept without effect).
    Accepted(String),
    /// Stored and applied: it ended its call with this outcome.
    Settled(Outcome, String),
    /// A redelivery of an event already handled.
    Duplicate(String),
    /// Unknown connection, or a signature that does not hold: nothing was changed.
    Refused(Refusal),
    /// The body passed this many bytes; it was not read further.
    TooLarge(usize),
    /// The body did not arrive in time.
    TimedOut,
    /// Authentic, but not a webhook voxdial can read (kept for diagnosis); or a body that
    /// broke off.
    Unreadable(String),
}

/// Stores a refused delivery chosen to be kept, with the start of its body (`None`: refused
/// before the body was read).
pub(super) fn keep_refusal(
    conn: &mut DbConnection,
    refusals: &RefusalLog,
    connection_id: ConnectionId,
    verdict: SignatureVerdict,
    body: Option<&str>,
    received_at: NaiveDateTime,
) -> Result<(), AppError> {
    tracing::warn!(%connection_id, verdict = verdict.as_str(), "webhook refused (kept; the rest are only counted)");
    let reason = match body {
        Some(_) => verdict.explanation().to_owned(),
        None => format!("{}; refused before the body was read", verdict.explanation()),
    };
    let event = unaccepted(connection_id, verdict, "unverified", ProcessingState::Rejected, &reason);
    let raw_body = body.unwrap_or_default();
    write_tx(conn, |conn| db::webhook_events::insert(conn, &NewEvent { raw_body, ..event(received_at) }))?;
    refusals.note_kept();
    Ok(())
}

/// Handles a delivery whose body was read: all of it on one database connection, the
/// accepted event stored and applied in one transaction.
pub(super) fn ingest(
    conn: &mut DbConnection,
    secrets: &SecretBox,
    delivery: &Received,
    store_audio: bool,
    refusals: &RefusalLog,
) -> Result<Receipt, AppError> {
    let connection_id = delivery.connection_id;
    let connection = match db::providers::find(conn, connection_id) {
        Ok(connection) => connection,
        Err(diesel::result::Error::NotFound) => {
            refusals.count(Refusal::UnknownConnection);
            return Ok(Receipt::Refused(Refusal::UnknownConnection));
        }
        Err(e) => return Err(e.into()),
    };
    let secret = match &connection.webhook_secret_enc {
        Some(sealed) => Some(connections::open(secrets, SecretField::WebhookSecret, sealed)?),
        None => None,
    };
    let body = &delivery.body;
    let kind = connection.kind;
    let verdict =
        kind.verify_webhook(delivery.signature.as_deref(), body, secret.as_deref(), delivery.received_at.timestamp());
    let received_at = delivery.received_at.naive_utc();
    if verdict != SignatureVerdict::Valid {
        refusals.count(Refusal::Signature(verdict));
        if refusals.take_keep_slot(connection_id) {
            // Only the start is kept: no need to decode megabytes of junk.
            let start = &body[..body.len().min(REJECTED_BODY_KEPT * 4)];
            let kept: String = String::from_utf8_lossy(start).chars().take(REJECTED_BODY_KEPT).collect();
            if let Err(err) = keep_refusal(conn, refusals, connection_id, verdict, Some(&kept), received_at) {
                tracing::warn!(%connection_id, error = %err, "a refused webhook could not be kept for diagnosis");
            }
        }
        return Ok(Receipt::Refused(Refusal::Signature(verdict)));
    }

    let envelope = match kind.parse_webhook(body) {
        Ok(envelope) => envelope,
        Err(reason) => {
            let raw = String::from_utf8_lossy(body);
            {
                let event = unaccepted(connection_id, verdict, "unreadable", ProcessingState::Invalid, &reason);
                write_tx(conn, |conn| {
                    db::webhook_events::insert(conn, &NewEvent { raw_body: &raw, ..event(received_at) })
                })?;
            }
            return Ok(Receipt::Unreadable(reason));
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
        signature_verdict: verdict,
        processing_state: ProcessingState::Pending,
        processing_result: None,
        raw_body: &raw_body,
        received_at,
    };
    match write_tx(conn, |conn| store_and_apply(conn, &event, &envelope.event, store_audio)) {
        Ok(receipt) => Ok(receipt),
        Err(err) => {
            // Keep the event for the sweeper (and fail the request, so the provider retries too).
            if let Err(keep_err) = write_tx(conn, |conn| db::webhook_events::insert(conn, &event)) {
                tracing::error!(error = %keep_err, "the webhook could not be kept for a retry either");
            }
            Err(err)
        }
    }
}

/// An event kept for diagnosis only (refused, or authentic but unreadable); the caller adds
/// the body.
fn unaccepted<'a>(
    connection_id: ConnectionId,
    verdict: SignatureVerdict,
    event_type: &'a str,
    processing_state: ProcessingState,
    reason: &'a str,
) -> impl Fn(NaiveDateTime) -> NewEvent<'a> {
    move |received_at| NewEvent {
        provider_connection_id: connection_id,
        event_type,
        conversation_id: None,
        event_timestamp: None,
        signature_verdict: verdict,
        processing_state,
        processing_result: Some(reason),
        raw_body: "",
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
) -> Result<Receipt, AppError> {
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
            if existing.processing_state != ProcessingState::Pending {
                return Ok(Receipt::Duplicate(format!(
                    "duplicate delivery of event {}: already {}",
                    existing.id,
                    existing.processing_state.as_str()
                )));
            }
            existing.id
        }
    };
    let applied = match event {
        Ok(event) => apply(conn, new.provider_connection_id, event, store_audio, new.received_at)?,
        Err(reason) => {
            Applied { state: ProcessingState::Invalid, result: reason.clone(), interaction_id: None, ended: None }
        }
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
        ProcessingState::Invalid => Receipt::Unreadable(applied.result),
        _ => match applied.ended {
            Some(outcome) => Receipt::Settled(outcome, applied.result),
            None => Receipt::Accepted(applied.result),
        },
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
    pub state: ProcessingState,
    pub result: String,
    pub interaction_id: Option<InteractionId>,
    /// The outcome of the call it ended, if it ended one.
    pub ended: Option<Outcome>,
}

impl Applied {
    fn call_ended(result: String, interaction_id: InteractionId, outcome: Outcome) -> Applied {
        Applied {
            state: ProcessingState::Processed,
            result,
            interaction_id: Some(interaction_id),
            ended: Some(outcome),
        }
    }

    fn ignored(result: String, interaction_id: Option<InteractionId>) -> Applied {
        Applied { state: ProcessingState::Ignored, result, interaction_id, ended: None }
    }

    fn waiting() -> Applied {
        Applied {
            state: ProcessingState::Pending,
            result: "no call matches this conversation yet".to_owned(),
            interaction_id: None,
            ended: None,
        }
    }
}

/// Finds the call an event is about: by conversation id, else by voxdial's own id echoed in
/// the dynamic variables (the process may have died before it stored the conversation id).
fn find_call(
    conn: &mut DbConnection,
    connection_id: ConnectionId,
    conversation_id: &str,
    interaction_ref: Option<InteractionId>,
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
    connection_id: ConnectionId,
    event: &WebhookEvent,
    store_audio: bool,
    now: NaiveDateTime,
) -> Result<Applied, AppError> {
    Ok(match event {
        WebhookEvent::Completed(report) => {
            match find_call(conn, connection_id, &report.conversation_id, report.interaction_ref)? {
                None => Applied::waiting(),
                Some(call) => match settle::complete(conn, &call, report, now)? {
                    Some(outcome) => {
                        Applied::call_ended(settled(&call, "completed", outcome.label()), call.id, outcome)
                    }
                    None => Applied::ignored(already_ended(conn, call.id)?, Some(call.id)),
                },
            }
        }
        WebhookEvent::InitiationFailed { conversation_id, reason, call_sid } => {
            match find_call(conn, connection_id, conversation_id, None)? {
                None => Applied::waiting(),
                Some(call) => match settle::fail(conn, &call, reason, call_sid.as_deref(), now)? {
                    Some(outcome) => {
                        Applied::call_ended(settled(&call, "did not connect", outcome.label()), call.id, outcome)
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
                db::recordings::insert(conn, connection_id, conversation_id, call.as_ref().map(|c| c.id), audio, now)?;
            let result = match (stored, &call) {
                (false, _) => "the recording was already stored".to_owned(),
                (true, Some(call)) => format!("recording stored for call #{} ({} bytes)", call.id, audio.len()),
                (true, None) => format!("recording stored ({} bytes); it joins its call once known", audio.len()),
            };
            Applied { state: ProcessingState::Processed, result, interaction_id: call.map(|c| c.id), ended: None }
        }
        WebhookEvent::Other => Applied::ignored("an event type voxdial does not act on; kept".into(), None),
    })
}

/// "call #7 completed: Interested", saying so when the report came late.
fn settled(call: &Interaction, what: &str, outcome: &str) -> String {
    let late = match call.status {
        status @ (crate::domain::interaction::CallStatus::Failed | crate::domain::interaction::CallStatus::Unknown) => {
            format!(" (late: voxdial had ended it as {})", status.label().to_lowercase())
        }
        _ => String::new(),
    };
    format!("call #{} {what}: {outcome}{late}", call.id)
}

fn already_ended(conn: &mut DbConnection, interaction_id: InteractionId) -> Result<String, AppError> {
    let call = db::interactions::find(conn, interaction_id)?;
    Ok(format!("call #{} had already ended as {}; nothing changed", call.id, call.status.as_str()))
}

/// Applies events that arrived before their call knew its conversation id.
pub fn apply_waiting(
    conn: &mut DbConnection,
    connection_id: ConnectionId,
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

/// Re-reads a stored event and applies it again (sweeper, late matches), in one transaction;
/// returns the outcome of the call it ended, if it ended one.
pub(super) fn reapply(
    conn: &mut DbConnection,
    event: &db::webhook_events::WebhookEvent,
    now: NaiveDateTime,
) -> Result<Option<Outcome>, AppError> {
    let connection = db::providers::find(conn, event.provider_connection_id)?;
    write_tx(conn, |conn| {
        let applied = match connection.kind.parse_webhook(event.raw_body.as_bytes()).map(|e| e.event) {
            Ok(Ok(parsed)) => apply(conn, event.provider_connection_id, &parsed, false, now)?,
            Ok(Err(reason)) | Err(reason) => {
                Applied { state: ProcessingState::Invalid, result: reason, interaction_id: None, ended: None }
            }
        };
        // Events whose call never shows up are set aside after a day.
        let applied = if applied.state == ProcessingState::Pending && event.received_at < now - WAIT_FOR_CALL {
            Applied::ignored("no call matched this conversation within a day".into(), None)
        } else {
            applied
        };
        db::webhook_events::record_result(conn, event.id, applied.state, &applied.result, applied.interaction_id, now)?;
        Ok::<_, AppError>(applied.ended)
    })
}
