//! Call recordings delivered by the provider (`post_call_audio`).

use diesel::prelude::*;

use super::DbConnection;
use super::schema::recordings;
use crate::ids::{ConnectionId, InteractionId};
use chrono::NaiveDateTime;

/// Stores a recording; a second delivery of the same one changes nothing.
pub fn insert(
    conn: &mut DbConnection,
    connection_id: ConnectionId,
    conversation_id: &str,
    interaction_id: Option<InteractionId>,
    audio: &[u8],
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let inserted = super::unless_duplicate(conn, |conn| {
        diesel::insert_into(recordings::table)
            .values((
                recordings::provider_connection_id.eq(connection_id),
                recordings::conversation_id.eq(conversation_id),
                recordings::interaction_id.eq(interaction_id),
                recordings::content_type.eq("audio/mpeg"),
                recordings::audio.eq(audio),
                recordings::size_bytes.eq(audio.len() as i64),
                recordings::created_at.eq(now),
            ))
            .execute(conn)
    })?;
    Ok(inserted.is_some())
}

/// Links recordings that arrived before their call was known.
pub fn link(
    conn: &mut DbConnection,
    connection_id: ConnectionId,
    conversation_id: &str,
    interaction_id: InteractionId,
) -> QueryResult<usize> {
    diesel::update(
        recordings::table
            .filter(recordings::provider_connection_id.eq(connection_id))
            .filter(recordings::conversation_id.eq(conversation_id))
            .filter(recordings::interaction_id.is_null()),
    )
    .set(recordings::interaction_id.eq(interaction_id))
    .execute(conn)
}

/// The recording of a call: content type and bytes.
pub fn for_interaction(
    conn: &mut DbConnection,
    interaction_id: InteractionId,
) -> QueryResult<Option<(String, Vec<u8>)>> {
    recordings::table
        .filter(recordings::interaction_id.eq(interaction_id))
        .select((recordings::content_type, recordings::audio))
        .first(conn)
        .optional()
}

pub fn exists_for(conn: &mut DbConnection, interaction_id: InteractionId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(recordings::table.filter(recordings::interaction_id.eq(interaction_id))))
        .get_result(conn)
}
