//! The post-call pipeline's rows: each campaign's pipeline and the versioned runs per call.
//! A run is claimed with a conditional update (status and lease), so several instances never
//! run the same one twice at once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::interactions::Interaction;
use super::schema::{campaign_pipelines, campaigns, interactions, leads, pipeline_runs};
use super::types::typed_row;
use crate::domain::interaction::CallStatus;
use crate::domain::lead::search_keys;
use crate::domain::outcome::Outcome;
use crate::domain::pipeline::RunStatus;
use crate::domain::pipeline::config::{PipelineConfig, ProviderFields};
use crate::domain::pipeline::copy::LeadFields;
use crate::domain::user::Email;
use crate::ids::{CampaignId, InteractionId, LeadId, PipelineRunId, UserId};

typed_row! {
    pub struct PipelineRow in campaign_pipelines keyed by campaign_id as PipelineRowRaw {
        pub campaign_id: CampaignId,
        pub llm_enabled: bool,
        pub analysis_enabled: bool,
        pub extraction_fields: String,
        pub scoring_rubric: String,
        pub outcome_field: Option<String>,
        pub opt_out_field: Option<String>,
        pub callback_field: Option<String>,
        pub updated_at: NaiveDateTime,
    }
}

/// A campaign's pipeline, or the default (provider analysis only) while it has none.
pub fn campaign_config(conn: &mut DbConnection, campaign_id: CampaignId) -> QueryResult<PipelineConfig> {
    let row: Option<PipelineRow> =
        campaign_pipelines::table.find(campaign_id).select(PipelineRow::as_select()).get_result(conn).optional()?;
    Ok(row
        .map(|row| {
            let (fields, rubric) = PipelineConfig::lists_from_json(&row.extraction_fields, &row.scoring_rubric);
            PipelineConfig {
                llm_enabled: row.llm_enabled,
                analysis: row.analysis_enabled,
                fields,
                rubric,
                provider_fields: ProviderFields {
                    outcome: row.outcome_field,
                    opt_out: row.opt_out_field,
                    callback: row.callback_field,
                },
            }
        })
        .unwrap_or_default())
}

pub fn save_campaign_config(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    config: &PipelineConfig,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let values = (
        campaign_pipelines::llm_enabled.eq(config.llm_enabled),
        campaign_pipelines::analysis_enabled.eq(config.analysis),
        campaign_pipelines::extraction_fields.eq(config.fields_json()),
        campaign_pipelines::scoring_rubric.eq(config.rubric_json()),
        campaign_pipelines::outcome_field.eq(config.provider_fields.outcome.as_deref()),
        campaign_pipelines::opt_out_field.eq(config.provider_fields.opt_out.as_deref()),
        campaign_pipelines::callback_field.eq(config.provider_fields.callback.as_deref()),
        campaign_pipelines::updated_at.eq(now),
    );
    let updated = diesel::update(campaign_pipelines::table.find(campaign_id)).set(values.clone()).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(campaign_pipelines::table)
            .values((campaign_pipelines::campaign_id.eq(campaign_id), values))
            .execute(conn)?;
    }
    Ok(())
}

typed_row! {
    pub struct PipelineRun in pipeline_runs as PipelineRunRaw {
        pub id: PipelineRunId,
        pub interaction_id: InteractionId,
        pub version: i32,
        pub status: RunStatus,
        pub attempts: i32,
        pub next_attempt_at: Option<NaiveDateTime>,
        pub lease_holder: Option<String>,
        pub lease_until: Option<NaiveDateTime>,
        pub requested_by: Option<UserId>,
        pub model: Option<String>,
        pub result: Option<String>,
        pub score: Option<i32>,
        pub error: Option<String>,
        pub prompt_tokens: Option<i32>,
        pub completion_tokens: Option<i32>,
        pub cost_usd: Option<f64>,
        pub latency_ms: Option<i32>,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
        pub completed_at: Option<NaiveDateTime>,
    }
}

/// Queues the next version of a call's run, due now.
pub fn enqueue(
    conn: &mut DbConnection,
    interaction_id: InteractionId,
    requested_by: Option<UserId>,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let latest: Option<i32> = pipeline_runs::table
        .filter(pipeline_runs::interaction_id.eq(interaction_id))
        .select(diesel::dsl::max(pipeline_runs::version))
        .get_result(conn)?;
    let version = latest.unwrap_or(0) + 1;
    diesel::insert_into(pipeline_runs::table)
        .values((
            pipeline_runs::interaction_id.eq(interaction_id),
            pipeline_runs::version.eq(version),
            pipeline_runs::status.eq(RunStatus::Pending.as_str()),
            pipeline_runs::next_attempt_at.eq(now),
            pipeline_runs::requested_by.eq(requested_by),
            pipeline_runs::created_at.eq(now),
            pipeline_runs::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(version)
}

/// Runs that may be started now: due pending runs, and running ones whose lease ran out
/// (their instance stopped mid-run). Oldest first.
pub fn due(conn: &mut DbConnection, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<PipelineRunId>> {
    pipeline_runs::table
        .filter(claimable(now))
        .order(pipeline_runs::id.asc())
        .limit(limit)
        .select(pipeline_runs::id)
        .load(conn)
}

type Claimable = diesel::dsl::Or<
    diesel::dsl::And<
        diesel::dsl::Eq<pipeline_runs::status, &'static str>,
        diesel::dsl::LtEq<pipeline_runs::next_attempt_at, NaiveDateTime>,
    >,
    diesel::dsl::And<
        diesel::dsl::Eq<pipeline_runs::status, &'static str>,
        diesel::dsl::Lt<pipeline_runs::lease_until, NaiveDateTime>,
    >,
>;

fn claimable(now: NaiveDateTime) -> Claimable {
    pipeline_runs::status
        .eq(RunStatus::Pending.as_str())
        .and(pipeline_runs::next_attempt_at.le(now))
        .or(pipeline_runs::status.eq(RunStatus::Running.as_str()).and(pipeline_runs::lease_until.lt(now)))
}

/// Takes a run for `holder` until `until`, counting the attempt; `None` if another
/// instance took it first.
pub fn claim(
    conn: &mut DbConnection,
    id: PipelineRunId,
    holder: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<Option<PipelineRun>> {
    let taken = diesel::update(pipeline_runs::table.find(id).filter(claimable(now)))
        .set((
            pipeline_runs::status.eq(RunStatus::Running.as_str()),
            pipeline_runs::lease_holder.eq(holder),
            pipeline_runs::lease_until.eq(until),
            pipeline_runs::attempts.eq(pipeline_runs::attempts + 1),
            pipeline_runs::updated_at.eq(now),
        ))
        .execute(conn)?;
    if taken == 0 {
        return Ok(None);
    }
    find(conn, id).map(Some)
}

/// What a finished attempt of a run recorded.
pub struct Finished<'a> {
    pub status: RunStatus,
    pub next_attempt_at: Option<NaiveDateTime>,
    pub model: &'a str,
    pub result: Option<&'a str>,
    pub score: Option<i32>,
    pub error: Option<&'a str>,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub cost_usd: Option<f64>,
    pub latency_ms: Option<i32>,
}

/// Records an attempt, if `holder` still holds the run; `false` when it lost the lease.
pub fn finish(
    conn: &mut DbConnection,
    id: PipelineRunId,
    holder: &str,
    finished: &Finished<'_>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let done = matches!(finished.status, RunStatus::Done | RunStatus::Failed);
    let changed = diesel::update(
        pipeline_runs::table
            .find(id)
            .filter(pipeline_runs::status.eq(RunStatus::Running.as_str()))
            .filter(pipeline_runs::lease_holder.eq(holder)),
    )
    .set((
        pipeline_runs::status.eq(finished.status.as_str()),
        pipeline_runs::next_attempt_at.eq(finished.next_attempt_at),
        pipeline_runs::lease_holder.eq(None::<String>),
        pipeline_runs::lease_until.eq(None::<NaiveDateTime>),
        pipeline_runs::model.eq(finished.model),
        pipeline_runs::result.eq(finished.result),
        pipeline_runs::score.eq(finished.score),
        pipeline_runs::error.eq(finished.error),
        pipeline_runs::prompt_tokens.eq(finished.prompt_tokens),
        pipeline_runs::completion_tokens.eq(finished.completion_tokens),
        pipeline_runs::cost_usd.eq(finished.cost_usd),
        pipeline_runs::latency_ms.eq(finished.latency_ms),
        pipeline_runs::updated_at.eq(now),
        pipeline_runs::completed_at.eq(done.then_some(now)),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn find(conn: &mut DbConnection, id: PipelineRunId) -> QueryResult<PipelineRun> {
    pipeline_runs::table.find(id).select(PipelineRun::as_select()).get_result(conn)
}

/// A call's runs, newest version first.
pub fn runs_of(conn: &mut DbConnection, interaction_id: InteractionId) -> QueryResult<Vec<PipelineRun>> {
    pipeline_runs::table
        .filter(pipeline_runs::interaction_id.eq(interaction_id))
        .order(pipeline_runs::version.desc())
        .select(PipelineRun::as_select())
        .load(conn)
}

/// Whether a later version of the call's run has already finished (an older one finishing
/// late must not overwrite it).
pub fn newer_done(conn: &mut DbConnection, run: &PipelineRun) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        pipeline_runs::table
            .filter(pipeline_runs::interaction_id.eq(run.interaction_id))
            .filter(pipeline_runs::version.gt(run.version))
            .filter(pipeline_runs::status.eq(RunStatus::Done.as_str())),
    ))
    .get_result(conn)
}

/// Puts a finished run's score and found values on the call, keeping its campaign's score
/// totals in step (the call's earlier score, if any, is taken out first).
pub fn set_call_findings(
    conn: &mut DbConnection,
    call: &Interaction,
    score: Option<i32>,
    extracted: Option<&str>,
) -> QueryResult<usize> {
    let counted = |s: Option<i32>| (i64::from(s.is_some()), i64::from(s.unwrap_or(0)));
    let ((old_n, old_sum), (new_n, new_sum)) = (counted(call.score), counted(score));
    diesel::update(campaigns::table.find(call.campaign_id))
        .set((
            campaigns::scored_calls.eq(campaigns::scored_calls + (new_n - old_n)),
            campaigns::score_sum.eq(campaigns::score_sum + (new_sum - old_sum)),
        ))
        .execute(conn)?;
    diesel::update(interactions::table.find(call.id))
        .set((interactions::score.eq(score), interactions::extracted.eq(extracted)))
        .execute(conn)
}

/// Whether the lead has had a call after this one (whose findings then come first).
pub fn later_call_exists(conn: &mut DbConnection, call: &Interaction) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        interactions::table.filter(interactions::lead_id.eq(call.lead_id)).filter(interactions::id.gt(call.id)),
    ))
    .get_result(conn)
}

/// A completed call's outcome as the pipeline refined it.
pub fn set_call_outcome(
    conn: &mut DbConnection,
    id: InteractionId,
    outcome: Outcome,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(interactions::table.find(id).filter(interactions::status.eq(CallStatus::Completed.as_str())))
        .set((interactions::outcome.eq(outcome.as_str()), interactions::updated_at.eq(now)))
        .execute(conn)
}

/// Writes extracted values copied into a lead, keeping its search keys in step.
pub fn write_lead_fields(
    conn: &mut DbConnection,
    id: LeadId,
    fields: &LeadFields,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let email = fields.email.as_ref().map(Email::as_str);
    let [search_name, search_last_name, search_email, search_company] =
        search_keys(&fields.first_name, &fields.last_name, email, fields.company.as_deref());
    diesel::update(leads::table.find(id))
        .set((
            leads::first_name.eq(&fields.first_name),
            leads::last_name.eq(&fields.last_name),
            leads::email.eq(email),
            leads::company.eq(fields.company.as_deref()),
            leads::custom_fields.eq(serde_json::Value::Object(fields.custom.clone()).to_string()),
            leads::search_name.eq(search_name),
            leads::search_last_name.eq(search_last_name),
            leads::search_email.eq(search_email),
            leads::search_company.eq(search_company),
            leads::updated_at.eq(now),
        ))
        .execute(conn)
}

/// A campaign's pipeline at a glance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PipelineSummary {
    pub scored_calls: i64,
    pub average_score: Option<f64>,
    /// Runs waiting or running.
    pub waiting: i64,
    pub failed: i64,
}

pub fn campaign_summary(conn: &mut DbConnection, campaign_id: CampaignId) -> QueryResult<PipelineSummary> {
    let (scored_calls, total): (i64, i64) =
        campaigns::table.find(campaign_id).select((campaigns::scored_calls, campaigns::score_sum)).get_result(conn)?;
    // Runs not done are few (waiting, running or failed): read through the status index.
    let statuses: Vec<String> = pipeline_runs::table
        .inner_join(interactions::table)
        .filter(interactions::campaign_id.eq(campaign_id))
        // Named, not `<> 'done'`, so the status index can find them.
        .filter(
            pipeline_runs::status
                .eq_any([RunStatus::Pending, RunStatus::Running, RunStatus::Failed].map(RunStatus::as_str)),
        )
        .select(pipeline_runs::status)
        .load(conn)?;
    let failed = statuses.iter().filter(|s| *s == RunStatus::Failed.as_str()).count() as i64;
    Ok(PipelineSummary {
        scored_calls,
        average_score: (scored_calls > 0).then(|| total as f64 / scored_calls as f64),
        waiting: statuses.len() as i64 - failed,
        failed,
    })
}
