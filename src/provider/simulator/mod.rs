//! A stand-in for ElevenLabs for the demo: it serves the same endpoints over real HTTP
//! (agents, phone numbers, outbound calls, conversations) and, when each call ends, posts
//! correctly signed webhooks back with a realistic transcript and outcome (and, when asked,
//! the call's recording).
//! voxdial talks to it with its real provider client and receives its real webhooks.
//! Its `/phone` page plays a caller ringing one of the numbers, so inbound calls can be
//! tried too: it asks voxdial's initiation webhook, as ElevenLabs would.
//!
//! Every body it answers or sends has the shape of ElevenLabs' own models
//! (`payloads`); tests/api/provider_schemas.rs checks them against the provider's SDK.

mod audio;
mod llm;
mod payloads;
mod phone;
mod script;

use std::collections::HashMap;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::dev::ServerHandle;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Map, Value, json};

use super::Telephony;
use super::elevenlabs::webhook::sign;
use crate::domain::interaction::Direction;
use script::Scenario;

/// The model name of the built-in chat-completions responder.
pub use llm::MODEL as LLM_MODEL;

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
    pub call_length: CallLength,
    /// Post the recording of each answered call (`post_call_audio`), as ElevenLabs does for
    /// a workspace subscribed to audio webhooks.
    pub send_audio: bool,
    /// Where simulated callers' calls are announced; `None` leaves the phone page off.
    pub inbound: Option<InboundTarget>,
}

/// How long a simulated call lasts, from the moment it is placed until its webhook is sent.
/// Either way the duration it reports is the time that really passed, so a call's start,
/// end and duration agree.
#[derive(Debug, Clone, Copy)]
pub enum CallLength {
    /// As long as a real one would: its conversation (tens of seconds), or the ringing.
    Scripted,
    /// Every call this long, however much is said (tests).
    Fixed(Duration),
}

impl CallLength {
    fn of(self, scenario: Scenario) -> Duration {
        match self {
            CallLength::Scripted => Duration::from_secs(scenario.length_secs().unsigned_abs()),
            CallLength::Fixed(length) => length,
        }
    }
}

/// voxdial's conversation-initiation webhook, as a connection's inbound settings give it.
#[derive(Debug, Clone)]
pub struct InboundTarget {
    pub initiation_url: String,
    /// Sent in `X-Voxdial-Token`.
    pub token: String,
    /// voxdial's own address, to link back to the call.
    pub app_url: String,
}

/// The agent ElevenLabs hands calls to each number to (by position in `NUMBERS`).
fn answering_agent(number_index: usize) -> (&'static str, &'static str) {
    AGENTS[number_index.min(AGENTS.len() - 1)]
}

/// Whether a simulated call to `to_number` on attempt `attempt` reaches someone who talks
/// (as opposed to busy or no answer) — for demos and tests that need a transcript.
pub fn answers(to_number: &str, attempt: i32) -> bool {
    Scenario::pick(&format!("{to_number}#{attempt}")).answered()
}

/// A call the simulator placed.
#[derive(Debug, Clone)]
struct SimCall {
    direction: Direction,
    agent_id: String,
    agent_name: String,
    telephony: Telephony,
    /// The account's number on the call: its id and the number itself.
    number_id: String,
    agent_number: String,
    /// The other party: the number called, or the caller.
    external_number: String,
    /// Twilio's `CA…` call sid, or the SIP call id.
    call_sid: String,
    /// Twilio's `MZ…` media stream sid; none on a SIP trunk.
    stream_sid: Option<String>,
    started_at: chrono::DateTime<chrono::Utc>,
    scenario: Scenario,
    /// `conversation_initiation_client_data` as voxdial sent it.
    client_data: Map<String, Value>,
    /// The conversation as `GET /conversations/{id}` shows it once finished.
    finished: Option<Value>,
}

struct SimState {
    config: SimulatorConfig,
    calls: Mutex<HashMap<String, SimCall>>,
    counter: Mutex<u64>,
    http: reqwest::Client,
}

impl SimState {
    /// The next call's serial number (for its ids).
    fn next_serial(&self) -> u64 {
        let mut counter = self.counter.lock().expect("counter lock");
        *counter += 1;
        *counter
    }

    /// Keeps a call that just started and lets it run its course.
    fn begin(self: Arc<Self>, conversation_id: String, call: SimCall) {
        self.calls.lock().expect("calls lock").insert(conversation_id.clone(), call);
        tokio::spawn(finish_call(self, conversation_id));
    }
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
                .route("/v1/chat/completions", web::post().to(llm::chat_completions))
                .route("/phone", web::get().to(phone::page))
                .route("/phone", web::post().to(phone::ring))
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

fn not_found(status: &str, message: &str) -> HttpResponse {
    HttpResponse::NotFound().json(json!({"detail": {"status": status, "message": message}}))
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
    let page: Vec<Value> =
        AGENTS.iter().skip(start).take(2).map(|(id, name)| payloads::agent_summary(id, name)).collect();
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
        Some((id, name)) => HttpResponse::Ok().json(payloads::agent(id, name)),
        None => not_found("agent_not_found", "Agent not found"),
    }
}

async fn list_numbers(req: HttpRequest, state: web::Data<SimState>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let numbers: Vec<Value> = NUMBERS
        .iter()
        .map(|(id, number, label, telephony)| payloads::phone_number(id, number, label, *telephony))
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
    let (Some(agent_id), Some(number_id), Some(to_number)) =
        (field("agent_id"), field("agent_phone_number_id"), field("to_number"))
    else {
        let missing = ["agent_id", "agent_phone_number_id", "to_number"]
            .into_iter()
            .find(|f| field(f).is_none())
            .unwrap_or("agent_id");
        return invalid(missing);
    };
    let Some((_, agent_name)) = AGENTS.iter().find(|(id, _)| *id == agent_id) else {
        return not_found("agent_not_found", "Agent not found");
    };
    let Some((_, agent_number, _, _)) = NUMBERS.iter().find(|(id, ..)| *id == number_id) else {
        return not_found("phone_number_not_found", "Phone number not found");
    };
    let client_data =
        body.get("conversation_initiation_client_data").and_then(|v| v.as_object()).cloned().unwrap_or_default();
    let attempt = client_data
        .get("dynamic_variables")
        .and_then(|vars| vars.get("attempt_number"))
        .map(|v| v.to_string())
        .unwrap_or_default();
    let n = state.next_serial();
    let telephony = if req.path().contains("sip-trunk") { Telephony::SipTrunk } else { Telephony::Twilio };
    let (call_sid, stream_sid) = match telephony {
        Telephony::Twilio => (payloads::twilio_call_sid(n), Some(payloads::twilio_stream_sid(n))),
        Telephony::SipTrunk => (payloads::sip_call_id(n), None),
    };
    let call = SimCall {
        direction: Direction::Outbound,
        agent_id,
        agent_name: (*agent_name).to_owned(),
        telephony,
        number_id,
        agent_number: (*agent_number).to_owned(),
        scenario: Scenario::pick(&format!("{to_number}#{attempt}")),
        external_number: to_number,
        call_sid,
        stream_sid,
        started_at: chrono::Utc::now(),
        client_data,
        finished: None,
    };
    let conversation_id = format!("conv_sim_{n:06}");
    let answer = payloads::call_answer(&call, &conversation_id);
    state.into_inner().begin(conversation_id, call);
    HttpResponse::Ok().json(answer)
}

async fn get_conversation(req: HttpRequest, state: web::Data<SimState>, path: web::Path<String>) -> HttpResponse {
    if !authorized(&req, &state) {
        return unauthorized();
    }
    let calls = state.calls.lock().expect("calls lock");
    match calls.get(path.as_str()) {
        Some(SimCall { finished: Some(data), .. }) => HttpResponse::Ok().json(data),
        Some(call) => HttpResponse::Ok().json(payloads::ongoing(call, &path, chrono::Utc::now().timestamp())),
        None => not_found("conversation_not_found", "Conversation not found"),
    }
}

/// Waits for the call to "happen", then posts its signed webhooks (the transcription, then
/// the recording) and keeps the result for lookups.
async fn finish_call(state: Arc<SimState>, conversation_id: String) {
    let Some(scenario) = state.calls.lock().expect("calls lock").get(&conversation_id).map(|c| c.scenario) else {
        return;
    };
    tokio::time::sleep(state.config.call_length.of(scenario)).await;
    let Some(call) = state.calls.lock().expect("calls lock").get(&conversation_id).cloned() else { return };
    let ended = chrono::Utc::now();
    let now = ended.timestamp();
    let mut recording = None;
    let (body, finished) = match script::conversation(scenario, call.direction, &call.client_data) {
        Some(talk) => {
            // An answered call lasts at least a second, however fast a test runs it.
            let duration_secs = (((ended - call.started_at).num_milliseconds() + 500) / 1000).max(1);
            let ending = payloads::Ending { duration_secs, has_audio: state.config.send_audio };
            let data = payloads::finished(&call, &conversation_id, scenario, &talk, &ending, now);
            if ending.has_audio {
                let clip = audio::clip(talk.lines.iter().map(|(role, _)| *role));
                let audio = payloads::audio(&call, &conversation_id, &clip);
                recording = Some(json!({"type": "post_call_audio", "event_timestamp": now, "data": audio}));
            }
            (json!({"type": "post_call_transcription", "event_timestamp": now, "data": data.clone()}), data)
        }
        None => {
            let data = payloads::initiation_failure(&call, &conversation_id, scenario, now);
            let failed = payloads::failed(&call, &conversation_id, scenario, now);
            (json!({"type": "call_initiation_failure", "event_timestamp": now, "data": data}), failed)
        }
    };
    if let Some(stored) = state.calls.lock().expect("calls lock").get_mut(&conversation_id) {
        stored.finished = Some(finished);
    }
    if post_webhook(&state, &conversation_id, &body, now).await {
        tracing::info!(%conversation_id, ?scenario, "simulated call finished");
    }
    if let Some(recording) = recording {
        post_webhook(&state, &conversation_id, &recording, now).await;
    }
}

/// Posts a signed webhook to voxdial; whether voxdial took it.
async fn post_webhook(state: &SimState, conversation_id: &str, body: &Value, now: i64) -> bool {
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
    let kind = body["type"].as_str().unwrap_or_default();
    match sent {
        Ok(response) if response.status().is_success() => return true,
        Ok(response) => {
            tracing::warn!(%conversation_id, kind, status = %response.status(), "voxdial refused the simulated webhook")
        }
        Err(err) => tracing::warn!(%conversation_id, kind, error = %err, "could not deliver the simulated webhook"),
    }
    false
}
