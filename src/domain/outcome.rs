//! Call outcomes and what they do to a lead (R-OUTCOME).

use std::collections::BTreeMap;

use super::codes::codes;
use super::lead::LeadStatus;

codes! {
    pub enum Outcome {
        Interested => "interested", "Interested";
        NotInterested => "not_interested", "Not interested";
        Callback => "callback", "Callback requested";
        Voicemail => "voicemail", "Voicemail";
        /// The lead asked never to be called again.
        DoNotCall => "do_not_call", "Opted out (do not call)";
        WrongNumber => "wrong_number", "Wrong number";
        /// A conversation took place but nothing more specific is known.
        Completed => "completed", "Talked, no clear outcome";
        Busy => "busy", "Busy";
        NoAnswer => "no_answer", "No answer";
        Failed => "failed", "Call failed";
    }
}

impl Outcome {
    /// The outcomes of a call that connected (a person or a machine answered): what a person
    /// settling a call may choose, and what the pipeline classifies a conversation into.
    pub const CONNECTED: [Outcome; 7] = [
        Outcome::Interested,
        Outcome::NotInterested,
        Outcome::Callback,
        Outcome::Voicemail,
        Outcome::DoNotCall,
        Outcome::WrongNumber,
        Outcome::Completed,
    ];

    /// Accepts the stored names and the spellings people and providers use.
    pub fn parse(input: &str) -> Option<Outcome> {
        let key = input.trim().to_lowercase().replace([' ', '-'], "_");
        let alias = match key.as_str() {
            "opt_out" | "opted_out" | "dnc" | "unsubscribe" | "remove" => "do_not_call",
            "call_back" | "callback_requested" => "callback",
            "not_reached" | "noanswer" => "no_answer",
            "qualified" | "success" | "successful" => "interested",
            "rejected" | "declined" => "not_interested",
            "answering_machine" | "machine" => "voicemail",
            other => other,
        };
        Outcome::from_code(alias)
    }

    /// The lead status an outcome leads to by default; `None` keeps the current status.
    pub fn default_status(self) -> Option<LeadStatus> {
        match self {
            Outcome::Interested => Some(LeadStatus::Qualified),
            Outcome::NotInterested => Some(LeadStatus::NotInterested),
            Outcome::Callback => Some(LeadStatus::Callback),
            Outcome::Voicemail | Outcome::Completed => Some(LeadStatus::Contacted),
            Outcome::DoNotCall => Some(LeadStatus::DoNotCall),
            Outcome::WrongNumber => Some(LeadStatus::InvalidNumber),
            Outcome::Busy | Outcome::NoAnswer | Outcome::Failed => None,
        }
    }

    /// Whether the lead was actually reached (a person talked).
    pub fn reached_person(self) -> bool {
        matches!(
            self,
            Outcome::Interested
                | Outcome::NotInterested
                | Outcome::Callback
                | Outcome::DoNotCall
                | Outcome::WrongNumber
                | Outcome::Completed
        )
    }
}

/// A campaign's outcome → lead status map: its overrides over the defaults.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatusMap {
    overrides: BTreeMap<Outcome, Option<LeadStatus>>,
}

impl StatusMap {
    /// Reads the stored JSON (`{"voicemail": "callback", "busy": null}`); unknown keys are
    /// ignored, so an old map never breaks calls.
    pub fn from_json(json: Option<&str>) -> StatusMap {
        let Some(json) = json else { return StatusMap::default() };
        let Ok(map) = serde_json::from_str::<BTreeMap<String, Option<String>>>(json) else {
            return StatusMap::default();
        };
        let overrides = map
            .into_iter()
            .filter_map(|(outcome, status)| {
                let outcome = Outcome::parse(&outcome)?;
                let status = match status {
                    Some(s) => Some(LeadStatus::parse(&s).ok()?),
                    None => None,
                };
                Some((outcome, status))
            })
            .collect();
        StatusMap { overrides }
    }

    pub fn to_json(&self) -> String {
        let map: BTreeMap<&str, Option<&str>> =
            self.overrides.iter().map(|(o, s)| (o.as_str(), s.map(LeadStatus::as_str))).collect();
        serde_json::to_string(&map).expect("strings serialise")
    }

    /// The status a lead gets for this outcome (`None`: unchanged).
    pub fn status_for(&self, outcome: Outcome) -> Option<LeadStatus> {
        self.overrides.get(&outcome).copied().unwrap_or_else(|| outcome.default_status())
    }

    /// Sets an override; setting the default removes it.
    pub fn set(&mut self, outcome: Outcome, status: Option<LeadStatus>) {
        if status == outcome.default_status() {
            self.overrides.remove(&outcome);
        } else {
            self.overrides.insert(outcome, status);
        }
    }

    pub fn is_default(&self, outcome: Outcome) -> bool {
        !self.overrides.contains_key(&outcome)
    }
}

/// What the provider's analysis says about the call, normalised.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AnalysisFacts {
    /// `success`, `failure` or `unknown`.
    pub call_successful: Option<String>,
    /// Data collection results by id.
    pub collected: BTreeMap<String, serde_json::Value>,
    pub termination_reason: Option<String>,
}

const OUTCOME_KEYS: [&str; 4] = ["outcome", "call_outcome", "disposition", "result"];
const OPT_OUT_KEYS: [&str; 4] = ["opt_out", "opted_out", "do_not_call", "dnc"];

fn truthy(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::Bool(b) => *b,
        serde_json::Value::String(s) => matches!(s.trim().to_lowercase().as_str(), "true" | "yes" | "y" | "1"),
        serde_json::Value::Number(n) => n.as_i64() == Some(1),
        _ => false,
    }
}

/// Classifies a completed conversation: an explicit outcome the agent collected wins, then
/// an opt-out, then voicemail detection, then the provider's success verdict.
pub fn classify(facts: &AnalysisFacts) -> Outcome {
    for key in OUTCOME_KEYS {
        if let Some(outcome) = facts.collected.get(key).and_then(|v| v.as_str()).and_then(Outcome::parse) {
            return outcome;
        }
    }
    if OPT_OUT_KEYS.iter().any(|k| facts.collected.get(*k).is_some_and(truthy)) {
        return Outcome::DoNotCall;
    }
    let voicemail = facts.collected.get("voicemail").is_some_and(truthy)
        || facts.termination_reason.as_deref().is_some_and(|r| r.to_lowercase().contains("voicemail"));
    if voicemail {
        return Outcome::Voicemail;
    }
    match facts.call_successful.as_deref() {
        Some("success") => Outcome::Interested,
        Some("failure") => Outcome::NotInterested,
        _ => Outcome::Completed,
    }
}

/// The callback time the agent collected (`callback_at`), as said: RFC 3339 is exact, a
/// time without offset is the lead's own local time.
pub fn callback_said(facts: &AnalysisFacts) -> Option<&str> {
    ["callback_at", "callback_time"].iter().find_map(|k| facts.collected.get(*k).and_then(|v| v.as_str()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn facts(successful: Option<&str>, collected: serde_json::Value, termination: Option<&str>) -> AnalysisFacts {
        AnalysisFacts {
            call_successful: successful.map(str::to_owned),
            collected: serde_json::from_value(collected).unwrap(),
            termination_reason: termination.map(str::to_owned),
        }
    }

    #[test]
    fn outcomes_parse_names_and_aliases() {
        for &o in Outcome::ALL {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Outcome::parse("Opt-Out"), Some(Outcome::DoNotCall));
        assert_eq!(Outcome::parse("call back"), Some(Outcome::Callback));
        assert_eq!(Outcome::parse("maybe"), None);
    }

    #[test]
    fn an_explicit_collected_outcome_wins() {
        let f = facts(Some("success"), json!({"outcome": "callback"}), None);
        assert_eq!(classify(&f), Outcome::Callback);
    }

    #[test]
    fn an_opt_out_becomes_do_not_call() {
        assert_eq!(classify(&facts(Some("success"), json!({"opt_out": true}), None)), Outcome::DoNotCall);
        assert_eq!(classify(&facts(None, json!({"do_not_call": "yes"}), None)), Outcome::DoNotCall);
    }

    #[test]
    fn voicemail_is_detected_from_data_or_termination() {
        assert_eq!(classify(&facts(Some("failure"), json!({"voicemail": true}), None)), Outcome::Voicemail);
        assert_eq!(classify(&facts(None, json!({}), Some("Voicemail detected"))), Outcome::Voicemail);
    }

    #[test]
    fn the_success_verdict_is_the_fallback() {
        assert_eq!(classify(&facts(Some("success"), json!({}), None)), Outcome::Interested);
        assert_eq!(classify(&facts(Some("failure"), json!({}), None)), Outcome::NotInterested);
        assert_eq!(classify(&facts(Some("unknown"), json!({"outcome": "banana"}), None)), Outcome::Completed);
    }

    #[test]
    fn the_status_map_applies_defaults_and_overrides() {
        let mut map = StatusMap::from_json(Some(r#"{"voicemail": "callback", "busy": null, "nonsense": "x"}"#));
        assert_eq!(map.status_for(Outcome::Voicemail), Some(LeadStatus::Callback));
        assert_eq!(map.status_for(Outcome::Interested), Some(LeadStatus::Qualified));
        assert_eq!(map.status_for(Outcome::Busy), None);
        assert_eq!(map.status_for(Outcome::DoNotCall), Some(LeadStatus::DoNotCall));
        map.set(Outcome::Voicemail, Some(LeadStatus::Contacted));
        assert!(map.is_default(Outcome::Voicemail));
        map.set(Outcome::Completed, Some(LeadStatus::Qualified));
        assert_eq!(StatusMap::from_json(Some(&map.to_json())), map);
        assert_eq!(StatusMap::from_json(Some("not json")), StatusMap::default());
    }

    #[test]
    fn a_collected_callback_time_is_read() {
        let f = facts(None, json!({"callback_time": "2026-11-27 15:00"}), None);
        assert_eq!(callback_said(&f), Some("2026-11-27 15:00"));
    }
}
