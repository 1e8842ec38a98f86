//! Server-side session rows. The cookie carries a random key; only its hash is stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::sessions;
use crate::ids::UserId;

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub state: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn find(conn: &mut DbConnection, key_hash: &str) -> QueryResult<Option<SessionRow>> {
    sessions::table.filter(sessions::key_hash.eq(key_hash)).select(SessionRow::as_select()).get_result(conn).optional()
}

pub fn insert(
    conn: &mut DbConnection,
    key_hash: &str,
    user_id: Option<UserId>,
    state: &str,
    created_at: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(key_hash),
            sessions::user_id.eq(user_id),
            sessions::state.eq(state),
            sessions::created_at.eq(created_at),
            sessions::expires_at.eq(expires_at),
        ))
        .execute(conn)
}

/// Replaces the state of a live session; 0 rows means it ended in the meantime.
pub fn update_state(
    conn: &mut DbConnection,
    key_hash: &str,
    user_id: Option<UserId>,
    state: &str,
    expires_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(sessions::table.filter(sessions::key_hash.eq(key_hash)))
        .set((sessions::user_id.eq(user_id), sessions::state.eq(state), sessions::expires_at.eq(expires_at)))
        .execute(conn)
}

/// Slides the idle expiry forward, skipping the write while the stored expiry is still
/// within `slack` of the new one (one write a minute instead of one per request).
pub fn extend(
    conn: &mut DbConnection,
    key_hash: &str,
    expires_at: NaiveDateTime,
    slack: chrono::Duration,
) -> QueryResult<usize> {
    diesel::update(
        sessions::table.filter(sessions::key_hash.eq(key_hash)).filter(sessions::expires_at.lt(expires_at - slack)),
    )
    .set(sessions::expires_at.eq(expires_at))
    .execute(conn)
}

pub fn delete(conn: &mut DbConnection, key_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::key_hash.eq(key_hash))).execute(conn)
}

/// Ends every session of a user (logout everywhere, disable, password change).
pub fn delete_for_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)
}

pub fn count_for_user(conn: &mut DbConnection, user_id: UserId) -> QueryResult<i64> {
    sessions::table.filter(sessions::user_id.eq(user_id)).count().get_result(conn)
}

/// Removes sessions past their idle expiry or created before `created_before`.
pub fn delete_expired(
    conn: &mut DbConnection,
    now: NaiveDateTime,
    created_before: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.lt(now).or(sessions::created_at.lt(created_before))))
        .execute(conn)
}
