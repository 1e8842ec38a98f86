//! The simulator's phone: a page where a demo user plays a caller ringing one of the
//! account's numbers. As ElevenLabs would, the simulator asks voxdial's
//! conversation-initiation webhook what to tell the agent, holds the call for a while with
//! what voxdial answered, then posts the signed post-call webhook.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::{Map, Value, json};

use super::script::Scenario;
use super::{InboundTarget, NUMBERS, SimCall, SimState, answering_agent, payloads};
use crate::domain::interaction::Direction;
use crate::provider::Telephony;

/// A demo lead's number, recognised by the demo campaign.
const KNOWN_CALLER: &str = "+12125550120";

#[derive(Template)]
#[template(path = "simulator/phone.html")]
struct PhonePage {
    numbers: Vec<(String, String)>,
    caller: String,
    chosen: String,
    known_caller: &'static str,
    answered: Option<Answered>,
    error: Option<String>,
}

/// What voxdial told the agent for a call that is now under way.
struct Answered {
    number: String,
    lead: String,
    contact_type: String,
    campaign: String,
    first_message: Option<String>,
    prompt: Option<String>,
    seconds: u64,
    call_url: Option<String>,
}

fn choices() -> Vec<(String, String)> {
    NUMBERS.iter().map(|(id, number, label, _)| ((*id).to_owned(), format!("{label} · {number}"))).collect()
}

fn phone_is_off() -> HttpResponse {
    HttpResponse::NotFound().body("The simulator's phone is off: it has no inbound webhook to call.")
}

fn render(page: PhonePage, status: StatusCode) -> HttpResponse {
    match page.render() {
        Ok(html) => HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html),
        Err(err) => HttpResponse::InternalServerError().body(format!("could not render the phone: {err}")),
    }
}

pub(super) async fn page(state: web::Data<SimState>) -> HttpResponse {
    if state.config.inbound.is_none() {
        return phone_is_off();
    }
    let page = PhonePage {
        numbers: choices(),
        caller: KNOWN_CALLER.into(),
        chosen: NUMBERS[0].0.into(),
        known_caller: KNOWN_CALLER,
        answered: None,
        error: None,
    };
    render(page, StatusCode::OK)
}

pub(super) async fn ring(state: web::Data<SimState>, form: web::Form<HashMap<String, String>>) -> HttpResponse {
    let Some(target) = state.config.inbound.clone() else { return phone_is_off() };
    let caller = form.get("caller").map(|c| c.trim().to_owned()).unwrap_or_default();
    let chosen = form.get("number").cloned().unwrap_or_default();
    let mut page =
        PhonePage { numbers: choices(), caller, chosen, known_caller: KNOWN_CALLER, answered: None, error: None };
    let Some(index) = NUMBERS.iter().position(|(id, ..)| *id == page.chosen) else {
        page.error = Some("Choose one of the account's numbers to ring.".into());
        return render(page, StatusCode::UNPROCESSABLE_ENTITY);
    };
    if page.caller.is_empty() {
        page.error = Some("Enter the number you are calling from.".into());
        return render(page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match place(state.into_inner(), &target, index, &page.caller).await {
        Ok(answered) => page.answered = Some(answered),
        Err(message) => page.error = Some(message),
    }
    let status = if page.error.is_some() { StatusCode::BAD_GATEWAY } else { StatusCode::OK };
    render(page, status)
}

/// Rings: asks voxdial, then lets the call run with what it answered.
async fn place(
    state: std::sync::Arc<SimState>,
    target: &InboundTarget,
    index: usize,
    caller: &str,
) -> Result<Answered, String> {
    let (number_id, agent_number, _, telephony) = NUMBERS[index];
    let (agent_id, agent_name) = answering_agent(index);
    let n = state.next_serial();
    let (call_sid, stream_sid) = match telephony {
        Telephony::Twilio => (payloads::twilio_call_sid(n), Some(payloads::twilio_stream_sid(n))),
        Telephony::SipTrunk => (payloads::sip_call_id(n), None),
    };
    // The docs leave open whether a SIP trunk's request says `call_sid` or `call_id`.
    let sid_field = if telephony == Telephony::SipTrunk { "call_id" } else { "call_sid" };
    let question =
        json!({"caller_id": caller, "agent_id": agent_id, "called_number": agent_number, sid_field: call_sid});
    let response = state
        .http
        .post(&target.initiation_url)
        .header("X-Voxdial-Token", &target.token)
        .json(&question)
        .send()
        .await
        .map_err(|err| format!("voxdial could not be reached: {err}"))?;
    let status = response.status();
    let body = response.text().await.map_err(|err| format!("voxdial's answer could not be read: {err}"))?;
    if !status.is_success() {
        return Err(format!("voxdial answered {status}: {}", body.chars().take(300).collect::<String>()));
    }
    let Ok(Value::Object(mut client_data)) = serde_json::from_str::<Value>(&body) else {
        return Err("voxdial's answer is not a JSON object".into());
    };
    client_data.remove("type");
    let scenario = Scenario::pick_inbound(&format!("{caller}#{n}"));
    let answered = describe(&client_data, target, agent_number, state.config.call_length.of(scenario).as_secs());
    let call = SimCall {
        direction: Direction::Inbound,
        agent_id: agent_id.to_owned(),
        agent_name: agent_name.to_owned(),
        telephony,
        number_id: number_id.to_owned(),
        agent_number: agent_number.to_owned(),
        external_number: caller.to_owned(),
        call_sid,
        stream_sid,
        started_at: chrono::Utc::now(),
        scenario,
        client_data,
        finished: None,
    };
    state.begin(format!("conv_sim_{n:06}"), call);
    Ok(answered)
}

fn describe(client_data: &Map<String, Value>, target: &InboundTarget, number: &str, seconds: u64) -> Answered {
    let variable = |name: &str| {
        client_data
            .get("dynamic_variables")
            .and_then(|vars| vars.get(name))
            .and_then(Value::as_str)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let agent = client_data.get("conversation_config_override").and_then(|o| o.get("agent"));
    let text = |pointer: &str| agent.and_then(|a| a.pointer(pointer)).and_then(Value::as_str).map(str::to_owned);
    Answered {
        number: number.to_owned(),
        lead: variable("lead_full_name").unwrap_or_else(|| "an unknown caller".into()),
        contact_type: variable("contact_type").unwrap_or_else(|| "none".into()),
        campaign: variable("campaign_name").unwrap_or_else(|| "none (neutral answer)".into()),
        first_message: text("/first_message"),
        prompt: text("/prompt/prompt"),
        seconds,
        call_url: variable("voxdial_interaction_id").map(|id| format!("{}/interactions/{id}", target.app_url)),
    }
}
