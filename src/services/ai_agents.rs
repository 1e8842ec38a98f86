//! The AI Agents settings of a campaign (R-AI-TAB): what can be picked, the effective
//! resolution a real and a test lead would get (R-AGENT-PICK, R-PHONE), and saving, which
//! checks the choice against the database and then the provider (outside any transaction).

use super::Ctx;
use super::campaigns;
use crate::audit::{self, Actor};
use crate::db::agents::{AgentFilter, AgentListItem, VoiceAgent};
use crate::db::campaigns::{AiAgentsSettings, Campaign};
use crate::db::phone_numbers::{NumberListItem, PhoneNumber};
use crate::db::templates::TemplateListItem;
use crate::db::{self, DbConnection};
use crate::domain::interaction::ContactType;
use crate::domain::prompt::{self, PromptSource};
use crate::domain::resolution::{self, ConfigError, Resolution};
use crate::error::AppError;
use crate::ids::{AgentId, CampaignId, PhoneNumberId};
use crate::services::connections;
use crate::services::prompt_context::{PreviewLead, preview_context};

/// The rows a settings choice points at.
#[derive(Debug, Clone, Default)]
pub struct Chosen {
    pub production: Option<VoiceAgent>,
    pub test: Option<VoiceAgent>,
    pub number: Option<PhoneNumber>,
    /// The template with the version its calls use.
    pub template: Option<TemplateListItem>,
}

impl Chosen {
    fn template_name(&self) -> Option<&str> {
        self.template.as_ref().map(|t| t.template.name.as_str())
    }
}

/// What one kind of lead would get.
#[derive(Debug, Clone)]
pub struct LeadResolution {
    pub outcome: Result<Resolution, ConfigError>,
    /// The number's label and E.164, when resolved.
    pub number: Option<PhoneNumber>,
}

/// The resolution for a real lead and for a test lead.
#[derive(Debug, Clone)]
pub struct Effective {
    pub real: LeadResolution,
    pub test: LeadResolution,
}

/// What some settings would do, and what stops them from being saved (found without the
/// provider).
#[derive(Debug, Clone)]
pub struct Resolved {
    /// `None` when a chosen row no longer exists (then `problems` says which).
    pub effective: Option<Effective>,
    pub problems: Vec<String>,
    /// The settings differ from the saved ones.
    pub unsaved: bool,
    /// The chosen template with the version calls would use.
    pub template: Option<TemplateListItem>,
}

/// The pickable things.
#[derive(Debug, Clone)]
pub struct Catalog {
    pub agents: Vec<AgentListItem>,
    pub templates: Vec<TemplateListItem>,
    pub numbers: Vec<NumberListItem>,
}

/// Everything the AI Agents tab shows.
#[derive(Debug, Clone)]
pub struct AiAgentsTab {
    pub campaign: Campaign,
    /// The settings shown: the saved ones, or ones that were not saved.
    pub settings: AiAgentsSettings,
    pub catalog: Catalog,
    pub resolved: Resolved,
}

/// The tab for the saved settings (`None`) or for settings that could not be saved.
pub async fn tab(ctx: &Ctx, id: CampaignId, settings: Option<AiAgentsSettings>) -> Result<AiAgentsTab, AppError> {
    let now = ctx.clock.now_utc();
    ctx.db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            let settings = settings.unwrap_or_else(|| campaign.ai_agents());
            let catalog = load_catalog(conn)?;
            let resolved = resolve(conn, &campaign, &settings, now)?;
            Ok(AiAgentsTab { campaign, settings, catalog, resolved })
        })
        .await
}

/// What some settings would do, for the panel beside the form.
pub async fn preview(ctx: &Ctx, id: CampaignId, settings: AiAgentsSettings) -> Result<Resolved, AppError> {
    let now = ctx.clock.now_utc();
    ctx.db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            resolve(conn, &campaign, &settings, now)
        })
        .await
}

/// The pickable things, for one picker of a campaign's tab.
pub async fn catalog(ctx: &Ctx, id: CampaignId) -> Result<Catalog, AppError> {
    ctx.db
        .run(move |conn| {
            db::campaigns::find(conn, id)?;
            load_catalog(conn)
        })
        .await
}

/// Saves the settings once the database and then the provider find nothing wrong. What
/// they find is an [`AppError::Validation`] with one problem a line.
pub async fn save(ctx: &Ctx, actor: &Actor, id: CampaignId, settings: AiAgentsSettings) -> Result<(), AppError> {
    let now = ctx.clock.now_utc();
    let (campaign, chosen, problems) = ctx
        .db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            let chosen = load_chosen(conn, &settings)?;
            let problems = local_problems(conn, &campaign, &settings, &chosen, now)?;
            Ok((campaign, chosen, problems))
        })
        .await?;
    let problems = if problems.is_empty() { provider_problems(ctx, &chosen).await? } else { problems };
    if !problems.is_empty() {
        // One problem a line, whatever the provider's messages hold.
        let lines: Vec<String> = problems.iter().map(|p| p.replace(['\r', '\n'], " ")).collect();
        return Err(AppError::Validation(lines.join("\n")));
    }
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            db::campaigns::set_ai_agents(conn, id, &settings, now)?;
            let name = |agent: &Option<VoiceAgent>| agent.as_ref().map_or("none".to_owned(), |a| a.name.clone());
            let summary = format!(
                "Set the AI agents of “{}”: production {}, test {}, template {}, number {}",
                campaign.name,
                name(&chosen.production),
                name(&chosen.test),
                chosen.template_name().unwrap_or("none"),
                chosen.number.as_ref().map_or("none".to_owned(), |n| n.e164.to_string()),
            );
            audit::record(conn, &actor, campaigns::change("campaign.ai_agents", id, &summary), now)?;
            Ok(())
        })
        .await
}

fn load_catalog(conn: &mut DbConnection) -> Result<Catalog, AppError> {
    Ok(Catalog {
        agents: db::agents::list(conn, &AgentFilter::default())?,
        templates: db::templates::list(conn)?,
        numbers: db::phone_numbers::list(conn)?,
    })
}

/// Loads the chosen rows; an id that no longer exists is an error the user can fix.
pub(super) fn load_chosen(conn: &mut DbConnection, settings: &AiAgentsSettings) -> Result<Chosen, AppError> {
    fn existing<T>(found: diesel::QueryResult<T>, what: &str) -> Result<T, AppError> {
        found.map_err(|e| match e {
            diesel::result::Error::NotFound => AppError::validation(format!("The chosen {what} no longer exists")),
            other => other.into(),
        })
    }
    let mut agent = |id: Option<AgentId>, what| id.map(|id| existing(db::agents::find(conn, id), what)).transpose();
    let production = agent(settings.production_agent_id, "production agent")?;
    let test = agent(settings.test_agent_id, "test agent")?;
    let number =
        settings.phone_number_id.map(|id| existing(db::phone_numbers::find(conn, id), "phone number")).transpose()?;
    let template = settings
        .prompt_template_id
        .map(|id| existing(db::templates::summary(conn, id), "prompt template"))
        .transpose()?;
    Ok(Chosen { production, test, number, template })
}

/// The panel's content: a chosen row that no longer exists is its only problem.
fn resolve(
    conn: &mut DbConnection,
    campaign: &Campaign,
    settings: &AiAgentsSettings,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Resolved, AppError> {
    let unsaved = campaign.ai_agents() != *settings;
    let chosen = match load_chosen(conn, settings) {
        Ok(chosen) => chosen,
        Err(AppError::Validation(message)) => {
            return Ok(Resolved { effective: None, problems: vec![message], unsaved, template: None });
        }
        Err(e) => return Err(e),
    };
    let effective = effective(conn, settings, &chosen)?;
    let problems = local_problems(conn, campaign, settings, &chosen, now)?;
    Ok(Resolved { effective: Some(effective), problems, unsaved, template: chosen.template })
}

/// Resolves with the same domain functions a call uses.
fn effective(conn: &mut DbConnection, settings: &AiAgentsSettings, chosen: &Chosen) -> Result<Effective, AppError> {
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
fn local_problems(
    conn: &mut DbConnection,
    campaign: &Campaign,
    settings: &AiAgentsSettings,
    chosen: &Chosen,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<String>, AppError> {
    let mut problems = Vec::new();
    for (agent, role) in [(&chosen.production, "production agent"), (&chosen.test, "test agent")] {
        let Some(agent) = agent else { continue };
        if !agent.active {
            problems.push(format!("The {role} “{}” is inactive; activate it or choose another", agent.name));
        }
        // The number a call from this agent would use must belong to the agent's account.
        if let Some(number_id) = settings.phone_number_id.or(agent.default_phone_number_id) {
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
        let published = db::templates::published(conn, template_id)?;
        let sample = match db::leads::newest_in_campaign(conn, campaign.id)? {
            Some(lead_id) => PreviewLead::Lead(lead_id),
            None => PreviewLead::Sample,
        };
        let mut context = preview_context(conn, sample, ContactType::First, now)?;
        context.campaign_name = campaign.name.clone();
        context.campaign_description = campaign.description.clone();
        if let Some(agent) = &chosen.production {
            context.agent = agent.vars();
        }
        let source =
            PromptSource { system_prompt: &published.system_prompt, first_message: published.first_message.as_deref() };
        if let Err(error) = prompt::check_all_branches(source, &context) {
            problems.push(format!(
                "The template “{}” (version {}) does not render for {}: {error}",
                chosen.template_name().unwrap_or("?"),
                published.version,
                if sample == PreviewLead::Sample { "the sample lead" } else { "the campaign's newest lead" }
            ));
        }
    }
    Ok(problems)
}

/// Asks the provider whether each chosen agent exists there (proving its connection works).
async fn provider_problems(ctx: &Ctx, chosen: &Chosen) -> Result<Vec<String>, AppError> {
    let mut problems = Vec::new();
    let mut seen = Vec::new();
    for agent in [&chosen.production, &chosen.test].into_iter().flatten() {
        if seen.contains(&agent.id) {
            continue;
        }
        seen.push(agent.id);
        let (connection, client) = connections::load_client(ctx, agent.provider_connection_id).await?;
        if let Err(err) = client.get_agent(&agent.provider_agent_id).await {
            problems.push(format!(
                "Could not confirm the agent “{}” through the connection “{}”: {err}",
                agent.name, connection.name
            ));
        }
    }
    Ok(problems)
}

/// The number a real lead's call goes out from (R-PHONE: the campaign's, else the
/// production agent's), which is also the number whose inbound calls the campaign answers.
pub(crate) fn resolved_number(conn: &mut DbConnection, campaign: &Campaign) -> Result<Option<PhoneNumberId>, AppError> {
    if campaign.phone_number_id.is_some() {
        return Ok(campaign.phone_number_id);
    }
    Ok(db::agents::find_optional(conn, campaign.production_agent_id)?.and_then(|a| a.default_phone_number_id))
}
