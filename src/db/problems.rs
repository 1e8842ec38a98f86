//! Problems voxdial met while working on its own (an inbound call it could not route, a
//! template that failed for a caller …): one open row per distinct problem, counted, for the
//! dashboard.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::problems;
use super::types::typed_row;
use crate::domain::codes::codes;
use crate::ids::{CampaignId, ConnectionId, ProblemId};

codes! {
    pub enum ProblemKind {
        InboundUnrouted => "inbound_unrouted", "Inbound call not routed";
        InboundRender => "inbound_render", "Inbound prompt failed";
        InboundLookup => "inbound_lookup", "Inbound lookup failed";
    }
}

typed_row! {
    pub struct Problem in problems as ProblemRaw {
        pub id: ProblemId,
        pub kind: ProblemKind,
        pub provider_connection_id: Option<ConnectionId>,
        pub campaign_id: Option<CampaignId>,
        pub message: String,
        pub occurrences: i32,
        pub first_at: NaiveDateTime,
        pub last_at: NaiveDateTime,
    }
}

/// Records a problem: counts one more occurrence of the same open problem, or opens it.
pub fn record(
    conn: &mut DbConnection,
    kind: ProblemKind,
    connection_id: Option<ConnectionId>,
    campaign_id: Option<CampaignId>,
    message: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let mut same = problems::table
        .filter(problems::kind.eq(kind.as_str()))
        .filter(problems::message.eq(message))
        .filter(problems::resolved_at.is_null())
        .select(problems::id)
        .into_boxed();
    same = match connection_id {
        Some(id) => same.filter(problems::provider_connection_id.eq(id)),
        None => same.filter(problems::provider_connection_id.is_null()),
    };
    same = match campaign_id {
        Some(id) => same.filter(problems::campaign_id.eq(id)),
        None => same.filter(problems::campaign_id.is_null()),
    };
    let open: Option<ProblemId> = same.first(conn).optional()?;
    if let Some(id) = open {
        diesel::update(problems::table.find(id))
            .set((problems::occurrences.eq(problems::occurrences + 1), problems::last_at.eq(now)))
            .execute(conn)?;
    } else {
        diesel::insert_into(problems::table)
            .values((
                problems::kind.eq(kind.as_str()),
                problems::provider_connection_id.eq(connection_id),
                problems::campaign_id.eq(campaign_id),
                problems::message.eq(message),
                problems::first_at.eq(now),
                problems::last_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Open problems, most recent first.
pub fn open(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<Problem>> {
    problems::table
        .filter(problems::resolved_at.is_null())
        .order(problems::last_at.desc())
        .limit(limit)
        .select(Problem::as_select())
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: ProblemId) -> QueryResult<Problem> {
    problems::table.find(id).select(Problem::as_select()).first(conn)
}

/// A person dismisses a problem they dealt with.
pub fn resolve(conn: &mut DbConnection, id: ProblemId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(problems::table.find(id).filter(problems::resolved_at.is_null()))
        .set(problems::resolved_at.eq(now))
        .execute(conn)
}

/// Closes the connection's open problems of a kind, once what caused them changed.
pub fn resolve_kind(
    conn: &mut DbConnection,
    kind: ProblemKind,
    connection_id: ConnectionId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        problems::table
            .filter(problems::kind.eq(kind.as_str()))
            .filter(problems::provider_connection_id.eq(connection_id))
            .filter(problems::resolved_at.is_null()),
    )
    .set(problems::resolved_at.eq(now))
    .execute(conn)
}
