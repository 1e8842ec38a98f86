//! The do-not-call list: numbers that must never be dialed, globally or for one campaign.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, suppression_entries};

#[derive(Debug, Clone, Queryable)]
pub struct SuppressionRow {
    pub id: i64,
    pub phone: String,
    pub campaign_id: Option<i64>,
    pub campaign_name: Option<String>,
    pub reason: String,
    pub source: String,
    pub interaction_id: Option<i64>,
    pub created_at: NaiveDateTime,
}

pub struct NewEntry<'a> {
    pub phone: &'a str,
    /// `None` for the global list.
    pub campaign_id: Option<i64>,
    pub reason: &'a str,
    /// `manual`, `opt_out` or `import`.
    pub source: &'a str,
    pub created_by: Option<i64>,
    pub interaction_id: Option<i64>,
}

/// Adds an entry; `false` when the number was already listed for that scope.
pub fn add(conn: &mut DbConnection, entry: &NewEntry<'_>) -> QueryResult<bool> {
    // One entry per number and scope (unique index): already listed.
    let inserted = super::unless_duplicate(conn, |conn| {
        diesel::insert_into(suppression_entries::table)
            .values((
                suppression_entries::phone.eq(entry.phone),
                suppression_entries::campaign_id.eq(entry.campaign_id),
                suppression_entries::reason.eq(entry.reason),
                suppression_entries::source.eq(entry.source),
                suppression_entries::created_by.eq(entry.created_by),
                suppression_entries::interaction_id.eq(entry.interaction_id),
                suppression_entries::created_at.eq(super::now()),
            ))
            .execute(conn)
    })?;
    Ok(inserted.is_some())
}

/// The entry that bars calling `phone` for `campaign_id`, global ones first.
pub fn blocking_entry(
    conn: &mut DbConnection,
    phone: &str,
    campaign_id: i64,
) -> QueryResult<Option<(String, Option<i64>)>> {
    suppression_entries::table
        .filter(suppression_entries::phone.eq(phone))
        .filter(suppression_entries::campaign_id.is_null().or(suppression_entries::campaign_id.eq(campaign_id)))
        .order(suppression_entries::campaign_id.asc())
        .select((suppression_entries::reason, suppression_entries::campaign_id))
        .first(conn)
        .optional()
}

/// A page of entries, newest first; `phone_prefix` narrows it.
pub fn page(
    conn: &mut DbConnection,
    phone_prefix: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<SuppressionRow>> {
    let mut query = suppression_entries::table
        .left_join(campaigns::table)
        .select((
            suppression_entries::id,
            suppression_entries::phone,
            suppression_entries::campaign_id,
            campaigns::name.nullable(),
            suppression_entries::reason,
            suppression_entries::source,
            suppression_entries::interaction_id,
            suppression_entries::created_at,
        ))
        .into_boxed();
    if let Some(prefix) = phone_prefix {
        query = query
            .filter(suppression_entries::phone.like(format!("{}%", super::agents::escape_like(prefix))).escape('\\'));
    }
    if let Some(before) = before {
        query = query.filter(suppression_entries::id.lt(before));
    }
    query.order(suppression_entries::id.desc()).limit(limit).load(conn)
}

pub fn find_phone(conn: &mut DbConnection, id: i64) -> QueryResult<String> {
    suppression_entries::table.find(id).select(suppression_entries::phone).get_result(conn)
}

pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<usize> {
    diesel::delete(suppression_entries::table.find(id)).execute(conn)
}
