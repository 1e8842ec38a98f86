//! Login attempts, for throttling and for the record.

use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::login_attempts;

pub fn record(
    conn: &mut DbConnection,
    email: &str,
    client_ip: &str,
    succeeded: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::email.eq(email),
            login_attempts::client_ip.eq(client_ip),
            login_attempts::succeeded.eq(succeeded),
            login_attempts::attempted_at.eq(now),
        ))
        .execute(conn)
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
