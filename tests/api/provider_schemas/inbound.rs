//! The simulator's phone (demo inbound calls) speaks the protocol too: it asks the
//! initiation webhook with the documented fields and header, and its post-call webhooks
//! for inbound calls validate and carry what the answer said.

use std::time::Duration;

use serde_json::{Value, json};
use voxdial::provider::SignatureVerdict;
use voxdial::provider::simulator::{CallLength, InboundTarget, Simulator, SimulatorConfig};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use super::{CONVERSATION, assert_initiation_answer, assert_valid_as};

const SECRET: &str = "wsec_inbound_schema";
const TOKEN: &str = "inbound-token";

fn answer() -> Value {
    json!({
        "type": "conversation_initiation_client_data",
        "dynamic_variables": {"voxdial_interaction_id": "77", "lead_first_name": "Ana", "lead_full_name": "Ana Lima",
                              "contact_type": "first", "campaign_name": "Spring <b>sale</b>"},
        "conversation_config_override": {"agent": {"first_message": "Hi Ana, thanks for calling back.",
                                                   "prompt": {"prompt": "You answer Ana for Spring."}}}
    })
}

async fn receiver() -> MockServer {
    let receiver = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/initiation"))
        .and(header("x-voxdial-token", TOKEN))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer()))
        .with_priority(1)
        .mount(&receiver)
        .await;
    Mock::given(method("POST"))
        .and(path("/initiation"))
        .respond_with(ResponseTemplate::new(401).set_body_string("invalid token"))
        .with_priority(5)
        .mount(&receiver)
        .await;
    Mock::given(method("POST")).and(path("/post-call")).respond_with(ResponseTemplate::new(200)).mount(&receiver).await;
    receiver
}

fn simulator(receiver: &MockServer, token: &str) -> Simulator {
    Simulator::start(SimulatorConfig {
        api_key: "sk_sim".into(),
        webhook_url: format!("{}/post-call", receiver.uri()),
        webhook_secret: SECRET.into(),
        call_length: CallLength::Fixed(Duration::from_millis(300)),
        send_audio: false,
        inbound: Some(InboundTarget {
            initiation_url: format!("{}/initiation", receiver.uri()),
            token: token.into(),
            app_url: "http://voxdial.test".into(),
        }),
    })
    .unwrap()
}

async fn ring(simulator: &Simulator, caller: &str, number: &str) -> (reqwest::StatusCode, String) {
    let response = reqwest::Client::new()
        .post(format!("{}/phone", simulator.base_url))
        .form(&[("caller", caller), ("number", number)])
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

async fn requests_to(receiver: &MockServer, to: &str, count: usize) -> Vec<Request> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let received: Vec<Request> =
            receiver.received_requests().await.unwrap_or_default().into_iter().filter(|r| r.url.path() == to).collect();
        if received.len() >= count {
            return received;
        }
        assert!(tokio::time::Instant::now() < deadline, "only {} of {count} requests to {to}", received.len());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_the_simulators_phone_asks_as_elevenlabs_does_and_its_webhooks_validate() {
    assert_initiation_answer(&answer());
    let receiver = receiver().await;
    let sim = simulator(&receiver, TOKEN);
    let (status, page) = ring(&sim, "+12125550120", "phnum_sim_main").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("href=\"http://voxdial.test/interactions/77\""), "{page}");
    assert!(page.contains("sale") && !page.contains("<b>sale"), "what voxdial answered is shown escaped");
    assert!(page.contains("Hi Ana, thanks for calling back."));
    let (status, _) = ring(&sim, "+13125550199", "phnum_sim_sip").await;
    assert_eq!(status, 200);

    let questions = requests_to(&receiver, "/initiation", 2).await;
    let bodies: Vec<Value> = questions.iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect();
    for (request, body) in questions.iter().zip(&bodies) {
        assert_eq!(request.headers.get("x-voxdial-token").unwrap(), TOKEN);
        assert_eq!(body["agent_id"].as_str().map(|a| a.starts_with("agent_sim_")), Some(true), "{body}");
    }
    assert_eq!(bodies[0]["caller_id"], "+12125550120");
    assert_eq!(bodies[0]["called_number"], "+12125550100");
    assert!(bodies[0]["call_sid"].as_str().unwrap().starts_with("CA"), "a Twilio call: {}", bodies[0]);
    assert_eq!(bodies[1]["called_number"], "+442079460000");
    assert!(bodies[1]["call_id"].is_string() && bodies[1].get("call_sid").is_none(), "a SIP call: {}", bodies[1]);

    let now = chrono::Utc::now().timestamp();
    for request in requests_to(&receiver, "/post-call", 2).await {
        let signature = request.headers.get("elevenlabs-signature").and_then(|v| v.to_str().ok());
        let verdict = voxdial::provider::elevenlabs::webhook::verify(signature, &request.body, Some(SECRET), now);
        assert_eq!(verdict, SignatureVerdict::Valid);
        let webhook: Value = serde_json::from_slice(&request.body).unwrap();
        assert_eq!(webhook["type"], "post_call_transcription", "a caller always reaches the agent");
        let data = &webhook["data"];
        assert_valid_as(&CONVERSATION, data, "the simulator's inbound post_call_transcription data");
        let phone_call = &data["metadata"]["phone_call"];
        assert_eq!(phone_call["direction"], "inbound");
        let caller = phone_call["external_number"].as_str().unwrap();
        let variables = &data["conversation_initiation_client_data"]["dynamic_variables"];
        assert_eq!(variables["voxdial_interaction_id"], "77", "voxdial's answer comes back: {variables}");
        assert_eq!(variables["system__caller_id"], caller);
        assert_eq!(variables["system__called_number"], phone_call["agent_number"]);
        assert_eq!(data["transcript"][0]["message"], "Hi Ana, thanks for calling back.", "the answer's first message");
    }
    sim.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_the_simulators_phone_explains_refusals_and_bad_input() {
    let receiver = receiver().await;
    let sim = simulator(&receiver, "a-wrong-token");
    let (status, page) = ring(&sim, "+12125550120", "phnum_sim_main").await;
    assert_eq!(status, 502);
    assert!(page.contains("voxdial answered 401"), "{page}");
    let (status, page) = ring(&sim, "", "phnum_sim_main").await;
    assert_eq!(status, 422);
    assert!(page.contains("Enter the number you are calling from."));
    let (status, page) = ring(&sim, "+12125550120", "phnum_nope").await;
    assert_eq!(status, 422);
    assert!(page.contains("Choose one of the account"));
    assert_eq!(requests_to(&receiver, "/post-call", 0).await.len(), 0, "no call was placed");
    sim.stop().await;
}
