//! Inbound calls (R-INBOUND, R-CONTACT-TYPE): the provider asks, as the phone rings, what
//! to tell the agent. voxdial routes the call to a campaign, matches the caller to a lead
//! (an unknown caller becomes one), records the call as in progress so the post-call
//! webhook completes it like any other, and answers with the lead's variables and the
//! campaign's rendered prompt. Whatever goes wrong, the answer is valid: neutral variables
//! and no override, so the agent's own defaults speak; the problem is recorded for the
//! dashboard.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

use super::prepare::{LeadPrompt, render_for_lead};
use super::variables;
use crate::db::agents::VoiceAgent;
use crate::db::campaigns::Campaign;
use crate::db::interactions::NewInteraction;
use crate::db::leads::Lead;
use crate::db::phone_numbers::PhoneNumber;
use crate::db::problems::ProblemKind;
use crate::db::providers::{ProviderConnection, SecretField};
use crate::db::{self, DbConnection};
use crate::domain::analytics::week_hour;
use crate::domain::interaction::{CallOrigin, CallStatus, ContactType, Direction};
use crate::domain::lead::{LeadInput, LeadSource, LeadStatus};
use crate::domain::phone::E164;
use crate::domain::prompt::AgentVars;
use crate::error::AppError;
use crate::ids::{AgentId, CampaignId, ConnectionId};
use crate::services::prompt_context::{campaign_agent, lead_timezone};
use crate::services::{Ctx, connections};

/// The provider's question, as it came in.
#[derive(Debug, Clone)]
pub struct Initiation {
    pub connection_id: ConnectionId,
    /// The `X-Voxdial-Token` header.
    pub token: Option<String>,
    pub caller_id: String,
    pub agent_id: Option<String>,
    pub called_number: Option<String>,
    /// `call_sid` (Twilio) or `call_id` (SIP).
    pub call_sid: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// Unknown connection or wrong token: the same refusal for both.
    Refused,
    /// The `conversation_initiation_client_data` to return.
    Answer(Value),
}

/// Answers one initiation request.
pub async fn answer(ctx: &Ctx, initiation: Initiation) -> Reply {
    let secrets = ctx.secrets.clone();
    let now = ctx.clock.now_utc();
    let connection_id = initiation.connection_id;
    // Everything that only reads happens before the write transaction, so the write lock is
    // held just for the rows this call adds (SQLite has one writer at a time).
    let outcome = ctx
        .db
        .run(move |conn| {
            let Some(connection) = authenticated(conn, &secrets, &initiation)? else { return Ok(Reply::Refused) };
            let plan = plan(conn, &connection, &initiation, now)?;
            let answer = db::write_tx(conn, |conn| record(conn, &connection, &initiation, plan, now))?;
            Ok(Reply::Answer(answer))
        })
        .await;
    match outcome {
        Ok(reply) => reply,
        Err(err) => {
            tracing::error!(%connection_id, error = ?err, "an inbound call could not be looked up; answering neutrally");
            let message = format!("An inbound call could not be looked up: {}", err.with_causes());
            let recorded = ctx
                .db
                .write(move |conn| {
                    let known = db::providers::find(conn, connection_id).is_ok().then_some(connection_id);
                    Ok(db::problems::record(conn, ProblemKind::InboundLookup, known, None, &message, now.naive_utc())?)
                })
                .await;
            if let Err(err) = recorded {
                tracing::error!(error = ?err, "the inbound problem could not be recorded either");
            }
            Reply::Answer(neutral())
        }
    }
}

/// The connection, when the request carries its inbound token (compared in constant time).
fn authenticated(
    conn: &mut DbConnection,
    secrets: &crate::crypto::SecretBox,
    initiation: &Initiation,
) -> Result<Option<ProviderConnection>, AppError> {
    let connection = match db::providers::find(conn, initiation.connection_id) {
        Ok(connection) => connection,
        Err(diesel::result::Error::NotFound) => return Ok(None),
        Err(err) => return Err(err.into()),
    };
    let (Some(sealed), Some(presented)) = (&connection.inbound_token_enc, &initiation.token) else { return Ok(None) };
    let expected = connections::open(secrets, SecretField::InboundToken, sealed)?;
    Ok(bool::from(expected.as_bytes().ct_eq(presented.as_bytes())).then_some(connection))
}

fn neutral() -> Value {
    json!({"type": "conversation_initiation_client_data", "dynamic_variables": variables::neutral()})
}

/// What the read phase found.
enum Plan {
    /// No campaign, or no usable caller: answered neutrally, with a problem recorded.
    Unrouted {
        campaign: Option<CampaignId>,
        message: String,
    },
    Routed(Box<Routed>),
}

struct Routed {
    campaign: Campaign,
    number: Option<PhoneNumber>,
    agent: Option<VoiceAgent>,
    /// The agent as the prompt and the variables name it.
    agent_vars: AgentVars,
    caller: E164,
    called: Option<E164>,
    /// Prepared already when the caller is a lead; an unknown caller's lead is created in
    /// the write phase.
    known: Option<Prepared>,
}

/// The lead and what the call tells its agent.
struct Prepared {
    lead: Lead,
    contact_type: ContactType,
    prompt: Option<LeadPrompt>,
    on_dnc: bool,
}

/// Routes the call and, for a caller who is a lead, renders their prompt: reads only.
fn plan(
    conn: &mut DbConnection,
    connection: &ProviderConnection,
    initiation: &Initiation,
    now: DateTime<Utc>,
) -> Result<Plan, AppError> {
    let called = initiation.called_number.as_deref().and_then(|n| E164::parse(n, None).ok());
    let number = match &called {
        Some(called) => db::inbound::number(conn, connection.id, called)?,
        None => None,
    };
    let agent = match &initiation.agent_id {
        Some(agent_id) => db::agents::find_by_provider_id(conn, connection.id, agent_id)?,
        None => None,
    };
    let Some(campaign) = route(conn, connection, number.as_ref(), agent.as_ref().map(|a| a.id))? else {
        let message = format!(
            "An inbound call to {} (agent {}) matched no campaign; set a default inbound campaign for “{}”",
            initiation.called_number.as_deref().unwrap_or("an unknown number"),
            initiation.agent_id.as_deref().unwrap_or("unknown"),
            connection.name
        );
        return Ok(Plan::Unrouted { campaign: None, message });
    };
    let Ok(caller) = E164::parse(&initiation.caller_id, None) else {
        let message = format!("An inbound call came from “{}”, which is not a phone number", initiation.caller_id);
        return Ok(Plan::Unrouted { campaign: Some(campaign.id), message });
    };
    let agent_vars = match &agent {
        Some(agent) => agent.vars(),
        None => campaign_agent(conn, &campaign)?,
    };
    let known = match db::leads::find_live_by_phone(conn, campaign.id, &caller)? {
        Some(lead) => Some(prepare(conn, lead, false, &campaign, &agent_vars, now)?),
        None => None,
    };
    Ok(Plan::Routed(Box::new(Routed { campaign, number, agent, agent_vars, caller, called, known })))
}

fn prepare(
    conn: &mut DbConnection,
    lead: Lead,
    created: bool,
    campaign: &Campaign,
    agent: &AgentVars,
    now: DateTime<Utc>,
) -> Result<Prepared, AppError> {
    let contact_type = ContactType::classify(created, db::leads::completed_conversations(conn, lead.id)?);
    let prompt = render_for_lead(conn, &lead, campaign, agent, contact_type, now)?;
    let on_dnc = db::suppression::blocking_entry(conn, &lead.phone, campaign.id)?.is_some();
    Ok(Prepared { lead, contact_type, prompt, on_dnc })
}

/// The write phase: creates an unknown caller's lead, records the call and any problem, and
/// builds the answer.
fn record(
    conn: &mut DbConnection,
    connection: &ProviderConnection,
    initiation: &Initiation,
    plan: Plan,
    now: DateTime<Utc>,
) -> Result<Value, AppError> {
    let stored_now = now.naive_utc();
    let problem =
        |conn: &mut DbConnection, kind, campaign: Option<CampaignId>, message: String| -> Result<Value, AppError> {
            db::problems::record(conn, kind, Some(connection.id), campaign, &message, stored_now)?;
            tracing::warn!(connection_id = %connection.id, message, "inbound call answered neutrally");
            Ok(neutral())
        };
    let routed = match plan {
        Plan::Unrouted { campaign, message } => {
            return problem(conn, ProblemKind::InboundUnrouted, campaign, message);
        }
        Plan::Routed(routed) => *routed,
    };
    let Routed { campaign, number, agent, agent_vars, caller, called, known } = routed;
    let Prepared { lead, contact_type, prompt, on_dnc } = match known {
        Some(prepared) => prepared,
        None => {
            let (lead, created) = find_or_create_lead(conn, &campaign, &caller, stored_now)?;
            prepare(conn, lead, created, &campaign, &agent_vars, now)?
        }
    };
    let (template_version_id, prompt) = match prompt {
        Some((version, Ok(prompt))) => (Some(version), Some(prompt)),
        Some((version, Err(error))) => {
            let message = format!("The prompt of “{}” failed for an inbound caller: {error}", campaign.name);
            db::problems::record(
                conn,
                ProblemKind::InboundRender,
                Some(connection.id),
                Some(campaign.id),
                &message,
                stored_now,
            )?;
            (Some(version), None)
        }
        None => (None, None),
    };
    let our_number = number.as_ref().map(|n| n.e164.clone()).or(called).unwrap_or_else(|| caller.clone());
    let row = NewInteraction {
        direction: Direction::Inbound,
        origin: CallOrigin::Inbound,
        lead_id: lead.id,
        campaign_id: campaign.id,
        voice_agent_id: agent.as_ref().map(|a| a.id),
        phone_number_id: number.as_ref().map(|n| n.id),
        provider_connection_id: Some(connection.id),
        contact_type,
        attempt_number: lead.attempt_count,
        counts_as_attempt: false,
        template_version_id,
        rendered_prompt: prompt.as_ref().map(|p| p.system_prompt.as_str()),
        rendered_first_message: prompt.as_ref().and_then(|p| p.first_message.as_deref()),
        to_number: &our_number,
        from_number: Some(&caller),
        status: CallStatus::InProgress,
        outcome: None,
        error_code: None,
        error_message: None,
        initiated_by: None,
        ended_at: None,
        created_at: stored_now,
        lead_week_hour: Some(week_hour(lead_timezone(&lead, &campaign), stored_now)),
    };
    // A lead already on a live call (we are calling them as they call us) still gets its
    // answer; the call is not recorded twice.
    let Some(interaction_id) = db::unless_duplicate(conn, |c| db::interactions::insert(c, &row))? else {
        let message = format!("{caller} called in while a call to them was live; the inbound call is not recorded");
        return problem(conn, ProblemKind::InboundUnrouted, Some(campaign.id), message);
    };
    db::interactions::note_inbound(conn, interaction_id, initiation.call_sid.as_deref(), on_dnc)?;
    let mut answer = json!({
        "type": "conversation_initiation_client_data",
        "dynamic_variables": variables::for_lead(&lead, &campaign.name, &agent_vars.name, contact_type, interaction_id),
    });
    if let Some(prompt) = prompt {
        let mut agent = json!({"prompt": {"prompt": prompt.system_prompt}});
        if let Some(first_message) = prompt.first_message {
            agent["first_message"] = Value::from(first_message);
        }
        answer["conversation_config_override"] = json!({"agent": agent});
    }
    Ok(answer)
}

/// The campaign that answers: the one calling from the called number, else the one marked
/// to answer that number or the agent, else the connection's default.
fn route(
    conn: &mut DbConnection,
    connection: &ProviderConnection,
    number: Option<&PhoneNumber>,
    agent_id: Option<AgentId>,
) -> Result<Option<Campaign>, AppError> {
    if let Some(number) = number {
        if let Some(campaign) = db::inbound::campaigns_calling_from(conn, number.id)?.into_iter().next() {
            return Ok(Some(campaign));
        }
        if let Some(campaign) = db::inbound::campaign_answering_number(conn, number.id)? {
            return Ok(Some(campaign));
        }
    }
    if let Some(agent_id) = agent_id
        && let Some(campaign) = db::inbound::campaign_answering_agent(conn, agent_id)?
    {
        return Ok(Some(campaign));
    }
    match connection.default_inbound_campaign_id {
        Some(id) => Ok(Some(db::campaigns::find(conn, id)?)
            .filter(|c| c.status != crate::domain::campaign::CampaignStatus::Archived)),
        None => Ok(None),
    }
}

/// The caller's lead in the campaign, or a new one (status new, source inbound, the zone of
/// the number); `true` when created now.
fn find_or_create_lead(
    conn: &mut DbConnection,
    campaign: &Campaign,
    caller: &E164,
    now: chrono::NaiveDateTime,
) -> Result<(Lead, bool), AppError> {
    if let Some(lead) = db::leads::find_live_by_phone(conn, campaign.id, caller)? {
        return Ok((lead, false));
    }
    let input = LeadInput {
        first_name: String::new(),
        last_name: String::new(),
        phone: caller.clone(),
        email: None,
        company: None,
        timezone: caller.zone(),
        status: LeadStatus::New,
        is_test: false,
        custom_fields: serde_json::Map::new(),
        consent_source: None,
        consent_at: None,
    };
    match db::unless_duplicate(conn, |c| db::leads::insert(c, campaign.id, &input, LeadSource::Inbound, now))? {
        Some(id) => Ok((db::leads::find(conn, id)?, true)),
        // Created a moment ago by a simultaneous call from the same number.
        None => Ok((db::leads::find_live_by_phone(conn, campaign.id, caller)?.ok_or(AppError::NotFound)?, false)),
    }
}
