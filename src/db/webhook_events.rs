//! Every provider webhook received: the audit trail and the idempotency key.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::webhook_events;
use super::types::typed_row;
use crate::domain::webhook::ProcessingState;
use crate::ids::{ConnectionId, InteractionId, WebhookEventId};
use crate::provider::SignatureVerdict;

typed_row! {
    pub struct WebhookEvent in webhook_events as WebhookEventRaw {
        pub id: WebhookEventId,
        pub provider_connection_id: ConnectionId,
        pub event_type: String,
        pub conversation_id: Option<String>,
        pub event_timestamp: Option<i64>,
        pub signature_verdict: SignatureVerdict,
        pub processing_state: ProcessingState,
        pub processing_result: Option<String>,
        pub interaction_id: Option<InteractionId>,
        pub raw_body: String,
        pub deliveries: i32,
        pub attempts: i32,
        pub received_at: NaiveDateTime,
        pub processed_at: Option<NaiveDateTime>,
        pub retry_at: Option<NaiveDateTime>,
    }
}

pub struct NewEvent<'a> {
    pub provider_connection_id: ConnectionId,
    pub event_type: &'a str,
    pub conversation_id: Option<&'a str>,
    pub event_timestamp: Option<i64>,
    pub signature_verdict: SignatureVerdict,
    pub processing_state: ProcessingState,
    pub processing_result: Option<&'a str>,
    pub raw_body: &'a str,
    pub received_at: NaiveDateTime,
}

/// Stores an event. `None` when an accepted event with the same key was stored before.
pub fn insert(conn: &mut DbConnection, new: &NewEvent<'_>) -> QueryResult<Option<WebhookEventId>> {
    let row = (
        webhook_events::provider_connection_id.eq(new.provider_connection_id),
        webhook_events::event_type.eq(new.event_type),
        webhook_events::conversation_id.eq(new.conversation_id),
        webhook_events::event_timestamp.eq(new.event_timestamp),
        webhook_events::signature_verdict.eq(new.signature_verdict.as_str()),
        webhook_events::processing_state.eq(new.processing_state.as_str()),
        webhook_events::processing_result.eq(new.processing_result),
        webhook_events::raw_body.eq(new.raw_body),
        webhook_events::received_at.eq(new.received_at),
        webhook_events::processed_at.eq((new.processing_state != ProcessingState::Pending).then_some(new.received_at)),
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

pub fn find(conn: &mut DbConnection, id: WebhookEventId) -> QueryResult<WebhookEvent> {
    webhook_events::table.find(id).select(WebhookEvent::as_select()).get_result(conn)
}

/// The accepted event with this key, counting one more delivery of it.
pub fn record_redelivery(
    conn: &mut DbConnection,
    connection_id: ConnectionId,
    event_type: &str,
    conversation_id: Option<&str>,
) -> QueryResult<Option<WebhookEvent>> {
    let found = webhook_events::table
        .filter(webhook_events::provider_connection_id.eq(connection_id))
        .filter(webhook_events::event_type.eq(event_type))
        .filter(webhook_events::conversation_id.eq(conversation_id))
        .filter(webhook_events::signature_verdict.eq(SignatureVerdict::Valid.as_str()))
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
    id: WebhookEventId,
    processing_state: ProcessingState,
    result: &str,
    interaction_id: Option<InteractionId>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(webhook_events::table.find(id))
        .set((
            webhook_events::processing_state.eq(processing_state.as_str()),
            webhook_events::processing_result.eq(result),
            webhook_events::interaction_id.eq(interaction_id),
            webhook_events::attempts.eq(webhook_events::attempts + 1),
            webhook_events::processed_at.eq((processing_state != ProcessingState::Pending).then_some(now)),
            webhook_events::retry_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

/// Events waiting to be applied whose retry time has come, oldest first (for the sweeper).
pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<WebhookEvent>> {
    webhook_events::table
        .filter(webhook_events::processing_state.eq(ProcessingState::Pending.as_str()))
        .filter(webhook_events::retry_at.is_null().or(webhook_events::retry_at.le(now)))
        .order(webhook_events::id.asc())
        .limit(limit)
        .select(WebhookEvent::as_select())
        .load(conn)
}

/// Takes a due event for one attempt: it is not due again before `until`, so a crash
/// leaves it for a later sweep. `false` when another sweeper took it first.
pub fn claim(
    conn: &mut DbConnection,
    id: WebhookEventId,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(
        webhook_events::table
            .find(id)
            .filter(webhook_events::processing_state.eq(ProcessingState::Pending.as_str()))
            .filter(webhook_events::retry_at.is_null().or(webhook_events::retry_at.le(now))),
    )
    .set(webhook_events::retry_at.eq(until))
    .execute(conn)?;
    Ok(taken == 1)
}

/// Records a failed attempt: retried at `retry_at`, or parked when `retry_at` is `None`.
pub fn record_failure(
    conn: &mut DbConnection,
    id: WebhookEventId,
    error: &str,
    retry_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let state = if retry_at.is_some() { ProcessingState::Pending } else { ProcessingState::Failed };
    diesel::update(webhook_events::table.find(id))
        .set((
            webhook_events::processing_state.eq(state.as_str()),
            webhook_events::processing_result.eq(error),
            webhook_events::attempts.eq(webhook_events::attempts + 1),
            webhook_events::retry_at.eq(retry_at),
            webhook_events::processed_at.eq(retry_at.is_none().then_some(now)),
        ))
        .execute(conn)
}

/// Puts a parked event back in the queue (an admin's "Retry now") for a full new round of
/// attempts.
pub fn requeue(conn: &mut DbConnection, id: WebhookEventId) -> QueryResult<usize> {
    diesel::update(
        webhook_events::table.find(id).filter(webhook_events::processing_state.eq(ProcessingState::Failed.as_str())),
    )
    .set((
        webhook_events::processing_state.eq(ProcessingState::Pending.as_str()),
        webhook_events::attempts.eq(0),
        webhook_events::retry_at.eq(None::<NaiveDateTime>),
        webhook_events::processed_at.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
}

/// How many events are parked, for the problems panel.
pub fn count_parked(conn: &mut DbConnection) -> QueryResult<i64> {
    webhook_events::table
        .filter(webhook_events::processing_state.eq(ProcessingState::Failed.as_str()))
        .count()
        .get_result(conn)
}

/// Pending events for one conversation (applied once its call learns the conversation id).
pub fn pending_for_conversation(
    conn: &mut DbConnection,
    connection_id: ConnectionId,
    conversation_id: &str,
) -> QueryResult<Vec<WebhookEvent>> {
    webhook_events::table
        .filter(webhook_events::provider_connection_id.eq(connection_id))
        .filter(webhook_events::conversation_id.eq(conversation_id))
        .filter(webhook_events::processing_state.eq(ProcessingState::Pending.as_str()))
        .order(webhook_events::id.asc())
        .select(WebhookEvent::as_select())
        .load(conn)
}

/// A page of events, newest first.
pub fn page(conn: &mut DbConnection, before: Option<WebhookEventId>, limit: i64) -> QueryResult<Vec<WebhookEvent>> {
    let mut query = webhook_events::table.select(WebhookEvent::as_select()).into_boxed();
    if let Some(before) = before {
        query = query.filter(webhook_events::id.lt(before));
    }
    query.order(webhook_events::id.desc()).limit(limit).load(conn)
}

pub fn for_interaction(conn: &mut DbConnection, interaction_id: InteractionId) -> QueryResult<Vec<WebhookEvent>> {
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
            .filter(webhook_events::processing_state.eq(ProcessingState::Rejected.as_str()))
            .filter(webhook_events::received_at.lt(before)),
    )
    .execute(conn)
}
