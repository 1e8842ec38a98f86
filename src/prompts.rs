//! Prompt contexts from the database: the one place that turns a lead (or the sample lead)
//! into the variables templates see, for previews, save-time checks and calls alike.

use chrono::Utc;
use chrono_tz::Tz;

use crate::db::leads::Lead;
use crate::db::{self, DbConnection};
use crate::domain::campaign::parse_timezone;
use crate::domain::interaction::ContactType;
use crate::domain::prompt::{LeadVars, PreviousInteraction, PromptContext, sample_context};
use crate::error::AppError;

/// How many earlier calls templates see.
const HISTORY: i64 = 5;

/// The zone a lead's "now" is shown in: the lead's, else the campaign's, else UTC.
pub fn lead_timezone(lead: &Lead, campaign_timezone: &str) -> Tz {
    lead.timezone
        .as_deref()
        .and_then(|tz| parse_timezone(tz).ok())
        .or_else(|| parse_timezone(campaign_timezone).ok())
        .unwrap_or(Tz::UTC)
}

pub fn lead_vars(lead: &Lead) -> LeadVars {
    LeadVars {
        first_name: lead.first_name.clone(),
        last_name: lead.last_name.clone(),
        phone: lead.phone.clone(),
        email: lead.email.clone().unwrap_or_default(),
        company: lead.company.clone().unwrap_or_default(),
        timezone: lead.timezone.clone().unwrap_or_default(),
        status: lead.status.clone(),
        is_test: lead.is_test,
        attempt_count: lead.attempt_count,
        custom: lead.custom_map(),
    }
}

/// The context for a real lead of a campaign, as a call to it would see it now.
pub fn context_for_lead(
    conn: &mut DbConnection,
    lead: &Lead,
    agent_name: &str,
    contact_type: ContactType,
) -> Result<PromptContext, AppError> {
    let campaign = db::campaigns::find(conn, lead.campaign_id)?;
    let previous_interactions = db::leads::previous_calls(conn, lead.id, HISTORY)?
        .into_iter()
        .map(|(at, outcome, summary)| PreviousInteraction {
            date: at.format("%Y-%m-%d").to_string(),
            outcome: outcome.unwrap_or_else(|| "unknown".into()),
            summary: summary.unwrap_or_default(),
        })
        .collect();
    let tz = lead_timezone(lead, &campaign.timezone);
    Ok(PromptContext {
        lead: lead_vars(lead),
        campaign_name: campaign.name,
        campaign_description: campaign.description,
        agent_name: agent_name.to_owned(),
        contact_type,
        attempt_number: lead.attempt_count + 1,
        previous_interactions,
        now: Utc::now().with_timezone(&tz),
    })
}

/// Which lead a preview or a save-time check renders for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewLead {
    Sample,
    Lead(i64),
}

impl PreviewLead {
    pub fn parse(input: &str) -> PreviewLead {
        input.parse().map(PreviewLead::Lead).unwrap_or(PreviewLead::Sample)
    }
}

/// The context for a preview: the sample lead, or a real one with its campaign's agent name.
pub fn preview_context(
    conn: &mut DbConnection,
    lead: PreviewLead,
    contact_type: ContactType,
) -> Result<PromptContext, AppError> {
    match lead {
        PreviewLead::Sample => {
            Ok(sample_context(contact_type, Utc::now().with_timezone(&chrono_tz::America::New_York)))
        }
        PreviewLead::Lead(id) => {
            let lead = db::leads::find(conn, id)?;
            let campaign = db::campaigns::find(conn, lead.campaign_id)?;
            let agent_name = db::agents::find_optional(conn, campaign.production_agent_id)?
                .map_or_else(|| "your agent".to_owned(), |a| a.name);
            context_for_lead(conn, &lead, &agent_name, contact_type)
        }
    }
}
