//! Analytics figures (R-ANALYTICS), read from the rollups the database's triggers keep
//! (migration 000012): calls by UTC quarter hour created and outcome, by agent and prompt
//! version, and by the lead's hour of the week; live leads by status and progress. Every
//! zone's midnight falls on a quarter hour, so a reader's days are exact, and a page reads a
//! few rows per quarter hour whatever the number of calls.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::dsl::sum;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use super::DbConnection;
use super::connection::MultiBackend;
use super::schema::{
    agent_rollups, campaigns, interactions, lead_funnel, leads, prompt_template_versions, prompt_templates,
    reach_rollups, voice_agents,
};
use super::types::read_column;
use crate::domain::analytics::{Tally, week_hour};
use crate::domain::lead::{LeadStatus, lead_zone};
use crate::domain::outcome::Outcome;
use crate::domain::phone::E164;
use crate::ids::{AgentId, CampaignId, InteractionId, TemplateVersionId};

/// Which calls: created in `[start, end)`, of `campaign` when there is one; the edges are on
/// quarter hours (any zone's midnight is).
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub campaign: Option<CampaignId>,
}

/// `at`'s quarter hour as the rollups number them: quarter hours since 1970-01-01 UTC. Period
/// edges are a zone's midnights, which are on quarter hours in every zone.
fn quarter_of(at: NaiveDateTime) -> i64 {
    let seconds = at.and_utc().timestamp();
    debug_assert_eq!(seconds.rem_euclid(900), 0, "{at} is not on a quarter hour");
    seconds.div_euclid(900)
}

/// The rollup's "none" (0) as `None`.
fn some_id(id: i64) -> Option<i64> {
    (id != 0).then_some(id)
}

/// The calls of one agent and prompt version.
#[derive(Debug)]
pub struct Group {
    pub agent: Option<AgentId>,
    pub version: Option<TemplateVersionId>,
    pub tally: Tally,
}

/// The calls grouped by agent and prompt version (no durations: the comparison shows none).
pub fn groups(conn: &mut DbConnection, scope: Scope) -> QueryResult<Vec<Group>> {
    type Row = (i64, i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
    let mut query = agent_rollups::table
        .filter(agent_rollups::quarter.ge(quarter_of(scope.start)))
        .filter(agent_rollups::quarter.lt(quarter_of(scope.end)))
        .group_by((agent_rollups::voice_agent_id, agent_rollups::template_version_id))
        .select((
            agent_rollups::voice_agent_id,
            agent_rollups::template_version_id,
            sum(agent_rollups::calls),
            sum(agent_rollups::reached),
            sum(agent_rollups::interested),
            sum(agent_rollups::score_sum),
            sum(agent_rollups::scored),
        ))
        .into_boxed();
    // Every campaign is a range of the rollup's key, so the database reads only the period.
    query = match scope.campaign {
        Some(campaign) => query.filter(agent_rollups::campaign_id.eq(campaign)),
        None => query.filter(agent_rollups::campaign_id.eq_any(campaigns::table.select(campaigns::id))),
    };
    let rows: Vec<Row> = query.load(conn)?;
    let n = |sum: Option<i64>| sum.unwrap_or(0);
    Ok(rows
        .into_iter()
        .filter(|row| n(row.2) != 0)
        .map(|(agent, version, calls, reached, interested, score_sum, scored)| Group {
            agent: some_id(agent).map(AgentId::new),
            version: some_id(version).map(TemplateVersionId::new),
            tally: Tally {
                calls: n(calls),
                reached: n(reached),
                interested: n(interested),
                score_sum: n(score_sum),
                scored: n(scored),
                ..Tally::default()
            },
        })
        .collect())
}

/// The calls of one of the reader's days with one outcome.
#[derive(Debug)]
pub struct DayCalls {
    /// Which day of the period, from 0.
    pub day: usize,
    pub outcome: Option<Outcome>,
    pub tally: Tally,
}

impl DayCalls {
    /// (day, outcome, calls), as the chart counts them.
    pub fn counted(&self) -> (usize, Option<Outcome>, i64) {
        (self.day, self.outcome, self.tally.calls)
    }
}

/// Edge `i` is parameter `i + 1`, numbered explicitly: SQLite reads `$n` as a *name* and
/// numbers names in order of first use, so it takes `?n` where PostgreSQL takes `$n`.
fn edge(sigil: char, i: usize) -> String {
    format!("{sigil}{}", i + 1)
}

/// The SQL for which of days `first..last` a rollup's `quarter` falls in: a balanced tree of
/// comparisons with the edges between them, so a row costs a few comparisons, not one per day.
fn day_of_quarter(sigil: char, first: usize, last: usize) -> String {
    if last - first <= 1 {
        return first.to_string();
    }
    let middle = (first + last) / 2;
    format!(
        "CASE WHEN quarter < {} THEN {} ELSE {} END",
        edge(sigil, middle),
        day_of_quarter(sigil, first, middle),
        day_of_quarter(sigil, middle, last)
    )
}

/// Calls per local day and outcome: `edges` are the UTC instants the days start, then the
/// end of the last one; of one campaign's calls or of all.
pub fn calls_by_day(
    conn: &mut DbConnection,
    edges: &[NaiveDateTime],
    campaign: Option<CampaignId>,
) -> QueryResult<Vec<DayCalls>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Integer)]
        day: i32,
        #[diesel(sql_type = Text)]
        outcome: String,
        #[diesel(sql_type = BigInt)]
        calls: i64,
        #[diesel(sql_type = BigInt)]
        duration_secs: i64,
        #[diesel(sql_type = BigInt)]
        timed: i64,
        #[diesel(sql_type = BigInt)]
        score_sum: i64,
        #[diesel(sql_type = BigInt)]
        scored: i64,
    }
    // The query builder has no CASE through the multi-backend connection, so this is SQL.
    let sigil = match conn {
        DbConnection::Sqlite(_) => '?',
        DbConnection::Pg(_) => '$',
    };
    let last = edges.len() - 1;
    let day = day_of_quarter(sigil, 0, last);
    // The campaign, when there is one, is the parameter after the edges; without one, every
    // campaign's range of the key is read.
    let of_campaigns =
        campaign.map_or("IN (SELECT id FROM campaigns)".to_owned(), |_| format!("= {sigil}{}", edges.len() + 1));
    let total = |column: &str| format!("CAST(SUM({column}) AS BIGINT) AS {column}");
    let sql = format!(
        "SELECT {day} AS day, outcome, {}, {}, {}, {}, {} FROM call_rollups \
         WHERE campaign_id {of_campaigns} AND quarter >= {} AND quarter < {} GROUP BY 1, 2",
        total("calls"),
        total("duration_secs"),
        total("timed"),
        total("score_sum"),
        total("scored"),
        edge(sigil, 0),
        edge(sigil, last)
    );
    let mut query = diesel::sql_query(sql).into_boxed::<MultiBackend>();
    for edge in edges {
        query = query.bind::<BigInt, _>(quarter_of(*edge));
    }
    if let Some(campaign) = campaign {
        query = query.bind::<BigInt, _>(campaign.get());
    }
    query
        .load::<Row>(conn)?
        .into_iter()
        .filter(|row| row.calls != 0)
        .map(|row| {
            let outcome = read_column("call_rollups", "outcome", (!row.outcome.is_empty()).then_some(row.outcome))?;
            let tally = Tally::of(outcome, row.calls, (row.duration_secs, row.timed), (row.score_sum, row.scored));
            Ok(DayCalls { day: row.day as usize, outcome, tally })
        })
        .collect()
}

/// Calls and people reached by the lead's hour of the week: (week hour, calls, reached).
pub fn reach_by_week_hour(conn: &mut DbConnection, scope: Scope) -> QueryResult<Vec<(i32, i64, i64)>> {
    let mut query = reach_rollups::table
        .filter(reach_rollups::quarter.ge(quarter_of(scope.start)))
        .filter(reach_rollups::quarter.lt(quarter_of(scope.end)))
        .group_by(reach_rollups::week_hour)
        .select((reach_rollups::week_hour, sum(reach_rollups::calls), sum(reach_rollups::reached)))
        .into_boxed();
    query = match scope.campaign {
        Some(campaign) => query.filter(reach_rollups::campaign_id.eq(campaign)),
        None => query.filter(reach_rollups::campaign_id.eq_any(campaigns::table.select(campaigns::id))),
    };
    let rows: Vec<(i32, Option<i64>, Option<i64>)> = query.load(conn)?;
    Ok(rows.into_iter().map(|(hour, calls, reached)| (hour, calls.unwrap_or(0), reached.unwrap_or(0))).collect())
}

/// Live leads by (status, called at least once, reached), of one campaign or of all.
pub fn funnel(
    conn: &mut DbConnection,
    campaign: Option<CampaignId>,
) -> QueryResult<Vec<(LeadStatus, bool, bool, i64)>> {
    let mut query = lead_funnel::table
        .group_by((lead_funnel::status, lead_funnel::attempted, lead_funnel::reached))
        .select((lead_funnel::status, lead_funnel::attempted, lead_funnel::reached, sum(lead_funnel::leads)))
        .into_boxed();
    if let Some(campaign) = campaign {
        query = query.filter(lead_funnel::campaign_id.eq(campaign));
    }
    let rows: Vec<(String, bool, bool, Option<i64>)> = query.load(conn)?;
    rows.into_iter()
        .filter(|row| row.3.unwrap_or(0) != 0)
        .map(|(status, attempted, reached, leads)| {
            Ok((read_column("lead_funnel", "status", status)?, attempted, reached, leads.unwrap_or(0)))
        })
        .collect()
}

pub fn agent_names(conn: &mut DbConnection, ids: &[AgentId]) -> QueryResult<Vec<(AgentId, String)>> {
    voice_agents::table.filter(voice_agents::id.eq_any(ids)).select((voice_agents::id, voice_agents::name)).load(conn)
}

/// "Template name v3" for each version.
pub fn version_names(
    conn: &mut DbConnection,
    ids: &[TemplateVersionId],
) -> QueryResult<Vec<(TemplateVersionId, String)>> {
    let rows: Vec<(TemplateVersionId, String, i32)> = prompt_template_versions::table
        .inner_join(prompt_templates::table)
        .filter(prompt_template_versions::id.eq_any(ids))
        .select((prompt_template_versions::id, prompt_templates::name, prompt_template_versions::version))
        .load(conn)?;
    Ok(rows.into_iter().map(|(id, name, version)| (id, format!("{name} v{version}"))).collect())
}

/// Gives calls recorded before voxdial kept the lead's week hour one, taken in the lead's
/// zone as it is now (the best there is), so the heat map counts them too. Small batches, each
/// its own short transaction, so live traffic keeps its turn; finds nothing once done (a
/// partial index holds the calls still without one).
pub fn backfill_week_hours(conn: &mut DbConnection) -> QueryResult<usize> {
    const BATCH: i64 = 200;
    let mut filled = 0;
    loop {
        let done = super::write_tx(conn, |conn| -> QueryResult<usize> {
            let rows: Vec<(InteractionId, NaiveDateTime, Option<String>, String, String)> = interactions::table
                .inner_join(leads::table)
                .inner_join(campaigns::table)
                .filter(interactions::lead_week_hour.is_null())
                .order(interactions::id.asc())
                .limit(BATCH)
                .select((
                    interactions::id,
                    interactions::created_at,
                    leads::timezone,
                    leads::phone,
                    campaigns::timezone,
                ))
                .load(conn)?;
            for (id, created_at, lead_zone_name, phone, campaign_zone) in &rows {
                let campaign_zone: Tz = read_column("campaigns", "timezone", campaign_zone.clone())?;
                let explicit: Option<Tz> = read_column("leads", "timezone", lead_zone_name.clone())?;
                let phone: E164 = read_column("leads", "phone", phone.clone())?;
                let zone = lead_zone(explicit, &phone, Some(campaign_zone)).map_or(campaign_zone, |found| found.zone);
                diesel::update(interactions::table.find(id).filter(interactions::lead_week_hour.is_null()))
                    .set(interactions::lead_week_hour.eq(week_hour(zone, *created_at)))
                    .execute(conn)?;
            }
            Ok(rows.len())
        })?;
        filled += done;
        if (done as i64) < BATCH {
            return Ok(filled);
        }
    }
}
