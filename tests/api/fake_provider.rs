//! A fake ElevenLabs over real HTTP (wiremock), speaking the documented shapes.

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, path_regex, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

pub const API_KEY: &str = "sk_fake_key_1234";
const CREATED_AT: i64 = 1_700_000_000;
const UPDATED_AT: i64 = 1_700_086_400;
const VOICE_ID: &str = "21m00Tcm4TlvDq8ikWAM";

fn access_info() -> Value {
    json!({"is_creator": true, "creator_name": "Ops", "creator_email": "ops@example.com", "role": "admin"})
}

pub struct FakeProvider {
    pub server: MockServer,
}

/// Answers `GET /v1/convai/agents/{id}` from a fixed list, 404 otherwise.
struct AgentById(Vec<(String, String)>);

impl Respond for AgentById {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let id = request.url.path().rsplit('/').next().unwrap_or_default();
        match self.0.iter().find(|(agent_id, _)| agent_id == id) {
            Some((agent_id, name)) => ResponseTemplate::new(200).set_body_json(json!({
                "agent_id": agent_id, "name": name, "conversation_config": {}, "platform_settings": {}, "tags": [],
                "metadata": {"created_at_unix_secs": CREATED_AT, "updated_at_unix_secs": UPDATED_AT},
                "access_info": access_info()
            })),
            None => ResponseTemplate::new(404)
                .set_body_json(json!({"detail": {"status": "agent_not_found", "message": "Agent not found"}})),
        }
    }
}

impl FakeProvider {
    pub async fn start() -> FakeProvider {
        FakeProvider { server: MockServer::start().await }
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    /// Serves the agents, two per page with a cursor, and each agent by id.
    pub async fn with_agents(&self, agents: &[(&str, &str)]) {
        let agents: Vec<(String, String)> =
            agents.iter().map(|(id, name)| (id.to_string(), name.to_string())).collect();
        let pages: Vec<&[(String, String)]> = agents.chunks(2).collect();
        for (index, page) in pages.iter().enumerate() {
            let has_more = index + 1 < pages.len();
            let body = json!({
                "agents": page.iter().map(|(id, name)| json!({
                    "agent_id": id, "name": name, "voice_id": VOICE_ID, "tags": [],
                    "created_at_unix_secs": CREATED_AT, "updated_at_unix_secs": UPDATED_AT,
                    "access_info": access_info(), "last_call_time_unix_secs": null, "archived": false
                })).collect::<Vec<Value>>(),
                "next_cursor": if has_more { Value::from(format!("cursor-{}", index + 1)) } else { Value::Null },
                "has_more": has_more
            });
            let mock = Mock::given(method("GET")).and(path("/v1/convai/agents")).and(header("xi-api-key", API_KEY));
            let mock = if index == 0 {
                mock.and(query_param_is_missing("cursor"))
            } else {
                mock.and(query_param("cursor", format!("cursor-{index}")))
            };
            mock.respond_with(ResponseTemplate::new(200).set_body_json(body)).mount(&self.server).await;
        }
        if agents.is_empty() {
            Mock::given(method("GET"))
                .and(path("/v1/convai/agents"))
                .respond_with(
                    ResponseTemplate::new(200)
                        .set_body_json(json!({"agents": [], "next_cursor": null, "has_more": false})),
                )
                .mount(&self.server)
                .await;
        }
        Mock::given(method("GET"))
            .and(path_regex(r"^/v1/convai/agents/[^/]+$"))
            .and(header("xi-api-key", API_KEY))
            .respond_with(AgentById(agents))
            .mount(&self.server)
            .await;
    }

    /// Serves the numbers as the bare array ElevenLabs answers.
    pub async fn with_numbers(&self, numbers: Value) {
        Mock::given(method("GET"))
            .and(path("/v1/convai/phone-numbers"))
            .and(header("xi-api-key", API_KEY))
            .respond_with(ResponseTemplate::new(200).set_body_json(numbers))
            .mount(&self.server)
            .await;
    }

    /// Rejects every request as ElevenLabs does for a bad key.
    pub async fn rejecting_the_key(&self) {
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(401)
                    .set_body_json(json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})),
            )
            .mount(&self.server)
            .await;
    }
}

/// A Twilio number in the provider's list shape.
pub fn twilio_number(id: &str, number: &str, label: &str) -> Value {
    json!({"phone_number": number, "label": label, "phone_number_id": id, "provider": "twilio",
           "assigned_agent": null, "supports_inbound": true, "supports_outbound": true})
}

/// A SIP-trunk number in the provider's list shape, with its outbound trunk.
pub fn sip_number(id: &str, number: &str, label: &str) -> Value {
    json!({"phone_number": number, "label": label, "phone_number_id": id, "provider": "sip_trunk",
           "assigned_agent": null, "supports_inbound": true, "supports_outbound": true, "livekit_stack": "standard",
           "outbound_trunk": {"address": "sip.example.com", "transport": "tls", "media_encryption": "allowed",
                              "has_auth_credentials": true, "username": "voxdial"},
           "inbound_trunk": null, "store_sip_messages": false})
}

/// A conversation the provider has not finished (`initiated`, `in-progress`, `processing`)
/// or gave up on (`failed`), as `GET /v1/convai/conversations/{id}` answers it: no
/// transcript or analysis yet.
pub fn conversation(conversation_id: &str, status: &str) -> Value {
    json!({"agent_id": "agent_prod", "conversation_id": conversation_id, "status": status, "user_id": "lead-1",
           "transcript": [], "analysis": null,
           "metadata": {"start_time_unix_secs": 1_739_537_297, "call_duration_secs": 0, "termination_reason": "",
                        "phone_call": {"type": "twilio", "direction": "outbound", "phone_number_id": "pn_main",
                                       "agent_number": "+14155550100", "external_number": "+12125550123",
                                       "stream_sid": "MZ0f1e2d3c4b5a69788796a5b4c3d2e1f0", "call_sid": "CA0f1e2d3c4b5a69788796a5b4c3d2e1f0"}},
           "conversation_initiation_client_data": {"dynamic_variables": {"system__agent_id": "agent_prod"}},
           "has_audio": false, "has_user_audio": false, "has_response_audio": false, "has_auxiliary_audio": false})
}

impl FakeProvider {
    /// Accepts outbound calls on both endpoints, answering with fresh conversation ids.
    pub async fn accepting_calls(&self) {
        for (endpoint, id_field) in [("twilio", "callSid"), ("sip-trunk", "sip_call_id")] {
            Mock::given(method("POST"))
                .and(path(format!("/v1/convai/{endpoint}/outbound-call")))
                .and(header("xi-api-key", API_KEY))
                .respond_with(move |req: &Request| {
                    let body: Value = serde_json::from_slice(&req.body).unwrap();
                    let interaction = body["conversation_initiation_client_data"]["dynamic_variables"]["voxdial_interaction_id"]
                        .as_str()
                        .unwrap_or("0")
                        .to_owned();
                    ResponseTemplate::new(200).set_body_json(json!({
                        "success": true, "message": "Success", "conversation_id": format!("conv_{interaction}"), id_field: format!("sid_{interaction}")
                    }))
                })
                .mount(&self.server)
                .await;
        }
    }

    /// Answers outbound calls with `status` and `body`.
    pub async fn answering_calls_with(&self, status: u16, body: Value) {
        Mock::given(method("POST"))
            .and(path_regex(r"^/v1/convai/(twilio|sip-trunk)/outbound-call$"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&self.server)
            .await;
    }

    /// The JSON bodies of the outbound-call requests received, in order, with their paths.
    pub async fn placed_calls(&self) -> Vec<(String, Value)> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.url.path().ends_with("/outbound-call"))
            .map(|r| (r.url.path().to_owned(), serde_json::from_slice(&r.body).unwrap()))
            .collect()
    }

    /// Serves one conversation for the reconciler.
    pub async fn with_conversation(&self, conversation_id: &str, status: u16, body: Value) {
        Mock::given(method("GET"))
            .and(path(format!("/v1/convai/conversations/{conversation_id}")))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .mount(&self.server)
            .await;
    }
}
