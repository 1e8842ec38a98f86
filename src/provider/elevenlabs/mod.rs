//! ElevenLabs Conversational AI: the REST client, the wire types and (for webhooks) the
//! signature scheme. Unknown fields are ignored everywhere; the provider adds them often.

mod client;
pub mod webhook;
pub mod wire;

pub use client::Client;

pub const DEFAULT_BASE_URL: &str = "https://api.elevenlabs.io";
