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
    /// Calls the pipeline scored at least this.
    pub min_score: Option<i32>,
    /// Calls whose latest pipeline run extracted this value for this field.
    pub extracted: Option<(String, serde_json::Value)>,
    /// Scored calls, best first, instead of all calls newest first.
    pub best_score_first: bool,
}

/// Where a page of the call list continues: below this call (and, best score first, this
/// score).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallCursor {
    pub score: Option<i32>,
    pub id: InteractionId,
}

impl std::fmt::Display for CallCursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.score {
            Some(score) => write!(f, "{score}-{}", self.id),
            None => write!(f, "{}", self.id),
        }
    }
}

impl std::str::FromStr for CallCursor {
    type Err = ();

    fn from_str(input: &str) -> Result<Self, ()> {
        match input.split_once('-') {
            Some((score, id)) => {
                Ok(CallCursor { score: Some(score.parse().map_err(drop)?), id: id.parse().map_err(drop)? })
            }
            None => Ok(CallCursor { score: None, id: input.parse().map_err(drop)? }),
        }
    }
}

/// `LIKE` patterns matching `"name":value` in the stored JSON of extracted values.
fn extracted_patterns(name: &str, value: &serde_json::Value) -> [String; 2] {
    let escape = |text: &str| text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    let pair = escape(&format!("{}:{value}", serde_json::Value::from(name)));
    [format!("%{pair},%"), format!("%{pair}}}")]
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
        pub score: Option<i32>,
        pub summary: Option<String>,
        /// The latest pipeline run's found values (JSON).
        pub extracted: Option<String>,
    }
}

/// A page of calls after `before`: newest first (keyset on id), or best score first (keyset
/// on score and id).
pub fn page(
    conn: &mut DbConnection,
    filter: &CallFilter,
    before: Option<CallCursor>,
    size: i64,
) -> QueryResult<Vec<CallRow>> {
    // Left joins, though every call has a lead and a campaign: they keep the calls the outer
    // loop, so SQLite walks the index that gives the page's order and stops at the page's
    // end, rather than sorting a whole campaign's calls when its statistics tempt it to start
    // from the small campaigns table (the page size is a bound parameter it cannot see).
    let mut query = interactions::table
        .left_join(leads::table)
        .left_join(campaigns::table)
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
            leads::first_name.nullable().assume_not_null(),
            leads::last_name.nullable().assume_not_null(),
            leads::phone.nullable().assume_not_null(),
            interactions::campaign_id,
            campaigns::name.nullable().assume_not_null(),
            voice_agents::name.nullable(),
            interactions::score,
            interactions::summary,
            interactions::extracted,
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
    if let Some(min) = filter.min_score {
        query = query.filter(interactions::score.ge(min));
    }
    if let Some((name, value)) = &filter.extracted {
        let [inside, last] = extracted_patterns(name, value);
        query = query.filter(
            interactions::extracted.like(inside).escape('\\').or(interactions::extracted.like(last).escape('\\')),
        );
    }
    if !filter.best_score_first {
        if let Some(before) = before {
            query = query.filter(interactions::id.lt(before.id));
        }
        return query.order(interactions::id.desc()).limit(size).load(conn);
    }
    query = query.filter(interactions::score.is_not_null());
    if let Some(CallCursor { score: Some(score), id }) = before {
        query =
            query.filter(interactions::score.lt(score).or(interactions::score.eq(score).and(interactions::id.lt(id))));
    }
    query.order((interactions::score.desc(), interactions::id.desc())).limit(size).load(conn)
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
