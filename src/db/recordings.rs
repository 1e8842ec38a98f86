//! Call recordings delivered by the provider (`post_call_audio`).

use diesel::prelude::*;

use super::DbConnection;
use super::schema::recordings;
use crate::ids::{ConnectionId, InteractionId};
use chrono::NaiveDateTime;

/// The type of a recording's bytes: ElevenLabs sends MP3; a WAV file (the demo's
/// simulator sends one) is served as what it is.
fn content_type(audio: &[u8]) -> &'static str {
    if audio.starts_with(b"RIFF") && audio.get(8..12) == Some(b"WAVE") { "audio/wav" } else { "audio/mpeg" }
}

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
                recordings::content_type.eq(content_type(audio)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wav_files_are_told_from_mp3() {
        assert_eq!(content_type(b"RIFF\x24\0\0\0WAVEfmt "), "audio/wav");
        assert_eq!(content_type(b"ID3\x04\0\0"), "audio/mpeg");
        assert_eq!(content_type(b"RIFF"), "audio/mpeg", "too short to be a WAV file");
    }
}
