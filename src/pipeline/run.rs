//! One run of a call through the LLM: what it is told, how its answer is checked (the schema
//! it was sent, then the values the schema cannot express; a bad answer is asked for once
//! more), and what the findings change.

use std::time::Duration;

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use serde_json::Value;

use super::llm::{self, Endpoint, LlmError};
use crate::db::interactions::{Interaction, TranscriptTurn};
use crate::db::leads::Lead;
use crate::db::{self, DbConnection};
use crate::domain::lead::lead_zone;
use crate::domain::pipeline::answer::{self, RunResult};
use crate::domain::pipeline::config::PipelineConfig;
use crate::domain::pipeline::copy::LeadFields;
use crate::error::AppError;
use crate::ids::InteractionId;

/// Everything a run needs, read before the LLM is asked.
#[derive(Debug, Clone)]
pub struct RunInput {
    pub call: Interaction,
    pub lead: Lead,
    pub zone: Tz,
    pub transcript: Vec<TranscriptTurn>,
}

pub fn load_input(conn: &mut DbConnection, id: InteractionId) -> Result<RunInput, AppError> {
    let call = db::interactions::find(conn, id)?;
    let lead = db::leads::find(conn, call.lead_id)?;
    let campaign = db::campaigns::find(conn, call.campaign_id)?;
    let zone = lead_zone(lead.timezone, &lead.phone, Some(campaign.timezone)).map_or(campaign.timezone, |z| z.zone);
    let transcript = db::interactions::transcript(conn, id)?;
    Ok(RunInput { call, lead, zone, transcript })
}

/// A successful run's findings and what it took.
#[derive(Debug, Clone)]
pub struct Findings {
    pub result: RunResult,
    pub usage: Usage,
}

#[derive(Debug, Clone, Default)]
pub struct Usage {
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub latency: Duration,
}

impl Usage {
    fn add(&mut self, answer: &llm::Answer) {
        let sum = |a: Option<i32>, b: Option<i32>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0) + b.unwrap_or(0)),
        };
        self.prompt_tokens = sum(self.prompt_tokens, answer.prompt_tokens);
        self.completion_tokens = sum(self.completion_tokens, answer.completion_tokens);
        self.latency += answer.latency;
    }

    /// US dollars, when the model's prices are known.
    pub fn cost(&self, input_per_mtok: Option<f64>, output_per_mtok: Option<f64>) -> Option<f64> {
        if input_per_mtok.is_none() && output_per_mtok.is_none() {
            return None;
        }
        let part = |tokens: Option<i32>, price: Option<f64>| f64::from(tokens.unwrap_or(0)) * price.unwrap_or(0.0);
        Some((part(self.prompt_tokens, input_per_mtok) + part(self.completion_tokens, output_per_mtok)) / 1_000_000.0)
    }
}

/// Why a run did not produce findings.
#[derive(Debug, Clone)]
pub enum RunFailure {
    /// Worth another attempt later.
    Transient { message: String, retry_after: Option<Duration>, usage: Usage },
    /// Will not get better by asking again.
    Final { message: String, usage: Usage },
}

const SYSTEM_PROMPT: &str = "You review a sales phone call between an AI agent and a lead. Answer only from what \
was said in the transcript; use null where the call did not say. Reply with JSON that fits the given schema.";

/// The user message: the call's facts and its transcript.
pub fn user_message(input: &RunInput) -> String {
    let mut text = format!(
        "Lead: {}\nLead's time zone: {}\nCall started (UTC): {}\nDuration: {} s\n\nTranscript:\n",
        input.lead.full_name(),
        input.zone.name(),
        input.call.started_at.map_or_else(|| "unknown".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string()),
        input.call.duration_secs.unwrap_or(0),
    );
    if input.transcript.is_empty() {
        text.push_str("(no transcript)\n");
    }
    for turn in &input.transcript {
        let speaker = if turn.role == "agent" { "Agent" } else { "Lead" };
        text.push_str(&format!("[{}s] {speaker}: {}\n", turn.time_in_call_secs, turn.message.as_deref().unwrap_or("")));
    }
    text
}

/// Asks the LLM for `config`'s steps on the call; an answer that does not fit is asked for
/// once more.
pub async fn analyse(
    client: &reqwest::Client,
    endpoint: &Endpoint,
    config: &PipelineConfig,
    input: &RunInput,
) -> Result<Findings, RunFailure> {
    let schema = answer::answer_schema(config);
    let validator = jsonschema::validator_for(&schema).map_err(|e| RunFailure::Final {
        message: format!("the answer schema is invalid: {e}"),
        usage: Usage::default(),
    })?;
    let user = user_message(input);
    let mut usage = Usage::default();
    let mut last_problem = String::new();
    for _ in 0..2 {
        let reply = match llm::ask(client, endpoint, SYSTEM_PROMPT, &user, &schema).await {
            Ok(reply) => reply,
            Err(LlmError::Transient { message, retry_after }) => {
                return Err(RunFailure::Transient { message, retry_after, usage });
            }
            Err(LlmError::Refused(message)) => return Err(RunFailure::Final { message, usage }),
        };
        usage.add(&reply);
        match check(config, &validator, reply.content, input.zone) {
            Ok(result) => return Ok(Findings { result, usage }),
            Err(problem) => last_problem = problem,
        }
    }
    Err(RunFailure::Final { message: format!("the answer did not fit the schema twice: {last_problem}"), usage })
}

fn check(
    config: &PipelineConfig,
    validator: &jsonschema::Validator,
    content: Result<Value, String>,
    zone: Tz,
) -> Result<RunResult, String> {
    let value = content.map_err(|raw| format!("not JSON: {raw}"))?;
    if let Some(error) = validator.iter_errors(&value).next() {
        let at = error.instance_path().to_string();
        return Err(format!("{} {error}", if at.is_empty() { "/".to_owned() } else { at }));
    }
    answer::read_answer(config, &value, zone)
}

/// Applies a finished run's findings, in the caller's transaction: the call's score and
/// values; extracted values copied into the lead; and, unless a later call of the lead has
/// happened, a refined outcome, a callback time and an opt-out (an opt-out always).
pub fn apply(
    conn: &mut DbConnection,
    config: &PipelineConfig,
    input: &RunInput,
    result: &mut RunResult,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let found = result.found_values();
    let extracted = (!found.is_empty()).then(|| Value::Object(found).to_string());
    let call = db::interactions::find(conn, input.call.id)?;
    db::pipeline::set_call_findings(conn, &call, result.score, extracted.as_deref())?;
    let latest = !db::pipeline::later_call_exists(conn, &call)?;
    if latest {
        let lead = db::leads::find(conn, call.lead_id)?;
        copy_into_lead(conn, config, result, &lead, now)?;
    }
    let effects = answer::effects(result, call.outcome);
    let Some(outcome) = effects.outcome else { return Ok(()) };
    if !latest && outcome != crate::domain::outcome::Outcome::DoNotCall {
        result.notes.push(format!("{} not applied: the lead has had a later call", outcome.label()));
        return Ok(());
    }
    db::pipeline::set_call_outcome(conn, call.id, outcome, now)?;
    crate::calls::settle::apply_outcome_to_lead(conn, &call, outcome, effects.callback_at, now)
}

fn copy_into_lead(
    conn: &mut DbConnection,
    config: &PipelineConfig,
    result: &mut RunResult,
    lead: &Lead,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let mut copies = Vec::new();
    for field in &config.fields {
        let Some(target) = field.copy_to else { continue };
        let Some(value) = result.fields.iter().find(|v| v.name == field.name).map(|v| &v.value) else { continue };
        if value.is_null() {
            continue;
        }
        copies.push((target, field.name.as_str(), value.clone()));
    }
    if copies.is_empty() {
        return Ok(());
    }
    let mut fields = LeadFields {
        first_name: lead.first_name.clone(),
        last_name: lead.last_name.clone(),
        email: lead.email.clone(),
        company: lead.company.clone(),
        custom: lead.custom_map(),
    };
    for (target, name, value) in copies {
        if let Err(problem) = fields.set(target, name, value) {
            result.notes.push(problem);
        }
    }
    db::pipeline::write_lead_fields(conn, lead.id, &fields, now)?;
    Ok(())
}
