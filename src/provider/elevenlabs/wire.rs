//! Request and response bodies exactly as ElevenLabs spells them on the wire.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Deserialize)]
pub struct AgentsPage {
    #[serde(default)]
    pub agents: Vec<AgentSummary>,
    #[serde(default)]
    pub next_cursor: Option<String>,
    #[serde(default)]
    pub has_more: bool,
}

#[derive(Debug, Deserialize)]
pub struct AgentSummary {
    pub agent_id: String,
    #[serde(default)]
    pub name: String,
}

/// `GET /v1/convai/phone-numbers` answers a bare array of these.
#[derive(Debug, Deserialize)]
pub struct PhoneNumber {
    pub phone_number_id: String,
    pub phone_number: String,
    #[serde(default)]
    pub label: String,
    /// `twilio`, `sip_trunk` (or kinds voxdial does not call through, such as `exotel`).
    pub provider: String,
    #[serde(default)]
    pub assigned_agent: Option<AssignedAgent>,
}

#[derive(Debug, Deserialize)]
pub struct AssignedAgent {
    pub agent_id: String,
}

/// Body of `POST /v1/convai/{twilio|sip-trunk}/outbound-call`.
#[derive(Debug, Serialize)]
pub struct OutboundCallRequest<'a> {
    pub agent_id: &'a str,
    pub agent_phone_number_id: &'a str,
    pub to_number: &'a str,
    pub conversation_initiation_client_data: ClientData<'a>,
}

#[derive(Debug, Serialize)]
pub struct ClientData<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_config_override: Option<ConfigOverride<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_id: Option<&'a str>,
    pub dynamic_variables: &'a BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Serialize)]
pub struct ConfigOverride<'a> {
    pub agent: AgentOverride<'a>,
}

#[derive(Debug, Serialize)]
pub struct AgentOverride<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<PromptOverride<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_message: Option<&'a str>,
}

#[derive(Debug, Serialize)]
pub struct PromptOverride<'a> {
    pub prompt: &'a str,
}

/// Twilio answers `callSid` (camelCase); SIP answers `sip_call_id`.
#[derive(Debug, Deserialize)]
pub struct OutboundCallResponse {
    #[serde(default)]
    pub success: Option<bool>,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub conversation_id: Option<String>,
    #[serde(default, rename = "callSid")]
    pub call_sid: Option<String>,
    #[serde(default)]
    pub sip_call_id: Option<String>,
}

/// A conversation, as `GET /v1/convai/conversations/{id}` answers and as the
/// `post_call_transcription` webhook carries in `data`.
#[derive(Debug, Deserialize)]
pub struct Conversation {
    pub conversation_id: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub transcript: Vec<TranscriptItem>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub analysis: Option<serde_json::Value>,
    #[serde(default)]
    pub conversation_initiation_client_data: Option<ClientDataEcho>,
}

#[derive(Debug, Deserialize)]
pub struct TranscriptItem {
    pub role: String,
    #[serde(default)]
    pub message: Option<String>,
    /// An integer in the docs; accepted as any number.
    #[serde(default)]
    pub time_in_call_secs: Option<f64>,
}

#[derive(Debug, Deserialize)]
pub struct Metadata {
    #[serde(default)]
    pub call_duration_secs: Option<f64>,
    #[serde(default)]
    pub termination_reason: Option<String>,
    #[serde(default)]
    pub phone_call: Option<PhoneCall>,
}

#[derive(Debug, Deserialize)]
pub struct PhoneCall {
    #[serde(default)]
    pub call_sid: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct ClientDataEcho {
    #[serde(default)]
    pub dynamic_variables: Option<BTreeMap<String, serde_json::Value>>,
}

/// The analysis fields voxdial reads (the whole object is kept as sent).
#[derive(Debug, Default, Deserialize)]
pub struct Analysis {
    #[serde(default)]
    pub call_successful: Option<String>,
    #[serde(default)]
    pub transcript_summary: Option<String>,
    #[serde(default)]
    pub data_collection_results: BTreeMap<String, DataCollectionResult>,
}

#[derive(Debug, Deserialize)]
pub struct DataCollectionResult {
    #[serde(default)]
    pub value: serde_json::Value,
}

/// Every post-call webhook: `{type, event_timestamp, data}`.
#[derive(Debug, Deserialize)]
pub struct Envelope {
    #[serde(rename = "type")]
    pub event_type: String,
    /// A number in most documentation, a string in some: both are accepted.
    #[serde(default)]
    pub event_timestamp: Option<serde_json::Value>,
    #[serde(default)]
    pub data: serde_json::Value,
}

#[derive(Debug, Deserialize)]
pub struct InitiationFailure {
    pub conversation_id: String,
    #[serde(default)]
    pub failure_reason: Option<String>,
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub struct Audio {
    pub conversation_id: String,
    pub full_audio: String,
}
