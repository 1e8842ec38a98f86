//! Provider connections as a service: sealing secrets on the way in, opening them to build
//! a client, testing a connection and recording the verdict.

use std::sync::Arc;

use crate::app::AppState;
use crate::crypto::{SecretBox, secret_hint};
use crate::db::providers::{ProviderConnection, SealedSecret, SecretField};
use crate::db::{self};
use crate::error::AppError;
use crate::provider::{self, ProviderKind, VoiceProvider};

pub fn seal(secrets: &SecretBox, field: SecretField, plaintext: &str) -> SealedSecret {
    SealedSecret { sealed: secrets.seal(field.purpose(), plaintext), hint: secret_hint(plaintext) }
}

/// The plaintext of a stored secret.
pub fn open(secrets: &SecretBox, field: SecretField, sealed: &str) -> Result<String, AppError> {
    secrets
        .open(field.purpose(), sealed)
        .map_err(|e| AppError::Unexpected(e.context(format!("opening the {} of a provider connection", field.label()))))
}

/// A client speaking for `connection`.
pub fn client_for(state: &AppState, connection: &ProviderConnection) -> Result<Arc<dyn VoiceProvider>, AppError> {
    let kind = ProviderKind::parse(&connection.kind).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    let api_key = open(&state.secrets, SecretField::ApiKey, &connection.api_key_enc)?;
    Ok(provider::client(kind, state.http.clone(), state.provider_http, &connection.api_base_url, &api_key))
}

/// Loads a connection and its client.
pub async fn load_client(
    state: &AppState,
    connection_id: i64,
) -> Result<(ProviderConnection, Arc<dyn VoiceProvider>), AppError> {
    let connection = state.db.run(move |conn| Ok(db::providers::find(conn, connection_id)?)).await?;
    let client = client_for(state, &connection)?;
    Ok((connection, client))
}

/// Calls the provider and records whether the connection works.
pub async fn test(state: &AppState, connection_id: i64) -> Result<Result<String, String>, AppError> {
    let (_, client) = load_client(state, connection_id).await?;
    let verdict = client.check().await.map_err(|e| e.to_string());
    let (ok, message) = match &verdict {
        Ok(message) => (true, message.clone()),
        Err(message) => (false, message.clone()),
    };
    state.db.run(move |conn| Ok(db::providers::record_check(conn, connection_id, ok, &message)?)).await?;
    Ok(verdict)
}

/// Header the provider must send with inbound initiation webhooks (configured in its
/// webhook settings with the connection's inbound token as value).
pub const INBOUND_TOKEN_HEADER: &str = "X-Voxdial-Token";

/// The URLs to paste into the provider's settings for this connection.
pub fn webhook_urls(public_url: &str, connection_id: i64) -> (String, String) {
    (
        format!("{public_url}/webhooks/elevenlabs/{connection_id}/post-call"),
        format!("{public_url}/webhooks/elevenlabs/{connection_id}/initiation"),
    )
}
