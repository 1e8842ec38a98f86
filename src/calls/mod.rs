//! Calls: starting one (R-CALL), applying what the provider reports (R-OUTCOME), and
//! reconciling calls whose report never came (R-RECONCILE).
//!
//! A call's row is committed before the provider is asked to dial, and no transaction is
//! ever open while the provider is being asked.

pub mod events;
pub mod reconcile;

use std::collections::BTreeMap;

use chrono::NaiveDateTime;

use crate::app::AppState;
use crate::audit::{self, Actor};
use crate::connections;
use crate::db::interactions::{Ending, NewInteraction};
use crate::db::leads::{CallResult, Lead};
use crate::db::providers::ProviderConnection;
use crate::db::{self, DbConnection, write_tx};
use crate::domain::interaction::{CallStatus, ContactType};
use crate::domain::outcome::{Outcome, StatusMap};
use crate::domain::prompt::{self, PromptSource};
use crate::domain::resolution::{self, ConfigError};
use crate::error::AppError;
use crate::prompts;
use crate::provider::{OutboundCall, ProviderKind, Telephony};

/// The dynamic variable carrying voxdial's interaction id, so every webhook can be matched.
pub const INTERACTION_VARIABLE: &str = "voxdial_interaction_id";

/// How a call request ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallStart {
    /// The provider took the call.
    Accepted { interaction_id: i64 },
    /// The provider did not confirm in time; the reconciler establishes what happened.
    Unconfirmed { interaction_id: i64, message: String },
    /// Configuration is missing (R-CONFIG-ERR): recorded as a failed call, nothing dialed.
    ConfigError { interaction_id: i64, error: ConfigError },
    /// The provider refused the call.
    ProviderError { interaction_id: i64, message: String },
    /// The call may not be made at all (deleted lead, do-not-call, a call already live…).
    Refused(String),
}

/// A call ready to be placed, committed as `dialing`.
struct Prepared {
    interaction_id: i64,
    connection: ProviderConnection,
    call: OutboundCall,
}

/// Places a call to a lead for a team member: resolve and render, commit the call row (and
/// its audit record), then ask the provider, then record its answer.
pub async fn start_call(state: &AppState, lead_id: i64, by: Actor) -> Result<CallStart, AppError> {
    let prepared = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let prepared = prepare(conn, lead_id, by.user_id, db::now())?;
                let interaction_id = match &prepared {
                    Ok(ready) => Some(ready.interaction_id),
                    Err(CallStart::ConfigError { interaction_id, .. }) => Some(*interaction_id),
                    Err(_) => None,
                };
                if let Some(id) = interaction_id {
                    let summary = format!("Started call #{id} to lead {lead_id} by hand");
                    audit::record(conn, &by, "call.start", "interaction", Some(id), &summary)?;
                }
                Ok::<_, AppError>(prepared)
            })
        })
        .await?;
    let prepared = match prepared {
        Ok(prepared) => prepared,
        Err(decided) => return Ok(decided),
    };
    let interaction_id = prepared.interaction_id;
    let connection_id = prepared.connection.id;
    let client = match connections::client_for(state, &prepared.connection) {
        Ok(client) => client,
        Err(err) => {
            let message = "voxdial could not use the connection's API key; nothing was dialed".to_owned();
            state.db.run(move |conn| fail_call(conn, interaction_id, "PROVIDER_ERROR", &message, db::now())).await?;
            return Err(err);
        }
    };
    let answer = client.start_call(&prepared.call).await;
    state
        .db
        .run(move |conn| {
            let now = db::now();
            match answer {
                Ok(accepted) => {
                    write_tx(conn, |conn| {
                        db::interactions::mark_accepted(conn, interaction_id, accepted.conversation_id.as_deref(), accepted.call_sid.as_deref(), now)
                    })?;
                    // A webhook that outran this answer waits for the conversation id: apply it
                    // now (or the sweeper will: the call is placed either way).
                    if let Some(conversation_id) = &accepted.conversation_id
                        && let Err(err) = events::apply_waiting(conn, connection_id, conversation_id, now)
                    {
                        tracing::warn!(interaction_id, error = %err, "early webhook left for the sweeper");
                    }
                    Ok(CallStart::Accepted { interaction_id })
                }
                Err(err) if err.outcome_unknown() => {
                    let message = format!(
                        "The provider did not confirm the call ({err}). Whether it rang is established by asking the provider; it is not dialed again."
                    );
                    write_tx(conn, |conn| db::interactions::note_error(conn, interaction_id, &message, now))?;
                    Ok(CallStart::Unconfirmed { interaction_id, message })
                }
                Err(err) => {
                    let message = err.to_string();
                    fail_call(conn, interaction_id, "PROVIDER_ERROR", &message, now)?;
                    Ok(CallStart::ProviderError { interaction_id, message })
                }
            }
        })
        .await
}

/// Ends a call the provider never placed as failed, with its lead's update.
fn fail_call(
    conn: &mut DbConnection,
    interaction_id: i64,
    code: &str,
    message: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    write_tx(conn, |conn| {
        let interaction = db::interactions::find(conn, interaction_id)?;
        let ending = Ending {
            outcome: Some(Outcome::Failed.as_str()),
            error_code: Some(code),
            error_message: Some(message),
            ..Ending::default()
        };
        if db::interactions::end(conn, &interaction, &CallStatus::LIVE, CallStatus::Failed, &ending, now)? {
            apply_outcome_to_lead(conn, &interaction, Outcome::Failed, None, now)?;
        }
        Ok(())
    })
}

/// Everything before the provider is asked, in one transaction. `Err` carries a decision
/// that ends the request here (refused, or a configuration error recorded as a failed call).
fn prepare(
    conn: &mut DbConnection,
    lead_id: i64,
    initiated_by: Option<i64>,
    now: NaiveDateTime,
) -> Result<Result<Prepared, CallStart>, AppError> {
    let lead = db::leads::find(conn, lead_id)?;
    let campaign = db::campaigns::find(conn, lead.campaign_id)?;
    if lead.deleted_at.is_some() {
        return Ok(Err(CallStart::Refused("This lead was deleted.".into())));
    }
    if campaign.status == "archived" {
        return Ok(Err(CallStart::Refused("The campaign is archived.".into())));
    }
    if lead.status == "do_not_call" {
        return Ok(Err(CallStart::Refused(format!("{} asked not to be called (status: do not call).", lead.phone))));
    }
    if let Some((reason, scope)) = db::suppression::blocking_entry(conn, &lead.phone, campaign.id)? {
        let list = if scope.is_some() { "this campaign's do-not-call list" } else { "the do-not-call list" };
        let reason = if reason.is_empty() { String::new() } else { format!(" ({reason})") };
        return Ok(Err(CallStart::Refused(format!("{} is on {list}{reason}.", lead.phone))));
    }

    let production = db::agents::find_optional(conn, campaign.production_agent_id)?;
    let test = db::agents::find_optional(conn, campaign.test_agent_id)?;
    let contact_type = ContactType::classify(false, db::leads::completed_conversations(conn, lead.id)?);
    let base = |error: &ConfigError| NewInteraction {
        direction: "outbound",
        origin: "manual",
        lead_id: lead.id,
        campaign_id: campaign.id,
        voice_agent_id: None,
        phone_number_id: None,
        provider_connection_id: None,
        contact_type: contact_type.as_str(),
        attempt_number: lead.attempt_count + 1,
        counts_as_attempt: false,
        template_version_id: None,
        rendered_prompt: None,
        rendered_first_message: None,
        to_number: &lead.phone,
        from_number: None,
        status: CallStatus::Failed.as_str(),
        outcome: None,
        error_code: Some(error.code()),
        error_message: None,
        initiated_by,
        ended_at: Some(now),
        created_at: now,
        updated_at: now,
    };
    let production_candidate = production.as_ref().map(|a| a.candidate());
    let test_candidate = test.as_ref().map(|a| a.candidate());
    let (picked, _) = match resolution::pick_agent(lead.is_test, production_candidate.as_ref(), test_candidate.as_ref())
    {
        Ok(picked) => picked,
        Err(error) => return config_failure(conn, &campaign.id, base(&error), error),
    };
    let agent =
        [&production, &test].into_iter().flatten().find(|a| a.id == picked.id).cloned().expect("picked from these");
    let number = match resolution::resolve_number(campaign.phone_number_id, picked) {
        Ok((number_id, _)) => db::phone_numbers::find(conn, number_id)?,
        Err(error) => {
            let row = NewInteraction { voice_agent_id: Some(agent.id), ..base(&error) };
            return config_failure(conn, &campaign.id, row, error);
        }
    };
    if number.provider_connection_id != agent.provider_connection_id {
        let error = ConfigError::MissingPhoneNumber;
        let message = format!("{} belongs to another provider account than the agent “{}”", number.e164, agent.name);
        let row = NewInteraction { voice_agent_id: Some(agent.id), error_message: Some(&message), ..base(&error) };
        return config_failure(conn, &campaign.id, row, error);
    }
    let mut rendered = None;
    let mut template_version_id = None;
    if let Some(template_id) = campaign.prompt_template_id {
        let version = db::templates::latest_version(conn, template_id)?;
        template_version_id = Some(version.id);
        let ctx = prompts::context_for_lead(conn, &lead, &agent.name, contact_type)?;
        let source =
            PromptSource { system_prompt: &version.system_prompt, first_message: version.first_message.as_deref() };
        match prompt::render(source, &ctx) {
            Ok(done) => rendered = Some(done),
            Err(template_error) => {
                let error = ConfigError::TemplateError(template_error.to_string());
                let message = error.message();
                let row = NewInteraction {
                    voice_agent_id: Some(agent.id),
                    phone_number_id: Some(number.id),
                    template_version_id,
                    error_message: Some(&message),
                    ..base(&error)
                };
                return config_failure(conn, &campaign.id, row, error);
            }
        }
    }
    let connection = db::providers::find(conn, agent.provider_connection_id)?;
    ProviderKind::parse(&connection.kind).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    let telephony = Telephony::parse(&number.telephony).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;

    let row = NewInteraction {
        voice_agent_id: Some(agent.id),
        phone_number_id: Some(number.id),
        provider_connection_id: Some(connection.id),
        counts_as_attempt: true,
        template_version_id,
        rendered_prompt: rendered.as_ref().map(|r| r.system_prompt.as_str()),
        rendered_first_message: rendered.as_ref().and_then(|r| r.first_message.as_deref()),
        from_number: Some(&number.e164),
        status: CallStatus::Dialing.as_str(),
        error_code: None,
        ended_at: None,
        ..base(&ConfigError::MissingAgent)
    };
    let Some(interaction_id) = db::unless_duplicate(conn, |c| db::interactions::insert(c, &row))? else {
        return Ok(Err(CallStart::Refused("This lead already has a call in progress.".into())));
    };
    db::leads::record_attempt(conn, lead.id, now)?;
    db::campaigns::clear_blocking_error(conn, campaign.id)?;

    let call = OutboundCall {
        agent_id: agent.provider_agent_id.clone(),
        agent_phone_number_id: number.provider_phone_number_id.clone(),
        telephony,
        to_number: lead.phone.clone(),
        system_prompt: rendered.as_ref().map(|r| r.system_prompt.clone()),
        first_message: rendered.and_then(|r| r.first_message),
        dynamic_variables: dynamic_variables(&lead, &campaign.name, &agent.name, contact_type, interaction_id),
        user_id: Some(format!("lead-{}", lead.id)),
    };
    Ok(Ok(Prepared { interaction_id, connection, call }))
}

/// Records a configuration error as a failed call that does not count as an attempt, and
/// marks the campaign as blocked until it is fixed (R-CONFIG-ERR).
fn config_failure(
    conn: &mut DbConnection,
    campaign_id: &i64,
    row: NewInteraction<'_>,
    error: ConfigError,
) -> Result<Result<Prepared, CallStart>, AppError> {
    let message = row.error_message.map_or_else(|| error.message(), str::to_owned);
    let interaction_id = db::interactions::insert(conn, &NewInteraction { error_message: Some(&message), ..row })?;
    db::campaigns::set_blocking_error(conn, *campaign_id, error.code(), &message)?;
    Ok(Err(CallStart::ConfigError { interaction_id, error }))
}

/// The lead's fields for the agent, plus voxdial's ids for matching webhooks.
fn dynamic_variables(
    lead: &Lead,
    campaign_name: &str,
    agent_name: &str,
    contact_type: ContactType,
    interaction_id: i64,
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
    text("lead_phone", &lead.phone);
    text("lead_email", lead.email.as_deref().unwrap_or_default());
    text("lead_company", lead.company.as_deref().unwrap_or_default());
    text("lead_timezone", lead.timezone.as_deref().unwrap_or_default());
    text("lead_status", &lead.status);
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

/// What an ended call does to its lead, in the caller's transaction (R-OUTCOME): the
/// campaign's outcome → status map, the next due time, and an opt-out to the DNC list.
pub fn apply_outcome_to_lead(
    conn: &mut DbConnection,
    interaction: &db::interactions::Interaction,
    outcome: Outcome,
    callback_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let campaign = db::campaigns::find(conn, interaction.campaign_id)?;
    let lead = db::leads::find(conn, interaction.lead_id)?;
    let map = StatusMap::from_json(campaign.outcome_status_map.as_deref());
    // Once a lead said "do not call", only a person may change that.
    let status = if lead.status == "do_not_call" { None } else { map.status_for(outcome) };
    let result = CallResult {
        status,
        next_call_at: outcome.next_due(now, callback_at),
        reached: outcome.reached_person(),
        needs_review: false,
    };
    db::leads::record_call_result(conn, &lead, &result, now)?;
    if outcome == Outcome::DoNotCall {
        add_opt_out(conn, interaction, &lead.phone)?;
    }
    Ok(())
}

/// Puts the number of a lead who asked not to be called on the global do-not-call list.
pub fn add_opt_out(
    conn: &mut DbConnection,
    interaction: &db::interactions::Interaction,
    phone: &str,
) -> Result<(), AppError> {
    db::suppression::add(
        conn,
        &db::suppression::NewEntry {
            phone,
            campaign_id: None,
            reason: &format!("Asked not to be called (call #{})", interaction.id),
            source: "opt_out",
            created_by: None,
            interaction_id: Some(interaction.id),
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_fields_become_prefixed_scalar_variables() {
        let now = db::now();
        let lead = Lead {
            id: 7,
            campaign_id: 1,
            first_name: "Ana".into(),
            last_name: "Lima".into(),
            phone: "+12125550123".into(),
            email: None,
            company: Some("Acme".into()),
            timezone: None,
            status: "new".into(),
            is_test: false,
            custom_fields: r#"{"Plan Tier": "gold", "seats": 12, "tags": ["a"], "first_name": "x"}"#.into(),
            consent_source: None,
            consent_at: None,
            search_name: String::new(),
            search_last_name: String::new(),
            search_email: String::new(),
            search_company: String::new(),
            attempt_count: 2,
            last_attempt_at: None,
            last_contacted_at: None,
            next_call_at: None,
            needs_review: false,
            deleted_at: None,
            created_at: now,
            updated_at: now,
        };
        let vars = dynamic_variables(&lead, "Spring", "Ava", ContactType::Returning, 42);
        assert_eq!(vars[INTERACTION_VARIABLE], "42");
        assert_eq!(vars["lead_first_name"], "Ana");
        assert_eq!(vars["attempt_number"], 3);
        assert_eq!(vars["lead_plan_tier"], "gold");
        assert_eq!(vars["lead_seats"], 12);
        assert_eq!(vars["lead_tags"], "[\"a\"]");
        assert_eq!(vars["contact_type"], "returning");
    }
}
