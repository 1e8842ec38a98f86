//! The post-call pipeline as background work (R-PIPELINE). A completed call of a campaign
//! whose pipeline uses the LLM gets a pending run in the transaction that completes it;
//! [`step`] claims due runs in the database (so instances share the work and a run whose
//! instance died is taken over after its lease), asks the LLM outside any transaction, and
//! records the findings, or the failure with a retry time. A call's outcome and its lead's
//! status never wait for it.

pub mod llm;
pub mod run;

use std::time::Duration;

use chrono::NaiveDateTime;
use futures_util::future::join_all;

use crate::db::llm_connections::LlmConnection;
use crate::db::pipeline::{Finished, PipelineRun};
use crate::db::{self, write_tx};
use crate::domain::pipeline::RunStatus;
use crate::error::AppError;
use crate::services::Ctx;
use run::{Findings, RunFailure, Usage};

/// Attempts before a run that keeps meeting transient errors is given up.
pub const MAX_ATTEMPTS: i32 = 4;

/// The secret's purpose in the secret box.
pub const API_KEY_PURPOSE: &str = "llm api key";

/// The endpoint a stored connection describes, its key opened.
pub fn endpoint(ctx: &Ctx, connection: &LlmConnection) -> Result<llm::Endpoint, AppError> {
    let api_key = connection
        .api_key_enc
        .as_deref()
        .map(|sealed| ctx.secrets.open(API_KEY_PURPOSE, sealed))
        .transpose()
        .map_err(|e| AppError::Unexpected(e.context("opening the LLM connection's API key")))?;
    Ok(llm::Endpoint {
        base_url: connection.base_url.clone(),
        model: connection.model.clone(),
        api_key,
        timeout: Duration::from_secs(connection.timeout_secs.max(1) as u64),
    })
}

pub fn http_client() -> Result<reqwest::Client, AppError> {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e).context("building the LLM HTTP client")))
}

/// One pass: claims up to the connection's concurrency of due runs and runs them side by
/// side. Returns how many it finished or rescheduled. Without an LLM connection runs wait.
pub async fn step(ctx: &Ctx, now: NaiveDateTime) -> Result<usize, AppError> {
    let Some(connection) = ctx.db.run(|conn| Ok(db::llm_connections::find(conn)?)).await? else {
        return Ok(0);
    };
    let holder = ctx.instance_id.as_str().to_owned();
    // Long enough for both asks of a run; a run still held after this is taken over.
    let lease_until = now + chrono::Duration::seconds(2 * i64::from(connection.timeout_secs) + 30);
    let limit = i64::from(connection.max_concurrent.max(1));
    let claim_holder = holder.clone();
    let claimed: Vec<PipelineRun> = ctx
        .db
        .run(move |conn| {
            let mut claimed = Vec::new();
            for id in db::pipeline::due(conn, now, limit)? {
                if let Some(run) = write_tx(conn, |c| db::pipeline::claim(c, id, &claim_holder, now, lease_until))? {
                    claimed.push(run);
                }
            }
            Ok(claimed)
        })
        .await?;
    if claimed.is_empty() {
        return Ok(0);
    }
    let endpoint = endpoint(ctx, &connection)?;
    let client = http_client()?;
    let work = claimed.into_iter().map(|run| process(ctx, &client, &endpoint, &connection, &holder, run, now));
    let outcomes = join_all(work).await;
    let mut processed = 0;
    for outcome in outcomes {
        ctx.metrics.pipeline_run(&outcome);
        match outcome {
            Ok(_) => processed += 1,
            Err(e) => tracing::error!(error = %e.with_causes(), "recording a pipeline run failed"),
        }
    }
    Ok(processed)
}

async fn process(
    ctx: &Ctx,
    client: &reqwest::Client,
    endpoint: &llm::Endpoint,
    connection: &LlmConnection,
    holder: &str,
    run: PipelineRun,
    now: NaiveDateTime,
) -> Result<RunStatus, AppError> {
    let started = std::time::Instant::now();
    let interaction_id = run.interaction_id;
    let (config, input) = ctx
        .db
        .run(move |conn| {
            let input = run::load_input(conn, interaction_id)?;
            Ok((db::pipeline::campaign_config(conn, input.call.campaign_id)?, input))
        })
        .await?;
    let answer = run::analyse(client, endpoint, &config, &input).await;
    // The step's clock moved on by the time the run took (tests drive it with fixed times).
    let now = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
    let (model, prices) = (connection.model.clone(), (connection.input_usd_per_mtok, connection.output_usd_per_mtok));
    let holder = holder.to_owned();
    ctx.db
        .write(move |conn| {
            let usage_of = |usage: &Usage| (usage.prompt_tokens, usage.completion_tokens, usage.cost(prices.0, prices.1));
            match answer {
                Ok(Findings { mut result, usage }) => {
                    // Findings of an older version never overwrite a newer one's.
                    if !db::pipeline::newer_done(conn, &run)? {
                        run::apply(conn, &config, &input, &mut result, now)?;
                    }
                    let json = serde_json::to_string(&result).expect("results serialise");
                    let (prompt_tokens, completion_tokens, cost_usd) = usage_of(&usage);
                    let finished = Finished {
                        status: RunStatus::Done,
                        next_attempt_at: None,
                        model: &model,
                        result: Some(&json),
                        score: result.score,
                        error: None,
                        prompt_tokens,
                        completion_tokens,
                        cost_usd,
                        latency_ms: Some(usage.latency.as_millis().min(i32::MAX as u128) as i32),
                    };
                    record(conn, &run, &holder, &finished, now).map(|()| finished.status)
                }
                Err(failure) => {
                    let (status, next, message, usage) = match failure {
                        RunFailure::Transient { message, retry_after, usage } if run.attempts < MAX_ATTEMPTS => {
                            let wait = backoff(run.attempts).max(retry_after.unwrap_or_default());
                            let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                            let message = format!("attempt {} of {MAX_ATTEMPTS}: {message}", run.attempts);
                            (RunStatus::Pending, Some(next), message, usage)
                        }
                        RunFailure::Transient { message, usage, .. } => {
                            (RunStatus::Failed, None, format!("gave up after {MAX_ATTEMPTS} attempts: {message}"), usage)
                        }
                        RunFailure::Final { message, usage } => (RunStatus::Failed, None, message, usage),
                    };
                    let (prompt_tokens, completion_tokens, cost_usd) = usage_of(&usage);
                    let finished = Finished {
                        status,
                        next_attempt_at: next,
                        model: &model,
                        result: None,
                        score: None,
                        error: Some(&message),
                        prompt_tokens,
                        completion_tokens,
                        cost_usd,
                        latency_ms: None,
                    };
                    tracing::warn!(interaction_id = %run.interaction_id, version = run.version, error = %message, "pipeline run did not finish");
                    record(conn, &run, &holder, &finished, now).map(|()| finished.status)
                }
            }
        })
        .await
}

/// Writes the attempt; an instance that lost its lease meanwhile rolls its findings back.
fn record(
    conn: &mut db::DbConnection,
    run: &PipelineRun,
    holder: &str,
    finished: &Finished<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if db::pipeline::finish(conn, run.id, holder, finished, now)? {
        Ok(())
    } else {
        Err(AppError::conflict(format!("pipeline run {} was taken over by another instance", run.id)))
    }
}

/// 30 s, 2 min, 8 min … after the first, second, third attempt.
fn backoff(attempts: i32) -> Duration {
    Duration::from_secs(30 * 4u64.pow(attempts.clamp(1, 5) as u32 - 1))
}
