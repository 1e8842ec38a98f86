//! Figures for the dashboard.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, interactions};
use super::types::read_column;
use crate::domain::campaign::CampaignStatus;
use crate::domain::interaction::CallStatus;
use crate::domain::outcome::Outcome;
use crate::ids::CampaignId;

#[derive(Debug, Default)]
pub struct Summary {
    pub calls_since: i64,
    pub live_calls: i64,
    pub outcomes: Vec<(Outcome, i64)>,
    pub active_campaigns: Vec<(CampaignId, String)>,
    pub blocked_campaigns: Vec<(CampaignId, String, String)>,
    pub calls_to_review: i64,
}

pub fn summary(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<Summary> {
    let calls_since = interactions::table.filter(interactions::created_at.ge(since)).count().get_result(conn)?;
    let live_calls = interactions::table
        .filter(interactions::status.eq_any(CallStatus::names(&CallStatus::LIVE)))
        .count()
        .get_result(conn)?;
    let counted: Vec<(String, i64)> = interactions::table
        .filter(interactions::created_at.ge(since))
        .filter(interactions::outcome.is_not_null())
        .group_by(interactions::outcome)
        .select((interactions::outcome.assume_not_null(), count_star()))
        .order(count_star().desc())
        .load(conn)?;
    let outcomes = counted
        .into_iter()
        .map(|(code, count)| Ok((read_column::<Outcome>("interactions", "outcome", code)?, count)))
        .collect::<QueryResult<Vec<_>>>()?;
    let active_campaigns = campaigns::table
        .filter(campaigns::status.eq(CampaignStatus::Active.as_str()))
        .order(campaigns::name.asc())
        .select((campaigns::id, campaigns::name))
        .limit(20)
        .load(conn)?;
    let blocked_campaigns = campaigns::table
        .filter(campaigns::blocking_error_code.is_not_null())
        .filter(campaigns::status.ne(CampaignStatus::Archived.as_str()))
        .order(campaigns::name.asc())
        .select((campaigns::id, campaigns::name, campaigns::blocking_error_message.assume_not_null()))
        .limit(20)
        .load(conn)?;
    let calls_to_review =
        interactions::table.filter(interactions::status.eq(CallStatus::Unknown.as_str())).count().get_result(conn)?;
    Ok(Summary { calls_since, live_calls, outcomes, active_campaigns, blocked_campaigns, calls_to_review })
}
