//! Prompt contexts from the database: the one place that turns a lead (or the sample lead)
//! into the variables templates see, for previews, save-time checks and calls alike.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::db::campaigns::Campaign;
use crate::db::leads::Lead;
use crate::db::{self, DbConnection};
use crate::domain::interaction::ContactType;
use crate::domain::lead::lead_zone;
use crate::domain::prompt::{AgentVars, LeadVars, PreviousInteraction, PromptContext, sample_context};
use crate::error::AppError;
use crate::ids::LeadId;

/// How many earlier calls templates see.
const HISTORY: i64 = 5;

/// The zone a lead's `now` is given in: the lead's zone by the one rule, falling back to
/// the campaign's.
pub fn lead_timezone(lead: &Lead, campaign: &Campaign) -> Tz {
    lead_zone(lead.timezone, &lead.phone, Some(campaign.timezone)).map_or(campaign.timezone, |z| z.zone)
}

pub fn lead_vars(lead: &Lead) -> LeadVars {
    LeadVars {
        first_name: lead.first_name.clone(),
        last_name: lead.last_name.clone(),
        phone: lead.phone.to_string(),
        email: lead.email.as_ref().map(ToString::to_string).unwrap_or_default(),
        company: lead.company.clone().unwrap_or_default(),
        timezone: lead.timezone.map(|tz| tz.name().to_owned()).unwrap_or_default(),
        status: lead.status.as_str().to_owned(),
        is_test: lead.is_test,
        attempt_count: lead.attempt_count,
        custom: lead.custom_map(),
    }
}

/// The context for a real lead of a campaign, as a call to it would see it at `now`.
pub fn context_for_lead(
    conn: &mut DbConnection,
    lead: &Lead,
    campaign: &Campaign,
    agent: &AgentVars,
    contact_type: ContactType,
    now: DateTime<Utc>,
) -> Result<PromptContext, AppError> {
    let previous_interactions = db::leads::previous_calls(conn, lead.id, HISTORY)?
        .into_iter()
        .map(|call| PreviousInteraction {
            date: call.created_at.format("%Y-%m-%d").to_string(),
            outcome: call.outcome.map_or("unknown", |o| o.as_str()).to_owned(),
            summary: call.summary.unwrap_or_default(),
        })
        .collect();
    Ok(PromptContext {
        lead: lead_vars(lead),
        campaign_name: campaign.name.clone(),
        campaign_description: campaign.description.clone(),
        agent: agent.clone(),
        contact_type,
        attempt_number: lead.attempt_count + 1,
        previous_interactions,
        now: now.with_timezone(&lead_timezone(lead, campaign)),
    })
}

/// Which lead a preview or a save-time check renders for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewLead {
    Sample,
    Lead(LeadId),
}

impl PreviewLead {
    pub fn parse(input: &str) -> PreviewLead {
        input.parse().map(PreviewLead::Lead).unwrap_or(PreviewLead::Sample)
    }
}

/// The context for a preview: the sample lead, or a real one with its campaign's agent.
pub fn preview_context(
    conn: &mut DbConnection,
    lead: PreviewLead,
    contact_type: ContactType,
    now: DateTime<Utc>,
) -> Result<PromptContext, AppError> {
    match lead {
        PreviewLead::Sample => Ok(sample_context(contact_type, now.with_timezone(&chrono_tz::America::New_York))),
        PreviewLead::Lead(id) => {
            let lead = db::leads::find(conn, id)?;
            let campaign = db::campaigns::find(conn, lead.campaign_id)?;
            let agent = campaign_agent(conn, &campaign)?;
            context_for_lead(conn, &lead, &campaign, &agent, contact_type, now)
        }
    }
}

/// The campaign's production agent, or a stand-in when it has none.
pub fn campaign_agent(conn: &mut DbConnection, campaign: &Campaign) -> Result<AgentVars, AppError> {
    Ok(db::agents::find_optional(conn, campaign.production_agent_id)?
        .map_or_else(|| AgentVars::new("your agent", ""), |agent| agent.vars()))
}
