//! What happens on a simulated call: the scenario a number and attempt lead to, and the
//! conversation (transcript, length, analysis) it produces.

use serde_json::{Map, Value, json};

use crate::domain::interaction::Direction;

/// How a simulated call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scenario {
    Interested,
    NotInterested,
    Callback,
    Voicemail,
    OptOut,
    Busy,
    NoAnswer,
}

impl Scenario {
    /// Varied but repeatable: the same number and attempt (`"<number>#<attempt>"`) always
    /// go the same way.
    pub(super) fn pick(seed: &str) -> Scenario {
        let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        match hash % 20 {
            0..=5 => Scenario::Interested,
            6..=9 => Scenario::NotInterested,
            10..=12 => Scenario::Callback,
            13..=15 => Scenario::Voicemail,
            16 => Scenario::OptOut,
            17..=18 => Scenario::Busy,
            _ => Scenario::NoAnswer,
        }
    }

    /// How a simulated caller's call goes: they always reach the agent.
    pub(super) fn pick_inbound(seed: &str) -> Scenario {
        match Scenario::pick(seed) {
            Scenario::Voicemail | Scenario::Busy => Scenario::Interested,
            Scenario::NoAnswer => Scenario::Callback,
            talked => talked,
        }
    }

    /// Whether someone (or a voicemail box) picked up.
    pub(super) fn answered(self) -> bool {
        !matches!(self, Scenario::Busy | Scenario::NoAnswer)
    }

    /// `metadata.phone_call.call_result` of the conversation.
    pub(super) fn call_result(self) -> &'static str {
        match self {
            Scenario::Voicemail => "voicemail",
            Scenario::Busy => "busy",
            Scenario::NoAnswer => "no_answer",
            _ => "answered",
        }
    }

    /// How long the call takes, as a real one would: the conversation, or the ringing until
    /// the line is busy or nobody picks up.
    pub(super) fn length_secs(self) -> i64 {
        match self {
            Scenario::Interested => 74,
            Scenario::NotInterested => 38,
            Scenario::Callback => 29,
            Scenario::Voicemail => 21,
            Scenario::OptOut => 17,
            Scenario::Busy => 6,
            Scenario::NoAnswer => 30,
        }
    }

    /// `metadata.termination_reason` of an answered call.
    pub(super) fn termination_reason(self) -> &'static str {
        if self == Scenario::Voicemail { "Voicemail detected" } else { "Call ended by the agent" }
    }
}

fn text(vars: &Map<String, Value>, name: &str, fallback: &str) -> String {
    vars.get(name).and_then(|v| v.as_str()).filter(|v| !v.is_empty()).unwrap_or(fallback).to_owned()
}

/// What was said on an answered call and how ElevenLabs analysed it.
pub(super) struct Talk {
    pub lines: Vec<(&'static str, String)>,
    pub analysis: Value,
}

/// The conversation a scenario produces from what voxdial sent (its variables and, when it
/// overrode it, the agent's first message); `None` when nobody answered.
pub(super) fn conversation(scenario: Scenario, direction: Direction, client_data: &Map<String, Value>) -> Option<Talk> {
    let empty = Map::new();
    let vars = client_data.get("dynamic_variables").and_then(Value::as_object).unwrap_or(&empty);
    let first = text(vars, "lead_first_name", "there");
    let company = text(vars, "lead_company", "your company");
    let campaign = text(vars, "campaign_name", "our spring offer");
    let agent = text(vars, "agent_name", "Ava").split(" — ").next().unwrap_or("Ava").to_owned();
    let returning = text(vars, "contact_type", "first") == "returning";
    let overridden = client_data
        .get("conversation_config_override")
        .and_then(|o| o.pointer("/agent/first_message"))
        .and_then(Value::as_str)
        .filter(|m| !m.trim().is_empty());
    let opening = match (overridden, direction) {
        (Some(message), _) => message.to_owned(),
        (None, Direction::Inbound) => format!("Thanks for calling Acme Voice, this is {agent}. How can I help?"),
        (None, Direction::Outbound) if returning => {
            format!("Hi {first}, it's {agent} again from Acme Voice. Thanks for taking my call a second time.")
        }
        (None, Direction::Outbound) => format!(
            "Hi {first}, this is {agent}, an AI assistant calling from Acme Voice about {campaign}. Do you have a minute?"
        ),
    };
    let collected = |outcome: &str| json!({"outcome": {"data_collection_id": "outcome", "value": outcome, "rationale": "stated by the lead"}});
    let (mut lines, analysis) = match scenario {
        Scenario::Interested => (
            vec![
                ("agent", opening),
                ("user", "Sure, I have a couple of minutes.".into()),
                (
                    "agent",
                    format!(
                        "Great. We help teams like {company} follow up with every lead within minutes. How do you handle follow-ups today?"
                    ),
                ),
                ("user", "Mostly by hand, and honestly we miss a lot of them.".into()),
                ("agent", "That's exactly what we fix. Would a short demo next week be useful?".into()),
                ("user", "Yes, let's do that. Tuesday afternoon works.".into()),
                ("agent", "Perfect, I'll send an invitation for Tuesday at 2 pm. Thanks, and have a great day!".into()),
            ],
            json!({"call_successful": "success", "call_summary_title": "Demo booked",
                   "transcript_summary": format!("{first} is interested and booked a demo for Tuesday afternoon; follow-ups are manual at {company} today."),
                   "evaluation_criteria_results": {"demo_booked": {"criteria_id": "demo_booked", "result": "success", "rationale": "A demo time was agreed."}},
                   "data_collection_results": collected("interested")}),
        ),
        Scenario::NotInterested => (
            vec![
                ("agent", opening),
                ("user", "We already use another tool for that, thanks.".into()),
                ("agent", "Understood. Would it help if I sent a one-page comparison for later?".into()),
                ("user", "No, we're happy with what we have.".into()),
                ("agent", "Thanks for your time, and have a good day.".into()),
            ],
            json!({"call_successful": "failure", "transcript_summary": format!("{first} is not interested; {company} already uses a competitor."),
                   "evaluation_criteria_results": {}, "data_collection_results": collected("not_interested")}),
        ),
        Scenario::Callback => {
            let at = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%d 15:00").to_string();
            (
                vec![
                    ("agent", opening),
                    ("user", "I'm about to walk into a meeting. Can you call me back on Thursday afternoon?".into()),
                    ("agent", "Of course. Thursday at 3 pm suits?".into()),
                    ("user", "Yes, that works.".into()),
                    ("agent", "Noted. Talk to you then!".into()),
                ],
                json!({"call_successful": "unknown", "transcript_summary": format!("{first} asked for a call back on Thursday at 3 pm."),
                       "evaluation_criteria_results": {},
                       "data_collection_results": {"outcome": {"data_collection_id": "outcome", "value": "callback", "rationale": "asked"},
                                                   "callback_at": {"data_collection_id": "callback_at", "value": at, "rationale": "agreed time"}}}),
            )
        }
        Scenario::Voicemail => (
            vec![
                (
                    "user",
                    "Hi, you've reached the voicemail of this number. Please leave a message after the tone.".into(),
                ),
                (
                    "agent",
                    format!(
                        "Hi {first}, this is {agent} from Acme Voice about {campaign}. I'll try you again later. Have a good day!"
                    ),
                ),
            ],
            json!({"call_successful": "failure", "transcript_summary": "Reached voicemail; left a short message.",
                   "evaluation_criteria_results": {}, "data_collection_results": {"voicemail": {"data_collection_id": "voicemail", "value": true, "rationale": "greeting"}}}),
        ),
        Scenario::OptOut => (
            vec![
                ("agent", opening),
                ("user", "Please take me off your list and don't call this number again.".into()),
                (
                    "agent",
                    "I'm sorry for the interruption. I've removed your number and you won't be called again. Goodbye."
                        .into(),
                ),
            ],
            json!({"call_successful": "failure", "transcript_summary": format!("{first} asked not to be called again."),
                   "evaluation_criteria_results": {}, "data_collection_results": collected("opt_out")}),
        ),
        Scenario::Busy | Scenario::NoAnswer => return None,
    };
    if direction == Direction::Inbound
        && let Some(reply) = caller_opening(scenario, &campaign)
    {
        lines[1] = ("user", reply);
    }
    Some(Talk { lines, analysis })
}

/// What a caller says first where an answering lead's reply would not fit.
fn caller_opening(scenario: Scenario, campaign: &str) -> Option<String> {
    match scenario {
        Scenario::Interested => Some(format!("Hi, I saw your offer about {campaign} and have a couple of minutes to hear more.")),
        Scenario::NotInterested => Some("You called me last week; we already use another tool for that, thanks.".into()),
        Scenario::Callback => Some("I'm returning your call, but I'm about to walk into a meeting. Can you call me back on Thursday afternoon?".into()),
        Scenario::OptOut => Some("You keep calling this number. Please take me off your list and don't call again.".into()),
        Scenario::Voicemail | Scenario::Busy | Scenario::NoAnswer => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_are_repeatable_and_varied() {
        assert_eq!(Scenario::pick("+12125550123#1"), Scenario::pick("+12125550123#1"));
        let seen: std::collections::HashSet<_> =
            (0..200).map(|n| format!("{:?}", Scenario::pick(&format!("+1212555{n:04}#1")))).collect();
        assert!(seen.len() >= 6, "{seen:?}");
    }
}
