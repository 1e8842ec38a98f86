//! Provider connections as a service: adding, editing, testing and deleting them, with
//! their secrets sealed on the way in and opened only to build a client; and the log of
//! the webhooks they send ([`webhook_events`]).

pub mod webhook_events;

use std::sync::Arc;

use chrono::NaiveDateTime;

use super::Ctx;
use crate::audit::{self, Actor, Change};
use crate::crypto::{SecretBox, random_token, secret_hint};
use crate::db::providers::{NewConnection, ProviderConnection, SealedSecret, SecretField};
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::ids::ConnectionId;
use crate::provider::{ProviderKind, VoiceProvider};

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
pub fn client_for(ctx: &Ctx, connection: &ProviderConnection) -> Result<Arc<dyn VoiceProvider>, AppError> {
    let api_key = open(&ctx.secrets, SecretField::ApiKey, &connection.api_key_enc)?;
    Ok(ctx.providers.client(connection.kind, &connection.api_base_url, &api_key))
}

/// Loads a connection and its client.
pub async fn load_client(
    ctx: &Ctx,
    connection_id: ConnectionId,
) -> Result<(ProviderConnection, Arc<dyn VoiceProvider>), AppError> {
    let connection = find(ctx, connection_id).await?;
    let client = client_for(ctx, &connection)?;
    Ok((connection, client))
}

/// Header the provider must send with inbound initiation webhooks (configured in its
/// webhook settings with the connection's inbound token as value).
pub const INBOUND_TOKEN_HEADER: &str = "X-Voxdial-Token";

/// The URLs to paste into the provider's settings for this connection.
pub fn webhook_urls(public_url: &str, connection_id: ConnectionId) -> (String, String) {
    (
        format!("{public_url}/webhooks/elevenlabs/{connection_id}/post-call"),
        format!("{public_url}/webhooks/elevenlabs/{connection_id}/initiation"),
    )
}

/// All connections, by name.
pub async fn list(ctx: &Ctx) -> Result<Vec<ProviderConnection>, AppError> {
    ctx.db.run(|conn| Ok(db::providers::list(conn)?)).await
}

pub async fn find(ctx: &Ctx, id: ConnectionId) -> Result<ProviderConnection, AppError> {
    ctx.db.run(move |conn| Ok(db::providers::find(conn, id)?)).await
}

/// What names a connection and where it is reached, validated.
#[derive(Debug, Clone)]
pub struct ConnectionDetails {
    pub kind: ProviderKind,
    pub name: String,
    pub api_base_url: String,
}

/// Secrets as an admin typed them (no `Debug`: they are plain text). `None` keeps the
/// stored value; for a new connection's inbound token it means "generate one".
#[derive(Default)]
pub struct SecretInputs {
    pub api_key: Option<String>,
    pub webhook_secret: Option<String>,
    pub inbound_token: Option<String>,
}

/// A connection as stored after a change, with the inbound token voxdial generated for it,
/// if it did: shown to the admin once and kept nowhere in plain text.
pub struct SavedConnection {
    pub connection: ProviderConnection,
    pub generated_token: Option<String>,
}

/// Adds a connection. A blank inbound token is generated (it is ours to choose).
pub async fn create(
    ctx: &Ctx,
    actor: Actor,
    details: ConnectionDetails,
    secrets: SecretInputs,
) -> Result<SavedConnection, AppError> {
    let api_key = secrets.api_key.ok_or_else(|| AppError::validation("The API key is required"))?;
    let (inbound_token, generated_token) = match secrets.inbound_token {
        Some(typed) => (typed, None),
        None => {
            let token = random_token();
            (token.clone(), Some(token))
        }
    };
    let new_secrets = (
        seal(&ctx.secrets, SecretField::ApiKey, &api_key),
        secrets.webhook_secret.map(|s| seal(&ctx.secrets, SecretField::WebhookSecret, &s)),
        seal(&ctx.secrets, SecretField::InboundToken, &inbound_token),
    );
    let now = ctx.clock.now();
    let connection = ctx
        .db
        .write(move |conn| {
            let (api_key, webhook_secret, inbound_token) = new_secrets;
            let new = NewConnection {
                kind: details.kind,
                name: &details.name,
                api_base_url: &details.api_base_url,
                api_key,
                webhook_secret,
                inbound_token: Some(inbound_token),
            };
            let Some(id) = db::unless_duplicate(conn, |c| db::providers::insert(c, new, now))? else {
                return Err(AppError::conflict(format!("A connection named “{}” already exists", details.name)));
            };
            let summary = format!("Added the {} connection “{}”", details.kind.label(), details.name);
            record(conn, &actor, "provider_connection.create", id, &summary, now)?;
            Ok(db::providers::find(conn, id)?)
        })
        .await?;
    Ok(SavedConnection { connection, generated_token })
}

/// Renames or moves a connection and replaces the secrets that were typed.
pub async fn update(
    ctx: &Ctx,
    actor: Actor,
    id: ConnectionId,
    details: ConnectionDetails,
    secrets: SecretInputs,
) -> Result<(), AppError> {
    let replacements: Vec<(SecretField, SealedSecret)> = [
        (SecretField::ApiKey, secrets.api_key),
        (SecretField::WebhookSecret, secrets.webhook_secret),
        (SecretField::InboundToken, secrets.inbound_token),
    ]
    .into_iter()
    .filter_map(|(field, value)| value.map(|v| (field, seal(&ctx.secrets, field, &v))))
    .collect();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            // A missing connection is “not found”, not an update of nothing.
            db::providers::find(conn, id)?;
            let rename =
                |c: &mut DbConnection| db::providers::update_details(c, id, &details.name, &details.api_base_url, now);
            if db::unless_duplicate(conn, rename)?.is_none() {
                return Err(AppError::conflict("Another connection already has that name"));
            }
            for (field, sealed) in &replacements {
                db::providers::set_secret(conn, id, *field, sealed, now)?;
            }
            let mut summary = format!("Updated the connection “{}”", details.name);
            if !replacements.is_empty() {
                let replaced: Vec<&str> = replacements.iter().map(|(field, _)| field.label()).collect();
                summary.push_str(&format!(" and replaced its {}", replaced.join(", ")));
            }
            record(conn, &actor, "provider_connection.update", id, &summary, now)
        })
        .await
}

/// Whether the provider accepted the connection, in its words.
#[derive(Debug, Clone)]
pub struct CheckVerdict {
    pub ok: bool,
    pub message: String,
}

/// Calls the provider and records whether the connection works.
pub async fn test(ctx: &Ctx, connection_id: ConnectionId) -> Result<CheckVerdict, AppError> {
    let (_, client) = load_client(ctx, connection_id).await?;
    let verdict = match client.check().await {
        Ok(message) => CheckVerdict { ok: true, message },
        Err(error) => CheckVerdict { ok: false, message: error.to_string() },
    };
    let (ok, message) = (verdict.ok, verdict.message.clone());
    let now = ctx.clock.now();
    ctx.db.write(move |conn| Ok(db::providers::record_check(conn, connection_id, ok, &message, now)?)).await?;
    Ok(verdict)
}

/// Replaces the inbound token with a generated one; the old one stops working at once.
pub async fn rotate_inbound_token(ctx: &Ctx, actor: Actor, id: ConnectionId) -> Result<SavedConnection, AppError> {
    let token = random_token();
    let sealed = seal(&ctx.secrets, SecretField::InboundToken, &token);
    let now = ctx.clock.now();
    let connection = ctx
        .db
        .write(move |conn| {
            let connection = db::providers::find(conn, id)?;
            db::providers::set_secret(conn, id, SecretField::InboundToken, &sealed, now)?;
            let summary = format!("Generated a new inbound-webhook token for “{}”", connection.name);
            record(conn, &actor, "provider_connection.inbound_token", id, &summary, now)?;
            Ok(db::providers::find(conn, id)?)
        })
        .await?;
    Ok(SavedConnection { connection, generated_token: Some(token) })
}

/// Deletes a connection nothing uses any more; returns its name.
pub async fn delete(ctx: &Ctx, actor: Actor, id: ConnectionId) -> Result<String, AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let connection = db::providers::find(conn, id)?;
            let (numbers, agents) = db::providers::usage(conn, id)?;
            if numbers > 0 || agents > 0 {
                return Err(AppError::conflict(format!(
                    "“{}” still has {} and {}. Delete or move them first.",
                    connection.name,
                    crate::domain::plural::counted(numbers, "phone number"),
                    crate::domain::plural::counted(agents, "agent")
                )));
            }
            db::providers::delete(conn, id)?;
            let summary = format!("Deleted the connection “{}”", connection.name);
            record(conn, &actor, "provider_connection.delete", id, &summary, now)?;
            Ok(connection.name)
        })
        .await
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    id: ConnectionId,
    summary: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let change = Change { action, object_kind: "provider_connection", object_id: Some(id.get()), summary };
    Ok(audit::record(conn, actor, change, now)?)
}
