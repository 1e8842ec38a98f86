//! Leads.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, interactions, leads};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = leads)]
pub struct Lead {
    pub id: i64,
    pub campaign_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub company: Option<String>,
    pub timezone: Option<String>,
    pub status: String,
    pub is_test: bool,
    pub custom_fields: String,
    pub consent_source: Option<String>,
    pub consent_at: Option<NaiveDateTime>,
    pub search_name: String,
    pub search_email: String,
    pub search_company: String,
    pub attempt_count: i32,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_contacted_at: Option<NaiveDateTime>,
    pub next_call_at: Option<NaiveDateTime>,
    pub needs_review: bool,
    pub deleted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Lead {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }

    /// Custom fields as a JSON object (an unreadable value counts as none).
    pub fn custom_map(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_str(&self.custom_fields) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Lead> {
    leads::table.find(id).select(Lead::as_select()).first(conn)
}

/// The most recently added live leads with their campaign's name, for pickers.
pub fn recent_with_campaign(
    conn: &mut DbConnection,
    limit: i64,
) -> QueryResult<Vec<(Lead, String)>> {
    leads::table
        .inner_join(campaigns::table)
        .filter(leads::deleted_at.is_null())
        .order(leads::id.desc())
        .limit(limit)
        .select((Lead::as_select(), campaigns::name))
        .load(conn)
}

/// An earlier completed call: when, its outcome, its summary.
pub type PreviousCall = (NaiveDateTime, Option<String>, Option<String>);

/// Earlier completed calls of a lead, newest first.
pub fn previous_calls(
    conn: &mut DbConnection,
    lead_id: i64,
    limit: i64,
) -> QueryResult<Vec<PreviousCall>> {
    interactions::table
        .filter(interactions::lead_id.eq(lead_id))
        .filter(interactions::status.eq("completed"))
        .order(interactions::id.desc())
        .limit(limit)
        .select((
            interactions::created_at,
            interactions::outcome,
            interactions::summary,
        ))
        .load(conn)
}

/// Completed conversations the lead had (for the contact type).
pub fn completed_conversations(conn: &mut DbConnection, lead_id: i64) -> QueryResult<i64> {
    interactions::table
        .filter(interactions::lead_id.eq(lead_id))
        .filter(interactions::status.eq("completed"))
        .count()
        .get_result(conn)
}

/// The newest live lead of a campaign, if any.
pub fn newest_in_campaign(conn: &mut DbConnection, campaign_id: i64) -> QueryResult<Option<i64>> {
    leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::deleted_at.is_null())
        .order(leads::id.desc())
        .select(leads::id)
        .first(conn)
        .optional()
}
