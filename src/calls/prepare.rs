//! Everything before the provider is asked, in the caller's transaction: checks that may
//! refuse the call, agent and number resolution, prompt rendering, and the committed
//! `dialing` row that claims the lead's one live call.

use chrono::{DateTime, Utc};

use super::{CallStart, Refusal, Requester, manual_hours};
use crate::audit::{self, Change};
use crate::db::campaigns::Campaign;
use crate::db::interactions::NewInteraction;
use crate::db::leads::Lead;
use crate::db::providers::ProviderConnection;
use crate::db::{self, DbConnection};
use crate::domain::analytics::week_hour;
use crate::domain::campaign::CampaignStatus;
use crate::domain::interaction::{CallOrigin, CallStatus, ContactType, Direction};
use crate::domain::lead::LeadStatus;
use crate::domain::prompt::{self, AgentVars, PromptSource, RenderedPrompt, TemplateError};
use crate::domain::resolution::{self, ConfigError};
use crate::error::AppError;
use crate::ids::{InteractionId, LeadId, TemplateVersionId};
use crate::provider::OutboundCall;
use crate::services::prompt_context;

/// A call ready to be placed, committed as `dialing`.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub interaction_id: InteractionId,
    pub connection: ProviderConnection,
    pub call: OutboundCall,
}

/// Checks, resolves, renders and commits the `dialing` row (and, for a person, the audit
/// entry) in the caller's transaction. `Err` carries a decision that ends the request here:
/// a refusal, or a configuration error recorded as a failed call (R-CONFIG-ERR).
pub fn prepare(
    conn: &mut DbConnection,
    lead_id: LeadId,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Result<Prepared, CallStart>, AppError> {
    let lead = db::leads::find(conn, lead_id)?;
    let campaign = db::campaigns::find(conn, lead.campaign_id)?;
    if let Some(refusal) = refusal(conn, &lead, &campaign)? {
        return Ok(Err(CallStart::Refused(refusal)));
    }
    if let Requester::Person { confirmed, .. } = requester {
        if let Some(refusal) = manual_hours::outside_hours(&lead, &campaign, now) {
            return Ok(Err(CallStart::Refused(refusal)));
        }
        let warnings = manual_hours::warnings(conn, &lead, &campaign, now)?;
        if !confirmed && !warnings.is_empty() {
            return Ok(Err(CallStart::NeedsConfirmation(warnings)));
        }
    }
    let prepared = resolve_and_insert(conn, &lead, &campaign, requester, now)?;
    if let Requester::Person { actor, .. } = requester
        && let Some(id) = match &prepared {
            Ok(ready) => Some(ready.interaction_id),
            Err(decided) => decided.interaction_id(),
        }
    {
        let summary = format!("Started call #{id} to {} ({}) by hand", lead.full_name(), lead.phone);
        let change =
            Change { action: "call.start", object_kind: "interaction", object_id: Some(id.get()), summary: &summary };
        audit::record(conn, actor, change, now.naive_utc())?;
    }
    Ok(prepared)
}

/// Why this lead may not be called now, if it may not.
fn refusal(conn: &mut DbConnection, lead: &Lead, campaign: &Campaign) -> Result<Option<Refusal>, AppError> {
    if lead.deleted_at.is_some() {
        return Ok(Some(Refusal::LeadDeleted));
    }
    if campaign.status == CampaignStatus::Archived {
        return Ok(Some(Refusal::CampaignArchived));
    }
    if lead.status == LeadStatus::DoNotCall {
        return Ok(Some(Refusal::OptedOut(lead.phone.clone())));
    }
    if let Some((reason, scope)) = db::suppression::blocking_entry(conn, &lead.phone, campaign.id)? {
        return Ok(Some(Refusal::OnDoNotCallList {
            phone: lead.phone.clone(),
            campaign_list: scope.is_some(),
            reason,
        }));
    }
    if lead.needs_review {
        return Ok(Some(Refusal::NeedsReview));
    }
    Ok(None)
}

fn resolve_and_insert(
    conn: &mut DbConnection,
    lead: &Lead,
    campaign: &Campaign,
    requester: &Requester,
    now: DateTime<Utc>,
) -> Result<Result<Prepared, CallStart>, AppError> {
    let stored_now = now.naive_utc();
    let production = db::agents::find_optional(conn, campaign.production_agent_id)?;
    let test = db::agents::find_optional(conn, campaign.test_agent_id)?;
    let contact_type = ContactType::classify(false, db::leads::completed_conversations(conn, lead.id)?);
    let (origin, initiated_by) = match requester {
        Requester::Person { actor, .. } => (CallOrigin::Manual, actor.user_id),
        Requester::Dialer => (CallOrigin::Dialer, None),
    };
    let failed = NewInteraction {
        direction: Direction::Outbound,
        origin,
        lead_id: lead.id,
        campaign_id: campaign.id,
        voice_agent_id: None,
        phone_number_id: None,
        provider_connection_id: None,
        contact_type,
        attempt_number: lead.attempt_count + 1,
        counts_as_attempt: false,
        template_version_id: None,
        rendered_prompt: None,
        rendered_first_message: None,
        to_number: &lead.phone,
        from_number: None,
        status: CallStatus::Failed,
        outcome: None,
        error_code: None,
        error_message: None,
        initiated_by,
        ended_at: Some(stored_now),
        created_at: stored_now,
        lead_week_hour: Some(week_hour(prompt_context::lead_timezone(lead, campaign), stored_now)),
    };
    let production_candidate = production.as_ref().map(|a| a.candidate());
    let test_candidate = test.as_ref().map(|a| a.candidate());
    let (picked, _) = match resolution::pick_agent(lead.is_test, production_candidate.as_ref(), test_candidate.as_ref())
    {
        Ok(picked) => picked,
        Err(error) => return config_failure(conn, campaign, failed, error, None),
    };
    let agent =
        [&production, &test].into_iter().flatten().find(|a| a.id == picked.id).cloned().expect("picked from these");
    let failed = NewInteraction { voice_agent_id: Some(agent.id), ..failed };
    let number = match resolution::resolve_number(campaign.phone_number_id, picked) {
        Ok((number_id, _)) => db::phone_numbers::find(conn, number_id)?,
        Err(error) => return config_failure(conn, campaign, failed, error, None),
    };
    if number.provider_connection_id != agent.provider_connection_id {
        let detail = format!("{} belongs to another provider account than the agent “{}”", number.e164, agent.name);
        return config_failure(conn, campaign, failed, ConfigError::MissingPhoneNumber, Some(detail));
    }
    let failed = NewInteraction { phone_number_id: Some(number.id), ..failed };
    let mut rendered = None;
    let mut template_version_id = None;
    let agent_vars = agent.vars();
    if let Some((version_id, result)) = render_for_lead(conn, lead, campaign, &agent_vars, contact_type, now)? {
        template_version_id = Some(version_id);
        match result {
            Ok(done) => rendered = Some(done),
            Err(template_error) => {
                let row = NewInteraction { template_version_id, ..failed };
                let error = ConfigError::TemplateError(template_error.to_string());
                return config_failure(conn, campaign, row, error, None);
            }
        }
    }
    let connection = db::providers::find(conn, agent.provider_connection_id)?;
    let row = NewInteraction {
        provider_connection_id: Some(connection.id),
        counts_as_attempt: true,
        template_version_id,
        rendered_prompt: rendered.as_ref().map(|r| r.system_prompt.as_str()),
        rendered_first_message: rendered.as_ref().and_then(|r| r.first_message.as_deref()),
        from_number: Some(&number.e164),
        status: CallStatus::Dialing,
        ended_at: None,
        ..failed
    };
    // The one-live-call-per-lead index is the guard against a second call (R-CALL).
    let Some(interaction_id) = db::unless_duplicate(conn, |c| db::interactions::insert(c, &row))? else {
        return Ok(Err(CallStart::Refused(Refusal::CallInProgress)));
    };
    db::leads::record_attempt(conn, lead.id, stored_now)?;
    db::campaigns::clear_blocking_error(conn, campaign.id)?;

    let call = OutboundCall {
        agent_id: agent.provider_agent_id.clone(),
        agent_phone_number_id: number.provider_phone_number_id.clone(),
        telephony: number.telephony,
        to_number: lead.phone.to_string(),
        system_prompt: rendered.as_ref().map(|r| r.system_prompt.clone()),
        first_message: rendered.and_then(|r| r.first_message),
        dynamic_variables: super::variables::for_lead(
            lead,
            &campaign.name,
            &agent_vars.name,
            contact_type,
            interaction_id,
        ),
        user_id: Some(format!("lead-{}", lead.id)),
    };
    Ok(Ok(Prepared { interaction_id, connection, call }))
}

/// Which template version was rendered for a lead, and what came of it.
pub(crate) type LeadPrompt = (TemplateVersionId, Result<RenderedPrompt, TemplateError>);

/// The campaign's template (its published version, never the draft) rendered for the lead,
/// as a call to it now would see it; `None` when the campaign has no template (the agent's
/// own prompt speaks).
pub(crate) fn render_for_lead(
    conn: &mut DbConnection,
    lead: &Lead,
    campaign: &Campaign,
    agent: &AgentVars,
    contact_type: ContactType,
    now: DateTime<Utc>,
) -> Result<Option<LeadPrompt>, AppError> {
    let Some(template_id) = campaign.prompt_template_id else { return Ok(None) };
    let version = db::templates::published(conn, template_id)?;
    let ctx = prompt_context::context_for_lead(conn, lead, campaign, agent, contact_type, now)?;
    let source =
        PromptSource { system_prompt: &version.system_prompt, first_message: version.first_message.as_deref() };
    Ok(Some((version.id, prompt::render(source, &ctx))))
}

/// Records a configuration error as a failed call that does not count as an attempt, and
/// marks the campaign as blocked until it is fixed (R-CONFIG-ERR).
fn config_failure(
    conn: &mut DbConnection,
    campaign: &Campaign,
    row: NewInteraction<'_>,
    error: ConfigError,
    detail: Option<String>,
) -> Result<Result<Prepared, CallStart>, AppError> {
    let message = detail.unwrap_or_else(|| error.message());
    let row = NewInteraction { error_code: Some(error.code()), error_message: Some(&message), ..row };
    let interaction_id = db::interactions::insert(conn, &row)?;
    db::campaigns::set_blocking_error(conn, campaign.id, error.code(), &message, row.created_at)?;
    Ok(Err(CallStart::ConfigError { interaction_id, error }))
}
