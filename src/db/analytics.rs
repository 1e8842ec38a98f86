//! Analytics figures (R-ANALYTICS), grouped in the database over one period of calls
//! (`created_at` in `[start, end)`, the indexed column), of one campaign or of all.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::dsl::{count, count_star, sum};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::DbConnection;
use super::connection::MultiBackend;
use super::schema::{interactions, prompt_template_versions, prompt_templates, voice_agents};
use super::types::read_column;
use crate::domain::analytics::Tally;
use crate::domain::outcome::Outcome;
use crate::domain::phone::E164;
use crate::ids::{AgentId, CampaignId, TemplateVersionId};

/// Which calls: created in `[start, end)`, of `campaign` when there is one.
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
    pub campaign: Option<CampaignId>,
}

/// The calls of one agent, prompt version and outcome.
#[derive(Debug)]
pub struct Group {
    pub agent: Option<AgentId>,
    pub version: Option<TemplateVersionId>,
    pub tally: Tally,
}

fn calls(scope: Scope) -> interactions::BoxedQuery<'static, MultiBackend> {
    let mut query = interactions::table
        .filter(interactions::created_at.ge(scope.start))
        .filter(interactions::created_at.lt(scope.end))
        .into_boxed();
    if let Some(campaign) = scope.campaign {
        query = query.filter(interactions::campaign_id.eq(campaign));
    }
    query
}

/// The calls grouped by agent, prompt version and outcome: a few rows per agent and version,
/// whatever the number of calls.
pub fn groups(conn: &mut DbConnection, scope: Scope) -> QueryResult<Vec<Group>> {
    type Row = (Option<AgentId>, Option<TemplateVersionId>, Option<String>, i64, Option<i64>, i64, Option<i64>, i64);
    let mut query = interactions::table
        .filter(interactions::created_at.ge(scope.start))
        .filter(interactions::created_at.lt(scope.end))
        .group_by((interactions::voice_agent_id, interactions::template_version_id, interactions::outcome))
        .select((
            interactions::voice_agent_id,
            interactions::template_version_id,
            interactions::outcome,
            count_star(),
            sum(interactions::duration_secs),
            count(interactions::duration_secs),
            sum(interactions::score),
            count(interactions::score),
        ))
        .into_boxed();
    if let Some(campaign) = scope.campaign {
        query = query.filter(interactions::campaign_id.eq(campaign));
    }
    let rows: Vec<Row> = query.load(conn)?;
    rows.into_iter()
        .map(|(agent, version, outcome, calls, duration, timed, score, scored)| {
            let outcome = read_column::<Option<Outcome>>("interactions", "outcome", outcome)?;
            let tally = Tally::of(outcome, calls, (duration.unwrap_or(0), timed), (score.unwrap_or(0), scored));
            Ok(Group { agent, version, tally })
        })
        .collect()
}

/// How many distinct leads were called, and how many of them said they were interested.
pub fn leads(conn: &mut DbConnection, scope: Scope) -> QueryResult<(i64, i64)> {
    let called = calls(scope).select(count(interactions::lead_id).aggregate_distinct()).get_result(conn)?;
    let interested = calls(scope)
        .filter(interactions::outcome.eq(Outcome::Interested.as_str()))
        .select(count(interactions::lead_id).aggregate_distinct())
        .get_result(conn)?;
    Ok((called, interested))
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

/// Calls of one lead's zone inputs in one UTC hour, for the lead-local heat map.
#[derive(Debug)]
pub struct HourCalls {
    pub lead_zone: Option<Tz>,
    pub phone: E164,
    pub campaign_zone: Tz,
    /// The UTC hour the calls started in (created, for calls that never started).
    pub hour: NaiveDateTime,
    pub calls: i64,
    pub reached: i64,
}

/// Calls grouped by what decides the lead's zone and by UTC hour: the hour has to be turned
/// into lead-local time in Rust (zone by number prefix, DST), but the database does the
/// counting, so rows follow leads × hours called, not calls.
pub fn calls_by_hour(conn: &mut DbConnection, scope: Scope) -> QueryResult<Vec<HourCalls>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Nullable<Text>)]
        lead_zone: Option<String>,
        #[diesel(sql_type = Text)]
        phone: String,
        #[diesel(sql_type = Text)]
        campaign_zone: String,
        #[diesel(sql_type = Timestamp)]
        hour: NaiveDateTime,
        #[diesel(sql_type = BigInt)]
        calls: i64,
        #[diesel(sql_type = BigInt)]
        reached: i64,
    }
    // Per-backend SQL: SQLite numbers `?n`, PostgreSQL `$n`, and they truncate to the hour
    // differently. The outcome codes are the program's own constants, not input.
    let (sigil, hour) = match conn {
        DbConnection::Sqlite(_) => ('?', "strftime('%Y-%m-%d %H:00:00', COALESCE(i.started_at, i.created_at))"),
        DbConnection::Pg(_) => ('$', "date_trunc('hour', COALESCE(i.started_at, i.created_at))"),
    };
    let reached: Vec<String> =
        Outcome::ALL.iter().filter(|o| o.reached_person()).map(|o| format!("'{}'", o.as_str())).collect();
    let of_campaign = scope.campaign.map_or(String::new(), |_| format!("AND i.campaign_id = {sigil}3 "));
    let sql = format!(
        "SELECT l.timezone AS lead_zone, l.phone AS phone, c.timezone AS campaign_zone, {hour} AS hour, \
         COUNT(*) AS calls, SUM(CASE WHEN i.outcome IN ({}) THEN 1 ELSE 0 END) AS reached \
         FROM interactions i JOIN leads l ON l.id = i.lead_id JOIN campaigns c ON c.id = i.campaign_id \
         WHERE i.created_at >= {sigil}1 AND i.created_at < {sigil}2 {of_campaign}GROUP BY 1, 2, 3, 4",
        reached.join(", ")
    );
    let mut query = diesel::sql_query(sql)
        .into_boxed::<MultiBackend>()
        .bind::<Timestamp, _>(scope.start)
        .bind::<Timestamp, _>(scope.end);
    if let Some(campaign) = scope.campaign {
        query = query.bind::<BigInt, _>(campaign.get());
    }
    query
        .load::<Row>(conn)?
        .into_iter()
        .map(|row| {
            Ok(HourCalls {
                lead_zone: read_column("leads", "timezone", row.lead_zone)?,
                phone: read_column("leads", "phone", row.phone)?,
                campaign_zone: read_column("campaigns", "timezone", row.campaign_zone)?,
                hour: row.hour,
                calls: row.calls,
                reached: row.reached,
            })
        })
        .collect()
}
