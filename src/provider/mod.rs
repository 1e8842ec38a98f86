//! Voice providers behind one trait, so callers never depend on ElevenLabs' wire format and
//! other providers (Vapi, Retell) can be added beside it.

pub mod elevenlabs;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

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
    #[error("could not reach the provider: {0}")]
    Connection(String),
    #[error("the provider's answer could not be read: {0}")]
    Decode(String),
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
        )
    }

    /// For a request that places a call: the provider may or may not have acted on it.
    pub fn outcome_unknown(&self) -> bool {
        matches!(
            self,
            ProviderError::Timeout(_)
                | ProviderError::Server {
                    status: 502..=504,
                    ..
                }
        )
    }
}

/// How a number reaches the phone network; it picks the outbound-call endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Telephony {
    Twilio,
    SipTrunk,
}

impl Telephony {
    pub fn as_str(self) -> &'static str {
        match self {
            Telephony::Twilio => "twilio",
            Telephony::SipTrunk => "sip_trunk",
        }
    }

    pub fn parse(input: &str) -> Result<Telephony, String> {
        match input {
            "twilio" => Ok(Telephony::Twilio),
            "sip_trunk" => Ok(Telephony::SipTrunk),
            other => Err(format!(
                "Unknown telephony kind “{other}”: choose twilio or sip_trunk"
            )),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Telephony::Twilio => "Twilio",
            Telephony::SipTrunk => "SIP trunk",
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

/// The provider kinds voxdial speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    ElevenLabs,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::ElevenLabs => "elevenlabs",
        }
    }

    pub fn parse(input: &str) -> Result<ProviderKind, String> {
        match input {
            "elevenlabs" => Ok(ProviderKind::ElevenLabs),
            other => Err(format!("Unknown provider “{other}”")),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ProviderKind::ElevenLabs => "ElevenLabs",
        }
    }

    pub fn default_base_url(self) -> &'static str {
        match self {
            ProviderKind::ElevenLabs => elevenlabs::DEFAULT_BASE_URL,
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
        HttpSettings {
            timeout: Duration::from_secs(15),
            get_attempts: 3,
            retry_base_delay: Duration::from_millis(300),
        }
    }
}

/// A client for one provider connection.
pub fn client(
    kind: ProviderKind,
    http: reqwest::Client,
    settings: HttpSettings,
    base_url: &str,
    api_key: &str,
) -> Arc<dyn VoiceProvider> {
    match kind {
        ProviderKind::ElevenLabs => {
            Arc::new(elevenlabs::Client::new(http, settings, base_url, api_key))
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
