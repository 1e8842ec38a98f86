//! Login attempts, for throttling and for the record.

use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::login_attempts;

/// Serialises counting and recording attempts, so that parallel guesses cannot all pass
/// the same count (SQLite write transactions are serial already).
pub fn lock_for_counting(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("LOCK TABLE login_attempts IN SHARE ROW EXCLUSIVE MODE").execute(pg)?;
    }
    Ok(())
}

/// Records an attempt as failed until [`mark_succeeded`] says otherwise: an attempt counts
/// from the moment it is made, before its password is looked at.
pub fn record_failed(conn: &mut DbConnection, email: &str, client_ip: &str, now: NaiveDateTime) -> QueryResult<i64> {
    let row = (
        login_attempts::email.eq(email),
        login_attempts::client_ip.eq(client_ip),
        login_attempts::succeeded.eq(false),
        login_attempts::attempted_at.eq(now),
    );
    // RETURNING is not available through the multi-backend connection.
    match conn {
        DbConnection::Sqlite(c) => {
            diesel::insert_into(login_attempts::table).values(row).returning(login_attempts::id).get_result(c)
        }
        DbConnection::Pg(c) => {
            diesel::insert_into(login_attempts::table).values(row).returning(login_attempts::id).get_result(c)
        }
    }
}

pub fn mark_succeeded(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::update(login_attempts::table.find(id)).set(login_attempts::succeeded.eq(true)).execute(conn)
}

/// Failures for this account since `since` and since its last successful login.
pub fn recent_failures_for_email(conn: &mut DbConnection, email: &str, since: NaiveDateTime) -> QueryResult<i64> {
    let last_success: Option<NaiveDateTime> = login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(true))
        .filter(login_attempts::attempted_at.ge(since))
        .select(max(login_attempts::attempted_at))
        .get_result(conn)?;
    login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.ge(last_success.unwrap_or(since).max(since)))
        .count()
        .get_result(conn)
}

pub fn recent_failures_for_ip(conn: &mut DbConnection, client_ip: &str, since: NaiveDateTime) -> QueryResult<i64> {
    login_attempts::table
        .filter(login_attempts::client_ip.eq(client_ip))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.ge(since))
        .count()
        .get_result(conn)
}

pub fn delete_older_than(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_attempts::table.filter(login_attempts::attempted_at.lt(before))).execute(conn)
}
