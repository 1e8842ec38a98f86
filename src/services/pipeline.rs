//! The post-call pipeline as a service (R-PIPELINE): the workspace's LLM connection (its key
//! sealed on the way in), each campaign's pipeline, trying it on a past call without
//! saving, re-running a call, and what a call's page shows of its runs.

use std::time::Duration;

use serde_json::json;

use super::Ctx;
use crate::audit::{self, Actor, Change};
use crate::crypto::secret_hint;
use crate::db::call_lists::TimelineEntry;
use crate::db::llm_connections::{LlmConnection, LlmFields};
use crate::db::pipeline::PipelineRun;
use crate::db::{self, DbConnection};
use crate::domain::interaction::CallStatus;
use crate::domain::pipeline::answer::{self, RunResult};
use crate::domain::pipeline::config::PipelineConfig;
use crate::error::AppError;
use crate::ids::{CampaignId, InteractionId};
use crate::pipeline::run::{self, Findings, RunFailure};
use crate::pipeline::{self as runner, API_KEY_PURPOSE, llm};

/// The LLM connection's settings as an admin typed them, validated.
#[derive(Debug, Clone)]
pub struct LlmInput {
    pub name: String,
    pub base_url: String,
    pub model: String,
    /// A new key; `None` keeps the stored one.
    pub api_key: Option<String>,
    pub remove_key: bool,
    pub timeout_secs: i32,
    pub max_concurrent: i32,
    pub input_usd_per_mtok: Option<f64>,
    pub output_usd_per_mtok: Option<f64>,
}

pub async fn llm_connection(ctx: &Ctx) -> Result<Option<LlmConnection>, AppError> {
    ctx.db.run(|conn| Ok(db::llm_connections::find(conn)?)).await
}

pub async fn save_llm_connection(ctx: &Ctx, actor: Actor, input: LlmInput) -> Result<(), AppError> {
    let now = ctx.clock.now();
    let sealed = input.api_key.as_deref().map(|key| (ctx.secrets.seal(API_KEY_PURPOSE, key), secret_hint(key)));
    ctx.db
        .write(move |conn| {
            let api_key = match (&sealed, input.remove_key) {
                (Some((sealed, hint)), _) => Some((Some(sealed.as_str()), Some(hint.as_str()))),
                (None, true) => Some((None, None)),
                (None, false) => None,
            };
            let fields = LlmFields {
                name: &input.name,
                base_url: &input.base_url,
                model: &input.model,
                api_key,
                timeout_secs: input.timeout_secs,
                max_concurrent: input.max_concurrent,
                input_usd_per_mtok: input.input_usd_per_mtok,
                output_usd_per_mtok: input.output_usd_per_mtok,
            };
            db::llm_connections::save(conn, &fields, now)?;
            let key_note = match (&sealed, input.remove_key) {
                (Some(_), _) => ", new API key",
                (None, true) => ", API key removed",
                (None, false) => "",
            };
            let summary = format!("LLM connection “{}”: {} at {}{key_note}", input.name, input.model, input.base_url);
            let change = Change {
                action: "llm_connection.save",
                object_kind: "llm_connection",
                object_id: None,
                summary: &summary,
            };
            audit::record(conn, &actor, change, now)?;
            Ok(())
        })
        .await
}

pub async fn delete_llm_connection(ctx: &Ctx, actor: Actor) -> Result<(), AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            if db::llm_connections::delete(conn)? == 0 {
                return Err(AppError::NotFound);
            }
            let summary = "LLM connection removed; pipeline runs wait until one is added";
            let change =
                Change { action: "llm_connection.delete", object_kind: "llm_connection", object_id: None, summary };
            audit::record(conn, &actor, change, now)?;
            Ok(())
        })
        .await
}

/// What "Test connection" found.
pub struct LlmCheck {
    pub ok: bool,
    pub message: String,
}

/// Asks the model for a one-field structured answer, as a run would.
pub async fn test_llm_connection(ctx: &Ctx) -> Result<LlmCheck, AppError> {
    let connection = llm_connection(ctx).await?.ok_or(AppError::NotFound)?;
    let endpoint = runner::endpoint(ctx, &connection)?;
    let schema = json!({"type": "object", "properties": {"reply": {"type": "string"}}, "required": ["reply"],
                        "additionalProperties": false});
    let asked =
        llm::ask(&runner::http_client()?, &endpoint, "Answer in JSON.", "Reply with the word ready.", &schema).await;
    Ok(match asked {
        Ok(answer) => match answer.content {
            Ok(value) if value["reply"].is_string() => LlmCheck {
                ok: true,
                message: format!(
                    "{} answered with structured JSON in {} ms.",
                    connection.model,
                    answer.latency.as_millis()
                ),
            },
            _ => LlmCheck {
                ok: false,
                message: format!(
                    "{} answered, but not with JSON that fits a schema; it needs structured-output support.",
                    connection.model
                ),
            },
        },
        Err(error) => LlmCheck { ok: false, message: format!("The request failed: {error}") },
    })
}

pub async fn campaign_config(ctx: &Ctx, campaign_id: CampaignId) -> Result<PipelineConfig, AppError> {
    ctx.db.run(move |conn| Ok(db::pipeline::campaign_config(conn, campaign_id)?)).await
}

pub async fn save_campaign_config(
    ctx: &Ctx,
    actor: Actor,
    campaign_id: CampaignId,
    config: PipelineConfig,
) -> Result<(), AppError> {
    let problems = config.problems();
    if !problems.is_empty() {
        return Err(AppError::validation(problems.join(". ")));
    }
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let campaign = db::campaigns::find(conn, campaign_id)?;
            db::pipeline::save_campaign_config(conn, campaign_id, &config, now)?;
            let summary = format!(
                "Pipeline of “{}”: LLM {}, analysis {}, {} fields, {} scoring criteria",
                campaign.name,
                if config.llm_enabled { "on" } else { "off" },
                if config.analysis { "on" } else { "off" },
                config.fields.len(),
                config.rubric.len()
            );
            let change = Change {
                action: "campaign.pipeline",
                object_kind: "campaign",
                object_id: Some(campaign_id.get()),
                summary: &summary,
            };
            audit::record(conn, &actor, change, now)?;
            Ok(())
        })
        .await
}

/// The result of trying a configuration on a past call.
pub enum Trial {
    Found { findings: Box<Findings>, cost_usd: Option<f64> },
    Failed(String),
}

/// Runs `config` on a completed call of the campaign and returns what it found; nothing is
/// saved and nothing about the call or its lead changes.
pub async fn try_config(
    ctx: &Ctx,
    campaign_id: CampaignId,
    call_id: InteractionId,
    config: PipelineConfig,
) -> Result<Trial, AppError> {
    let problems = config.problems();
    if !problems.is_empty() {
        return Err(AppError::validation(problems.join(". ")));
    }
    let connection = llm_connection(ctx)
        .await?
        .ok_or_else(|| AppError::validation("Add an LLM connection in Settings → LLM first"))?;
    let input = ctx
        .db
        .run(move |conn| {
            let input = run::load_input(conn, call_id)?;
            if input.call.campaign_id != campaign_id || input.call.status != CallStatus::Completed {
                return Err(AppError::validation("Choose a completed call of this campaign"));
            }
            Ok(input)
        })
        .await?;
    let endpoint = runner::endpoint(ctx, &connection)?;
    let config = PipelineConfig { llm_enabled: true, ..config };
    Ok(match run::analyse(&runner::http_client()?, &endpoint, &config, &input).await {
        Ok(findings) => {
            let cost_usd = findings.usage.cost(connection.input_usd_per_mtok, connection.output_usd_per_mtok);
            Trial::Found { findings: Box::new(findings), cost_usd }
        }
        Err(RunFailure::Transient { message, .. } | RunFailure::Final { message, .. }) => Trial::Failed(message),
    })
}

/// Queues a new version of a call's run; the earlier versions stay.
pub async fn rerun(ctx: &Ctx, actor: Actor, call_id: InteractionId) -> Result<i32, AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let call = db::interactions::find(conn, call_id)?;
            if call.status != CallStatus::Completed {
                return Err(AppError::validation("Only a completed call can be analysed"));
            }
            let config = db::pipeline::campaign_config(conn, call.campaign_id)?;
            if !config.has_llm_steps() {
                return Err(AppError::validation(
                    "The campaign's pipeline has no LLM steps; set them on its Pipeline tab",
                ));
            }
            if db::llm_connections::find(conn)?.is_none() {
                return Err(AppError::validation("Add an LLM connection in Settings → LLM first"));
            }
            let version = db::pipeline::enqueue(conn, call_id, actor.user_id, now)?;
            let summary = format!("Pipeline run {version} of call #{call_id} requested");
            let change = Change {
                action: "call.pipeline_rerun",
                object_kind: "interaction",
                object_id: Some(call_id.get()),
                summary: &summary,
            };
            audit::record(conn, &actor, change, now)?;
            Ok(version)
        })
        .await
}

/// A run as a call's page shows it.
pub struct RunView {
    pub run: PipelineRun,
    pub result: Option<RunResult>,
}

impl RunView {
    pub fn latency(&self) -> Option<Duration> {
        self.run.latency_ms.map(|ms| Duration::from_millis(ms.max(0) as u64))
    }
}

/// What the pipeline knows about a call: its runs (newest first) and the provider's own
/// analysis in the same shape.
pub struct CallFindings {
    pub runs: Vec<RunView>,
    pub provider: Option<RunResult>,
    pub can_rerun: bool,
}

pub fn call_findings(
    conn: &mut DbConnection,
    call: &crate::db::interactions::Interaction,
) -> Result<CallFindings, AppError> {
    let runs = db::pipeline::runs_of(conn, call.id)?
        .into_iter()
        .map(|run| {
            let result = run.result.as_deref().and_then(|json| serde_json::from_str(json).ok());
            RunView { run, result }
        })
        .collect();
    let provider = call
        .provider_analysis
        .as_deref()
        .and_then(|json| serde_json::from_str::<serde_json::Value>(json).ok())
        .map(|analysis| answer::from_provider(&analysis));
    let can_rerun = call.status == CallStatus::Completed
        && db::pipeline::campaign_config(conn, call.campaign_id)?.has_llm_steps()
        && db::llm_connections::find(conn)?.is_some();
    Ok(CallFindings { runs, provider, can_rerun })
}

/// The campaign's recent completed calls, to try a configuration on.
pub async fn recent_completed_calls(ctx: &Ctx, campaign_id: CampaignId) -> Result<Vec<TimelineEntry>, AppError> {
    ctx.db
        .run(move |conn| {
            let recent = db::call_lists::campaign_recent(conn, campaign_id, 60)?;
            Ok(recent.into_iter().filter(|call| call.status == CallStatus::Completed).take(20).collect())
        })
        .await
}
