//! Figures for the dashboard.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, interactions};

#[derive(Debug, Default)]
pub struct Summary {
    pub calls_since: i64,
    pub live_calls: i64,
    pub outcomes: Vec<(String, i64)>,
    pub active_campaigns: Vec<(i64, String)>,
    pub blocked_campaigns: Vec<(i64, String, String)>,
    pub calls_to_review: i64,
}

pub fn summary(conn: &mut DbConnection, since: NaiveDateTime) -> QueryResult<Summary> {
    let calls_since = interactions::table.filter(interactions::created_at.ge(since)).count().get_result(conn)?;
    let live_calls =
        interactions::table.filter(interactions::status.eq_any(["dialing", "in_progress"])).count().get_result(conn)?;
    let outcomes = interactions::table
        .filter(interactions::created_at.ge(since))
        .filter(interactions::outcome.is_not_null())
        .group_by(interactions::outcome)
        .select((interactions::outcome.assume_not_null(), count_star()))
        .order(count_star().desc())
        .load(conn)?;
    let active_campaigns = campaigns::table
        .filter(campaigns::status.eq("active"))
        .order(campaigns::name.asc())
        .select((campaigns::id, campaigns::name))
        .limit(20)
        .load(conn)?;
    let blocked_campaigns = campaigns::table
        .filter(campaigns::blocking_error_code.is_not_null())
        .filter(campaigns::status.ne("archived"))
        .order(campaigns::name.asc())
        .select((campaigns::id, campaigns::name, campaigns::blocking_error_message.assume_not_null()))
        .limit(20)
        .load(conn)?;
    let calls_to_review = interactions::table.filter(interactions::status.eq("unknown")).count().get_result(conn)?;
    Ok(Summary { calls_since, live_calls, outcomes, active_campaigns, blocked_campaigns, calls_to_review })
}
