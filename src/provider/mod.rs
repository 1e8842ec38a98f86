//! Voice providers behind one trait, so callers never depend on ElevenLabs' wire format and
//! other providers (Vapi, Retell) can be added beside it.

pub mod elevenlabs;
pub mod measured;
pub mod scripted;
pub mod simulator;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::domain::codes::codes;

/// What went wrong talking to a provider, worded for the person reading it.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ProviderError {
    #[error("the provider rejected the API key (HTTP {status}): {message}")]
    Unauthorized { status: u16, message: String },
    #[error("the provider does not know it (HTTP 404): {0}")]
    NotFound(String),
    #[error("the provider refused the request (HTTP 422): {0}")]
    Invalid(String),
    #[error("the provider is rate limiting requests (HTTP 429): {0}")]
    RateLimited(String),
    #[error("the provider failed (HTTP {status}): {message}")]
    Server { status: u16, message: String },
    #[error("unexpected answer from the provider (HTTP {status}): {message}")]
    Unexpected { status: u16, message: String },
    #[error("the provider did not answer within {0} seconds")]
    Timeout(u64),
    /// The request never reached the provider.
    #[error("could not reach the provider: {0}")]
    Connection(String),
    /// The connection broke after the request went out: the provider may have acted on it.
    #[error("the connection to the provider broke off: {0}")]
    Interrupted(String),
    #[error("the provider's answer could not be read: {0}")]
    Decode(String),
    /// A success status whose body says the call was not started.
    #[error("the provider did not start the call: {0}")]
    Declined(String),
}

impl ProviderError {
    /// Worth retrying for a request that is safe to repeat.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ProviderError::RateLimited(_)
                | ProviderError::Server { .. }
                | ProviderError::Timeout(_)
                | ProviderError::Connection(_)
                | ProviderError::Interrupted(_)
        )
    }

    /// For a request that places a call: whether the provider may have acted on it
    /// (R-CALL-UNCERTAIN). Only a request that never reached the provider, or a definite
    /// rejection (a 4xx, or a success status that says the call was not started), means no
    /// call; a timeout, a connection lost after sending, any 5xx or an unreadable answer
    /// may hide a call that is ringing.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            ProviderError::Connection(_)
            | ProviderError::Unauthorized { .. }
            | ProviderError::NotFound(_)
            | ProviderError::Invalid(_)
            | ProviderError::RateLimited(_)
            | ProviderError::Declined(_) => false,
            ProviderError::Unexpected { status, .. } => !(400..500).contains(status),
            ProviderError::Timeout(_)
            | ProviderError::Interrupted(_)
            | ProviderError::Decode(_)
            | ProviderError::Server { .. } => true,
        }
    }
}

codes! {
    /// How a number reaches the phone network; it picks the outbound-call endpoint.
    pub enum Telephony {
        Twilio => "twilio", "Twilio";
        SipTrunk => "sip_trunk", "SIP trunk";
    }
}

impl Telephony {
    pub fn parse(input: &str) -> Result<Telephony, String> {
        match input {
            "twilio" => Ok(Telephony::Twilio),
            "sip_trunk" => Ok(Telephony::SipTrunk),
            other => Err(format!("Unknown telephony kind “{other}”: choose twilio or sip_trunk")),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteAgent {
    pub agent_id: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemotePhoneNumber {
    pub phone_number_id: String,
    pub phone_number: String,
    pub label: String,
    /// `None` for kinds voxdial cannot call through (e.g. exotel).
    pub telephony: Option<Telephony>,
    pub assigned_agent_id: Option<String>,
}

/// One outbound call to place.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboundCall {
    pub agent_id: String,
    pub agent_phone_number_id: String,
    pub telephony: Telephony,
    pub to_number: String,
    pub system_prompt: Option<String>,
    pub first_message: Option<String>,
    pub dynamic_variables: BTreeMap<String, serde_json::Value>,
    pub user_id: Option<String>,
}

/// The provider took the call request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallAccepted {
    pub conversation_id: Option<String>,
    pub call_sid: Option<String>,
}

codes! {
    /// The provider kinds voxdial speaks.
    pub enum ProviderKind {
        ElevenLabs => "elevenlabs", "ElevenLabs";
    }
}

impl ProviderKind {
    pub fn parse(input: &str) -> Result<ProviderKind, String> {
        match input {
            "elevenlabs" => Ok(ProviderKind::ElevenLabs),
            other => Err(format!("Unknown provider “{other}”")),
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::ElevenLabs => elevenlabs::DEFAULT_BASE_URL,
        }
    }

    /// The header carrying a post-call webhook's signature.
    pub fn signature_header(self) -> &'static str {
        match self {
            ProviderKind::ElevenLabs => elevenlabs::webhook::SIGNATURE_HEADER,
        }
    }

    /// What a post-call webhook's signature header shows before its body is read: present,
    /// well-formed and timely, or the verdict that refuses it.
    pub fn check_signature_header(self, signature: Option<&str>, now_unix: i64) -> Result<(), SignatureVerdict> {
        match self {
            ProviderKind::ElevenLabs => elevenlabs::webhook::check_header(signature, now_unix),
        }
    }

    /// Checks a post-call webhook's signature over the raw body.
    pub fn verify_webhook(
        self,
        signature: Option<&str>,
        body: &[u8],
        secret: Option<&str>,
        now_unix: i64,
    ) -> SignatureVerdict {
        match self {
            ProviderKind::ElevenLabs => elevenlabs::webhook::verify(signature, body, secret, now_unix),
        }
    }

    /// Reads a verified post-call webhook; `Err` when the body is not a webhook at all.
    pub fn parse_webhook(self, body: &[u8]) -> Result<WebhookEnvelope, String> {
        match self {
            ProviderKind::ElevenLabs => elevenlabs::webhook::parse(body),
        }
    }
}

/// Who spoke a transcript turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Speaker {
    Agent,
    User,
}

impl Speaker {
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Agent => "agent",
            Speaker::User => "user",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Turn {
    pub speaker: Speaker,
    pub message: Option<String>,
    pub time_in_call_secs: i32,
}

/// Where the provider says a conversation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConversationState {
    /// Still ringing, talking or being analysed.
    Ongoing,
    Done,
    Failed,
}

/// Everything the provider reports about a conversation, normalised. The same shape comes
/// from the post-call webhook and from looking the conversation up.
#[derive(Debug, Clone, PartialEq)]
pub struct CallReport {
    pub conversation_id: String,
    pub state: ConversationState,
    pub transcript: Vec<Turn>,
    pub duration_secs: Option<i32>,
    pub termination_reason: Option<String>,
    pub call_sid: Option<String>,
    pub call_successful: Option<String>,
    pub summary: Option<String>,
    /// Data collection results by id.
    pub collected: BTreeMap<String, serde_json::Value>,
    /// The provider's analysis as sent, for the record.
    pub analysis: Option<serde_json::Value>,
    /// voxdial's interaction id echoed back in the dynamic variables.
    pub interaction_ref: Option<crate::ids::InteractionId>,
}

/// Why a call never connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FailureReason {
    Busy,
    NoAnswer,
    Other(String),
}

/// A post-call webhook, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookEvent {
    Completed(Box<CallReport>),
    InitiationFailed {
        conversation_id: String,
        reason: FailureReason,
        call_sid: Option<String>,
    },
    Audio {
        conversation_id: String,
        audio: Vec<u8>,
    },
    /// A type voxdial does not act on; acknowledged and kept.
    Other,
}

/// The parts of a webhook every event has, and the event itself when it could be read.
#[derive(Debug, Clone)]
pub struct WebhookEnvelope {
    pub event_type: String,
    pub event_timestamp: Option<i64>,
    pub conversation_id: Option<String>,
    pub event: Result<WebhookEvent, String>,
}

codes! {
    /// The outcome of checking a webhook's signature (stored with every event).
    pub enum SignatureVerdict {
        Valid => "valid", "Valid";
        Missing => "missing", "Missing";
        Malformed => "malformed", "Malformed";
        Mismatch => "mismatch", "Mismatch";
        Stale => "stale", "Too old";
        Future => "future", "From the future";
        NoSecret => "no_secret", "No secret configured";
    }
}

impl SignatureVerdict {
    pub fn explanation(self) -> &'static str {
        match self {
            SignatureVerdict::Valid => "signature valid",
            SignatureVerdict::Missing => "no signature header",
            SignatureVerdict::Malformed => "the signature header cannot be read",
            SignatureVerdict::Mismatch => "the signature does not match the body and secret",
            SignatureVerdict::Stale => "the signature timestamp is too old",
            SignatureVerdict::Future => "the signature timestamp is in the future",
            SignatureVerdict::NoSecret => "no webhook signing secret is configured for this connection",
        }
    }
}

#[async_trait]
pub trait VoiceProvider: Send + Sync {
    /// Proves the credentials work; returns a short description of what was seen.
    async fn check(&self) -> Result<String, ProviderError>;
    async fn list_agents(&self) -> Result<Vec<RemoteAgent>, ProviderError>;
    async fn get_agent(&self, agent_id: &str) -> Result<RemoteAgent, ProviderError>;
    async fn list_phone_numbers(&self) -> Result<Vec<RemotePhoneNumber>, ProviderError>;
    /// Places a call. Never retried: the provider offers no idempotency key.
    async fn start_call(&self, call: &OutboundCall) -> Result<CallAccepted, ProviderError>;
    /// What the provider knows about a conversation (for reconciliation).
    async fn get_conversation(&self, conversation_id: &str) -> Result<CallReport, ProviderError>;
}

/// HTTP settings shared by provider clients.
#[derive(Debug, Clone, Copy)]
pub struct HttpSettings {
    pub timeout: Duration,
    /// Attempts for idempotent GETs (1 = no retry).
    pub get_attempts: u32,
    pub retry_base_delay: Duration,
}

impl Default for HttpSettings {
    fn default() -> Self {
        HttpSettings { timeout: Duration::from_secs(15), get_attempts: 3, retry_base_delay: Duration::from_millis(300) }
    }
}

/// Makes the client for a provider connection. Services get one injected: the real HTTP
/// clients in production, an in-process provider in tests and in the dialer simulation.
pub trait ProviderFactory: Send + Sync {
    fn client(&self, kind: ProviderKind, base_url: &str, api_key: &str) -> Arc<dyn VoiceProvider>;
}

/// The providers' real HTTP APIs, over one shared connection pool.
pub struct HttpProviders {
    http: reqwest::Client,
    settings: HttpSettings,
}

impl HttpProviders {
    pub fn new(settings: HttpSettings) -> HttpProviders {
        HttpProviders { http: http_client(settings), settings }
    }
}

impl ProviderFactory for HttpProviders {
    fn client(&self, kind: ProviderKind, base_url: &str, api_key: &str) -> Arc<dyn VoiceProvider> {
        match kind {
            ProviderKind::ElevenLabs => {
                Arc::new(elevenlabs::Client::new(self.http.clone(), self.settings, base_url, api_key))
            }
        }
    }
}

/// The shared HTTP client (connection pooling) for provider calls.
pub fn http_client(settings: HttpSettings) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(settings.timeout)
        .connect_timeout(Duration::from_secs(5).min(settings.timeout))
        .user_agent(concat!("voxdial/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("building the HTTP client")
}
