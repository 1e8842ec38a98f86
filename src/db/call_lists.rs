//! Call lists: a lead's timeline and the filtered call list, keyset-paged on the id.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, interactions, leads, voice_agents};
use super::types::typed_row;
use crate::domain::interaction::{CallStatus, Direction};
use crate::domain::outcome::Outcome;
use crate::domain::phone::E164;
use crate::ids::{AgentId, CampaignId, InteractionId, LeadId};

typed_row! {
    /// A lead's calls, newest first.
    pub struct TimelineEntry in interactions as TimelineEntryRaw {
        pub id: InteractionId,
        pub direction: Direction,
        pub status: CallStatus,
        pub outcome: Option<Outcome>,
        pub error_code: Option<String>,
        pub duration_secs: Option<i32>,
        pub summary: Option<String>,
        pub created_at: NaiveDateTime,
    }
}

pub fn timeline(conn: &mut DbConnection, lead_id: LeadId, limit: i64) -> QueryResult<Vec<TimelineEntry>> {
    interactions::table
        .filter(interactions::lead_id.eq(lead_id))
        .order(interactions::id.desc())
        .limit(limit)
        .select(TimelineEntry::as_select())
        .load(conn)
}

/// Filters for the call list.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub campaign_id: Option<CampaignId>,
    pub agent_id: Option<AgentId>,
    pub outcome: Option<Outcome>,
    pub status: Option<CallStatus>,
    /// Only calls still live (dialing or in progress), as the dashboard counts them.
    pub live_only: bool,
    pub direction: Option<Direction>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

typed_row! {
    /// A row of the call list.
    pub struct CallRow from "interactions" as CallRowRaw {
        pub id: InteractionId,
        pub created_at: NaiveDateTime,
        pub direction: Direction,
        pub status: CallStatus,
        pub outcome: Option<Outcome>,
        pub error_code: Option<String>,
        pub duration_secs: Option<i32>,
        pub lead_id: LeadId,
        pub lead_first_name: String,
        pub lead_last_name: String,
        /// The lead's number, whichever way the call went.
        pub lead_phone: E164,
        pub campaign_id: CampaignId,
        pub campaign_name: String,
        pub agent_name: Option<String>,
    }
}

/// A page of calls, newest first, after `before` (keyset on id).
pub fn page(
    conn: &mut DbConnection,
    filter: &CallFilter,
    before: Option<InteractionId>,
    size: i64,
) -> QueryResult<Vec<CallRow>> {
    let mut query = interactions::table
        .inner_join(leads::table)
        .inner_join(campaigns::table)
        .left_join(voice_agents::table)
        .select((
            interactions::id,
            interactions::created_at,
            interactions::direction,
            interactions::status,
            interactions::outcome,
            interactions::error_code,
            interactions::duration_secs,
            interactions::lead_id,
            leads::first_name,
            leads::last_name,
            leads::phone,
            interactions::campaign_id,
            campaigns::name,
            voice_agents::name.nullable(),
        ))
        .into_boxed();
    if let Some(id) = filter.campaign_id {
        query = query.filter(interactions::campaign_id.eq(id));
    }
    if let Some(id) = filter.agent_id {
        query = query.filter(interactions::voice_agent_id.eq(id));
    }
    if let Some(outcome) = filter.outcome {
        query = query.filter(interactions::outcome.eq(outcome.as_str()));
    }
    if let Some(status) = filter.status {
        query = query.filter(interactions::status.eq(status.as_str()));
    }
    if filter.live_only {
        query = query.filter(interactions::status.eq_any(CallStatus::names(&CallStatus::LIVE)));
    }
    if let Some(direction) = filter.direction {
        query = query.filter(interactions::direction.eq(direction.as_str()));
    }
    if let Some(from) = filter.from {
        query = query.filter(interactions::created_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(interactions::created_at.lt(until));
    }
    if let Some(before) = before {
        query = query.filter(interactions::id.lt(before));
    }
    query.order(interactions::id.desc()).limit(size).load(conn)
}

/// The campaign's last `limit` finished calls, newest first.
pub fn campaign_recent(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    limit: i64,
) -> QueryResult<Vec<TimelineEntry>> {
    interactions::table
        .filter(interactions::campaign_id.eq(campaign_id))
        .filter(interactions::status.ne_all(CallStatus::names(&CallStatus::LIVE)))
        .order(interactions::id.desc())
        .limit(limit)
        .select(TimelineEntry::as_select())
        .load(conn)
}
