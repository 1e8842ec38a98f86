use serde_json::json;

use super::*;
use crate::domain::pipeline::config::{Criterion, ExtractionField};

fn config() -> PipelineConfig {
    PipelineConfig {
        llm_enabled: true,
        analysis: true,
        fields: vec![
            ExtractionField {
                name: "budget".into(),
                kind: FieldKind::Number,
                description: "Their budget in dollars".into(),
                choices: vec![],
                copy_to: None,
            },
            ExtractionField {
                name: "decision_date".into(),
                kind: FieldKind::Date,
                description: "When they decide".into(),
                choices: vec![],
                copy_to: None,
            },
            ExtractionField {
                name: "plan".into(),
                kind: FieldKind::Choice,
                description: "Plan".into(),
                choices: vec!["basic".into(), "pro".into()],
                copy_to: None,
            },
        ],
        rubric: vec![
            Criterion { name: "need".into(), weight: 3, description: "Has a need".into() },
            Criterion { name: "budget_fit".into(), weight: 1, description: "Budget fits".into() },
        ],
        ..PipelineConfig::default()
    }
}

fn answer() -> Value {
    json!({
        "analysis": {"summary": " Wants a demo. ", "sentiment": "positive", "outcome": "interested", "opt_out": false,
                     "callback_local_time": "2026-03-08T02:30"},
        "fields": {"budget": 5000, "decision_date": "2026-04-01", "plan": null},
        "scores": {"need": {"score": 80, "rationale": "clear need"}, "budget_fit": {"score": 40, "rationale": "tight"}}
    })
}

#[test]
fn r_pipeline_the_schema_is_strict_and_a_good_answer_fits_it() {
    let schema = answer_schema(&config());
    assert_eq!(schema["additionalProperties"], json!(false));
    assert_eq!(schema["required"], json!(["analysis", "fields", "scores"]));
    assert_eq!(schema["properties"]["fields"]["required"], json!(["budget", "decision_date", "plan"]));
    assert_eq!(schema["properties"]["fields"]["properties"]["plan"]["enum"], json!(["basic", "pro", null]));
    let validator = jsonschema::validator_for(&schema).unwrap();
    assert!(validator.is_valid(&answer()));
    let mut missing = answer();
    missing["fields"].as_object_mut().unwrap().remove("budget");
    assert!(!validator.is_valid(&missing));
    let mut wrong = answer();
    wrong["scores"]["need"]["score"] = json!(101);
    assert!(!validator.is_valid(&wrong));
}

#[test]
fn r_pipeline_an_answer_is_read_with_a_weighted_score_and_a_local_callback() {
    let zone: Tz = "America/New_York".parse().unwrap();
    let result = read_answer(&config(), &answer(), zone).unwrap();
    assert_eq!(result.summary.as_deref(), Some("Wants a demo."));
    assert_eq!(result.outcome(), Some(Outcome::Interested));
    // (80·3 + 40·1) / 4 = 70
    assert_eq!(result.score, Some(70));
    // 02:30 on the day New York springs forward does not exist: an hour on, 03:30 EDT.
    assert_eq!(result.callback_at.unwrap().to_string(), "2026-03-08 07:30:00");
    assert_eq!(result.found_values().len(), 2, "the null plan is not a found value");
}

#[test]
fn r_pipeline_a_date_field_that_is_not_a_date_is_an_invalid_answer() {
    let mut bad = answer();
    bad["fields"]["decision_date"] = json!("next spring");
    let error = read_answer(&config(), &bad, chrono_tz::UTC).unwrap_err();
    assert!(error.contains("decision_date"), "{error}");
}

#[test]
fn local_times_honour_offsets_and_the_autumn_overlap() {
    let zone: Tz = "America/Chicago".parse().unwrap();
    assert_eq!(local_time_to_utc("2026-11-01T01:30", zone).unwrap().to_string(), "2026-11-01 06:30:00");
    assert_eq!(local_time_to_utc("2026-11-02T09:00:00+01:00", zone).unwrap().to_string(), "2026-11-02 08:00:00");
    assert_eq!(local_time_to_utc("Thursday", zone), None);
}

#[test]
fn r_pipeline_provider_analysis_maps_into_the_same_shape() {
    let analysis = json!({
        "transcript_summary": "Asked for pricing.",
        "call_successful": "success",
        "data_collection_results": {"budget": {"data_collection_id": "budget", "value": 1200, "rationale": "said"}},
        "evaluation_criteria_results": {
            "greeted": {"criteria_id": "greeted", "result": "success", "rationale": "said hello"},
            "closed": {"criteria_id": "closed", "result": "failure", "rationale": "no close"},
            "other": {"criteria_id": "other", "result": "unknown", "rationale": ""}
        }
    });
    let result = from_provider(&analysis);
    assert_eq!(result.summary.as_deref(), Some("Asked for pricing."));
    assert_eq!(result.fields, vec![FieldValue { name: "budget".into(), value: json!(1200) }]);
    assert_eq!(result.score, Some(50));
    assert_eq!(result.criteria.len(), 3);
}

#[test]
fn r_outcome_effects_opt_out_wins_callback_needs_a_time_and_only_unclear_calls_are_reclassified() {
    let zone = chrono_tz::UTC;
    let mut result = read_answer(&config(), &answer(), zone).unwrap();
    let callback = effects(&result, Some(Outcome::Completed));
    assert_eq!(callback.outcome, Some(Outcome::Callback));
    assert!(callback.callback_at.is_some());
    result.opt_out = true;
    assert_eq!(effects(&result, Some(Outcome::Interested)).outcome, Some(Outcome::DoNotCall));
    assert_eq!(effects(&result, Some(Outcome::DoNotCall)).outcome, None, "already applied");
    result.opt_out = false;
    result.callback_at = None;
    assert_eq!(effects(&result, Some(Outcome::Completed)).outcome, Some(Outcome::Interested));
    assert_eq!(effects(&result, Some(Outcome::NotInterested)).outcome, None, "a clear ending stands");
}
