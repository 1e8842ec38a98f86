//! The scratch copy a dry run works on (R-DIAL-SIM): a fresh SQLite file in a temporary
//! directory holding one campaign and everything its dialer reads — agents, numbers, the
//! provider connection, the prompt template, the live leads with their state, the do-not-call
//! entries for their numbers and their recent calls. The source is only read; the directory
//! is removed when the run ends, whether it succeeded or not.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use diesel::connection::SimpleConnection as _;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use super::rows::{
    AgentRow, CallRow, CampaignRow, ConnectionRow, DialerRulesRow, LeadRow, NumberRow, SuppressionRow, TemplateRow,
    VersionRow,
};
use crate::db::campaigns::Campaign;
use crate::db::schema::{
    campaign_dialer_rules, campaigns, interactions, leads, phone_numbers, prompt_template_versions, prompt_templates,
    provider_connections, suppression_entries, voice_agents,
};
use crate::db::{self, Db, DbConnection};
use crate::domain::campaign::CampaignStatus;
use crate::domain::dialing::rules::DialerRules;
use crate::error::AppError;
use crate::ids::{CampaignId, LeadId};

/// Rows per multi-row insert (27 columns × 1,000 stays under SQLite's 32,766 parameters).
const CHUNK: usize = 1000;
/// Calls this recent count towards the per-day and rolling caps: two days, plus the slack
/// for daylight-saving days the dialer's own look-back has.
const HISTORY: Duration = Duration::hours(50);
/// One connection: the dialer records a step's answers concurrently, and SQLite would make
/// all but one writer back off and sleep, where the pool simply queues them.
const POOL_SIZE: u32 = 1;

/// Without statistics SQLite takes any index an equality matches, and for the dialer's per-lead
/// counts of calls by outcome and by status (`dial_queue::earlier_outcomes`,
/// `leads::completed_conversations`) it takes the outcome or the status index: each count reads
/// every such call in the database, and a week's run slows down as its calls pile up. So the
/// scratch database is told what the table looks like in use: many calls, a few per lead.
const PLANNER_STATISTICS: &str = "ANALYZE;
    INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES
        ('interactions', 'interactions_lead', '1000000 4 1'),
        ('interactions', 'interactions_outcome', '1000000 100000 1'),
        ('interactions', 'interactions_status', '1000000 150000 1');
    ANALYZE sqlite_schema;";

/// A directory removed with everything in it when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        if let Err(err) = std::fs::remove_dir_all(&self.0) {
            tracing::warn!(path = %self.0.display(), error = %err, "could not remove the dry run's scratch directory");
        }
    }
}

/// The scratch database; dropping it deletes it.
pub struct Scratch {
    pub db: Db,
    // Declared last so the pool closes before its directory goes.
    _dir: TempDir,
}

impl Scratch {
    pub fn create() -> Result<Scratch, AppError> {
        let unexpected =
            |err: anyhow::Error| AppError::Unexpected(err.context("preparing the dry run's scratch database"));
        let dir = TempDir(std::env::temp_dir().join(format!("voxdial-dry-run-{}", crate::crypto::random_token())));
        std::fs::create_dir(&dir.0).map_err(|err| unexpected(err.into()))?;
        let db = Db::connect(&dir.0.join("scratch.db").display().to_string(), POOL_SIZE).map_err(unexpected)?;
        db.migrate().map_err(unexpected)?;
        db.get()?.batch_execute(PLANNER_STATISTICS)?;
        Ok(Scratch { db, _dir: dir })
    }
}

/// What to copy.
pub struct Plan {
    pub campaign_id: CampaignId,
    /// The simulated start: calls of the [`HISTORY`] before it come along.
    pub start: DateTime<Utc>,
    /// At most this many leads, those due soonest; `None` for all live leads.
    pub lead_limit: Option<i64>,
}

/// What was copied.
pub struct Copied {
    pub campaign: Campaign,
    pub rules: DialerRules,
    pub leads: usize,
    /// Where the copy differs from the source, worded for people.
    pub notes: Vec<String>,
}

/// Copies the campaign into `scratch` as if its dialer had just been started at the plan's
/// start: the campaign active, the dialer on and not paused, every rule value kept.
pub fn copy(src: &mut DbConnection, scratch: &Db, plan: &Plan) -> Result<Copied, AppError> {
    let id = plan.campaign_id;
    let campaign = db::campaigns::find(src, id)?;
    if campaign.status == CampaignStatus::Archived {
        return Err(AppError::validation(format!(
            "“{}” is archived, and the dialer never calls an archived campaign",
            campaign.name
        )));
    }
    let mut row: CampaignRow = campaigns::table.find(id).select(CampaignRow::as_select()).get_result(src)?;
    row.status = CampaignStatus::Active.as_str().to_owned();
    let dialer: Option<DialerRulesRow> =
        campaign_dialer_rules::table.find(id).select(DialerRulesRow::as_select()).get_result(src).optional()?;
    let mut notes = started_notes(&campaign, dialer.as_ref());

    let agent_ids: Vec<_> = [campaign.production_agent_id, campaign.test_agent_id].into_iter().flatten().collect();
    let agents: Vec<AgentRow> =
        voice_agents::table.filter(voice_agents::id.eq_any(&agent_ids)).select(AgentRow::as_select()).load(src)?;
    let number_ids: Vec<_> =
        campaign.phone_number_id.into_iter().chain(agents.iter().filter_map(|a| a.default_phone_number_id)).collect();
    let numbers: Vec<NumberRow> =
        phone_numbers::table.filter(phone_numbers::id.eq_any(&number_ids)).select(NumberRow::as_select()).load(src)?;
    let connection_ids: Vec<_> = agents
        .iter()
        .map(|a| a.provider_connection_id)
        .chain(numbers.iter().map(|n| n.provider_connection_id))
        .collect();
    let connections: Vec<ConnectionRow> = provider_connections::table
        .filter(provider_connections::id.eq_any(&connection_ids))
        .select(ConnectionRow::as_select())
        .load(src)?;
    let template_ids: Vec<_> = campaign.prompt_template_id.into_iter().collect();
    let templates: Vec<TemplateRow> = prompt_templates::table
        .filter(prompt_templates::id.eq_any(&template_ids))
        .select(TemplateRow::as_select())
        .load(src)?;
    let versions: Vec<VersionRow> = prompt_template_versions::table
        .filter(prompt_template_versions::prompt_template_id.eq_any(&template_ids))
        .select(VersionRow::as_select())
        .load(src)?;

    let mut pooled = scratch.get()?;
    db::write_tx(&mut pooled, |dst| {
        let lite = sqlite(dst)?;
        diesel::insert_into(provider_connections::table).values(&connections).execute(lite)?;
        diesel::insert_into(phone_numbers::table).values(&numbers).execute(lite)?;
        diesel::insert_into(voice_agents::table).values(&agents).execute(lite)?;
        diesel::insert_into(prompt_templates::table).values(&templates).execute(lite)?;
        diesel::insert_into(prompt_template_versions::table).values(&versions).execute(lite)?;
        diesel::insert_into(campaigns::table).values(&row).execute(lite)?;
        match &dialer {
            Some(rules) => diesel::insert_into(campaign_dialer_rules::table).values(rules).execute(lite)?,
            None => {
                db::dialer::save_rules(dst, id, &DialerRules::default(), plan.start.naive_utc())?;
                notes.push("the campaign has no dialer rules yet, so the dry run uses the defaults".into());
                1
            }
        };
        let start = plan.start.naive_utc();
        db::dialer::set_enabled(dst, id, true, start)?;
        let rules = db::dialer::find(dst, id)?.map(|row| row.rules()).unwrap_or_default();
        let leads = copy_leads(src, sqlite(dst)?, plan)?;
        Ok(Copied { campaign, rules, leads, notes })
    })
}

/// How the copy differs from the campaign as it stands.
fn started_notes(campaign: &Campaign, dialer: Option<&DialerRulesRow>) -> Vec<String> {
    let mut notes = Vec::new();
    if campaign.status != CampaignStatus::Active {
        let status = campaign.status.label().to_lowercase();
        notes.push(format!("the campaign is {status}; the dry run calls it as if it were active"));
    }
    match dialer {
        Some(rules) if !rules.enabled => {
            notes.push("the dialer is switched off; the dry run runs it as if it were started".into())
        }
        Some(DialerRulesRow { paused_reason: Some(reason), .. }) => {
            notes.push(format!("the dialer is paused ({reason}); the dry run runs it as if it were resumed"))
        }
        _ => {}
    }
    notes
}

/// Copies the live leads in chunks, each with the do-not-call entries (global and the
/// campaign's) for its numbers — the only ones the dialer can meet — and its recent calls.
fn copy_leads(src: &mut DbConnection, dst: &mut SqliteConnection, plan: &Plan) -> Result<usize, AppError> {
    let id = plan.campaign_id;
    let live = leads::table.filter(leads::campaign_id.eq(id)).filter(leads::deleted_at.is_null());
    if let Some(limit) = plan.lead_limit {
        let soonest: Vec<LeadRow> = live
            .filter(leads::next_call_at.is_not_null())
            .order((leads::next_call_at.asc(), leads::id.asc()))
            .limit(limit)
            .select(LeadRow::as_select())
            .load(src)?;
        for chunk in soonest.chunks(CHUNK) {
            copy_chunk(src, dst, plan, chunk)?;
        }
        return Ok(soonest.len());
    }
    let (mut copied, mut after) = (0, LeadId::new(0));
    loop {
        let chunk: Vec<LeadRow> = live
            .filter(leads::id.gt(after))
            .order(leads::id.asc())
            .limit(CHUNK as i64)
            .select(LeadRow::as_select())
            .load(src)?;
        let Some(last) = chunk.last() else { return Ok(copied) };
        after = last.id;
        copy_chunk(src, dst, plan, &chunk)?;
        copied += chunk.len();
    }
}

fn copy_chunk(
    src: &mut DbConnection,
    dst: &mut SqliteConnection,
    plan: &Plan,
    chunk: &[LeadRow],
) -> Result<(), AppError> {
    diesel::insert_into(leads::table).values(chunk).execute(dst)?;
    let phones: Vec<&str> = chunk.iter().map(|lead| lead.phone.as_str()).collect();
    let entries: Vec<SuppressionRow> = suppression_entries::table
        .filter(suppression_entries::phone.eq_any(&phones))
        .filter(suppression_entries::campaign_id.is_null().or(suppression_entries::campaign_id.eq(plan.campaign_id)))
        .select(SuppressionRow::as_select())
        .load(src)?;
    diesel::insert_into(suppression_entries::table).values(&entries).execute(dst)?;
    let ids: Vec<LeadId> = chunk.iter().map(|lead| lead.id).collect();
    let calls: Vec<CallRow> = interactions::table
        .filter(interactions::lead_id.eq_any(&ids))
        .filter(interactions::created_at.ge((plan.start - HISTORY).naive_utc()))
        .filter(interactions::created_at.lt(plan.start.naive_utc()))
        .select(CallRow::as_select())
        .load(src)?;
    for calls in calls.chunks(CHUNK) {
        diesel::insert_into(interactions::table).values(calls).execute(dst)?;
    }
    Ok(())
}

/// The scratch database's own connection, for multi-row inserts (the shared connection type
/// has none).
fn sqlite(conn: &mut DbConnection) -> Result<&mut SqliteConnection, AppError> {
    match conn {
        DbConnection::Sqlite(conn) => Ok(conn),
        DbConnection::Pg(_) => Err(AppError::Unexpected(anyhow::anyhow!("the scratch database must be SQLite"))),
    }
}
