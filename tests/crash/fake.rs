//! A fake ElevenLabs over real HTTP (wiremock) that records every outbound call it is asked
//! to place, and its signed post-call webhook.

use serde_json::{Value, json};
use voxdial::ids::{ConnectionId, InteractionId, LeadId};
use wiremock::matchers::{method, path_regex};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

/// The webhook signing secret of the connection to the fake.
pub const WEBHOOK_SECRET: &str = "whsec_crash_test";

/// It takes every outbound call, answering a conversation id made from voxdial's
/// interaction id, and reports every conversation it is asked about as still running.
pub struct FakeElevenLabs {
    server: MockServer,
}

/// An outbound-call request the fake received.
pub struct Placed {
    pub lead: LeadId,
    pub interaction: InteractionId,
}

pub fn conversation_id(interaction: InteractionId) -> String {
    format!("conv_crash_{interaction}")
}

impl FakeElevenLabs {
    pub async fn start() -> FakeElevenLabs {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path_regex(r"^/v1/convai/(twilio|sip-trunk)/outbound-call$"))
            .respond_with(|request: &Request| {
                let call = Placed::read(request);
                ResponseTemplate::new(200).set_body_json(json!({"success": true, "message": "Success",
                    "conversation_id": conversation_id(call.interaction), "callSid": format!("CA{}", call.interaction)}))
            })
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path_regex(r"^/v1/convai/conversations/[^/]+$"))
            .respond_with(|request: &Request| {
                let id = request.url.path().rsplit('/').next().unwrap_or_default();
                ResponseTemplate::new(200).set_body_json(json!({"conversation_id": id, "status": "in-progress"}))
            })
            .mount(&server)
            .await;
        FakeElevenLabs { server }
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    /// Every outbound call asked for so far, in order.
    pub async fn placed(&self) -> Vec<Placed> {
        let requests = self.server.received_requests().await.expect("the fake records requests");
        requests.iter().filter(|r| r.url.path().ends_with("/outbound-call")).map(Placed::read).collect()
    }
}

impl Placed {
    fn read(request: &Request) -> Placed {
        let body: Value = serde_json::from_slice(&request.body).expect("a JSON body");
        let variable = |name: &str| {
            body["conversation_initiation_client_data"]["dynamic_variables"][name]
                .as_str()
                .and_then(|id| id.parse().ok())
                .unwrap_or_else(|| panic!("no {name} in {body}"))
        };
        Placed {
            lead: LeadId::new(variable("voxdial_lead_id")),
            interaction: InteractionId::new(variable("voxdial_interaction_id")),
        }
    }
}

/// Posts the call's signed `post_call_transcription` to voxdial at `address`, as ElevenLabs
/// does when a call is over: the lead is interested; the call is matched by voxdial's id.
pub async fn post_call_webhook(address: &str, connection: ConnectionId, interaction: InteractionId) {
    let body = json!({
        "type": "post_call_transcription",
        "event_timestamp": chrono::Utc::now().timestamp(),
        "data": {
            "agent_id": "agent_prod", "conversation_id": conversation_id(interaction), "status": "done",
            "transcript": [{"role": "agent", "message": "Hi, a minute?", "time_in_call_secs": 0},
                           {"role": "user", "message": "Sure, show me a demo.", "time_in_call_secs": 4}],
            "metadata": {"call_duration_secs": 30, "termination_reason": "",
                         "phone_call": {"type": "twilio", "call_sid": format!("CA{interaction}")}},
            "analysis": {"call_successful": "success", "transcript_summary": "Wants a demo.",
                         "data_collection_results": {"outcome": {"data_collection_id": "outcome", "value": "interested"}}},
            "conversation_initiation_client_data": {"dynamic_variables": {"voxdial_interaction_id": interaction.to_string()}}
        }
    })
    .to_string();
    let now = chrono::Utc::now().timestamp();
    let signature = voxdial::provider::elevenlabs::webhook::sign(body.as_bytes(), WEBHOOK_SECRET, now);
    let response = reqwest::Client::new()
        .post(format!("{address}/webhooks/elevenlabs/{connection}/post-call"))
        .header("content-type", "application/json")
        .header("ElevenLabs-Signature", signature)
        .body(body)
        .send()
        .await
        .expect("posting the webhook");
    assert_eq!(response.status(), reqwest::StatusCode::OK, "the webhook for call {interaction}");
}
