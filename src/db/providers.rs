//! Provider connections. Secrets arrive here already sealed (see `crypto::SecretBox`).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{phone_numbers, provider_connections, voice_agents};
use super::types::typed_row;
use crate::ids::{CampaignId, ConnectionId};
use crate::provider::ProviderKind;

typed_row! {
    pub struct ProviderConnection in provider_connections as ProviderConnectionRaw {
        pub id: ConnectionId,
        pub kind: ProviderKind,
        pub name: String,
        pub api_base_url: String,
        pub api_key_enc: String,
        pub api_key_hint: String,
        pub webhook_secret_enc: Option<String>,
        pub webhook_secret_hint: Option<String>,
        pub inbound_token_enc: Option<String>,
        pub inbound_token_hint: Option<String>,
        pub last_check_at: Option<NaiveDateTime>,
        pub last_check_ok: Option<bool>,
        pub last_check_message: Option<String>,
        /// Where inbound calls go when no number or agent routes them.
        pub default_inbound_campaign_id: Option<CampaignId>,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
    }
}

/// A sealed secret and its display hint.
#[derive(Debug, Clone)]
pub struct SealedSecret {
    pub sealed: String,
    pub hint: String,
}

pub struct NewConnection<'a> {
    pub kind: ProviderKind,
    pub name: &'a str,
    pub api_base_url: &'a str,
    pub api_key: SealedSecret,
    pub webhook_secret: Option<SealedSecret>,
    pub inbound_token: Option<SealedSecret>,
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<ProviderConnection>> {
    provider_connections::table
        .order(provider_connections::name.asc())
        .select(ProviderConnection::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: ConnectionId) -> QueryResult<ProviderConnection> {
    provider_connections::table.find(id).select(ProviderConnection::as_select()).get_result(conn)
}

pub fn insert(conn: &mut DbConnection, new: NewConnection<'_>, now: NaiveDateTime) -> QueryResult<ConnectionId> {
    diesel::insert_into(provider_connections::table)
        .values((
            provider_connections::kind.eq(new.kind.as_str()),
            provider_connections::name.eq(new.name),
            provider_connections::api_base_url.eq(new.api_base_url),
            provider_connections::api_key_enc.eq(&new.api_key.sealed),
            provider_connections::api_key_hint.eq(&new.api_key.hint),
            provider_connections::webhook_secret_enc.eq(new.webhook_secret.as_ref().map(|s| &s.sealed)),
            provider_connections::webhook_secret_hint.eq(new.webhook_secret.as_ref().map(|s| &s.hint)),
            provider_connections::inbound_token_enc.eq(new.inbound_token.as_ref().map(|s| &s.sealed)),
            provider_connections::inbound_token_hint.eq(new.inbound_token.as_ref().map(|s| &s.hint)),
            provider_connections::created_at.eq(now),
            provider_connections::updated_at.eq(now),
        ))
        .returning(provider_connections::id)
        .get_result(conn)
}

pub fn update_details(
    conn: &mut DbConnection,
    id: ConnectionId,
    name: &str,
    api_base_url: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(provider_connections::table.find(id))
        .set((
            provider_connections::name.eq(name),
            provider_connections::api_base_url.eq(api_base_url),
            provider_connections::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Which secret column to replace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretField {
    ApiKey,
    WebhookSecret,
    InboundToken,
}

impl SecretField {
    /// The AEAD purpose binding a sealed value to its column.
    pub fn purpose(self) -> &'static str {
        match self {
            SecretField::ApiKey => "provider_connections.api_key",
            SecretField::WebhookSecret => "provider_connections.webhook_secret",
            SecretField::InboundToken => "provider_connections.inbound_token",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SecretField::ApiKey => "API key",
            SecretField::WebhookSecret => "webhook signing secret",
            SecretField::InboundToken => "inbound-webhook token",
        }
    }
}

pub fn set_secret(
    conn: &mut DbConnection,
    id: ConnectionId,
    field: SecretField,
    secret: &SealedSecret,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let target = provider_connections::table.find(id);
    match field {
        SecretField::ApiKey => diesel::update(target)
            .set((
                provider_connections::api_key_enc.eq(&secret.sealed),
                provider_connections::api_key_hint.eq(&secret.hint),
                provider_connections::updated_at.eq(now),
            ))
            .execute(conn),
        SecretField::WebhookSecret => diesel::update(target)
            .set((
                provider_connections::webhook_secret_enc.eq(&secret.sealed),
                provider_connections::webhook_secret_hint.eq(&secret.hint),
                provider_connections::updated_at.eq(now),
            ))
            .execute(conn),
        SecretField::InboundToken => diesel::update(target)
            .set((
                provider_connections::inbound_token_enc.eq(&secret.sealed),
                provider_connections::inbound_token_hint.eq(&secret.hint),
                provider_connections::updated_at.eq(now),
            ))
            .execute(conn),
    }
}

pub fn record_check(
    conn: &mut DbConnection,
    id: ConnectionId,
    ok: bool,
    message: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(provider_connections::table.find(id))
        .set((
            provider_connections::last_check_at.eq(now),
            provider_connections::last_check_ok.eq(ok),
            provider_connections::last_check_message.eq(message),
        ))
        .execute(conn)
}

/// How many numbers and agents belong to the connection (deletion is refused while any do).
pub fn usage(conn: &mut DbConnection, id: ConnectionId) -> QueryResult<(i64, i64)> {
    let numbers = phone_numbers::table.filter(phone_numbers::provider_connection_id.eq(id)).count().get_result(conn)?;
    let agents = voice_agents::table.filter(voice_agents::provider_connection_id.eq(id)).count().get_result(conn)?;
    Ok((numbers, agents))
}

pub fn delete(conn: &mut DbConnection, id: ConnectionId) -> QueryResult<usize> {
    diesel::delete(provider_connections::table.find(id)).execute(conn)
}

/// Where the connection's inbound calls go when no number or agent routes them.
pub fn set_default_inbound_campaign(
    conn: &mut DbConnection,
    id: ConnectionId,
    campaign: Option<CampaignId>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(provider_connections::table.find(id))
        .set((provider_connections::default_inbound_campaign_id.eq(campaign), provider_connections::updated_at.eq(now)))
        .execute(conn)
}
