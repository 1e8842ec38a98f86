//! Which agent and which number a call uses (R-AGENT-PICK, R-PHONE), and the configuration
//! errors that stop a call before the provider is asked (R-CONFIG-ERR). The AI Agents tab
//! and the call service both use these functions.

use std::fmt;

use crate::ids::{AgentId, PhoneNumberId};

/// The configuration problems that fail a call without dialing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    MissingAgent,
    MissingPhoneNumber,
    TemplateError(String),
}

impl ConfigError {
    pub fn code(&self) -> &'static str {
        match self {
            ConfigError::MissingAgent => "MISSING_AGENT",
            ConfigError::MissingPhoneNumber => "MISSING_PHONE_NUMBER",
            ConfigError::TemplateError(_) => "TEMPLATE_ERROR",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ConfigError::MissingAgent => {
                "No usable voice agent: set an active production agent on the campaign's AI Agents tab".into()
            }
            ConfigError::MissingPhoneNumber => {
                "No phone number to call from: set a campaign phone number or a default number on the agent".into()
            }
            ConfigError::TemplateError(detail) => format!("The prompt template does not render: {detail}"),
        }
    }

    /// All codes, for recognising stored errors.
    pub fn is_config_code(code: &str) -> bool {
        matches!(code, "MISSING_AGENT" | "MISSING_PHONE_NUMBER" | "TEMPLATE_ERROR")
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

/// What resolution needs to know about a voice agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentCandidate {
    pub id: AgentId,
    pub name: String,
    pub active: bool,
    pub default_phone_number_id: Option<PhoneNumberId>,
}

/// Why the picked agent was picked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentRole {
    Production,
    Test,
    /// A test lead, but no usable test agent: the production agent takes the call.
    ProductionFallback,
}

impl AgentRole {
    pub fn label(self) -> &'static str {
        match self {
            AgentRole::Production => "production agent",
            AgentRole::Test => "test agent",
            AgentRole::ProductionFallback => "production agent (no test agent configured)",
        }
    }
}

/// R-AGENT-PICK: a test lead gets the test agent, falling back to the production agent when
/// no test agent is configured; an inactive agent counts as not configured.
pub fn pick_agent<'a>(
    lead_is_test: bool,
    production: Option<&'a AgentCandidate>,
    test: Option<&'a AgentCandidate>,
) -> Result<(&'a AgentCandidate, AgentRole), ConfigError> {
    let usable = |agent: Option<&'a AgentCandidate>| agent.filter(|a| a.active);
    match (lead_is_test, usable(test), usable(production)) {
        (true, Some(test), _) => Ok((test, AgentRole::Test)),
        (true, None, Some(production)) => Ok((production, AgentRole::ProductionFallback)),
        (false, _, Some(production)) => Ok((production, AgentRole::Production)),
        _ => Err(ConfigError::MissingAgent),
    }
}

/// Where the outbound number came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberSource {
    Campaign,
    Agent,
}

impl NumberSource {
    pub fn label(self) -> &'static str {
        match self {
            NumberSource::Campaign => "campaign number",
            NumberSource::Agent => "agent's default number",
        }
    }
}

/// R-PHONE: campaign number, else the agent's default number, else `MISSING_PHONE_NUMBER`.
pub fn resolve_number(
    campaign_number_id: Option<PhoneNumberId>,
    agent: &AgentCandidate,
) -> Result<(PhoneNumberId, NumberSource), ConfigError> {
    match (campaign_number_id, agent.default_phone_number_id) {
        (Some(id), _) => Ok((id, NumberSource::Campaign)),
        (None, Some(id)) => Ok((id, NumberSource::Agent)),
        (None, None) => Err(ConfigError::MissingPhoneNumber),
    }
}

/// The outcome of both steps for one kind of lead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub agent_id: AgentId,
    pub agent_name: String,
    pub role: AgentRole,
    pub phone_number_id: PhoneNumberId,
    pub number_source: NumberSource,
}

/// Agent, then number, as a call would resolve them.
pub fn resolve(
    lead_is_test: bool,
    production: Option<&AgentCandidate>,
    test: Option<&AgentCandidate>,
    campaign_number_id: Option<PhoneNumberId>,
) -> Result<Resolution, ConfigError> {
    let (agent, role) = pick_agent(lead_is_test, production, test)?;
    let (phone_number_id, number_source) = resolve_number(campaign_number_id, agent)?;
    Ok(Resolution { agent_id: agent.id, agent_name: agent.name.clone(), role, phone_number_id, number_source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: i64, active: bool, number: Option<i64>) -> AgentCandidate {
        AgentCandidate {
            id: AgentId::new(id),
            name: format!("agent {id}"),
            active,
            default_phone_number_id: number.map(PhoneNumberId::new),
        }
    }

    fn n(id: i64) -> PhoneNumberId {
        PhoneNumberId::new(id)
    }

    #[test]
    fn a_real_lead_gets_the_production_agent() {
        let (p, t) = (agent(1, true, None), agent(2, true, None));
        assert_eq!(pick_agent(false, Some(&p), Some(&t)).unwrap(), (&p, AgentRole::Production));
    }

    #[test]
    fn a_test_lead_gets_the_test_agent() {
        let (p, t) = (agent(1, true, None), agent(2, true, None));
        assert_eq!(pick_agent(true, Some(&p), Some(&t)).unwrap(), (&t, AgentRole::Test));
    }

    #[test]
    fn a_test_lead_falls_back_to_production_without_a_test_agent() {
        let p = agent(1, true, None);
        assert_eq!(pick_agent(true, Some(&p), None).unwrap(), (&p, AgentRole::ProductionFallback));
        let inactive_test = agent(2, false, None);
        assert_eq!(pick_agent(true, Some(&p), Some(&inactive_test)).unwrap(), (&p, AgentRole::ProductionFallback));
    }

    #[test]
    fn a_real_lead_never_gets_the_test_agent() {
        let t = agent(2, true, None);
        assert_eq!(pick_agent(false, None, Some(&t)), Err(ConfigError::MissingAgent));
    }

    #[test]
    fn no_usable_agent_is_missing_agent() {
        assert_eq!(pick_agent(false, None, None), Err(ConfigError::MissingAgent));
        assert_eq!(pick_agent(true, None, None), Err(ConfigError::MissingAgent));
        let inactive = agent(1, false, Some(5));
        assert_eq!(pick_agent(false, Some(&inactive), None), Err(ConfigError::MissingAgent));
        assert_eq!(pick_agent(true, Some(&inactive), Some(&inactive)), Err(ConfigError::MissingAgent));
    }

    #[test]
    fn the_campaign_number_wins_over_the_agent_number() {
        assert_eq!(resolve_number(Some(n(7)), &agent(1, true, Some(8))).unwrap(), (n(7), NumberSource::Campaign));
        assert_eq!(resolve_number(Some(n(7)), &agent(1, true, None)).unwrap(), (n(7), NumberSource::Campaign));
    }

    #[test]
    fn the_agent_number_is_used_without_a_campaign_number() {
        assert_eq!(resolve_number(None, &agent(1, true, Some(8))).unwrap(), (n(8), NumberSource::Agent));
    }

    #[test]
    fn no_number_at_all_is_missing_phone_number() {
        assert_eq!(resolve_number(None, &agent(1, true, None)), Err(ConfigError::MissingPhoneNumber));
    }

    #[test]
    fn resolve_combines_both_steps_with_the_picked_agents_number() {
        let (p, t) = (agent(1, true, Some(10)), agent(2, true, Some(20)));
        let real = resolve(false, Some(&p), Some(&t), None).unwrap();
        assert_eq!(
            (real.agent_id, real.phone_number_id, real.number_source),
            (AgentId::new(1), n(10), NumberSource::Agent)
        );
        let test = resolve(true, Some(&p), Some(&t), None).unwrap();
        assert_eq!((test.agent_id, test.phone_number_id), (AgentId::new(2), n(20)));
        let t_without_number = agent(2, true, None);
        assert_eq!(resolve(true, Some(&p), Some(&t_without_number), None), Err(ConfigError::MissingPhoneNumber));
        assert_eq!(resolve(true, Some(&p), Some(&t_without_number), Some(n(3))).unwrap().phone_number_id, n(3));
        assert_eq!(resolve(false, None, Some(&t), Some(n(3))), Err(ConfigError::MissingAgent));
    }

    #[test]
    fn codes_are_stable() {
        assert_eq!(ConfigError::MissingAgent.code(), "MISSING_AGENT");
        assert_eq!(ConfigError::MissingPhoneNumber.code(), "MISSING_PHONE_NUMBER");
        assert_eq!(ConfigError::TemplateError("x".into()).code(), "TEMPLATE_ERROR");
        assert!(ConfigError::is_config_code("TEMPLATE_ERROR") && !ConfigError::is_config_code("PROVIDER_ERROR"));
    }
}
