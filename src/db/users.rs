//! Team members.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::users;
use super::types::typed_row;
use crate::domain::user::{Email, NO_PASSWORD_HASH, PersonName, Role};
use crate::ids::UserId;
use chrono_tz::Tz;

typed_row! {
    pub struct User in users as UserRaw {
        pub id: UserId,
        pub email: Email,
        pub name: String,
        pub password_hash: String,
        pub role: Role,
        pub disabled: bool,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
        /// The zone the user reads times in; `None` until they have one (the workspace's).
        pub timezone: Option<Tz>,
    }
}

impl User {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// False for a member who was invited and has not set a password yet.
    pub fn has_password(&self) -> bool {
        self.password_hash != NO_PASSWORD_HASH
    }
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// The active admins (enabled, with a password: an admin still invited cannot log in yet),
/// locked until the caller's transaction ends: two admins demoting or disabling each other at
/// once are taken one after the other on PostgreSQL, where the second sees the first's change
/// (SQLite's `BEGIN IMMEDIATE` serialises writers already).
pub fn lock_active_admins(conn: &mut DbConnection) -> QueryResult<Vec<UserId>> {
    let active_admins = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .filter(users::disabled.eq(false))
        .filter(users::password_hash.ne(NO_PASSWORD_HASH));
    match conn {
        DbConnection::Pg(pg) => active_admins.select(users::id).for_update().load(pg),
        DbConnection::Sqlite(_) => active_admins.select(users::id).load(conn),
    }
}

/// On PostgreSQL, blocks other first-admin setups until the caller's transaction ends
/// (SQLite's `BEGIN IMMEDIATE` already serialises writers).
pub fn lock_for_first_setup(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(pg)?;
    }
    Ok(())
}

pub fn insert(
    conn: &mut DbConnection,
    email: &Email,
    name: &PersonName,
    password_hash: &str,
    role: Role,
    now: NaiveDateTime,
) -> QueryResult<UserId> {
    diesel::insert_into(users::table)
        .values((
            users::email.eq(email.as_str()),
            users::name.eq(name.as_str()),
            users::password_hash.eq(password_hash),
            users::role.eq(role.as_str()),
            users::disabled.eq(false),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .returning(users::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: UserId) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).get_result(conn)
}

pub fn find_by_email(conn: &mut DbConnection, email: &Email) -> QueryResult<Option<User>> {
    users::table.filter(users::email.eq(email.as_str())).select(User::as_select()).get_result(conn).optional()
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table.order((users::disabled.asc(), users::name.asc(), users::id.asc())).select(User::as_select()).load(conn)
}

pub fn set_role(conn: &mut DbConnection, id: UserId, role: Role, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set((users::role.eq(role.as_str()), users::updated_at.eq(now))).execute(conn)
}

pub fn set_disabled(conn: &mut DbConnection, id: UserId, disabled: bool, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set((users::disabled.eq(disabled), users::updated_at.eq(now))).execute(conn)
}

pub fn set_password_hash(conn: &mut DbConnection, id: UserId, hash: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id)).set((users::password_hash.eq(hash), users::updated_at.eq(now))).execute(conn)
}

pub fn set_timezone(conn: &mut DbConnection, id: UserId, zone: Tz, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::timezone.eq(zone.name()), users::updated_at.eq(now)))
        .execute(conn)
}

/// Sets the zone of a user who has none yet (their browser's, at login).
pub fn set_timezone_if_unset(conn: &mut DbConnection, id: UserId, zone: Tz, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(users::table.find(id).filter(users::timezone.is_null()))
        .set((users::timezone.eq(zone.name()), users::updated_at.eq(now)))
        .execute(conn)
}
