//! The installation's one row: the key check value.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::installation;

const THE_ROW: i32 = 1;

/// The stored key check, if the database has one yet.
pub fn key_check(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    installation::table.find(THE_ROW).select(installation::key_check).get_result(conn).optional()
}

/// Stores the key check unless one is there already (another instance may have been first).
pub fn record_key_check(conn: &mut DbConnection, sealed: &str, now: NaiveDateTime) -> QueryResult<()> {
    let row = (installation::id.eq(THE_ROW), installation::key_check.eq(sealed), installation::created_at.eq(now));
    // ON CONFLICT is not available through the multi-backend connection.
    match conn {
        DbConnection::Sqlite(c) => {
            diesel::insert_into(installation::table).values(row).on_conflict_do_nothing().execute(c)
        }
        DbConnection::Pg(c) => diesel::insert_into(installation::table).values(row).on_conflict_do_nothing().execute(c),
    }?;
    Ok(())
}
