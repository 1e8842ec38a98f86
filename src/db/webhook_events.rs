//! Every provider webhook received: the audit trail and the idempotency key.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::webhook_events;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_events)]
pub struct WebhookEvent {
    pub id: i64,
    pub provider_connection_id: i64,
    pub event_type: String,
    pub conversation_id: Option<String>,
    pub event_timestamp: Option<i64>,
    pub signature_verdict: String,
    pub processing_state: String,
    pub processing_result: Option<String>,
    pub interaction_id: Option<i64>,
    pub raw_body: String,
    pub deliveries: i32,
    pub attempts: i32,
    pub received_at: NaiveDateTime,
    pub processed_at: Option<NaiveDateTime>,
}

/// Processing states.
pub mod state {
    /// Stored, not yet applied (or waiting for its call, or failed transiently).
    pub const PENDING: &str = "pending";
    pub const PROCESSED: &str = "processed";
    /// Authentic but not acted on (unknown type, duplicate of a finished call…).
    pub const IGNORED: &str = "ignored";
    /// Signature refused.
    pub const REJECTED: &str = "rejected";
    /// Authentic but unreadable.
    pub const INVALID: &str = "invalid";
}

pub struct NewEvent<'a> {
    pub provider_connection_id: i64,
    pub event_type: &'a str,
    pub conversation_id: Option<&'a str>,
    pub event_timestamp: Option<i64>,
    pub signature_verdict: &'a str,
    pub processing_state: &'a str,
    pub processing_result: Option<&'a str>,
    pub raw_body: &'a str,
    pub received_at: NaiveDateTime,
}

/// Stores an event. `None` when an accepted event with the same key was stored before.
pub fn insert(conn: &mut DbConnection, new: &NewEvent<'_>) -> QueryResult<Option<i64>> {
    let row = (
        webhook_events::provider_connection_id.eq(new.provider_connection_id),
        webhook_events::event_type.eq(new.event_type),
        webhook_events::conversation_id.eq(new.conversation_id),
        webhook_events::event_timestamp.eq(new.event_timestamp),
        webhook_events::signature_verdict.eq(new.signature_verdict),
        webhook_events::processing_state.eq(new.processing_state),
        webhook_events::processing_result.eq(new.processing_result),
        webhook_events::raw_body.eq(new.raw_body),
        webhook_events::received_at.eq(new.received_at),
        webhook_events::processed_at.eq((new.processing_state != state::PENDING).then_some(new.received_at)),
    );
    // ON CONFLICT is not available through the multi-backend connection.
    match conn {
        DbConnection::Sqlite(c) => diesel::insert_into(webhook_events::table)
            .values(row)
            .on_conflict_do_nothing()
            .returning(webhook_events::id)
            .get_result(c),
        DbConnection::Pg(c) => diesel::insert_into(webhook_events::table)
            .values(row)
            .on_conflict_do_nothing()
            .returning(webhook_events::id)
            .get_result(c),
    }
    .optional()
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<WebhookEvent> {
    webhook_events::table.find(id).select(WebhookEvent::as_select()).get_result(conn)
}

/// The accepted event with this key, counting one more delivery of it.
pub fn record_redelivery(
    conn: &mut DbConnection,
    connection_id: i64,
    event_type: &str,
    conversation_id: Option<&str>,
) -> QueryResult<Option<WebhookEvent>> {
    let found = webhook_events::table
        .filter(webhook_events::provider_connection_id.eq(connection_id))
        .filter(webhook_events::event_type.eq(event_type))
        .filter(webhook_events::conversation_id.eq(conversation_id))
        .filter(webhook_events::signature_verdict.eq("valid"))
        .select(WebhookEvent::as_select())
        .get_result(conn)
        .optional()?;
    if let Some(event) = &found {
        diesel::update(webhook_events::table.find(event.id))
            .set(webhook_events::deliveries.eq(webhook_events::deliveries + 1))
            .execute(conn)?;
    }
    Ok(found)
}

/// Records how processing went.
pub fn record_result(
    conn: &mut DbConnection,
    id: i64,
    processing_state: &str,
    result: &str,
    interaction_id: Option<i64>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(webhook_events::table.find(id))
        .set((
            webhook_events::processing_state.eq(processing_state),
            webhook_events::processing_result.eq(result),
            webhook_events::interaction_id.eq(interaction_id),
            webhook_events::attempts.eq(webhook_events::attempts + 1),
            webhook_events::processed_at.eq((processing_state != state::PENDING).then_some(now)),
        ))
        .execute(conn)
}

/// Events still waiting to be applied, oldest first (for the sweeper).
pub fn pending(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<WebhookEvent>> {
    webhook_events::table
        .filter(webhook_events::processing_state.eq(state::PENDING))
        .order(webhook_events::id.asc())
        .limit(limit)
        .select(WebhookEvent::as_select())
        .load(conn)
}

/// Pending events for one conversation (applied once its call learns the conversation id).
pub fn pending_for_conversation(
    conn: &mut DbConnection,
    connection_id: i64,
    conversation_id: &str,
) -> QueryResult<Vec<WebhookEvent>> {
    webhook_events::table
        .filter(webhook_events::provider_connection_id.eq(connection_id))
        .filter(webhook_events::conversation_id.eq(conversation_id))
        .filter(webhook_events::processing_state.eq(state::PENDING))
        .order(webhook_events::id.asc())
        .select(WebhookEvent::as_select())
        .load(conn)
}

/// A page of events, newest first (the body is left out of lists).
pub fn page(conn: &mut DbConnection, before: Option<i64>, limit: i64) -> QueryResult<Vec<WebhookEvent>> {
    let mut query = webhook_events::table.select(WebhookEvent::as_select()).into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_events::id.lt(before));
    }
    query.order(webhook_events::id.desc()).limit(limit).load(conn)
}

pub fn for_interaction(conn: &mut DbConnection, interaction_id: i64) -> QueryResult<Vec<WebhookEvent>> {
    webhook_events::table
        .filter(webhook_events::interaction_id.eq(interaction_id))
        .order(webhook_events::id.asc())
        .select(WebhookEvent::as_select())
        .load(conn)
}

/// Drops refused requests older than `before` (they are kept briefly for diagnosis).
pub fn delete_rejected_before(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        webhook_events::table
            .filter(webhook_events::processing_state.eq(state::REJECTED))
            .filter(webhook_events::received_at.lt(before)),
    )
    .execute(conn)
}
