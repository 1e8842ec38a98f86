//! ElevenLabs post-call webhooks: the `ElevenLabs-Signature` HMAC and the event bodies.
//!
//! The signature is `t=<unix seconds>,v0=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`. It is
//! checked in constant time, and the timestamp must be at most 30 minutes old (as the
//! official SDKs allow) and at most 5 minutes ahead.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::wire;
use crate::provider::{
    CallReport, ConversationState, FailureReason, SignatureVerdict, Speaker, Turn, WebhookEnvelope, WebhookEvent,
};

pub const SIGNATURE_HEADER: &str = "elevenlabs-signature";
const MAX_AGE_SECS: i64 = 30 * 60;
const MAX_AHEAD_SECS: i64 = 5 * 60;

/// The header a sender puts on a body (used by the demo simulator and by tests).
pub fn sign(body: &[u8], secret: &str, timestamp: i64) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("t={timestamp},v0={}", hex::encode(mac.finalize().into_bytes()))
}

/// Everything that can be checked without the body or the secret: the header is present,
/// reads `t=<digits>,v0=<64 hex digits>`, and its timestamp lies within the window. Lets a
/// receiver refuse junk before reading (or paying for) its body.
pub fn check_header(header: Option<&str>, now: i64) -> Result<(), SignatureVerdict> {
    read_header(header, now).map(drop)
}

pub fn verify(header: Option<&str>, body: &[u8], secret: Option<&str>, now: i64) -> SignatureVerdict {
    let Some(secret) = secret.filter(|s| !s.is_empty()) else {
        return SignatureVerdict::NoSecret;
    };
    let (timestamp, signature) = match read_header(header, now) {
        Ok(read) => read,
        Err(verdict) => return verdict,
    };
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    if mac.verify_slice(&signature).is_err() {
        return SignatureVerdict::Mismatch;
    }
    SignatureVerdict::Valid
}

/// The header's timestamp and HMAC, once its shape and timestamp window are checked.
fn read_header(header: Option<&str>, now: i64) -> Result<(i64, [u8; 32]), SignatureVerdict> {
    let Some(header) = header.map(str::trim).filter(|h| !h.is_empty()) else {
        return Err(SignatureVerdict::Missing);
    };
    let mut timestamp = None;
    let mut signature = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                timestamp = value.parse::<i64>().ok();
            }
            Some(("v0", value)) => signature = hex::decode(value).ok().and_then(|mac| <[u8; 32]>::try_from(mac).ok()),
            _ => {}
        }
    }
    let (Some(timestamp), Some(signature)) = (timestamp, signature) else {
        return Err(SignatureVerdict::Malformed);
    };
    if timestamp < now - MAX_AGE_SECS {
        return Err(SignatureVerdict::Stale);
    }
    if timestamp > now + MAX_AHEAD_SECS {
        return Err(SignatureVerdict::Future);
    }
    Ok((timestamp, signature))
}

fn speaker(role: &str) -> Speaker {
    if role == "agent" { Speaker::Agent } else { Speaker::User }
}

/// voxdial's interaction id, sent as a string or a number.
fn interaction_ref(value: &serde_json::Value) -> Option<crate::ids::InteractionId> {
    match value {
        serde_json::Value::Number(n) => n.as_i64().map(crate::ids::InteractionId::new),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Normalises a conversation from the webhook `data` or the lookup endpoint.
pub fn report(conversation: wire::Conversation) -> CallReport {
    let state = match conversation.status.as_deref() {
        Some("done") => ConversationState::Done,
        Some("failed") => ConversationState::Failed,
        _ => ConversationState::Ongoing,
    };
    let analysis: wire::Analysis =
        conversation.analysis.as_ref().and_then(|a| serde_json::from_value(a.clone()).ok()).unwrap_or_default();
    let metadata = conversation.metadata;
    let interaction_ref = conversation
        .conversation_initiation_client_data
        .and_then(|d| d.dynamic_variables)
        .and_then(|vars| vars.get(crate::calls::INTERACTION_VARIABLE).and_then(interaction_ref));
    CallReport {
        conversation_id: conversation.conversation_id,
        state,
        transcript: conversation
            .transcript
            .into_iter()
            .map(|t| Turn {
                speaker: speaker(&t.role),
                message: t.message,
                time_in_call_secs: t.time_in_call_secs.unwrap_or(0.0).round() as i32,
            })
            .collect(),
        duration_secs: metadata.as_ref().and_then(|m| m.call_duration_secs).map(|d| d.round() as i32),
        termination_reason: metadata.as_ref().and_then(|m| m.termination_reason.clone()).filter(|r| !r.is_empty()),
        call_sid: metadata.and_then(|m| m.phone_call).and_then(|p| p.call_sid),
        call_successful: analysis.call_successful,
        summary: analysis.transcript_summary.filter(|s| !s.trim().is_empty()),
        collected: analysis.data_collection_results.into_iter().map(|(k, v)| (k, v.value)).collect(),
        analysis: conversation.analysis,
        interaction_ref,
    }
}

fn timestamp(value: Option<&serde_json::Value>) -> Option<i64> {
    match value? {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Reads a webhook body. Unknown fields are ignored; an unknown type is `Other`.
pub fn parse(body: &[u8]) -> Result<WebhookEnvelope, String> {
    let envelope: wire::Envelope = serde_json::from_slice(body).map_err(|e| format!("not a webhook body: {e}"))?;
    let conversation_id = envelope.data.get("conversation_id").and_then(|v| v.as_str()).map(str::to_owned);
    let event = match envelope.event_type.as_str() {
        "post_call_transcription" => serde_json::from_value::<wire::Conversation>(envelope.data)
            .map(|c| WebhookEvent::Completed(Box::new(report(c))))
            .map_err(|e| format!("the transcription cannot be read: {e}")),
        "call_initiation_failure" => serde_json::from_value::<wire::InitiationFailure>(envelope.data)
            .map(|f| {
                let call_sid = f.metadata.as_ref().and_then(|m| {
                    let body = m.get("body")?;
                    body.get("CallSid").or_else(|| body.get("call_sid"))?.as_str().map(str::to_owned)
                });
                WebhookEvent::InitiationFailed {
                    conversation_id: f.conversation_id,
                    reason: match f.failure_reason.as_deref() {
                        Some("busy") => FailureReason::Busy,
                        Some("no-answer") | Some("no_answer") => FailureReason::NoAnswer,
                        other => FailureReason::Other(other.unwrap_or("unknown").to_owned()),
                    },
                    call_sid,
                }
            })
            .map_err(|e| format!("the failure cannot be read: {e}")),
        "post_call_audio" => serde_json::from_value::<wire::Audio>(envelope.data)
            .map_err(|e| format!("the audio cannot be read: {e}"))
            .and_then(|a| {
                base64::engine::general_purpose::STANDARD
                    .decode(a.full_audio.as_bytes())
                    .map(|audio| WebhookEvent::Audio { conversation_id: a.conversation_id, audio })
                    .map_err(|e| format!("the audio is not base64: {e}"))
            }),
        _ => Ok(WebhookEvent::Other),
    };
    Ok(WebhookEnvelope {
        event_type: envelope.event_type,
        event_timestamp: timestamp(envelope.event_timestamp.as_ref()),
        conversation_id,
        event,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    const SECRET: &str = "wsec_test";
    const NOW: i64 = 1_800_000_000;

    #[test]
    fn a_correct_signature_is_valid_and_anything_else_is_not() {
        let body = br#"{"type":"post_call_transcription"}"#;
        let header = sign(body, SECRET, NOW);
        assert_eq!(verify(Some(&header), body, Some(SECRET), NOW), SignatureVerdict::Valid);
        assert_eq!(verify(Some(&header), body, Some("other"), NOW), SignatureVerdict::Mismatch);
        assert_eq!(
            verify(Some(&header), br#"{"type":"post_call_audio"}"#, Some(SECRET), NOW),
            SignatureVerdict::Mismatch
        );
        assert_eq!(verify(None, body, Some(SECRET), NOW), SignatureVerdict::Missing);
        assert_eq!(verify(Some("garbage"), body, Some(SECRET), NOW), SignatureVerdict::Malformed);
        assert_eq!(verify(Some("t=abc,v0=00"), body, Some(SECRET), NOW), SignatureVerdict::Malformed);
        assert_eq!(verify(Some(&header), body, None, NOW), SignatureVerdict::NoSecret);
        let short_mac = format!("t={NOW},v0={}", "ab".repeat(31));
        assert_eq!(verify(Some(&short_mac), body, Some(SECRET), NOW), SignatureVerdict::Malformed);
        assert_eq!(
            verify(Some(&format!("t=+{NOW},v0={}", "ab".repeat(32))), body, Some(SECRET), NOW),
            SignatureVerdict::Malformed
        );
    }

    #[test]
    fn the_header_alone_is_checked_for_shape_and_age_before_any_body() {
        let header = sign(b"whatever the body", SECRET, NOW);
        assert_eq!(check_header(Some(&header), NOW), Ok(()));
        assert_eq!(check_header(None, NOW), Err(SignatureVerdict::Missing));
        assert_eq!(check_header(Some("t=1,v0=zz"), NOW), Err(SignatureVerdict::Malformed));
        assert_eq!(check_header(Some(&sign(b"", SECRET, NOW - 31 * 60)), NOW), Err(SignatureVerdict::Stale));
        assert_eq!(check_header(Some(&sign(b"", SECRET, NOW + 6 * 60)), NOW), Err(SignatureVerdict::Future));
    }

    #[test]
    fn the_timestamp_window_is_thirty_minutes_back_and_five_ahead() {
        let body = b"{}";
        let old = sign(body, SECRET, NOW - 30 * 60 - 1);
        assert_eq!(verify(Some(&old), body, Some(SECRET), NOW), SignatureVerdict::Stale);
        let edge = sign(body, SECRET, NOW - 30 * 60);
        assert_eq!(verify(Some(&edge), body, Some(SECRET), NOW), SignatureVerdict::Valid);
        let ahead = sign(body, SECRET, NOW + 5 * 60 + 1);
        assert_eq!(verify(Some(&ahead), body, Some(SECRET), NOW), SignatureVerdict::Future);
    }

    #[test]
    fn transcriptions_parse_with_unknown_fields_and_string_timestamps() {
        let body = json!({
            "type": "post_call_transcription",
            "event_timestamp": "1739537297",
            "brand_new_field": {"x": 1},
            "data": {
                "agent_id": "agent_1", "conversation_id": "conv_1", "status": "done", "user_id": "lead-7",
                "transcript": [
                    {"role": "agent", "message": "Hi Ana", "time_in_call_secs": 0, "tool_calls": null},
                    {"role": "user", "message": "Hello", "time_in_call_secs": 2.4},
                    {"role": "agent", "message": null, "time_in_call_secs": 5}
                ],
                "metadata": {"start_time_unix_secs": 1739537297, "call_duration_secs": 22, "termination_reason": "",
                             "phone_call": {"type": "twilio", "direction": "outbound", "call_sid": "CA1"}},
                "analysis": {"call_successful": "success", "transcript_summary": "Interested in a demo.",
                             "data_collection_results": {"outcome": {"data_collection_id": "outcome", "value": "callback", "rationale": "x"}},
                             "evaluation_criteria_results": {}},
                "conversation_initiation_client_data": {"dynamic_variables": {"voxdial_interaction_id": "42", "system__agent_id": null}}
            }
        });
        let envelope = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(
            (envelope.event_type.as_str(), envelope.event_timestamp),
            ("post_call_transcription", Some(1_739_537_297))
        );
        let Ok(WebhookEvent::Completed(report)) = envelope.event else { panic!("a transcription") };
        assert_eq!(report.conversation_id, "conv_1");
        assert_eq!(report.state, ConversationState::Done);
        assert_eq!(report.transcript.len(), 3);
        assert_eq!((report.transcript[1].speaker, report.transcript[1].time_in_call_secs), (Speaker::User, 2));
        assert_eq!(report.duration_secs, Some(22));
        assert_eq!(report.termination_reason, None, "empty means none");
        assert_eq!(report.call_sid.as_deref(), Some("CA1"));
        assert_eq!(report.collected.get("outcome").unwrap(), "callback");
        assert_eq!(report.interaction_ref, Some(crate::ids::InteractionId::new(42)));
    }

    #[test]
    fn failures_audio_and_unknown_types_parse() {
        let failure = json!({"type": "call_initiation_failure", "event_timestamp": 1759931652,
            "data": {"agent_id": "a", "conversation_id": "conv_2", "failure_reason": "no-answer",
                     "metadata": {"type": "twilio", "body": {"CallSid": "CA9", "CallStatus": "no-answer"}}}});
        let envelope = parse(failure.to_string().as_bytes()).unwrap();
        assert_eq!(
            envelope.event.unwrap(),
            WebhookEvent::InitiationFailed {
                conversation_id: "conv_2".into(),
                reason: FailureReason::NoAnswer,
                call_sid: Some("CA9".into())
            }
        );
        let audio = json!({"type": "post_call_audio", "event_timestamp": 1, "data": {"agent_id": "a", "conversation_id": "c", "full_audio": "SUQz"}});
        assert_eq!(
            parse(audio.to_string().as_bytes()).unwrap().event.unwrap(),
            WebhookEvent::Audio { conversation_id: "c".into(), audio: b"ID3".to_vec() }
        );
        let other = json!({"type": "something_new", "data": {"conversation_id": "c3"}});
        let envelope = parse(other.to_string().as_bytes()).unwrap();
        assert_eq!((envelope.event.unwrap(), envelope.conversation_id.as_deref()), (WebhookEvent::Other, Some("c3")));
        assert!(parse(b"not json").is_err());
        let broken = json!({"type": "post_call_transcription", "data": {"transcript": []}});
        assert!(parse(broken.to_string().as_bytes()).unwrap().event.is_err(), "no conversation id");
    }
}
