//! Leases for background work only one instance should do at a time.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::worker_leases;

/// Takes (or renews) the lease `name` for `holder` until `until`, if it is free, expired, or
/// already held by `holder`. Call inside a write transaction.
pub fn try_acquire(
    conn: &mut DbConnection,
    name: &str,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(
        worker_leases::table.find(name).filter(worker_leases::expires_at.lt(now).or(worker_leases::holder.eq(holder))),
    )
    .set((worker_leases::holder.eq(holder), worker_leases::expires_at.eq(until)))
    .execute(conn)?;
    if taken == 1 {
        return Ok(true);
    }
    let exists: i64 = worker_leases::table.filter(worker_leases::name.eq(name)).count().get_result(conn)?;
    if exists > 0 {
        return Ok(false);
    }
    let inserted = super::unless_duplicate(conn, |conn| {
        diesel::insert_into(worker_leases::table)
            .values((
                worker_leases::name.eq(name),
                worker_leases::holder.eq(holder),
                worker_leases::expires_at.eq(until),
            ))
            .execute(conn)
    })?;
    Ok(inserted.is_some())
}
