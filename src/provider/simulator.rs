//! A stand-in for ElevenLabs for the demo: it serves the same endpoints over real HTTP
//! (agents, phone numbers, outbound calls, conversations) and, a few seconds after each
//! call, posts correctly signed webhooks back with a realistic transcript and outcome.
//! voxdial talks to it with its real provider client and receives its real webhooks.

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use super::Telephony;
use super::elevenlabs::webhook::sign;

/// The agents and numbers the simulated account has.
pub const AGENTS: [(&str, &str); 3] =
    [("agent_sim_ava", "Ava — sales"), ("agent_sim_theo", "Theo — test calls"), ("agent_sim_nora", "Nora — renewals")];
pub const NUMBERS: [(&str, &str, &str, Telephony); 3] = [
    ("phnum_sim_main", "+12125550100", "Main line (New York)", Telephony::Twilio),
    ("phnum_sim_west", "+14155550100", "West coast", Telephony::Twilio),
    ("phnum_sim_sip", "+442079460000", "London SIP trunk", Telephony::SipTrunk),
];

#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    pub api_key: String,
    /// Where post-call webhooks go (the connection's post-call URL).
    pub webhook_url: String,
    pub webhook_secret: String,
    /// How long a simulated call lasts before its webhook is sent.
    pub call_length: Duration,
}

/// How a simulated call goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scenario {
    Interested,
    NotInterested,
    Callback,
    Voicemail,
    OptOut,
    Busy,
    NoAnswer,
}

impl Scenario {
    /// Varied but repeatable: the same number and attempt always go the same way.
    fn pick(seed: &str) -> Scenario {
        Scenario::from_hash(seed)
    }

    fn from_hash(seed: &str) -> Scenario {
        let hash = seed.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        match hash % 20 {
            0..=5 => Scenario::Interested,
            6..=9 => Scenario::NotInterested,
            10..=12 => Scenario::Callback,
            13..=15 => Scenario::Voicemail,
            16 => Scenario::OptOut,
            17..=18 => Scenario::Busy,
            _ => Scenario::NoAnswer,
        }
    }
}

/// Whether a simulated call to `to_number` on attempt `attempt` reaches someone who talks
/// (as opposed to busy or no answer) — for demos and tests that need a transcript.
pub fn answers(to_number: &str, attempt: i32) -> bool {
    !matches!(Scenario::pick(&format!("{to_number}#{attempt}")), Scenario::Busy | Scenario::NoAnswer)
}

/// A call the simulator placed.
#[derive(Debug, Clone)]
struct SimCall {
    agent_id: String,
    to_number: String,
    call_sid: String,
    variables: serde_json::Map<String, Value>,
    /// The conversation as `GET /conversations/{id}` shows it once finished.
    finished: Option<Value>,
}

struct SimState {
    config: SimulatorConfig,
    calls: Mutex<HashMap<String, SimCall>>,
    counter: Mutex<u64>,
    http: reqwest::Client,
}

/// A running simulator.
pub struct Simulator {
    pub base_url: String,
    handle: ServerHandle,
}

impl Simulator {
    /// Serves on a free loopback port until stopped.
    pub fn start(config: SimulatorConfig) -> anyhow::Result<Simulator> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let base_url = format!("http://{}", listener.local_addr()?);
        let state = web::Data::new(SimState {
            config,
            calls: Mutex::new(HashMap::new()),
            counter: Mutex::new(0),
            http: reqwest::Client::builder().timeout(Duration::from_secs(10)).build()?,
        });
        let server = HttpServer::new(move || {
            App::new()
                .app_data(state.clone())
                .route("/v1/convai/agents", web::get().to(list_agents))
                .route("/v1/convai/agents/{id}", web::get().to(get_agent))
                .route("/v1/convai/phone-numbers", web::get().to(list_numbers))
                .route("/v1/convai/twilio/outbound-call", web::post().to(outbound_call))
                .route("/v1/convai/sip-trunk/outbound-call", web::post().to(outbound_call))
                .route("/v1/convai/conversations/{id}", web::get().to(get_conversation))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)?
        .run();
        let handle = server.handle();
        tokio::spawn(server);
        tracing::info!(%base_url, "provider simulator listening");
        Ok(Simulator { base_url, handle })
    }

    pub async fn stop(&self) {
        self.handle.stop(false).await;
    }
}

fn unauthorized() -> HttpResponse {
    HttpResponse::Unauthorized().json(json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}))
}

fn authorized(req: &HttpRequest, state: &SimState) -> bool {
    req.headers().get("xi-api-key").and_then(|v| v.to_str().ok()) == Some(state.config.api_key.as_str())
}

async fn list_agents(
    req: HttpRequest,
    state: web::Data<SimState>,
    query: web::Query<HashMap<String, String>>,
) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    // Two agents per page, so cursor paging is exercised.
    let start: usize =
        query.get("cursor").and_then(|c| c.strip_prefix("page-")).and_then(|n| n.parse().ok()).unwrap_or(0);
    let page: Vec<Value> = AGENTS
        .iter()
        .skip(start)
        .take(2)
        .map(|(id, name)| json!({"agent_id": id, "name": name, "tags": ["demo"], "created_at_unix_secs": 1_767_225_600, "archived": false}))
        .collect();
    let has_more = start + 2 < AGENTS.len();
    HttpResponse::Ok().json(json!({
        "agents": page,
        "next_cursor": if has_more { Value::from(format!("page-{}", start + 2)) } else { Value::Null },
        "has_more": has_more
    }))
}

async fn get_agent(req: HttpRequest, state: web::Data<SimState>, path: web::Path<String>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    match AGENTS.iter().find(|(id, _)| *id == path.as_str()) {
        Some((id, name)) => HttpResponse::Ok()
            .json(json!({"agent_id": id, "name": name, "conversation_config": {}, "platform_settings": {}})),
        None => HttpResponse::NotFound()
            .json(json!({"detail": {"status": "agent_not_found", "message": "Agent not found"}})),
    }
}

async fn list_numbers(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let numbers: Vec<Value> = NUMBERS
        .iter()
        .map(|(id, number, label, provider)| {
            json!({"phone_number": number, "label": label, "phone_number_id": id, "provider": provider.as_str(),
                   "assigned_agent": null, "supports_inbound": true, "supports_outbound": true})
        })
        .collect();
    HttpResponse::Ok().json(numbers)
}

/// A FastAPI-style 422, as ElevenLabs answers invalid bodies.
fn invalid(field: &str) -> HttpResponse {
    HttpResponse::UnprocessableEntity()
        .json(json!({"detail": [{"loc": ["body", field], "msg": "Field required", "type": "missing"}]}))
}

async fn outbound_call(req: HttpRequest, state: web::Data<SimState>, body: web::Json<Value>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let field = |name: &str| body.get(name).and_then(|v| v.as_str()).filter(|v| !v.is_empty()).map(str::to_owned);
    let (Some(agent_id), Some(_number_id), Some(to_number)) =
        (field("agent_id"), field("agent_phone_number_id"), field("to_number"))
    else {
        let missing = ["agent_id", "agent_phone_number_id", "to_number"]
            .into_iter()
            .find(|f| field(f).is_none())
            .unwrap_or("agent_id");
        return invalid(missing);
    };
    if !AGENTS.iter().any(|(id, _)| *id == agent_id) {
        return HttpResponse::NotFound()
            .json(json!({"detail": {"status": "agent_not_found", "message": "Agent not found"}}));
    }
    let variables = body
        .pointer("/conversation_initiation_client_data/dynamic_variables")
        .and_then(|v| v.as_object())
        .cloned()
        .unwrap_or_default();
    let n = {
        let mut counter = state.counter.lock().expect("counter lock");
        *counter += 1;
        *counter
    };
    let conversation_id = format!("conv_sim_{n:06}");
    let call_sid = format!("CA{:032x}", u128::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C835));
    state.calls.lock().expect("calls lock").insert(
        conversation_id.clone(),
        SimCall { agent_id, to_number, call_sid: call_sid.clone(), variables, finished: None },
    );
    let sip = req.path().contains("sip-trunk");
    tokio::spawn(finish_call(state.into_inner(), conversation_id.clone()));
    let mut answer =
        json!({"success": true, "message": "Call initiated (simulated)", "conversation_id": conversation_id});
    if sip {
        answer["sip_call_id"] = Value::from(format!("sip-{n:06}"));
    } else {
        answer["callSid"] = Value::from(call_sid);
    }
    HttpResponse::Ok().json(answer)
}

async fn get_conversation(req: HttpRequest, state: web::Data<SimState>, path: web::Path<String>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let calls = state.calls.lock().expect("calls lock");
    match calls.get(path.as_str()) {
        Some(SimCall { finished: Some(data), .. }) => HttpResponse::Ok().json(data),
        Some(call) => HttpResponse::Ok().json(json!({
            "agent_id": call.agent_id, "conversation_id": path.as_str(), "status": "in-progress",
            "transcript": [], "metadata": {"start_time_unix_secs": chrono::Utc::now().timestamp(), "call_duration_secs": 0},
            "analysis": null
        })),
        None => HttpResponse::NotFound().json(json!({"detail": {"status": "conversation_not_found", "message": "Conversation not found"}})),
    }
}

fn text(vars: &serde_json::Map<String, Value>, name: &str, fallback: &str) -> String {
    vars.get(name).and_then(|v| v.as_str()).filter(|v| !v.is_empty()).unwrap_or(fallback).to_owned()
}

/// The conversation a scenario produces: (transcript lines, duration, analysis).
fn conversation(
    scenario: Scenario,
    vars: &serde_json::Map<String, Value>,
) -> (Vec<(&'static str, String)>, i64, Value) {
    let first = text(vars, "lead_first_name", "there");
    let company = text(vars, "lead_company", "your company");
    let campaign = text(vars, "campaign_name", "our spring offer");
    let agent = text(vars, "agent_name", "Ava").split(" — ").next().unwrap_or("Ava").to_owned();
    let returning = text(vars, "contact_type", "first") == "returning";
    let opening = if returning {
        format!("Hi {first}, it's {agent} again from Acme Voice. Thanks for taking my call a second time.")
    } else {
        format!(
            "Hi {first}, this is {agent}, an AI assistant calling from Acme Voice about {campaign}. Do you have a minute?"
        )
    };
    let collected = |outcome: &str| json!({"outcome": {"data_collection_id": "outcome", "value": outcome, "rationale": "stated by the lead"}});
    match scenario {
        Scenario::Interested => (
            vec![
                ("agent", opening),
                ("user", "Sure, I have a couple of minutes.".into()),
                (
                    "agent",
                    format!(
                        "Great. We help teams like {company} follow up with every lead within minutes. How do you handle follow-ups today?"
                    ),
                ),
                ("user", "Mostly by hand, and honestly we miss a lot of them.".into()),
                ("agent", "That's exactly what we fix. Would a short demo next week be useful?".into()),
                ("user", "Yes, let's do that. Tuesday afternoon works.".into()),
                ("agent", "Perfect, I'll send an invitation for Tuesday at 2 pm. Thanks, and have a great day!".into()),
            ],
            74,
            json!({"call_successful": "success", "call_summary_title": "Demo booked",
                   "transcript_summary": format!("{first} is interested and booked a demo for Tuesday afternoon; follow-ups are manual at {company} today."),
                   "evaluation_criteria_results": {"demo_booked": {"criteria_id": "demo_booked", "result": "success", "rationale": "A demo time was agreed."}},
                   "data_collection_results": collected("interested")}),
        ),
        Scenario::NotInterested => (
            vec![
                ("agent", opening),
                ("user", "We already use another tool for that, thanks.".into()),
                ("agent", "Understood. Would it help if I sent a one-page comparison for later?".into()),
                ("user", "No, we're happy with what we have.".into()),
                ("agent", "Thanks for your time, and have a good day.".into()),
            ],
            38,
            json!({"call_successful": "failure", "transcript_summary": format!("{first} is not interested; {company} already uses a competitor."),
                   "evaluation_criteria_results": {}, "data_collection_results": collected("not_interested")}),
        ),
        Scenario::Callback => {
            let at = (chrono::Utc::now() + chrono::Duration::days(2)).format("%Y-%m-%d 15:00").to_string();
            (
                vec![
                    ("agent", opening),
                    ("user", "I'm about to walk into a meeting. Can you call me back on Thursday afternoon?".into()),
                    ("agent", "Of course. Thursday at 3 pm suits?".into()),
                    ("user", "Yes, that works.".into()),
                    ("agent", "Noted. Talk to you then!".into()),
                ],
                29,
                json!({"call_successful": "unknown", "transcript_summary": format!("{first} asked for a call back on Thursday at 3 pm."),
                       "evaluation_criteria_results": {},
                       "data_collection_results": {"outcome": {"data_collection_id": "outcome", "value": "callback", "rationale": "asked"},
                                                   "callback_at": {"data_collection_id": "callback_at", "value": at, "rationale": "agreed time"}}}),
            )
        }
        Scenario::Voicemail => (
            vec![
                (
                    "user",
                    "Hi, you've reached the voicemail of this number. Please leave a message after the tone.".into(),
                ),
                (
                    "agent",
                    format!(
                        "Hi {first}, this is {agent} from Acme Voice about {campaign}. I'll try you again later. Have a good day!"
                    ),
                ),
            ],
            21,
            json!({"call_successful": "failure", "transcript_summary": "Reached voicemail; left a short message.",
                   "evaluation_criteria_results": {}, "data_collection_results": {"voicemail": {"data_collection_id": "voicemail", "value": true, "rationale": "greeting"}}}),
        ),
        Scenario::OptOut => (
            vec![
                ("agent", opening),
                ("user", "Please take me off your list and don't call this number again.".into()),
                (
                    "agent",
                    "I'm sorry for the interruption. I've removed your number and you won't be called again. Goodbye."
                        .into(),
                ),
            ],
            17,
            json!({"call_successful": "failure", "transcript_summary": format!("{first} asked not to be called again."),
                   "evaluation_criteria_results": {}, "data_collection_results": collected("opt_out")}),
        ),
        Scenario::Busy | Scenario::NoAnswer => (Vec::new(), 0, Value::Null),
    }
}

/// Waits for the call to "happen", then posts its signed webhook and keeps the result for lookups.
async fn finish_call(state: Arc<SimState>, conversation_id: String) {
    tokio::time::sleep(state.config.call_length).await;
    let Some(call) = state.calls.lock().expect("calls lock").get(&conversation_id).cloned() else { return };
    let attempt = call.variables.get("attempt_number").map(|v| v.to_string()).unwrap_or_default();
    let scenario = Scenario::pick(&format!("{}#{attempt}", call.to_number));
    let now = chrono::Utc::now().timestamp();
    let (body, finished) = match scenario {
        Scenario::Busy | Scenario::NoAnswer => {
            let (reason, status) =
                if scenario == Scenario::Busy { ("busy", "busy") } else { ("no-answer", "no-answer") };
            let data = json!({"agent_id": call.agent_id, "conversation_id": conversation_id, "failure_reason": reason,
                "metadata": {"type": "twilio", "body": {"CallSid": call.call_sid, "CallStatus": status, "To": call.to_number,
                    "Direction": "outbound-api", "Duration": "0", "CallDuration": "0", "SipResponseCode": if scenario == Scenario::Busy { "486" } else { "487" }}}});
            let failed = json!({"agent_id": call.agent_id, "conversation_id": conversation_id, "status": "failed", "transcript": [],
                "metadata": {"start_time_unix_secs": now, "call_duration_secs": 0, "termination_reason": reason}, "analysis": null});
            (json!({"type": "call_initiation_failure", "event_timestamp": now, "data": data}), failed)
        }
        _ => {
            let (lines, duration, analysis) = conversation(scenario, &call.variables);
            let mut at = 0;
            let transcript: Vec<Value> = lines
                .iter()
                .map(|(role, message)| {
                    let turn = json!({"role": role, "message": message, "time_in_call_secs": at, "tool_calls": null, "feedback": null});
                    at += 3 + (message.len() as i64 / 18);
                    turn
                })
                .collect();
            let data = json!({
                "agent_id": call.agent_id, "conversation_id": conversation_id, "status": "done",
                "user_id": call.variables.get("voxdial_lead_id").map(|v| format!("lead-{}", v.as_str().unwrap_or_default())),
                "transcript": transcript,
                "metadata": {"start_time_unix_secs": now - duration, "call_duration_secs": duration, "cost": duration * 10,
                             "termination_reason": if scenario == Scenario::Voicemail { "Voicemail detected" } else { "Call ended by the agent" },
                             "phone_call": {"type": "twilio", "direction": "outbound", "external_number": call.to_number, "call_sid": call.call_sid}},
                "analysis": analysis,
                "conversation_initiation_client_data": {"dynamic_variables": call.variables},
                "has_audio": false, "has_user_audio": false, "has_response_audio": false
            });
            (json!({"type": "post_call_transcription", "event_timestamp": now, "data": data.clone()}), data)
        }
    };
    if let Some(stored) = state.calls.lock().expect("calls lock").get_mut(&conversation_id) {
        stored.finished = Some(finished);
    }
    let raw = body.to_string();
    let signature = sign(raw.as_bytes(), &state.config.webhook_secret, now);
    let sent = state
        .http
        .post(&state.config.webhook_url)
        .header("content-type", "application/json")
        .header("ElevenLabs-Signature", signature)
        .body(raw)
        .send()
        .await;
    match sent {
        Ok(response) if response.status().is_success() => {
            tracing::info!(%conversation_id, ?scenario, "simulated call finished")
        }
        Ok(response) => {
            tracing::warn!(%conversation_id, status = %response.status(), "voxdial refused the simulated webhook")
        }
        Err(err) => tracing::warn!(%conversation_id, error = %err, "could not deliver the simulated webhook"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenarios_are_repeatable_and_varied() {
        assert_eq!(Scenario::pick("+12125550123#1"), Scenario::pick("+12125550123#1"));
        let seen: std::collections::HashSet<_> =
            (0..200).map(|n| format!("{:?}", Scenario::pick(&format!("+1212555{n:04}#1")))).collect();
        assert!(seen.len() >= 6, "{seen:?}");
    }
}
