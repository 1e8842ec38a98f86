//! The bodies the simulator answers and sends, shaped as ElevenLabs' own models
//! (tests/provider_schemas/ has them; tests/api/provider_schemas.rs checks every one).

use serde_json::{Map, Value, json};

use super::SimCall;
use super::script::{Scenario, Talk};
use crate::domain::interaction::Direction;
use crate::provider::Telephony;

/// When the simulated account's agents were created and last changed (2026-01-01, -02-01).
const CREATED_AT: i64 = 1_767_225_600;
const UPDATED_AT: i64 = 1_769_904_000;
/// The simulated Twilio account (`AC` and 32 hex digits).
const ACCOUNT_SID: &str = "AC5e1f0c0ffee0d15ea5ede0a11c0de5a1";
/// The voice every simulated agent speaks with ("Rachel", ElevenLabs' default voice).
const VOICE_ID: &str = "21m00Tcm4TlvDq8ikWAM";

fn access_info() -> Value {
    json!({"is_creator": true, "creator_name": "Demo Admin", "creator_email": "admin@demo.voxdial.local", "role": "admin"})
}

/// An item of `GET /v1/convai/agents` (`AgentSummaryResponseModel`).
pub(super) fn agent_summary(id: &str, name: &str) -> Value {
    json!({"agent_id": id, "name": name, "voice_id": VOICE_ID, "tags": ["demo"],
           "created_at_unix_secs": CREATED_AT, "updated_at_unix_secs": UPDATED_AT,
           "last_call_time_unix_secs": null, "archived": false, "access_info": access_info()})
}

/// `GET /v1/convai/agents/{id}` (`GetAgentResponseModel`), with an empty configuration.
pub(super) fn agent(id: &str, name: &str) -> Value {
    json!({"agent_id": id, "name": name, "tags": ["demo"], "conversation_config": {}, "platform_settings": {},
           "metadata": {"created_at_unix_secs": CREATED_AT, "updated_at_unix_secs": UPDATED_AT},
           "access_info": access_info(), "phone_numbers": []})
}

/// An item of `GET /v1/convai/phone-numbers`, by `provider`.
pub(super) fn phone_number(id: &str, number: &str, label: &str, telephony: Telephony) -> Value {
    let mut item = json!({"phone_number": number, "label": label, "phone_number_id": id,
                          "provider": telephony.as_str(), "assigned_agent": null,
                          "supports_inbound": true, "supports_outbound": true});
    if telephony == Telephony::SipTrunk {
        item["livekit_stack"] = json!("standard");
        item["outbound_trunk"] = json!({"address": "sip.demo-carrier.example", "transport": "tls",
                                        "media_encryption": "allowed", "has_auth_credentials": true,
                                        "username": "voxdial-demo", "headers": {}});
        item["inbound_trunk"] = json!({"allowed_addresses": ["0.0.0.0/0"], "allowed_numbers": null,
                                       "media_encryption": "allowed", "has_auth_credentials": false});
        item["store_sip_messages"] = json!(false);
    }
    item
}

/// The answer to an outbound call: Twilio's `callSid`, or the SIP trunk's `sip_call_id`.
pub(super) fn call_answer(call: &SimCall, conversation_id: &str) -> Value {
    let mut answer =
        json!({"success": true, "message": "Call initiated (simulated)", "conversation_id": conversation_id});
    match call.telephony {
        Telephony::Twilio => answer["callSid"] = json!(call.call_sid),
        Telephony::SipTrunk => answer["sip_call_id"] = json!(call.call_sid),
    }
    answer
}

/// Stable pseudo-random 128 bits for the `n`th call, a different series for each `kind`.
fn bits(n: u64, kind: u8) -> u128 {
    ((u128::from(kind) << 64) | u128::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835)
}

/// Twilio's call sid, `CA` and 32 hex digits.
pub(super) fn twilio_call_sid(n: u64) -> String {
    format!("CA{:032x}", bits(n, 0))
}

/// Twilio's media stream sid, `MZ` and 32 hex digits.
pub(super) fn twilio_stream_sid(n: u64) -> String {
    format!("MZ{:032x}", bits(n, 1))
}

/// A SIP call id, a UUID as in ElevenLabs' examples.
pub(super) fn sip_call_id(n: u64) -> String {
    let hex = format!("{:032x}", bits(n, 2));
    format!("{}-{}-4{}-a{}-{}", &hex[..8], &hex[8..12], &hex[13..16], &hex[17..20], &hex[20..])
}

/// `metadata.phone_call`, tagged `twilio` or `sip_trunking`.
fn phone_call(call: &SimCall, result: Option<&str>) -> Value {
    let mut phone_call = json!({"direction": call.direction.as_str(), "phone_number_id": call.number_id,
                                "agent_number": call.agent_number, "external_number": call.external_number,
                                "call_sid": call.call_sid, "call_result": result});
    match call.telephony {
        Telephony::Twilio => {
            phone_call["type"] = json!("twilio");
            phone_call["stream_sid"] = json!(call.stream_sid);
        }
        Telephony::SipTrunk => phone_call["type"] = json!("sip_trunking"),
    }
    phone_call
}

/// `conversation_initiation_client_data` as sent, with the `system__` variables ElevenLabs adds.
fn client_data(call: &SimCall, conversation_id: &str, duration_secs: i64, now: i64) -> Value {
    let mut data = call.client_data.clone();
    let mut variables = data.get("dynamic_variables").and_then(Value::as_object).cloned().unwrap_or_else(Map::new);
    let time = chrono::DateTime::from_timestamp(now, 0).unwrap_or_default();
    let (caller, called) = match call.direction {
        Direction::Outbound => (&call.agent_number, &call.external_number),
        Direction::Inbound => (&call.external_number, &call.agent_number),
    };
    let system = [
        ("system__agent_id", json!(call.agent_id)),
        ("system__conversation_id", json!(conversation_id)),
        ("system__caller_id", json!(caller)),
        ("system__called_number", json!(called)),
        ("system__call_duration_secs", json!(duration_secs)),
        ("system__time_utc", json!(time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))),
        ("system__timezone", json!("UTC")),
        // Twilio calls only.
        ("system__call_sid", if call.telephony == Telephony::Twilio { json!(call.call_sid) } else { Value::Null }),
    ];
    variables.extend(system.into_iter().map(|(name, value)| (name.to_owned(), value)));
    data.insert("dynamic_variables".into(), Value::Object(variables));
    Value::Object(data)
}

/// A conversation as `GET /v1/convai/conversations/{id}` answers (`GetConversationResponseModel`);
/// `has_audio` when its recording is posted (`post_call_audio`).
fn conversation(
    call: &SimCall,
    conversation_id: &str,
    status: &str,
    metadata: Value,
    has_audio: bool,
    now: i64,
) -> Value {
    let duration = metadata["call_duration_secs"].as_i64().unwrap_or_default();
    json!({
        "agent_id": call.agent_id, "agent_name": call.agent_name, "conversation_id": conversation_id,
        "status": status, "user_id": call.client_data.get("user_id"),
        "transcript": [], "metadata": metadata, "analysis": null,
        "conversation_initiation_client_data": client_data(call, conversation_id, duration, now),
        "has_audio": has_audio, "has_user_audio": has_audio, "has_response_audio": has_audio, "has_auxiliary_audio": false
    })
}

fn metadata(call: &SimCall, start: i64, duration_secs: i64, termination_reason: &str, result: Option<&str>) -> Value {
    let source = match call.telephony {
        Telephony::Twilio => "twilio",
        Telephony::SipTrunk => "sip_trunk",
    };
    json!({"start_time_unix_secs": start, "call_duration_secs": duration_secs, "cost": duration_secs * 10,
           "termination_reason": termination_reason, "main_language": "en", "text_only": false,
           "conversation_initiation_source": source, "phone_call": phone_call(call, result)})
}

/// The conversation while the call is under way.
pub(super) fn ongoing(call: &SimCall, conversation_id: &str, now: i64) -> Value {
    let start = call.started_at.timestamp();
    let metadata = metadata(call, start, (now - start).max(0), "", None);
    conversation(call, conversation_id, "in-progress", metadata, false, now)
}

/// The conversation of a call nobody answered (`busy` or `no-answer`).
pub(super) fn failed(call: &SimCall, conversation_id: &str, scenario: Scenario, now: i64) -> Value {
    let metadata =
        metadata(call, call.started_at.timestamp(), 0, failure_reason(scenario), Some(scenario.call_result()));
    conversation(call, conversation_id, "failed", metadata, false, now)
}

/// How an answered call went, as measured: it lasted `duration_secs` from its start, and
/// its recording is posted when `has_audio`.
pub(super) struct Ending {
    pub duration_secs: i64,
    pub has_audio: bool,
}

/// The finished conversation of an answered call: the `data` of `post_call_transcription`.
/// The turns are spread over the time the call really lasted.
pub(super) fn finished(
    call: &SimCall,
    conversation_id: &str,
    scenario: Scenario,
    talk: &Talk,
    ending: &Ending,
    now: i64,
) -> Value {
    let Ending { duration_secs, has_audio } = *ending;
    let metadata = metadata(
        call,
        call.started_at.timestamp(),
        duration_secs,
        scenario.termination_reason(),
        Some(scenario.call_result()),
    );
    let mut data = conversation(call, conversation_id, "done", metadata, has_audio, now);
    // Where each turn falls in the scripted call, then in the call as long as it was.
    let mut scripted = 0;
    data["transcript"] = talk
        .lines
        .iter()
        .map(|(role, message)| {
            let at = scripted * duration_secs / scenario.length_secs();
            let turn = json!({"role": role, "message": message, "time_in_call_secs": at, "tool_calls": [],
                              "tool_results": [], "feedback": null, "interrupted": false, "source_medium": "audio"});
            scripted += 3 + (message.len() as i64 / 18);
            turn
        })
        .collect();
    data["analysis"] = talk.analysis.clone();
    data
}

/// The `data` of `post_call_audio`: the recording as base64 (ElevenLabs sends MP3; the
/// simulator's clip is a WAV file, which voxdial keeps just the same).
pub(super) fn audio(call: &SimCall, conversation_id: &str, clip: &[u8]) -> Value {
    use base64::Engine as _;
    json!({"agent_id": call.agent_id, "conversation_id": conversation_id,
           "full_audio": base64::engine::general_purpose::STANDARD.encode(clip)})
}

fn failure_reason(scenario: Scenario) -> &'static str {
    if scenario == Scenario::Busy { "busy" } else { "no-answer" }
}

/// The `data` of `call_initiation_failure`: Twilio's status callback, or the SIP error.
pub(super) fn initiation_failure(call: &SimCall, conversation_id: &str, scenario: Scenario, now: i64) -> Value {
    let reason = failure_reason(scenario);
    let busy = scenario == Scenario::Busy;
    let metadata = match call.telephony {
        Telephony::Twilio => json!({"type": "twilio", "body": {
            "CallSid": call.call_sid, "AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01",
            "CallStatus": reason, "Direction": "outbound-api", "From": call.agent_number, "Called": call.external_number,
            "To": call.external_number, "Duration": "0", "CallDuration": "0", "SipResponseCode": if busy { "486" } else { "487" },
            "Timestamp": chrono::DateTime::from_timestamp(now, 0).unwrap_or_default().to_rfc2822(),
            "CallbackSource": "call-progress-events", "SequenceNumber": "2"}}),
        Telephony::SipTrunk => {
            let (code, status) = if busy { (486, "Busy Here") } else { (480, "Temporarily Unavailable") };
            json!({"type": "sip", "body": {
                "from_number": call.agent_number, "to_number": call.external_number, "sip_status_code": code,
                "sip_status": status, "error_reason": format!("INVITE failed: sip status: {code}: {status} (SIP {code})"),
                "call_sid": call.call_sid, "twirp_code": "unavailable"}})
        }
    };
    json!({"agent_id": call.agent_id, "conversation_id": conversation_id, "failure_reason": reason, "metadata": metadata})
}
