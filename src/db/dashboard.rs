//! Figures for the dashboard.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::DbConnection;
use super::problems::Problem;
use super::schema::{campaign_dialer_rules, campaigns, interactions, pipeline_runs};
use super::types::read_column;
use crate::domain::campaign::CampaignStatus;
use crate::domain::interaction::CallStatus;
use crate::domain::outcome::Outcome;
use crate::domain::pipeline::RunStatus;
use crate::ids::{CampaignId, InteractionId};

#[derive(Debug, Default)]
pub struct Summary {
    pub calls_since: i64,
    pub live_calls: i64,
    pub outcomes: Vec<(Outcome, i64)>,
    pub active_campaigns: Vec<ActiveCampaign>,
    pub blocked_campaigns: Vec<(CampaignId, String, String)>,
    /// Campaigns whose dialer paused itself, with why; a person resumes them.
    pub paused_campaigns: Vec<(CampaignId, String, String)>,
    pub calls_to_review: i64,
    /// Webhook events that kept failing and wait for an admin's "Retry now".
    pub parked_webhooks: i64,
    /// Calls whose latest pipeline run failed: the most recent, and how many in all.
    pub failed_runs: Vec<FailedRun>,
    pub failed_runs_total: i64,
    /// What voxdial met while working on its own (inbound calls it could not route …).
    pub problems: Vec<Problem>,
}

/// An active campaign with its dialer as stored (no rules row until they are first saved).
#[derive(Debug)]
pub struct ActiveCampaign {
    pub id: CampaignId,
    pub name: String,
    pub dialer_on: bool,
    pub paused_reason: Option<String>,
    pub blocking_error: Option<String>,
    pub in_flight: i64,
}

/// A call whose latest pipeline run failed (a newer run, such as a rerun, supersedes it).
#[derive(Debug, Queryable)]
pub struct FailedRun {
    pub interaction_id: InteractionId,
    pub version: i32,
    pub error: Option<String>,
    pub failed_at: NaiveDateTime,
}

/// Where a campaign's dialer stands, decided in the order the dialer itself checks.
#[derive(Debug, PartialEq, Eq)]
pub enum DialerStatus<'a> {
    Off,
    Running,
    /// The circuit breaker paused it until a person resumes it.
    Paused(&'a str),
    /// On, but a configuration problem stops calling.
    Blocked(&'a str),
}

impl ActiveCampaign {
    pub fn dialer(&self) -> DialerStatus<'_> {
        match (&self.paused_reason, &self.blocking_error) {
            _ if !self.dialer_on => DialerStatus::Off,
            (Some(reason), _) => DialerStatus::Paused(reason),
            (None, Some(problem)) => DialerStatus::Blocked(problem),
            (None, None) => DialerStatus::Running,
        }
    }
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
    let active_campaigns = active_campaigns(conn)?;
    let blocked_campaigns = campaigns::table
        .filter(campaigns::blocking_error_code.is_not_null())
        .filter(campaigns::status.ne(CampaignStatus::Archived.as_str()))
        .order(campaigns::name.asc())
        .select((campaigns::id, campaigns::name, campaigns::blocking_error_message.assume_not_null()))
        .limit(20)
        .load(conn)?;
    let paused_campaigns = campaigns::table
        .inner_join(campaign_dialer_rules::table)
        .filter(campaigns::status.ne(CampaignStatus::Archived.as_str()))
        .filter(campaign_dialer_rules::enabled.eq(true))
        .filter(campaign_dialer_rules::paused_reason.is_not_null())
        .order(campaigns::name.asc())
        .select((campaigns::id, campaigns::name, campaign_dialer_rules::paused_reason.assume_not_null()))
        .limit(20)
        .load(conn)?;
    let calls_to_review =
        interactions::table.filter(interactions::status.eq(CallStatus::Unknown.as_str())).count().get_result(conn)?;
    let parked_webhooks = super::webhook_events::count_parked(conn)?;
    let (failed_runs, failed_runs_total) = failed_runs(conn, 10)?;
    let problems = super::problems::open(conn, 10)?;
    Ok(Summary {
        calls_since,
        live_calls,
        outcomes,
        active_campaigns,
        blocked_campaigns,
        paused_campaigns,
        calls_to_review,
        parked_webhooks,
        failed_runs,
        failed_runs_total,
        problems,
    })
}

diesel::alias!(pipeline_runs as later_runs: LaterRuns);

/// Calls whose latest run failed, most recent first (failed runs are few: the status index
/// finds them, and the (call, version) key answers whether a newer run exists).
fn failed_runs(conn: &mut DbConnection, limit: i64) -> QueryResult<(Vec<FailedRun>, i64)> {
    let superseded = diesel::dsl::exists(
        later_runs
            .filter(later_runs.field(pipeline_runs::interaction_id).eq(pipeline_runs::interaction_id))
            .filter(later_runs.field(pipeline_runs::version).gt(pipeline_runs::version)),
    );
    let latest_failed = || {
        pipeline_runs::table
            .filter(pipeline_runs::status.eq(RunStatus::Failed.as_str()))
            .filter(diesel::dsl::not(superseded))
    };
    let runs = latest_failed()
        .order(pipeline_runs::id.desc())
        .select((
            pipeline_runs::interaction_id,
            pipeline_runs::version,
            pipeline_runs::error,
            pipeline_runs::updated_at,
        ))
        .limit(limit)
        .load(conn)?;
    Ok((runs, latest_failed().count().get_result(conn)?))
}

/// The first 20 active campaigns by name, each with its dialer and its calls in flight (two
/// queries: the campaigns with their dialer rows, then the live calls of just those).
fn active_campaigns(conn: &mut DbConnection) -> QueryResult<Vec<ActiveCampaign>> {
    type Row = (CampaignId, String, Option<String>, Option<bool>, Option<String>);
    let rows: Vec<Row> = campaigns::table
        .left_join(campaign_dialer_rules::table)
        .filter(campaigns::status.eq(CampaignStatus::Active.as_str()))
        .order(campaigns::name.asc())
        .select((
            campaigns::id,
            campaigns::name,
            campaigns::blocking_error_message,
            campaign_dialer_rules::enabled.nullable(),
            campaign_dialer_rules::paused_reason.nullable(),
        ))
        .limit(20)
        .load(conn)?;
    let ids: Vec<CampaignId> = rows.iter().map(|row| row.0).collect();
    let live: Vec<(CampaignId, i64)> = interactions::table
        .filter(interactions::campaign_id.eq_any(&ids))
        .filter(interactions::status.eq_any(CallStatus::names(&CallStatus::LIVE)))
        .group_by(interactions::campaign_id)
        .select((interactions::campaign_id, count_star()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, name, blocking_error, enabled, paused_reason)| ActiveCampaign {
            id,
            name,
            dialer_on: enabled.unwrap_or(false),
            paused_reason,
            blocking_error,
            in_flight: live.iter().find(|(campaign, _)| *campaign == id).map_or(0, |(_, n)| *n),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn campaign(dialer_on: bool, paused: Option<&str>, blocked: Option<&str>) -> ActiveCampaign {
        ActiveCampaign {
            id: CampaignId::new(1),
            name: "Spring".into(),
            dialer_on,
            paused_reason: paused.map(str::to_owned),
            blocking_error: blocked.map(str::to_owned),
            in_flight: 0,
        }
    }

    #[test]
    fn r_dial_view_the_dialer_state_follows_the_dialers_own_order() {
        assert_eq!(campaign(false, Some("tripped"), Some("no agent")).dialer(), DialerStatus::Off);
        assert_eq!(campaign(true, Some("tripped"), Some("no agent")).dialer(), DialerStatus::Paused("tripped"));
        assert_eq!(campaign(true, None, Some("no agent")).dialer(), DialerStatus::Blocked("no agent"));
        assert_eq!(campaign(true, None, None).dialer(), DialerStatus::Running);
    }
}
