//! What the LLM is asked for and what its answer means: the JSON schema of the structured
//! answer (OpenAI `response_format` `json_schema`, strict), the answer read into a
//! [`RunResult`], and the provider's own analysis read into the same shape.

use chrono::{NaiveDate, NaiveDateTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::config::{FieldKind, PipelineConfig};
use crate::domain::outcome::Outcome;

pub const SENTIMENTS: [&str; 3] = ["positive", "neutral", "negative"];

/// One run's findings, as stored and shown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub summary: Option<String>,
    pub sentiment: Option<String>,
    /// An outcome code of [`Outcome::CONNECTED`].
    pub outcome: Option<String>,
    pub opt_out: bool,
    /// The callback time the lead named, in their local time, as the model gave it.
    pub callback_local: Option<String>,
    /// That time in UTC, resolved in the lead's zone.
    pub callback_at: Option<NaiveDateTime>,
    pub fields: Vec<FieldValue>,
    /// The weighted score, 0–100.
    pub score: Option<i32>,
    pub criteria: Vec<CriterionScore>,
    /// What could not be applied (e.g. an extracted email that is not one).
    #[serde(default)]
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldValue {
    pub name: String,
    /// `null` when the conversation did not say.
    pub value: Value,
}

impl FieldValue {
    /// The value as a person reads it.
    pub fn shown(&self) -> String {
        match &self.value {
            Value::Null => "—".to_owned(),
            Value::String(text) => text.clone(),
            Value::Bool(yes) => if *yes { "yes" } else { "no" }.to_owned(),
            other => other.to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CriterionScore {
    pub name: String,
    pub weight: u32,
    /// 0–100; `None` when the provider gave no verdict.
    pub score: Option<i32>,
    pub rationale: String,
}

impl RunResult {
    pub fn outcome(&self) -> Option<Outcome> {
        self.outcome.as_deref().and_then(Outcome::from_code)
    }

    /// Whether there is anything to show.
    pub fn is_empty(&self) -> bool {
        self.summary.is_none() && self.fields.is_empty() && self.criteria.is_empty() && self.outcome.is_none()
    }

    /// Extracted values that were found, as a JSON object (for the call list's filters).
    pub fn found_values(&self) -> Map<String, Value> {
        self.fields.iter().filter(|f| !f.value.is_null()).map(|f| (f.name.clone(), f.value.clone())).collect()
    }
}

/// The JSON schema of the answer to a run of `config`'s steps.
pub fn answer_schema(config: &PipelineConfig) -> Value {
    let mut properties = Map::new();
    if config.analysis {
        let outcomes: Vec<&str> = Outcome::CONNECTED.iter().map(|o| o.as_str()).collect();
        properties.insert(
            "analysis".into(),
            strict_object(json!({
                "summary": {"type": "string", "description": "Two or three sentences on what happened in the call."},
                "sentiment": {"type": "string", "enum": SENTIMENTS, "description": "The lead's attitude."},
                "outcome": {"type": "string", "enum": outcomes,
                            "description": "interested, not_interested, callback (asked to be called later), voicemail, do_not_call (asked not to be called again), wrong_number, or completed (talked, nothing clearer)."},
                "opt_out": {"type": "boolean", "description": "Whether the lead asked not to be called again."},
                "callback_local_time": {"type": ["string", "null"],
                                        "description": "When the lead asked to be called back, in their own local time as YYYY-MM-DDTHH:MM; null if they did not ask."}
            })),
        );
    }
    if !config.fields.is_empty() {
        let mut fields = Map::new();
        for field in &config.fields {
            let mut schema = match field.kind {
                FieldKind::Text => json!({"type": ["string", "null"]}),
                FieldKind::Number => json!({"type": ["number", "null"]}),
                FieldKind::Boolean => json!({"type": ["boolean", "null"]}),
                FieldKind::Date => json!({"type": ["string", "null"], "description": "YYYY-MM-DD"}),
                FieldKind::Choice => {
                    let mut choices: Vec<Value> = field.choices.iter().map(|c| json!(c)).collect();
                    choices.push(Value::Null);
                    json!({"type": ["string", "null"], "enum": choices})
                }
            };
            let hint = format!("{} (null if the call did not say)", field.description.trim());
            schema["description"] = json!(match schema.get("description") {
                Some(format) => format!("{hint}; format {}", format.as_str().unwrap_or_default()),
                None => hint,
            });
            fields.insert(field.name.clone(), schema);
        }
        properties.insert("fields".into(), strict_object(Value::Object(fields)));
    }
    if !config.rubric.is_empty() {
        let mut criteria = Map::new();
        for criterion in &config.rubric {
            let mut schema = strict_object(json!({
                "score": {"type": "integer", "minimum": 0, "maximum": 100},
                "rationale": {"type": "string", "description": "One sentence on why."}
            }));
            schema["description"] = json!(criterion.description.trim());
            criteria.insert(criterion.name.clone(), schema);
        }
        properties.insert("scores".into(), strict_object(Value::Object(criteria)));
    }
    strict_object(Value::Object(properties))
}

/// An object whose properties are all required and that allows no others (strict mode).
fn strict_object(properties: Value) -> Value {
    let required: Vec<String> = properties.as_object().map(|p| p.keys().cloned().collect()).unwrap_or_default();
    json!({"type": "object", "properties": properties, "required": required, "additionalProperties": false})
}

/// Reads an answer that already passed the schema into a result. Values the schema cannot
/// express (a date that is not one) are reported as an invalid answer.
pub fn read_answer(config: &PipelineConfig, answer: &Value, lead_zone: Tz) -> Result<RunResult, String> {
    let mut result = RunResult::default();
    if config.analysis {
        let analysis = &answer["analysis"];
        result.summary = analysis["summary"].as_str().map(|s| s.trim().to_owned());
        result.sentiment = analysis["sentiment"].as_str().map(str::to_owned);
        result.outcome = analysis["outcome"].as_str().map(str::to_owned);
        result.opt_out = analysis["opt_out"].as_bool().unwrap_or(false);
        if let Some(said) = analysis["callback_local_time"].as_str() {
            let at = local_time_to_utc(said, lead_zone)
                .ok_or_else(|| format!("callback_local_time “{said}” is not a time such as 2026-05-01T14:30"))?;
            result.callback_local = Some(said.to_owned());
            result.callback_at = Some(at);
        }
    }
    for field in &config.fields {
        let value = answer["fields"][&field.name].clone();
        if field.kind == FieldKind::Date
            && let Some(text) = value.as_str()
            && NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err()
        {
            return Err(format!("field {} = “{text}” is not a date such as 2026-05-01", field.name));
        }
        result.fields.push(FieldValue { name: field.name.clone(), value });
    }
    for criterion in &config.rubric {
        let given = &answer["scores"][&criterion.name];
        result.criteria.push(CriterionScore {
            name: criterion.name.clone(),
            weight: criterion.weight,
            score: given["score"].as_i64().map(|s| s.clamp(0, 100) as i32),
            rationale: given["rationale"].as_str().unwrap_or_default().to_owned(),
        });
    }
    result.score = weighted_score(&result.criteria);
    Ok(result)
}

/// The weight-averaged score of the criteria that have one, rounded.
pub fn weighted_score(criteria: &[CriterionScore]) -> Option<i32> {
    let scored: Vec<(f64, f64)> =
        criteria.iter().filter_map(|c| c.score.map(|s| (f64::from(c.weight), f64::from(s)))).collect();
    let total: f64 = scored.iter().map(|(w, _)| w).sum();
    (total > 0.0).then(|| (scored.iter().map(|(w, s)| w * s).sum::<f64>() / total).round() as i32)
}

/// A time as the lead said it: with an offset it is exact; without, it is the lead's own
/// wall-clock time. A wall-clock time skipped by a DST change moves an hour on; one that
/// happens twice is the first.
pub fn local_time_to_utc(input: &str, zone: Tz) -> Option<NaiveDateTime> {
    let input = input.trim();
    if let Ok(exact) = chrono::DateTime::parse_from_rfc3339(input) {
        return Some(exact.naive_utc());
    }
    let local = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(input, f).ok())?;
    use chrono::TimeZone as _;
    zone.from_local_datetime(&local)
        .earliest()
        .or_else(|| zone.from_local_datetime(&(local + chrono::Duration::hours(1))).earliest())
        .map(|t| t.naive_utc())
}

/// The provider's own analysis (ElevenLabs `analysis`) in the shape of a run's result: its
/// summary, its data-collection values as fields, its evaluation criteria as criteria
/// (success 100, failure 0, unknown unscored).
pub fn from_provider(analysis: &Value) -> RunResult {
    let mut result =
        RunResult { summary: analysis["transcript_summary"].as_str().map(str::to_owned), ..RunResult::default() };
    if let Some(collected) = analysis["data_collection_results"].as_object() {
        for (name, item) in collected {
            result
                .fields
                .push(FieldValue { name: name.clone(), value: item.get("value").cloned().unwrap_or_default() });
        }
    }
    if let Some(criteria) = analysis["evaluation_criteria_results"].as_object() {
        for (name, item) in criteria {
            let score = match item["result"].as_str() {
                Some("success") => Some(100),
                Some("failure") => Some(0),
                _ => None,
            };
            let rationale = item["rationale"].as_str().unwrap_or_default().to_owned();
            result.criteria.push(CriterionScore { name: name.clone(), weight: 1, score, rationale });
        }
    }
    result.score = weighted_score(&result.criteria);
    result
}

/// What a finished run changes about its call and lead.
#[derive(Debug, Clone, PartialEq)]
pub struct Effects {
    /// The call's new outcome, when the run tells more than the call's ending did.
    pub outcome: Option<Outcome>,
    pub callback_at: Option<NaiveDateTime>,
}

/// An opt-out always wins; a named callback time makes a callback; otherwise the model's
/// classification only replaces "talked, no clear outcome".
pub fn effects(result: &RunResult, current: Option<Outcome>) -> Effects {
    let outcome = if result.opt_out || result.outcome() == Some(Outcome::DoNotCall) {
        Some(Outcome::DoNotCall)
    } else if result.callback_at.is_some() {
        Some(Outcome::Callback)
    } else {
        result.outcome().filter(|o| current == Some(Outcome::Completed) && *o != Outcome::Completed)
    };
    let outcome = outcome.filter(|o| Some(*o) != current || *o == Outcome::Callback);
    Effects { outcome, callback_at: result.callback_at.filter(|_| outcome == Some(Outcome::Callback)) }
}

#[cfg(test)]
#[path = "answer_tests.rs"]
mod tests;
