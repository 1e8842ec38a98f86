//! The ElevenLabs REST client: `xi-api-key` auth, bounded timeouts, retries with backoff
//! for idempotent GETs only, cursor paging, and error messages taken from the body.

use async_trait::async_trait;
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;

use super::wire;
use crate::provider::{
    CallAccepted, CallReport, HttpSettings, OutboundCall, ProviderError, RemoteAgent, RemotePhoneNumber, Telephony,
    VoiceProvider,
};

/// Upper bound on agent pages followed, against a provider that never stops saying `has_more`.
const MAX_PAGES: usize = 200;

pub struct Client {
    http: reqwest::Client,
    settings: HttpSettings,
    base_url: String,
    api_key: String,
}

impl Client {
    pub fn new(http: reqwest::Client, settings: HttpSettings, base_url: &str, api_key: &str) -> Client {
        Client { http, settings, base_url: base_url.trim_end_matches('/').to_owned(), api_key: api_key.to_owned() }
    }

    fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base_url))
            .timeout(self.settings.timeout)
            .header("xi-api-key", &self.api_key)
            .header("accept", "application/json")
    }

    /// GET with retries on transient failures (idempotent, so repeating is safe).
    async fn get_json<T: DeserializeOwned>(&self, path: &str, query: &[(&str, &str)]) -> Result<T, ProviderError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.send_json(self.request(Method::GET, path).query(query)).await;
            match result {
                Err(err) if err.is_transient() && attempt < self.settings.get_attempts => {
                    let delay = self.settings.retry_base_delay * 3u32.pow(attempt - 1);
                    tracing::debug!(%path, attempt, error = %err, "retrying provider GET");
                    tokio::time::sleep(delay).await;
                }
                other => return other,
            }
        }
    }

    async fn send_json<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, ProviderError> {
        let response = request.send().await.map_err(|e| self.transport_error(e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| self.transport_error(e))?;
        if !status.is_success() {
            return Err(status_error(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| ProviderError::Decode(e.to_string()))
    }

    fn transport_error(&self, err: reqwest::Error) -> ProviderError {
        // Without the URL: it is ours and says nothing new; never include headers (the key).
        if err.is_timeout() {
            return ProviderError::Timeout(self.settings.timeout.as_secs().max(1));
        }
        let connect = err.is_connect();
        let message = err.without_url().to_string();
        if connect { ProviderError::Connection(message) } else { ProviderError::Interrupted(message) }
    }
}

/// Maps a non-2xx answer to an error carrying the provider's own message.
fn status_error(status: StatusCode, body: &[u8]) -> ProviderError {
    let message = error_message(body);
    match status.as_u16() {
        401 | 403 => ProviderError::Unauthorized { status: status.as_u16(), message },
        404 => ProviderError::NotFound(message),
        422 => ProviderError::Invalid(message),
        429 => ProviderError::RateLimited(message),
        500..=599 => ProviderError::Server { status: status.as_u16(), message },
        other => ProviderError::Unexpected { status: other, message },
    }
}

/// ElevenLabs puts the reason in `detail`: a string, an object with `message`, or (422) a list
/// of `{loc, msg}`. Anything else is shown raw, shortened.
fn error_message(body: &[u8]) -> String {
    let raw = || {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.is_empty() { "no details given".to_owned() } else { text.chars().take(300).collect() }
    };
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return raw();
    };
    match json.get("detail") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Object(o)) => {
            o.get("message").and_then(|m| m.as_str()).map(str::to_owned).unwrap_or_else(raw)
        }
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .map(|item| {
                let location = item
                    .get("loc")
                    .and_then(|l| l.as_array())
                    .map(|parts| {
                        parts
                            .iter()
                            .map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned))
                            .collect::<Vec<_>>()
                            .join(".")
                    })
                    .unwrap_or_default();
                let msg = item.get("msg").and_then(|m| m.as_str()).unwrap_or("invalid");
                if location.is_empty() { msg.to_owned() } else { format!("{location}: {msg}") }
            })
            .collect::<Vec<_>>()
            .join("; "),
        _ => raw(),
    }
}

fn remote_number(n: wire::PhoneNumber) -> RemotePhoneNumber {
    RemotePhoneNumber {
        telephony: Telephony::parse(&n.provider).ok(),
        phone_number_id: n.phone_number_id,
        phone_number: n.phone_number,
        label: n.label,
        assigned_agent_id: n.assigned_agent.map(|a| a.agent_id),
    }
}

#[async_trait]
impl VoiceProvider for Client {
    async fn check(&self) -> Result<String, ProviderError> {
        let page: wire::AgentsPage = self.get_json("/v1/convai/agents", &[("page_size", "1")]).await?;
        Ok(if page.agents.is_empty() {
            "Connected. The account has no agents yet.".to_owned()
        } else {
            "Connected. The API key can read the account's agents.".to_owned()
        })
    }

    async fn list_agents(&self) -> Result<Vec<RemoteAgent>, ProviderError> {
        let mut agents = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut query = vec![("page_size", "100")];
            if let Some(c) = cursor.as_deref() {
                query.push(("cursor", c));
            }
            let page: wire::AgentsPage = self.get_json("/v1/convai/agents", &query).await?;
            agents.extend(page.agents.into_iter().map(|a| RemoteAgent { agent_id: a.agent_id, name: a.name }));
            match (page.has_more, page.next_cursor) {
                (true, Some(next)) if cursor.as_deref() != Some(next.as_str()) => cursor = Some(next),
                _ => return Ok(agents),
            }
        }
        Ok(agents)
    }

    async fn get_agent(&self, agent_id: &str) -> Result<RemoteAgent, ProviderError> {
        let path = format!("/v1/convai/agents/{}", urlencoding_segment(agent_id));
        let agent: wire::AgentSummary = self.get_json(&path, &[]).await?;
        Ok(RemoteAgent { agent_id: agent.agent_id, name: agent.name })
    }

    async fn list_phone_numbers(&self) -> Result<Vec<RemotePhoneNumber>, ProviderError> {
        let numbers: Vec<wire::PhoneNumber> = self.get_json("/v1/convai/phone-numbers", &[]).await?;
        Ok(numbers.into_iter().map(remote_number).collect())
    }

    async fn get_conversation(&self, conversation_id: &str) -> Result<CallReport, ProviderError> {
        let path = format!("/v1/convai/conversations/{}", urlencoding_segment(conversation_id));
        let conversation: wire::Conversation = self.get_json(&path, &[]).await?;
        Ok(super::webhook::report(conversation))
    }

    async fn start_call(&self, call: &OutboundCall) -> Result<CallAccepted, ProviderError> {
        let path = match call.telephony {
            Telephony::Twilio => "/v1/convai/twilio/outbound-call",
            Telephony::SipTrunk => "/v1/convai/sip-trunk/outbound-call",
        };
        let has_override = call.system_prompt.is_some() || call.first_message.is_some();
        let body = wire::OutboundCallRequest {
            agent_id: &call.agent_id,
            agent_phone_number_id: &call.agent_phone_number_id,
            to_number: &call.to_number,
            conversation_initiation_client_data: wire::ClientData {
                conversation_config_override: has_override.then(|| wire::ConfigOverride {
                    agent: wire::AgentOverride {
                        prompt: call.system_prompt.as_deref().map(|prompt| wire::PromptOverride { prompt }),
                        first_message: call.first_message.as_deref(),
                    },
                }),
                user_id: call.user_id.as_deref(),
                dynamic_variables: &call.dynamic_variables,
            },
        };
        let response: wire::OutboundCallResponse = self.send_json(self.request(Method::POST, path).json(&body)).await?;
        if response.success == Some(false) {
            return Err(ProviderError::Declined(response.message.unwrap_or_else(|| "no reason given".into())));
        }
        Ok(CallAccepted {
            conversation_id: response.conversation_id,
            call_sid: response.call_sid.or(response.sip_call_id),
        })
    }
}

/// Percent-encodes one path segment.
fn urlencoding_segment(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use serde_json::json;
    use wiremock::matchers::{body_json, header, method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    use super::*;
    use crate::provider::http_client;

    fn fast() -> HttpSettings {
        HttpSettings {
            timeout: Duration::from_millis(500),
            get_attempts: 3,
            retry_base_delay: Duration::from_millis(5),
        }
    }

    fn client(server: &MockServer) -> Client {
        Client::new(http_client(fast()), fast(), &server.uri(), "sk_test")
    }

    /// An agent as `GET /v1/convai/agents` lists it, with `extra` fields on top.
    fn agent(id: &str, name: &str, extra: serde_json::Value) -> serde_json::Value {
        let mut agent = json!({
            "agent_id": id, "name": name, "voice_id": "21m00Tcm4TlvDq8ikWAM", "tags": [],
            "created_at_unix_secs": 3, "updated_at_unix_secs": 4, "last_call_time_unix_secs": null,
            "access_info": {"is_creator": true, "creator_name": "Ops", "creator_email": "ops@example.com", "role": "admin"}
        });
        agent.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        agent
    }

    #[tokio::test]
    async fn lists_agents_across_cursor_pages() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/convai/agents"))
            .and(header("xi-api-key", "sk_test"))
            .and(query_param("cursor", "c2"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "agents": [agent("a3", "Three", json!({"new_field": 1}))],
                "next_cursor": null, "has_more": false
            })))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/convai/agents"))
            .and(query_param("page_size", "100"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "agents": [agent("a1", "One", json!({})), agent("a2", "Two", json!({"archived": false}))],
                "next_cursor": "c2", "has_more": true
            })))
            .up_to_n_times(1)
            .mount(&server)
            .await;

        let agents = client(&server).list_agents().await.unwrap();
        let ids: Vec<_> = agents.iter().map(|a| a.agent_id.as_str()).collect();
        assert_eq!(ids, ["a1", "a2", "a3"]);
        assert_eq!(agents[2].name, "Three");
    }

    #[tokio::test]
    async fn lists_phone_numbers_from_a_bare_array() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/convai/phone-numbers"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([
                {"phone_number": "+14155550100", "label": "Main", "phone_number_id": "pn_1", "provider": "twilio",
                 "assigned_agent": {"agent_id": "a1", "agent_name": "One"}, "supports_outbound": true},
                {"phone_number": "+442079460958", "label": "UK", "phone_number_id": "pn_2", "provider": "sip_trunk",
                 "assigned_agent": null, "livekit_stack": "standard",
                 "outbound_trunk": {"address": "sip.example.com", "transport": "tls", "media_encryption": "allowed",
                                    "has_auth_credentials": true}},
                {"phone_number": "+919876543210", "label": "IN", "phone_number_id": "pn_3", "provider": "exotel"}
            ])))
            .mount(&server)
            .await;
        let numbers = client(&server).list_phone_numbers().await.unwrap();
        assert_eq!(numbers.len(), 3);
        assert_eq!(numbers[0].telephony, Some(Telephony::Twilio));
        assert_eq!(numbers[0].assigned_agent_id.as_deref(), Some("a1"));
        assert_eq!(numbers[1].telephony, Some(Telephony::SipTrunk));
        assert_eq!(numbers[2].telephony, None);
    }

    #[tokio::test]
    async fn clear_errors_for_each_failure_status() {
        let server = MockServer::start().await;
        let cases = [
            (401, json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}})),
            (404, json!({"detail": "Agent not found"})),
            (422, json!({"detail": [{"loc": ["body", "to_number"], "msg": "field required", "type": "missing"}]})),
        ];
        for (status, body) in cases {
            Mock::given(method("GET"))
                .and(path(format!("/v1/convai/agents/s{status}")))
                .respond_with(ResponseTemplate::new(status).set_body_json(body))
                .expect(1)
                .mount(&server)
                .await;
        }
        let c = client(&server);
        let unauthorized = c.get_agent("s401").await.unwrap_err();
        assert_eq!(unauthorized, ProviderError::Unauthorized { status: 401, message: "Invalid API key".into() });
        assert_eq!(unauthorized.to_string(), "the provider rejected the API key (HTTP 401): Invalid API key");
        assert_eq!(c.get_agent("s404").await.unwrap_err(), ProviderError::NotFound("Agent not found".into()));
        assert_eq!(
            c.get_agent("s422").await.unwrap_err(),
            ProviderError::Invalid("body.to_number: field required".into())
        );
    }

    #[tokio::test]
    async fn gets_retry_server_errors_then_succeed() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/convai/agents/a1"))
            .respond_with(ResponseTemplate::new(503).set_body_string("upstream busy"))
            .up_to_n_times(2)
            .expect(2)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/v1/convai/agents/a1"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "agent_id": "a1", "name": "One", "conversation_config": {}, "platform_settings": {}, "tags": [],
                "metadata": {"created_at_unix_secs": 1, "updated_at_unix_secs": 2}
            })))
            .expect(1)
            .mount(&server)
            .await;
        assert_eq!(client(&server).get_agent("a1").await.unwrap().name, "One");
    }

    #[tokio::test]
    async fn gets_give_up_after_the_last_attempt_with_the_servers_message() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(500).set_body_string("boom"))
            .expect(3)
            .mount(&server)
            .await;
        assert_eq!(
            client(&server).list_phone_numbers().await.unwrap_err(),
            ProviderError::Server { status: 500, message: "boom".into() }
        );
    }

    #[tokio::test]
    async fn timeouts_are_reported_and_posts_are_never_retried() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(2)))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(&server).start_call(&sample_call(Telephony::Twilio)).await.unwrap_err();
        assert!(matches!(err, ProviderError::Timeout(_)), "{err:?}");
        assert!(err.outcome_unknown());
    }

    #[tokio::test]
    async fn connection_failures_are_reported() {
        let c = Client::new(http_client(fast()), fast(), "http://127.0.0.1:1", "sk_test");
        let err = c.check().await.unwrap_err();
        assert!(matches!(err, ProviderError::Connection(_)), "{err:?}");
        assert!(!err.outcome_unknown(), "a request that never left cannot have placed a call");
    }

    #[tokio::test]
    async fn an_accepted_call_whose_answer_cannot_be_read_may_have_been_placed() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_string("<html>"))
            .mount(&server)
            .await;
        let err = client(&server).start_call(&sample_call(Telephony::Twilio)).await.unwrap_err();
        assert!(matches!(err, ProviderError::Decode(_)), "{err:?}");
        assert!(err.outcome_unknown());
    }

    #[tokio::test]
    async fn a_connection_that_breaks_after_the_request_may_have_placed_the_call() {
        use tokio::io::AsyncReadExt;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = vec![0; 8192];
            let _ = socket.read(&mut request).await;
            // Hang up without answering.
        });
        let c = Client::new(http_client(fast()), fast(), &base, "sk_test");
        let err = c.start_call(&sample_call(Telephony::Twilio)).await.unwrap_err();
        assert!(matches!(err, ProviderError::Interrupted(_)), "{err:?}");
        assert!(err.outcome_unknown());
    }

    fn sample_call(telephony: Telephony) -> OutboundCall {
        let mut vars = BTreeMap::new();
        vars.insert("lead_first_name".into(), json!("Ana"));
        vars.insert("voxdial_interaction_id".into(), json!("42"));
        OutboundCall {
            agent_id: "agent_1".into(),
            agent_phone_number_id: "phnum_1".into(),
            telephony,
            to_number: "+14155550100".into(),
            system_prompt: Some("You are helpful.".into()),
            first_message: Some("Hi Ana".into()),
            dynamic_variables: vars,
            user_id: Some("lead_7".into()),
        }
    }

    #[tokio::test]
    async fn twilio_calls_send_the_documented_body_and_read_call_sid() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/convai/twilio/outbound-call"))
            .and(header("xi-api-key", "sk_test"))
            .and(body_json(json!({
                "agent_id": "agent_1",
                "agent_phone_number_id": "phnum_1",
                "to_number": "+14155550100",
                "conversation_initiation_client_data": {
                    "conversation_config_override": {"agent": {"prompt": {"prompt": "You are helpful."}, "first_message": "Hi Ana"}},
                    "user_id": "lead_7",
                    "dynamic_variables": {"lead_first_name": "Ana", "voxdial_interaction_id": "42"}
                }
            })))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "success": true, "message": "Success", "conversation_id": "conv_1", "callSid": "CA123"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let accepted = client(&server).start_call(&sample_call(Telephony::Twilio)).await.unwrap();
        assert_eq!(accepted, CallAccepted { conversation_id: Some("conv_1".into()), call_sid: Some("CA123".into()) });
    }

    #[tokio::test]
    async fn sip_calls_use_the_sip_endpoint_and_read_sip_call_id() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/v1/convai/sip-trunk/outbound-call"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "success": true, "message": "ok", "conversation_id": "conv_2", "sip_call_id": "sip-uuid"
            })))
            .expect(1)
            .mount(&server)
            .await;
        let accepted = client(&server).start_call(&sample_call(Telephony::SipTrunk)).await.unwrap();
        assert_eq!(accepted.call_sid.as_deref(), Some("sip-uuid"));
    }

    #[tokio::test]
    async fn a_declined_call_is_an_error_with_the_providers_message() {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "success": false, "message": "Agent concurrency limit reached", "conversation_id": null, "callSid": null
            })))
            .mount(&server)
            .await;
        let err = client(&server).start_call(&sample_call(Telephony::Twilio)).await.unwrap_err();
        assert!(err.to_string().contains("Agent concurrency limit reached"));
    }

    #[test]
    fn path_segments_are_encoded() {
        assert_eq!(urlencoding_segment("agent_1"), "agent_1");
        assert_eq!(urlencoding_segment("a/b?c"), "a%2Fb%3Fc");
    }
}
