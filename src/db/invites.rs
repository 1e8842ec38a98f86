//! One-time invite links with which a member sets their own password. Only the SHA-256 of a
//! link's token is stored; the token itself is shown once to the admin who issued it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::user_invites;
use crate::ids::{InviteId, UserId};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = user_invites)]
pub struct Invite {
    pub id: InviteId,
    pub user_id: UserId,
    pub created_by: Option<UserId>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub accepted_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
}

/// Where an invite stands at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteState {
    /// Can be used to set a password.
    Open,
    Expired,
    Accepted,
    Revoked,
}

impl Invite {
    pub fn state(&self, now: NaiveDateTime) -> InviteState {
        match (self.accepted_at, self.revoked_at) {
            (Some(_), _) => InviteState::Accepted,
            (None, Some(_)) => InviteState::Revoked,
            (None, None) if self.expires_at <= now => InviteState::Expired,
            (None, None) => InviteState::Open,
        }
    }
}

pub fn insert(
    conn: &mut DbConnection,
    user_id: UserId,
    token_hash: &str,
    created_by: Option<UserId>,
    now: NaiveDateTime,
    expires_at: NaiveDateTime,
) -> QueryResult<InviteId> {
    diesel::insert_into(user_invites::table)
        .values((
            user_invites::user_id.eq(user_id),
            user_invites::token_hash.eq(token_hash),
            user_invites::created_by.eq(created_by),
            user_invites::created_at.eq(now),
            user_invites::expires_at.eq(expires_at),
        ))
        .returning(user_invites::id)
        .get_result(conn)
}

pub fn find_by_token_hash(conn: &mut DbConnection, token_hash: &str) -> QueryResult<Option<Invite>> {
    user_invites::table
        .filter(user_invites::token_hash.eq(token_hash))
        .select(Invite::as_select())
        .get_result(conn)
        .optional()
}

/// Marks an invite used if it is still open at `now`; 0 rows means it was used, revoked or
/// expired in the meantime (so a link works once, even for two submissions at the same time).
pub fn accept(conn: &mut DbConnection, id: InviteId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        user_invites::table
            .find(id)
            .filter(user_invites::accepted_at.is_null())
            .filter(user_invites::revoked_at.is_null())
            .filter(user_invites::expires_at.gt(now)),
    )
    .set(user_invites::accepted_at.eq(now))
    .execute(conn)
}

/// Revokes the member's open invite (expired or not); returns how many were open (0 or 1).
pub fn revoke_open(conn: &mut DbConnection, user_id: UserId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        user_invites::table
            .filter(user_invites::user_id.eq(user_id))
            .filter(user_invites::accepted_at.is_null())
            .filter(user_invites::revoked_at.is_null()),
    )
    .set(user_invites::revoked_at.eq(now))
    .execute(conn)
}

/// Every invite neither accepted nor revoked (those past their expiry too), oldest first.
pub fn open(conn: &mut DbConnection) -> QueryResult<Vec<Invite>> {
    user_invites::table
        .filter(user_invites::accepted_at.is_null())
        .filter(user_invites::revoked_at.is_null())
        .order(user_invites::id.asc())
        .select(Invite::as_select())
        .load(conn)
}
