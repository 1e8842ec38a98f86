//! The dynamic variables sent with every call (outbound request and inbound answer): the
//! lead's fields for the agent, and voxdial's ids so that every webhook can be matched.

use std::collections::BTreeMap;

use crate::db::leads::Lead;
use crate::domain::interaction::ContactType;
use crate::ids::InteractionId;

/// The dynamic variable carrying voxdial's interaction id, so every webhook can be matched.
pub const INTERACTION_VARIABLE: &str = "voxdial_interaction_id";

/// The variables every answer carries, whatever the lead (its custom fields come on top).
const STANDARD: [&str; 13] = [
    INTERACTION_VARIABLE,
    "voxdial_lead_id",
    "lead_first_name",
    "lead_last_name",
    "lead_full_name",
    "lead_phone",
    "lead_email",
    "lead_company",
    "lead_timezone",
    "lead_status",
    "campaign_name",
    "agent_name",
    "contact_type",
];

/// The lead's fields for the agent, plus voxdial's ids for matching webhooks.
pub fn for_lead(
    lead: &Lead,
    campaign_name: &str,
    agent_name: &str,
    contact_type: ContactType,
    interaction_id: InteractionId,
) -> BTreeMap<String, serde_json::Value> {
    let mut vars: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    let mut text = |name: &str, value: &str| {
        vars.insert(name.to_owned(), serde_json::Value::from(value));
    };
    text(INTERACTION_VARIABLE, &interaction_id.to_string());
    text("voxdial_lead_id", &lead.id.to_string());
    text("lead_first_name", &lead.first_name);
    text("lead_last_name", &lead.last_name);
    text("lead_full_name", &lead.full_name());
    text("lead_phone", lead.phone.as_str());
    text("lead_email", lead.email.as_ref().map_or("", |e| e.as_str()));
    text("lead_company", lead.company.as_deref().unwrap_or_default());
    text("lead_timezone", lead.timezone.map_or("", |tz| tz.name()));
    text("lead_status", lead.status.as_str());
    text("campaign_name", campaign_name);
    text("agent_name", agent_name);
    text("contact_type", contact_type.as_str());
    vars.insert("attempt_number".into(), serde_json::Value::from(lead.attempt_count + 1));
    for (key, value) in lead.custom_map() {
        let key: String = key.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
        // Only scalars travel as variables; anything else is sent as its JSON text.
        let value = match value {
            serde_json::Value::String(_) | serde_json::Value::Number(_) | serde_json::Value::Bool(_) => value,
            other => serde_json::Value::from(other.to_string()),
        };
        vars.entry(format!("lead_{key}")).or_insert(value);
    }
    vars
}

/// Every standard variable with a neutral value, for an answer that knows no lead (the
/// provider wants every variable the agent uses to be present).
pub fn neutral() -> BTreeMap<String, serde_json::Value> {
    let mut vars: BTreeMap<String, serde_json::Value> =
        STANDARD.iter().map(|name| ((*name).to_owned(), serde_json::Value::from(""))).collect();
    vars.insert("attempt_number".into(), serde_json::Value::from(0));
    vars
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lead::LeadStatus;
    use crate::domain::phone::E164;
    use crate::ids::{CampaignId, LeadId};

    #[test]
    fn custom_fields_become_prefixed_scalar_variables() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap().and_hms_opt(12, 0, 0).unwrap();
        let lead = Lead {
            id: LeadId::new(7),
            campaign_id: CampaignId::new(1),
            first_name: "Ana".into(),
            last_name: "Lima".into(),
            phone: E164::parse("+12125550123", None).unwrap(),
            email: None,
            company: Some("Acme".into()),
            timezone: None,
            status: LeadStatus::New,
            is_test: false,
            custom_fields: r#"{"Plan Tier": "gold", "seats": 12, "tags": ["a"], "first_name": "x"}"#.into(),
            consent_source: None,
            consent_at: None,
            attempt_count: 2,
            last_attempt_at: None,
            last_contacted_at: None,
            next_call_at: None,
            needs_review: false,
            deleted_at: None,
            retry_at: None,
            dial_block: None,
            source: None,
            created_at: now,
            updated_at: now,
        };
        let vars = for_lead(&lead, "Spring", "Ava", ContactType::Returning, InteractionId::new(42));
        assert_eq!(vars[INTERACTION_VARIABLE], "42");
        assert_eq!(vars["lead_first_name"], "Ana");
        assert_eq!(vars["attempt_number"], 3);
        assert_eq!(vars["lead_plan_tier"], "gold");
        assert_eq!(vars["lead_seats"], 12);
        assert_eq!(vars["lead_tags"], "[\"a\"]");
        assert_eq!(vars["contact_type"], "returning");
        let plain = Lead { custom_fields: "{}".into(), ..lead };
        let keys: Vec<String> =
            for_lead(&plain, "Spring", "Ava", ContactType::First, InteractionId::new(1)).into_keys().collect();
        let neutral_keys: Vec<String> = neutral().into_keys().collect();
        assert_eq!(keys, neutral_keys, "a neutral answer has exactly the standard variables");
    }

    #[test]
    fn r_inbound_neutral_answers_carry_every_standard_variable() {
        let neutral = neutral();
        for name in
            [INTERACTION_VARIABLE, "lead_first_name", "campaign_name", "agent_name", "contact_type", "attempt_number"]
        {
            assert!(neutral.contains_key(name), "{name}");
        }
        assert!(neutral.values().all(|v| v == "" || v == 0), "nothing about anyone");
    }
}
