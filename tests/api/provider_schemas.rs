//! voxdial speaks ElevenLabs' protocol exactly, checked against the provider's own models:
//! the JSON Schemas in tests/provider_schemas/, exported from the official Python SDK
//! (see the README there). What the built-in simulator answers and sends, what voxdial's
//! client sends, and what the tests' fake provider answers must all validate.
//!
//! Every SDK model allows unknown fields and many enums are open, so a schema cannot catch
//! everything; the few things that matter to voxdial beyond it are asserted by hand.
//!
//! For a new payload, call [`assert_valid`] with the schema of its model, e.g.
//! `assert_valid(&CLIENT_DATA, &answer)` for the conversation-initiation answer.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;
use std::time::Duration;

use jsonschema::error::ValidationErrorKind;
use jsonschema::{ValidationError, Validator};
use serde_json::{Value, json};
use voxdial::provider::elevenlabs::Client;
use voxdial::provider::simulator::{AGENTS, CallLength, NUMBERS, Simulator, SimulatorConfig};
use voxdial::provider::{HttpSettings, OutboundCall, SignatureVerdict, Telephony, VoiceProvider as _, http_client};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::call_setup::{initiation_failure, transcription};

mod inbound;
use crate::fake_provider::{self, API_KEY, FakeProvider, sip_number, twilio_number};

/// One of the provider's models as a compiled JSON Schema.
pub struct Schema {
    /// The file in tests/provider_schemas/, named in failure messages.
    pub file: &'static str,
    raw: Value,
    validator: Validator,
}

impl Schema {
    fn load(file: &'static str) -> Schema {
        let location = format!("{}/tests/provider_schemas/{file}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&location).unwrap_or_else(|e| panic!("reading {location}: {e}"));
        let raw: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{location} is not JSON: {e}"));
        let validator = jsonschema::validator_for(&raw).unwrap_or_else(|e| panic!("{location} is not a schema: {e}"));
        Schema { file, raw, validator }
    }

    /// Every violation, one readable line each (with the per-variant reasons of a failed
    /// `anyOf`); empty when the value validates.
    pub fn violations(&self, value: &Value) -> Vec<String> {
        let mut lines = Vec::new();
        for error in self.validator.iter_errors(value) {
            self.describe(&error, 1, &mut lines);
        }
        lines
    }

    fn describe(&self, error: &ValidationError<'_>, depth: usize, lines: &mut Vec<String>) {
        let indent = "  ".repeat(depth);
        let at = error.instance_path().to_string();
        let at = if at.is_empty() { "(root)".to_owned() } else { at };
        let got = match error.instance().as_ref() {
            Value::Object(_) | Value::Array(_) => String::new(),
            scalar => format!(" (got {scalar})"),
        };
        lines.push(format!("{indent}at {at}: {}{got}", error.masked()));
        if let ValidationErrorKind::AnyOf { context } | ValidationErrorKind::OneOfNotValid { context } = error.kind() {
            let variants = self.raw.pointer(&error.schema_path().to_string());
            for (index, variant_errors) in context.iter().enumerate() {
                let name = variants.and_then(|v| v.get(index)).map(variant_name).unwrap_or_default();
                lines.push(format!("{indent}  variant {index}{name} fails:"));
                for inner in variant_errors {
                    self.describe(inner, depth + 2, lines);
                }
            }
        }
    }
}

/// ` (PhoneNumbersListResponseItem_Twilio)` for a `$ref` variant, ` (null)` for a type.
fn variant_name(variant: &Value) -> String {
    if let Some(reference) = variant.get("$ref").and_then(Value::as_str) {
        return format!(" ({})", reference.rsplit('/').next().unwrap_or(reference));
    }
    variant
        .get("type")
        .map(|t| format!(" ({})", t.as_str().map_or_else(|| t.to_string(), str::to_owned)))
        .unwrap_or_default()
}

/// Panics, listing every violation by its instance path, unless `value` validates.
pub fn assert_valid(schema: &Schema, value: &Value) {
    assert_valid_as(schema, value, "value");
}

/// [`assert_valid`], naming what was checked in the failure message.
pub fn assert_valid_as(schema: &Schema, value: &Value, what: &str) {
    let violations = schema.violations(value);
    assert!(
        violations.is_empty(),
        "{what} does not match the provider's model in tests/provider_schemas/{}:\n{}\n{what} was: {}",
        schema.file,
        violations.join("\n"),
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
}

/// Checks an answer to ElevenLabs' conversation-initiation webhook (inbound calls): it
/// validates against the SDK's `ConversationInitiationClientDataRequestInput`, and, beyond
/// what that open model checks, says `"type": "conversation_initiation_client_data"` and
/// carries dynamic variables that are scalars, none with the provider's `system__` prefix.
pub fn assert_initiation_answer(answer: &Value) {
    assert_valid_as(&CLIENT_DATA, answer, "the conversation-initiation answer");
    assert_eq!(answer["type"], "conversation_initiation_client_data", "the answer's type: {answer}");
    let variables = answer["dynamic_variables"].as_object().expect("the answer has dynamic_variables");
    for (name, value) in variables {
        assert!(!name.starts_with("system__"), "system__ is the provider's prefix: {name}");
        assert!(value.is_string() || value.is_number() || value.is_boolean(), "{name} is not a scalar: {value}");
    }
}

/// `data` of `post_call_transcription`, and `GET /v1/convai/conversations/{id}`.
pub static CONVERSATION: LazyLock<Schema> = LazyLock::new(|| Schema::load("get_conversation_response.schema.json"));
/// `conversation_initiation_client_data`: the inbound initiation answer, and inside call bodies.
pub static CLIENT_DATA: LazyLock<Schema> =
    LazyLock::new(|| Schema::load("conversation_initiation_client_data.schema.json"));
pub static TWILIO_CALL_REQUEST: LazyLock<Schema> =
    LazyLock::new(|| Schema::load("twilio_outbound_call_request.schema.json"));
pub static TWILIO_CALL_RESPONSE: LazyLock<Schema> =
    LazyLock::new(|| Schema::load("twilio_outbound_call_response.schema.json"));
pub static SIP_CALL_REQUEST: LazyLock<Schema> =
    LazyLock::new(|| Schema::load("sip_trunk_outbound_call_request.schema.json"));
pub static SIP_CALL_RESPONSE: LazyLock<Schema> =
    LazyLock::new(|| Schema::load("sip_trunk_outbound_call_response.schema.json"));
pub static AGENTS_PAGE: LazyLock<Schema> = LazyLock::new(|| Schema::load("get_agents_page_response.schema.json"));
pub static AGENT: LazyLock<Schema> = LazyLock::new(|| Schema::load("get_agent_response.schema.json"));
pub static PHONE_NUMBERS: LazyLock<Schema> = LazyLock::new(|| Schema::load("phone_numbers_list_response.schema.json"));

#[test]
fn violations_name_the_path_and_each_variant_of_a_union() {
    let numbers = json!([{"phone_number": "+442079460958", "label": "UK", "phone_number_id": "pn_2",
                          "provider": "sip_trunk", "outbound_trunk": {"address": "sip.example.com"}}]);
    let report = PHONE_NUMBERS.violations(&numbers).join("\n");
    assert!(report.contains("at /0:"), "{report}");
    assert!(report.contains("variant 2 (PhoneNumbersListResponseItem_SipTrunk) fails"), "{report}");
    assert!(report.contains("\"livekit_stack\" is a required property"), "{report}");
    assert!(report.contains("at /0/outbound_trunk"), "{report}");
    let panic = std::panic::catch_unwind(|| assert_valid(&PHONE_NUMBERS, &numbers)).unwrap_err();
    let message = panic.downcast_ref::<String>().unwrap();
    assert!(message.contains("phone_numbers_list_response.schema.json") && message.contains("livekit_stack"));
    assert_valid(&PHONE_NUMBERS, &json!([]));
}

// --- The built-in simulator -------------------------------------------------------------

const SIM_KEY: &str = "sk_sim_schema_test";
const SIM_SECRET: &str = "wsec_schema_test";

/// A running simulator whose webhooks land on a local receiver.
struct SimulatorRun {
    simulator: Simulator,
    receiver: MockServer,
    http: reqwest::Client,
}

impl SimulatorRun {
    async fn start(call_length: Duration) -> SimulatorRun {
        let receiver = MockServer::start().await;
        Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&receiver).await;
        let simulator = Simulator::start(SimulatorConfig {
            api_key: SIM_KEY.into(),
            webhook_url: format!("{}/webhooks/post-call", receiver.uri()),
            webhook_secret: SIM_SECRET.into(),
            call_length: CallLength::Fixed(call_length),
            send_audio: false,
            inbound: None,
        })
        .unwrap();
        SimulatorRun { simulator, receiver, http: reqwest::Client::new() }
    }

    async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.simulator.base_url))
            .header("xi-api-key", SIM_KEY)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "GET {path}: {}", response.status());
        response.json().await.unwrap()
    }

    async fn send(&self, path: &str, body: &Value) -> reqwest::Response {
        let url = format!("{}{path}", self.simulator.base_url);
        self.http.post(url).header("xi-api-key", SIM_KEY).json(body).send().await.unwrap()
    }

    async fn post(&self, path: &str, body: &Value) -> Value {
        let response = self.send(path, body).await;
        assert!(response.status().is_success(), "POST {path}: {}", response.status());
        response.json().await.unwrap()
    }

    /// The webhook bodies received, once `count` have arrived, each checked to be signed.
    async fn webhooks(&self, count: usize) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.receiver.received_requests().await.unwrap_or_default();
            if received.len() >= count {
                let now = chrono::Utc::now().timestamp();
                return received
                    .iter()
                    .map(|request| {
                        let signature = request.headers.get("elevenlabs-signature").and_then(|v| v.to_str().ok());
                        let verdict = voxdial::provider::elevenlabs::webhook::verify(
                            signature,
                            &request.body,
                            Some(SIM_SECRET),
                            now,
                        );
                        assert_eq!(verdict, SignatureVerdict::Valid, "every simulated webhook is signed");
                        serde_json::from_slice(&request.body).unwrap()
                    })
                    .collect();
            }
            assert!(tokio::time::Instant::now() < deadline, "only {} of {count} webhooks arrived", received.len());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The body voxdial sends, as the simulator reads it.
fn call_body(number_id: &str, to_number: &str, interaction: usize) -> Value {
    json!({"agent_id": AGENTS[0].0, "agent_phone_number_id": number_id, "to_number": to_number,
           "conversation_initiation_client_data": {"user_id": format!("lead-{interaction}"),
               "dynamic_variables": {"voxdial_interaction_id": interaction.to_string(), "voxdial_lead_id": interaction.to_string(),
                                     "attempt_number": 1, "lead_first_name": "Ana", "campaign_name": "Spring"}}})
}

/// Seven numbers that, on a first attempt, go through all seven simulated scenarios.
fn scenario_numbers() -> impl Iterator<Item = String> {
    (2000..2007).map(|n| format!("+1206555{n}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_simulators_agents_and_numbers_validate() {
    let run = SimulatorRun::start(Duration::from_secs(60)).await;
    let mut cursor: Option<String> = None;
    let mut agents = Vec::new();
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/convai/agents?page_size=100&cursor={c}"),
            None => "/v1/convai/agents?page_size=100".to_owned(),
        };
        let page = run.get(&path).await;
        assert_valid_as(&AGENTS_PAGE, &page, &format!("the simulator's GET {path}"));
        agents.extend(page["agents"].as_array().unwrap().iter().map(|a| a["agent_id"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) if page["has_more"] == true => cursor = Some(next.to_owned()),
            _ => break,
        }
    }
    assert_eq!(agents, AGENTS.map(|(id, _)| id.to_owned()), "every agent, once, across pages");
    for (id, name) in AGENTS {
        let agent = run.get(&format!("/v1/convai/agents/{id}")).await;
        assert_valid_as(&AGENT, &agent, &format!("the simulator's GET /v1/convai/agents/{id}"));
        assert_eq!((agent["agent_id"].as_str(), agent["name"].as_str()), (Some(id), Some(name)));
    }
    let numbers = run.get("/v1/convai/phone-numbers").await;
    assert_valid_as(&PHONE_NUMBERS, &numbers, "the simulator's GET /v1/convai/phone-numbers");
    let kinds: Vec<_> =
        numbers.as_array().unwrap().iter().map(|n| n["provider"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, NUMBERS.map(|n| n.3.as_str().to_owned()), "voxdial picks the endpoint from `provider`");
    run.simulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_simulators_call_answers_webhooks_and_conversations_validate_in_every_scenario() {
    let run = SimulatorRun::start(Duration::from_millis(400)).await;
    let mut placed: BTreeMap<String, Placed> = BTreeMap::new();
    let mut interaction = 0;
    for (endpoint, number_id, telephony) in
        [("twilio", "phnum_sim_main", Telephony::Twilio), ("sip-trunk", "phnum_sim_sip", Telephony::SipTrunk)]
    {
        for to_number in scenario_numbers() {
            interaction += 1;
            let path = format!("/v1/convai/{endpoint}/outbound-call");
            let answer = run.post(&path, &call_body(number_id, &to_number, interaction)).await;
            let (schema, sid_field) = match telephony {
                Telephony::Twilio => (&*TWILIO_CALL_RESPONSE, "callSid"),
                Telephony::SipTrunk => (&*SIP_CALL_RESPONSE, "sip_call_id"),
            };
            assert_valid_as(schema, &answer, &format!("the simulator's answer to POST {path}"));
            assert_eq!(answer["success"], true);
            assert!(answer[sid_field].is_string(), "{sid_field} in {answer}");
            let conversation_id = answer["conversation_id"].as_str().unwrap().to_owned();
            // Asked while the call is under way.
            let ongoing = run.get(&format!("/v1/convai/conversations/{conversation_id}")).await;
            assert_valid_as(&CONVERSATION, &ongoing, "the simulator's conversation while in progress");
            assert_eq!(ongoing["status"], "in-progress");
            let call_sid = answer[sid_field].as_str().unwrap().to_owned();
            placed.insert(
                conversation_id,
                Placed { telephony, to_number, interaction: interaction.to_string(), call_sid },
            );
        }
    }

    let mut seen = BTreeSet::new();
    for webhook in run.webhooks(placed.len()).await {
        let data = &webhook["data"];
        let conversation_id = data["conversation_id"].as_str().unwrap();
        let call = &placed[conversation_id];
        assert!(webhook["event_timestamp"].is_i64(), "event_timestamp is unix seconds: {webhook}");
        let stored = run.get(&format!("/v1/convai/conversations/{conversation_id}")).await;
        assert_valid_as(&CONVERSATION, &stored, "the simulator's finished conversation");
        match webhook["type"].as_str() {
            Some("post_call_transcription") => {
                assert_valid_as(&CONVERSATION, data, "the simulator's post_call_transcription data");
                assert_transcription_matches(data, call);
                assert_eq!(&stored, data, "the lookup answers what the webhook carried");
                seen.insert((call.telephony, scenario_of(data)));
            }
            Some("call_initiation_failure") => {
                assert_initiation_failure_matches(data, call);
                assert_eq!(stored["status"], "failed");
                assert_eq!(stored["transcript"], json!([]));
                seen.insert((call.telephony, data["failure_reason"].as_str().unwrap().to_owned()));
            }
            other => panic!("unexpected webhook type {other:?}: {webhook}"),
        }
    }
    let scenarios = ["busy", "callback", "interested", "no-answer", "not_interested", "opt_out", "voicemail"];
    for telephony in [Telephony::Twilio, Telephony::SipTrunk] {
        for scenario in scenarios {
            assert!(seen.contains(&(telephony, scenario.to_owned())), "{telephony:?} {scenario} not covered: {seen:?}");
        }
    }
    run.simulator.stop().await;
}

/// A call placed on the simulator, as voxdial would remember it.
struct Placed {
    telephony: Telephony,
    to_number: String,
    interaction: String,
    /// `callSid` or `sip_call_id` from the answer.
    call_sid: String,
}

/// The scenario a simulated transcription shows, from what it collected.
fn scenario_of(data: &Value) -> String {
    let collected = &data["analysis"]["data_collection_results"];
    if collected.get("voicemail").is_some() {
        return "voicemail".into();
    }
    collected["outcome"]["value"].as_str().unwrap_or("?").to_owned()
}

/// What the schema cannot say: the exact tag, where the call went, and the echo of
/// voxdial's interaction id.
fn assert_transcription_matches(data: &Value, call: &Placed) {
    assert_eq!(data["status"], "done");
    let phone_call = &data["metadata"]["phone_call"];
    let (kind, number_id) = match call.telephony {
        Telephony::Twilio => ("twilio", "phnum_sim_main"),
        Telephony::SipTrunk => ("sip_trunking", "phnum_sim_sip"),
    };
    assert_eq!(phone_call["type"], kind, "{phone_call}");
    assert_eq!(phone_call["direction"], "outbound");
    assert_eq!(phone_call["external_number"], call.to_number.as_str());
    assert_eq!(phone_call["call_sid"], call.call_sid.as_str(), "the sid of the call's answer");
    assert_eq!(phone_call["phone_number_id"], number_id);
    let agent_number = NUMBERS.iter().find(|n| n.0 == number_id).unwrap().1;
    assert_eq!(phone_call["agent_number"], agent_number);
    if call.telephony == Telephony::Twilio {
        assert!(phone_call["call_sid"].as_str().unwrap().starts_with("CA"), "a Twilio call sid: {phone_call}");
        assert!(phone_call["stream_sid"].as_str().unwrap().starts_with("MZ"), "a Twilio stream sid: {phone_call}");
    }
    let variables = &data["conversation_initiation_client_data"]["dynamic_variables"];
    assert_eq!(variables["voxdial_interaction_id"], call.interaction.as_str(), "voxdial's id comes back: {variables}");
    assert_eq!(variables["system__conversation_id"], data["conversation_id"]);
    for turn in data["transcript"].as_array().unwrap() {
        assert!(matches!(turn["role"].as_str(), Some("agent" | "user")), "{turn}");
    }
    assert!(
        matches!(data["analysis"]["call_successful"].as_str(), Some("success" | "failure" | "unknown")),
        "{}",
        data["analysis"]
    );
}

/// `call_initiation_failure` has no model in the SDK: checked against the documented shape.
fn assert_initiation_failure_matches(data: &Value, call: &Placed) {
    assert!(data["agent_id"].is_string() && data["conversation_id"].is_string(), "{data}");
    assert!(matches!(data["failure_reason"].as_str(), Some("busy" | "no-answer" | "unknown")), "{data}");
    let metadata = &data["metadata"];
    match call.telephony {
        Telephony::Twilio => {
            assert_eq!(metadata["type"], "twilio", "{metadata}");
            let body = metadata["body"].as_object().unwrap();
            assert!(body.values().all(Value::is_string), "Twilio's callback fields are strings: {metadata}");
            assert_eq!(body["CallSid"], call.call_sid.as_str());
            assert_eq!(body["To"], call.to_number.as_str());
            assert_eq!(body["Direction"], "outbound-api");
            assert!(matches!(body["CallStatus"].as_str(), Some("busy" | "no-answer")), "{metadata}");
        }
        Telephony::SipTrunk => {
            assert_eq!(metadata["type"], "sip", "{metadata}");
            let body = &metadata["body"];
            assert_eq!(body["to_number"], call.to_number.as_str());
            assert_eq!(body["call_sid"], call.call_sid.as_str());
            assert!(body["sip_status_code"].is_u64(), "{metadata}");
            assert!(body["error_reason"].is_string(), "{metadata}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_simulator_refuses_agents_and_numbers_it_does_not_have() {
    let run = SimulatorRun::start(Duration::from_secs(60)).await;
    let mut unknown_agent = call_body("phnum_sim_main", "+12065552000", 1);
    unknown_agent["agent_id"] = json!("agent_nope");
    let unknown_number = call_body("phnum_nope", "+12065552000", 1);
    for body in [unknown_agent, unknown_number] {
        let response = run.send("/v1/convai/twilio/outbound-call", &body).await;
        assert_eq!(response.status(), 404, "{body}");
    }
    run.simulator.stop().await;
}

// --- voxdial's client ---------------------------------------------------------------------

fn outbound_call(telephony: Telephony, with_override: bool) -> OutboundCall {
    let mut variables = BTreeMap::new();
    variables.insert("voxdial_interaction_id".to_owned(), json!("42"));
    variables.insert("lead_first_name".to_owned(), json!("Ana"));
    variables.insert("attempt_number".to_owned(), json!(2));
    variables.insert("is_test".to_owned(), json!(false));
    OutboundCall {
        agent_id: "agent_prod".into(),
        agent_phone_number_id: "phnum_main".into(),
        telephony,
        to_number: "+12125550123".into(),
        system_prompt: with_override.then(|| "You call Ana for Spring.".into()),
        first_message: with_override.then(|| "Hi Ana, Pat here.".into()),
        dynamic_variables: variables,
        user_id: Some("lead-7".into()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn what_voxdials_client_sends_to_place_calls_validates() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/convai/twilio/outbound-call"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"success": true, "message": "Success", "conversation_id": "conv_1", "callSid": "CA0123456789abcdef0123456789abcdef"}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/convai/sip-trunk/outbound-call"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"success": true, "message": "Success", "conversation_id": "conv_2", "sip_call_id": "0b5a3f0e-8f4c-4d8e-9a51-3c2f6d7e8a90"}),
        ))
        .mount(&server)
        .await;
    let settings = HttpSettings::default();
    let client = Client::new(http_client(settings), settings, &server.uri(), "sk_test");
    for telephony in [Telephony::Twilio, Telephony::SipTrunk] {
        for with_override in [false, true] {
            client.start_call(&outbound_call(telephony, with_override)).await.unwrap();
        }
    }

    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 4);
    for request in requests {
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let endpoint = request.url.path();
        let schema = if endpoint.contains("sip-trunk") { &*SIP_CALL_REQUEST } else { &*TWILIO_CALL_REQUEST };
        assert_valid_as(schema, &body, &format!("voxdial's POST {endpoint} body"));
        let client_data = &body["conversation_initiation_client_data"];
        assert_valid_as(&CLIENT_DATA, client_data, "voxdial's conversation_initiation_client_data");
        assert_eq!(client_data["dynamic_variables"]["voxdial_interaction_id"], "42", "{body}");
        let variables = client_data["dynamic_variables"].as_object().unwrap();
        assert!(
            variables.values().all(|v| v.is_string() || v.is_number() || v.is_boolean()),
            "dynamic variables are scalars only: {body}"
        );
        assert!(variables.keys().all(|k| !k.starts_with("system__")), "system__ is the provider's prefix: {body}");
        if endpoint.contains("sip-trunk") {
            assert!(body.get("call_recording_enabled").is_none(), "a Twilio-only field: {body}");
        }
    }
}

// --- The tests' fake provider -------------------------------------------------------------

async fn fake_post(fake: &FakeProvider, path: &str, body: &Value) -> Value {
    reqwest::Client::new()
        .post(format!("{}{path}", fake.url()))
        .header("xi-api-key", API_KEY)
        .json(body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn fake_get(fake: &FakeProvider, path: &str) -> Value {
    let response =
        reqwest::Client::new().get(format!("{}{path}", fake.url())).header("xi-api-key", API_KEY).send().await.unwrap();
    assert!(response.status().is_success(), "GET {path}: {}", response.status());
    response.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fake_providers_answers_validate() {
    let fake = FakeProvider::start().await;
    fake.with_agents(&[("agent_prod", "Production Pat"), ("agent_test", "Tester Tom"), ("agent_x", "Xena")]).await;
    fake.with_numbers(json!([
        twilio_number("pn_1", "+14155550100", "Main"),
        sip_number("pn_2", "+442079460958", "London")
    ]))
    .await;
    fake.accepting_calls().await;

    let first = fake_get(&fake, "/v1/convai/agents?page_size=100").await;
    assert_valid_as(&AGENTS_PAGE, &first, "the fake's first agents page");
    let second = fake_get(&fake, "/v1/convai/agents?page_size=100&cursor=cursor-1").await;
    assert_valid_as(&AGENTS_PAGE, &second, "the fake's second agents page");
    assert_eq!(second["has_more"], false);
    let agent = fake_get(&fake, "/v1/convai/agents/agent_prod").await;
    assert_valid_as(&AGENT, &agent, "the fake's agent by id");
    let numbers = fake_get(&fake, "/v1/convai/phone-numbers").await;
    assert_valid_as(&PHONE_NUMBERS, &numbers, "the fake's phone numbers");

    let twilio = fake_post(&fake, "/v1/convai/twilio/outbound-call", &call_body("pn_1", "+12125550123", 5)).await;
    assert_valid_as(&TWILIO_CALL_RESPONSE, &twilio, "the fake's Twilio call answer");
    let sip = fake_post(&fake, "/v1/convai/sip-trunk/outbound-call", &call_body("pn_2", "+12125550123", 6)).await;
    assert_valid_as(&SIP_CALL_RESPONSE, &sip, "the fake's SIP call answer");

    let empty = FakeProvider::start().await;
    empty.with_agents(&[]).await;
    assert_valid_as(&AGENTS_PAGE, &fake_get(&empty, "/v1/convai/agents").await, "the fake's empty agents page");
}

#[test]
fn the_initiation_answer_check_accepts_the_documented_answer_only() {
    // The example of ElevenLabs' personalization docs.
    let answer = json!({
        "type": "conversation_initiation_client_data",
        "dynamic_variables": {"customer_name": "John Doe", "account_status": "premium", "visits": 3, "vip": true},
        "conversation_config_override": {
            "agent": {"prompt": {"prompt": "You are helpful."}, "first_message": "Hi, how can I help you today?", "language": "en"},
            "tts": {"voice_id": "21m00Tcm4TlvDq8ikWAM"}
        }
    });
    assert_initiation_answer(&answer);
    let mut untyped = answer.clone();
    untyped.as_object_mut().unwrap().remove("type");
    let mut bad_override = answer.clone();
    bad_override["conversation_config_override"]["agent"]["prompt"] = json!("not an object");
    let mut nested = answer.clone();
    nested["dynamic_variables"]["lead"] = json!({"name": "Ana"});
    for wrong in [untyped, bad_override, nested] {
        assert!(std::panic::catch_unwind(|| assert_initiation_answer(&wrong)).is_err(), "{wrong}");
    }
}

#[test]
fn the_tests_conversations_and_webhooks_validate() {
    let interaction = Some(voxdial::ids::InteractionId::new(7));
    for (outcome, turns) in [(Some("interested"), 6), (None, 0), (Some("callback"), 2)] {
        let webhook = transcription("conv_7", interaction, outcome, turns);
        assert_eq!(webhook["type"], "post_call_transcription");
        assert_valid_as(&CONVERSATION, &webhook["data"], "call_setup::transcription's data");
    }
    assert_valid_as(&CONVERSATION, &transcription("conv_8", None, None, 1)["data"], "a transcription without an id");
    for status in ["failed", "processing", "in-progress", "initiated"] {
        let conversation = fake_provider::conversation("conv_7", status);
        assert_valid_as(&CONVERSATION, &conversation, &format!("fake_provider::conversation(\"{status}\")"));
    }
    let failure = initiation_failure("conv_7", "busy");
    assert_eq!(failure["type"], "call_initiation_failure");
    let call = Placed {
        telephony: Telephony::Twilio,
        to_number: "+12125550123".into(),
        interaction: "7".into(),
        call_sid: "CA_failed".into(),
    };
    assert_initiation_failure_matches(&failure["data"], &call);
}
