//! A campaign's post-call pipeline as its admins configure it (R-PIPELINE): which LLM steps
//! run, the fields to extract, the scoring rubric, and which of the provider's own
//! data-collection fields drive the outcome, an opt-out and a callback.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::codes::codes;

codes! {
    /// The type of an extracted value.
    pub enum FieldKind {
        Text => "string", "Text";
        Number => "number", "Number";
        Boolean => "boolean", "Yes / no";
        Date => "date", "Date (YYYY-MM-DD)";
        Choice => "enum", "One of a list";
    }
}

codes! {
    /// The lead field an extracted value is copied into.
    pub enum CopyTarget {
        FirstName => "first_name", "First name";
        LastName => "last_name", "Last name";
        Email => "email", "Email";
        Company => "company", "Company";
        /// The lead's custom field of the same name as the extracted field.
        Custom => "custom", "Custom field of the same name";
    }
}

/// A value the LLM extracts from the conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExtractionField {
    pub name: String,
    #[serde(with = "kind_code")]
    pub kind: FieldKind,
    pub description: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
    #[serde(default, with = "copy_code", skip_serializing_if = "Option::is_none")]
    pub copy_to: Option<CopyTarget>,
}

/// One criterion of the scoring rubric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub name: String,
    pub weight: u32,
    pub description: String,
}

/// Which data-collection fields of the provider's analysis mean what; `None` keeps the
/// built-in names (`outcome`, `opt_out`, `callback_at` and their usual spellings).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderFields {
    pub outcome: Option<String>,
    pub opt_out: Option<String>,
    pub callback: Option<String>,
}

impl ProviderFields {
    /// The collected values with the campaign's names standing in for the built-in ones
    /// (`outcome`, `opt_out`, `callback_at`), which they then take precedence over.
    pub fn rename(&self, collected: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
        let mut renamed = collected.clone();
        for (name, builtin) in [(&self.outcome, "outcome"), (&self.opt_out, "opt_out"), (&self.callback, "callback_at")]
        {
            if let Some(value) = name.as_ref().and_then(|n| collected.get(n)) {
                renamed.insert(builtin.to_owned(), value.clone());
            }
        }
        renamed
    }
}

/// A campaign's whole pipeline configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct PipelineConfig {
    /// Whether calls are sent to the LLM after they end.
    pub llm_enabled: bool,
    /// Summary, sentiment, outcome, opt-out and callback time.
    pub analysis: bool,
    pub fields: Vec<ExtractionField>,
    pub rubric: Vec<Criterion>,
    pub provider_fields: ProviderFields,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            llm_enabled: false,
            analysis: true,
            fields: Vec::new(),
            rubric: Vec::new(),
            provider_fields: ProviderFields::default(),
        }
    }
}

pub const MAX_FIELDS: usize = 20;
pub const MAX_CRITERIA: usize = 10;
const MAX_CHOICES: usize = 20;
const MAX_DESCRIPTION: usize = 500;

impl PipelineConfig {
    /// Whether an LLM run would have anything to do.
    pub fn has_llm_steps(&self) -> bool {
        self.analysis || !self.fields.is_empty() || !self.rubric.is_empty()
    }

    /// Every problem with the configuration, each naming the row it is on.
    pub fn problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.llm_enabled && !self.has_llm_steps() {
            problems.push("Turn on analysis, or add a field or a scoring criterion, for the LLM to have work".into());
        }
        if self.fields.len() > MAX_FIELDS {
            problems.push(format!("At most {MAX_FIELDS} fields can be extracted"));
        }
        if self.rubric.len() > MAX_CRITERIA {
            problems.push(format!("At most {MAX_CRITERIA} scoring criteria are allowed"));
        }
        for (i, field) in self.fields.iter().enumerate() {
            let row = format!("Field {}", i + 1);
            problems.extend(name_problem(&row, &field.name));
            if self.fields[..i].iter().any(|f| f.name == field.name) {
                problems.push(format!("{row}: the name “{}” is used twice", field.name));
            }
            problems.extend(description_problem(&row, &field.description));
            if field.kind == FieldKind::Choice {
                if field.choices.is_empty() {
                    problems.push(format!("{row}: list the choices, separated by commas"));
                } else if field.choices.len() > MAX_CHOICES {
                    problems.push(format!("{row}: at most {MAX_CHOICES} choices"));
                }
            }
            let text_only = matches!(
                field.copy_to,
                Some(CopyTarget::FirstName | CopyTarget::LastName | CopyTarget::Email | CopyTarget::Company)
            );
            if text_only && !matches!(field.kind, FieldKind::Text | FieldKind::Choice) {
                problems.push(format!("{row}: only text can be copied into a lead's name, email or company"));
            }
        }
        for (i, criterion) in self.rubric.iter().enumerate() {
            let row = format!("Criterion {}", i + 1);
            problems.extend(name_problem(&row, &criterion.name));
            if self.rubric[..i].iter().any(|c| c.name == criterion.name) {
                problems.push(format!("{row}: the name “{}” is used twice", criterion.name));
            }
            if !(1..=100).contains(&criterion.weight) {
                problems.push(format!("{row}: the weight must be a whole number from 1 to 100"));
            }
            problems.extend(description_problem(&row, &criterion.description));
        }
        let provider = &self.provider_fields;
        for (label, name) in [
            ("Outcome field", &provider.outcome),
            ("Opt-out field", &provider.opt_out),
            ("Callback field", &provider.callback),
        ] {
            if let Some(name) = name {
                problems.extend(name_problem(label, name));
            }
        }
        problems
    }

    pub fn fields_json(&self) -> String {
        serde_json::to_string(&self.fields).expect("fields serialise")
    }

    pub fn rubric_json(&self) -> String {
        serde_json::to_string(&self.rubric).expect("rubric serialises")
    }

    /// Reads the stored lists; a list that no longer parses is read as empty rather than
    /// stopping calls from completing.
    pub fn lists_from_json(fields: &str, rubric: &str) -> (Vec<ExtractionField>, Vec<Criterion>) {
        (serde_json::from_str(fields).unwrap_or_default(), serde_json::from_str(rubric).unwrap_or_default())
    }
}

/// Names are JSON-schema property names and custom-field keys: short snake case.
fn name_problem(row: &str, name: &str) -> Option<String> {
    let mut chars = name.chars();
    let valid = name.len() <= 40
        && chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    (!valid)
        .then(|| format!("{row}: the name “{name}” must start with a letter and use only a–z, 0–9 and _ (at most 40)"))
}

fn description_problem(row: &str, description: &str) -> Option<String> {
    if description.trim().is_empty() {
        Some(format!("{row}: describe it, so the model knows what to look for"))
    } else if description.chars().count() > MAX_DESCRIPTION {
        Some(format!("{row}: the description must be at most {MAX_DESCRIPTION} characters"))
    } else {
        None
    }
}

/// Splits a comma-separated list of choices, dropping blanks and repeats.
pub fn parse_choices(input: &str) -> Vec<String> {
    let mut choices: Vec<String> = Vec::new();
    for choice in input.split(',').map(str::trim).filter(|c| !c.is_empty()) {
        if !choices.iter().any(|c| c == choice) {
            choices.push(choice.to_owned());
        }
    }
    choices
}

mod kind_code {
    use super::FieldKind;

    pub fn serialize<S: serde::Serializer>(kind: &FieldKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(kind.as_str())
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<FieldKind, D::Error> {
        let code: String = serde::Deserialize::deserialize(d)?;
        FieldKind::from_code(&code).ok_or_else(|| serde::de::Error::custom(format!("unknown field type {code}")))
    }
}

mod copy_code {
    use super::CopyTarget;

    pub fn serialize<S: serde::Serializer>(target: &Option<CopyTarget>, s: S) -> Result<S::Ok, S::Error> {
        match target {
            Some(t) => s.serialize_some(t.as_str()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<CopyTarget>, D::Error> {
        let code: Option<String> = serde::Deserialize::deserialize(d)?;
        Ok(code.as_deref().and_then(CopyTarget::from_code))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(name: &str, kind: FieldKind) -> ExtractionField {
        ExtractionField { name: name.into(), kind, description: "what".into(), choices: vec![], copy_to: None }
    }

    #[test]
    fn r_pipeline_a_valid_configuration_round_trips_through_json() {
        let mut config = PipelineConfig { llm_enabled: true, ..PipelineConfig::default() };
        config.fields.push(ExtractionField {
            choices: vec!["a".into(), "b".into()],
            copy_to: Some(CopyTarget::Custom),
            ..field("plan", FieldKind::Choice)
        });
        config.rubric.push(Criterion { name: "fit".into(), weight: 3, description: "fits".into() });
        assert!(config.problems().is_empty(), "{:?}", config.problems());
        let (fields, rubric) = PipelineConfig::lists_from_json(&config.fields_json(), &config.rubric_json());
        assert_eq!((fields, rubric), (config.fields.clone(), config.rubric.clone()));
    }

    #[test]
    fn r_pipeline_bad_rows_are_named() {
        let mut config = PipelineConfig { llm_enabled: true, analysis: false, ..PipelineConfig::default() };
        assert_eq!(config.problems().len(), 1, "nothing to do");
        config.fields = vec![
            field("Budget", FieldKind::Number),
            field("ok", FieldKind::Choice),
            ExtractionField { copy_to: Some(CopyTarget::Email), ..field("ok", FieldKind::Number) },
        ];
        config.rubric = vec![Criterion { name: "fit".into(), weight: 0, description: " ".into() }];
        let problems = config.problems().join("\n");
        for expected in [
            "Field 1: the name “Budget”",
            "Field 2: list the choices",
            "Field 3: the name “ok” is used twice",
            "Field 3: only text can be copied",
            "Criterion 1: the weight",
            "Criterion 1: describe it",
        ] {
            assert!(problems.contains(expected), "{expected} missing from {problems}");
        }
    }

    #[test]
    fn choices_are_split_trimmed_and_deduplicated() {
        assert_eq!(parse_choices(" a, b,,a , c "), vec!["a", "b", "c"]);
    }
}
