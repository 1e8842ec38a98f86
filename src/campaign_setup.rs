//! The AI Agents settings of a campaign: the effective resolution a real and a test lead
//! would get (R-AGENT-PICK, R-PHONE) and the checks run before saving (R-AI-TAB).

use crate::app::AppState;
use crate::connections;
use crate::db::agents::VoiceAgent;
use crate::db::campaigns::{AiAgentsSettings, Campaign};
use crate::db::phone_numbers::PhoneNumber;
use crate::db::{self, DbConnection};
use crate::domain::interaction::ContactType;
use crate::domain::prompt::{self, PromptSource};
use crate::domain::resolution::{self, ConfigError, Resolution};
use crate::error::AppError;
use crate::prompts::{self as prompt_contexts, PreviewLead};

/// The rows a settings choice points at.
#[derive(Debug, Clone, Default)]
pub struct Chosen {
    pub production: Option<VoiceAgent>,
    pub test: Option<VoiceAgent>,
    pub number: Option<PhoneNumber>,
    pub template_name: Option<String>,
}

/// What one kind of lead would get.
#[derive(Debug, Clone)]
pub struct LeadResolution {
    pub outcome: Result<Resolution, ConfigError>,
    /// The number's label and E.164, when resolved.
    pub number: Option<PhoneNumber>,
}

impl LeadResolution {
    pub fn error_code(&self) -> Option<&'static str> {
        self.outcome.as_ref().err().map(ConfigError::code)
    }
}

/// The resolution for a real lead and for a test lead.
#[derive(Debug, Clone)]
pub struct Effective {
    pub real: LeadResolution,
    pub test: LeadResolution,
}

/// Loads the chosen rows; an id that no longer exists is an error the user can fix.
pub fn load_chosen(conn: &mut DbConnection, settings: &AiAgentsSettings) -> Result<Chosen, AppError> {
    let missing = |what: &str| AppError::validation(format!("The chosen {what} no longer exists"));
    let agent = |conn: &mut DbConnection, id: Option<i64>, what: &str| match id {
        Some(id) => db::agents::find(conn, id).map(Some).map_err(|e| match e {
            diesel::result::Error::NotFound => missing(what),
            other => other.into(),
        }),
        None => Ok(None),
    };
    let production = agent(conn, settings.production_agent_id, "production agent")?;
    let test = agent(conn, settings.test_agent_id, "test agent")?;
    let number = match settings.phone_number_id {
        Some(id) => Some(db::phone_numbers::find(conn, id).map_err(|e| match e {
            diesel::result::Error::NotFound => missing("phone number"),
            other => other.into(),
        })?),
        None => None,
    };
    let template_name = match settings.prompt_template_id {
        Some(id) => Some(
            db::templates::find(conn, id)
                .map_err(|e| match e {
                    diesel::result::Error::NotFound => missing("prompt template"),
                    other => other.into(),
                })?
                .name,
        ),
        None => None,
    };
    Ok(Chosen { production, test, number, template_name })
}

/// Resolves with the same domain functions a call uses.
pub fn effective(conn: &mut DbConnection, settings: &AiAgentsSettings, chosen: &Chosen) -> Result<Effective, AppError> {
    let production = chosen.production.as_ref().map(VoiceAgent::candidate);
    let test = chosen.test.as_ref().map(VoiceAgent::candidate);
    let mut for_lead = |is_test: bool| -> Result<LeadResolution, AppError> {
        let outcome = resolution::resolve(is_test, production.as_ref(), test.as_ref(), settings.phone_number_id);
        let number = match &outcome {
            Ok(r) => Some(db::phone_numbers::find(conn, r.phone_number_id)?),
            Err(_) => None,
        };
        Ok(LeadResolution { outcome, number })
    };
    Ok(Effective { real: for_lead(false)?, test: for_lead(true)? })
}

/// Problems that stop the settings from being saved, found without calling the provider.
pub fn local_problems(
    conn: &mut DbConnection,
    campaign: &Campaign,
    settings: &AiAgentsSettings,
    chosen: &Chosen,
) -> Result<Vec<String>, AppError> {
    let mut problems = Vec::new();
    for (agent, role) in [(&chosen.production, "production agent"), (&chosen.test, "test agent")] {
        let Some(agent) = agent else { continue };
        if !agent.active {
            problems.push(format!("The {role} “{}” is inactive; activate it or choose another", agent.name));
        }
        // The number a call from this agent would use must belong to the agent's account.
        let number_id = settings.phone_number_id.or(agent.default_phone_number_id);
        if let Some(number_id) = number_id {
            let number = db::phone_numbers::find(conn, number_id)?;
            if number.provider_connection_id != agent.provider_connection_id {
                problems.push(format!(
                    "{} ({}) belongs to another provider account than the {role} “{}”",
                    number.label, number.e164, agent.name
                ));
            }
        }
    }
    if let Some(template_id) = settings.prompt_template_id {
        let latest = db::templates::latest_version(conn, template_id)?;
        let sample = match db::leads::newest_in_campaign(conn, campaign.id)? {
            Some(lead_id) => PreviewLead::Lead(lead_id),
            None => PreviewLead::Sample,
        };
        let mut ctx = prompt_contexts::preview_context(conn, sample, ContactType::First)?;
        ctx.campaign_name = campaign.name.clone();
        ctx.campaign_description = campaign.description.clone();
        if let Some(agent) = &chosen.production {
            ctx.agent_name = agent.name.clone();
        }
        let source =
            PromptSource { system_prompt: &latest.system_prompt, first_message: latest.first_message.as_deref() };
        if let Err(error) = prompt::check_all_branches(source, &ctx) {
            problems.push(format!(
                "The template “{}” (version {}) does not render for {}: {error}",
                chosen.template_name.as_deref().unwrap_or("?"),
                latest.version,
                if sample == PreviewLead::Sample {
                    "the sample lead".to_owned()
                } else {
                    "the campaign's newest lead".to_owned()
                }
            ));
        }
    }
    Ok(problems)
}

/// Asks the provider whether each chosen agent exists there (proving its connection works).
pub async fn provider_problems(state: &AppState, chosen: &Chosen) -> Result<Vec<String>, AppError> {
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for agent in [&chosen.production, &chosen.test].into_iter().flatten() {
        if seen.contains(&agent.id) {
            continue;
        }
        seen.push(agent.id);
        let (connection, client) = connections::load_client(state, agent.provider_connection_id).await?;
        if let Err(err) = client.get_agent(&agent.provider_agent_id).await {
            problems.push(format!(
                "Could not confirm the agent “{}” through the connection “{}”: {err}",
                agent.name, connection.name
            ));
        }
    }
    Ok(problems)
}
