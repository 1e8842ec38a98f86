//! The do-not-call list: numbers that must never be dialed, globally or for one campaign.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, suppression_entries};
use super::types::{BadRow, typed_row};
use crate::domain::phone::E164;
use crate::domain::suppression::SuppressionSource;
use crate::ids::{CampaignId, InteractionId, SuppressionId, UserId};

typed_row! {
    pub struct SuppressionRow from "suppression_entries" as SuppressionRowRaw {
        pub id: SuppressionId,
        pub phone: E164,
        pub campaign_id: Option<CampaignId>,
        pub campaign_name: Option<String>,
        pub reason: String,
        pub source: SuppressionSource,
        pub interaction_id: Option<InteractionId>,
        pub created_at: NaiveDateTime,
    }
}

pub struct NewEntry<'a> {
    pub phone: &'a E164,
    /// `None` for the global list.
    pub campaign_id: Option<CampaignId>,
    pub reason: &'a str,
    pub source: SuppressionSource,
    pub created_by: Option<UserId>,
    pub interaction_id: Option<InteractionId>,
}

/// Adds an entry; `false` when the number was already listed for that scope.
pub fn add(conn: &mut DbConnection, entry: &NewEntry<'_>, now: NaiveDateTime) -> QueryResult<bool> {
    // One entry per number and scope (unique index): already listed.
    let inserted = super::unless_duplicate(conn, |conn| {
        diesel::insert_into(suppression_entries::table)
            .values((
                suppression_entries::phone.eq(entry.phone.as_str()),
                suppression_entries::campaign_id.eq(entry.campaign_id),
                suppression_entries::reason.eq(entry.reason),
                suppression_entries::source.eq(entry.source.as_str()),
                suppression_entries::created_by.eq(entry.created_by),
                suppression_entries::interaction_id.eq(entry.interaction_id),
                suppression_entries::created_at.eq(now),
            ))
            .execute(conn)
    })?;
    Ok(inserted.is_some())
}

/// The entry that bars calling `phone` for `campaign_id`, global ones first.
pub fn blocking_entry(
    conn: &mut DbConnection,
    phone: &E164,
    campaign_id: CampaignId,
) -> QueryResult<Option<(String, Option<CampaignId>)>> {
    suppression_entries::table
        .filter(suppression_entries::phone.eq(phone.as_str()))
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
    before: Option<SuppressionId>,
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

pub fn find_phone(conn: &mut DbConnection, id: SuppressionId) -> QueryResult<E164> {
    let stored: String = suppression_entries::table.find(id).select(suppression_entries::phone).get_result(conn)?;
    E164::from_stored(stored).map_err(|problem| {
        diesel::result::Error::DeserializationError(BadRow::boxed(
            "suppression_entries",
            &id.to_string(),
            "phone",
            problem,
        ))
    })
}

pub fn delete(conn: &mut DbConnection, id: SuppressionId) -> QueryResult<usize> {
    diesel::delete(suppression_entries::table.find(id)).execute(conn)
}
