//! A campaign ready to call against the fake provider, and webhook helpers.

use serde_json::{Value, json};
use voxdial::db::{self, DbConnection};
use voxdial::domain::interaction::{CallOrigin, CallStatus, ContactType, Direction};
use voxdial::domain::phone::E164;
use voxdial::ids::{AgentId, CampaignId, ConnectionId, InteractionId, LeadId, PhoneNumberId, TemplateId};

use std::sync::Arc;

use voxdial::app::Dependencies;
use voxdial::clock::Clock;
use voxdial::provider::scripted::{ScriptedProvider, ScriptedProviders};

use crate::fake_provider::FakeProvider;
use crate::helpers::{TestApp, assert_is_redirect_to, id_from_location, spawn_app_with_deps};

pub const WEBHOOK_SECRET: &str = "whsec_test_secret";

pub struct CallSetup {
    pub fake: FakeProvider,
    pub connection: ConnectionId,
    pub campaign: CampaignId,
    pub production: AgentId,
    pub test: AgentId,
    pub main_number: PhoneNumberId,
    pub template: TemplateId,
    /// A real lead (Ana, custom field plan = gold) and a test lead (Tom).
    pub lead: LeadId,
    pub test_lead: LeadId,
}

pub async fn call_setup(app: &TestApp) -> CallSetup {
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    fake.with_agents(&[("agent_prod", "Production Pat"), ("agent_test", "Tester Tom")]).await;
    fake.accepting_calls().await;
    let connection = app.add_connection("ElevenLabs", &fake.url()).await;
    let main_number = app.add_number(connection, "+14155550100", "Main", "pn_main").await;
    let production = app.add_agent(connection, "Production Pat", "agent_prod", Some(main_number)).await;
    let test = app.add_agent(connection, "Tester Tom", "agent_test", None).await;
    let template = app
        .add_template(
            "Opening",
            "You call {{ lead.first_name }} ({{ contact_type }}, attempt {{ attempt_number }}) for {{ campaign.name }}. Plan: {{ lead.plan | default('none') }}.",
            "Hi {{ lead.first_name }}, {{ agent.name }} here.",
        )
        .await;
    let campaign = app.add_campaign("Spring").await;
    let saved = app
        .post_form(
            &format!("/campaigns/{campaign}/ai-agents"),
            &[
                ("production_agent_id", &production.to_string()),
                ("test_agent_id", &test.to_string()),
                ("prompt_template_id", &template.to_string()),
                ("phone_number_id", ""),
            ],
        )
        .await;
    assert_is_redirect_to(&saved, &format!("/campaigns/{campaign}/ai-agents"));
    let lead = add_lead(
        app,
        campaign,
        &[("first_name", "Ana"), ("last_name", "Lima"), ("phone", "+12125550123"), ("custom", "plan = gold")],
    )
    .await;
    let test_lead =
        add_lead(app, campaign, &[("first_name", "Tom"), ("phone", "+12125550124"), ("is_test", "on")]).await;
    CallSetup { fake, connection, campaign, production, test, main_number, template, lead, test_lead }
}

/// Adds a lead by the form. Unless the test gives one, the lead gets a zone where it is
/// early afternoon now, so calls by hand are inside the legal hours whenever the suite runs.
pub async fn add_lead(app: &TestApp, campaign: CampaignId, fields: &[(&str, &str)]) -> LeadId {
    let zone = daytime_zone();
    let mut fields = fields.to_vec();
    if !fields.iter().any(|(name, _)| *name == "timezone") {
        fields.push(("timezone", &zone));
    }
    let response = app.post_form(&format!("/campaigns/{campaign}/leads"), &fields).await;
    id_from_location(&response, "/leads/")
}

/// A fixed-offset zone (`Etc/GMT±N`) in which it is about 13:00 now.
pub fn daytime_zone() -> String {
    use chrono::Timelike as _;
    let hour = chrono::Utc::now().hour() as i32;
    let offset = (13 - hour + 36) % 24 - 12;
    // Etc zones count the other way round: Etc/GMT-3 is three hours ahead of UTC.
    if offset >= 0 { format!("Etc/GMT-{offset}") } else { format!("Etc/GMT+{}", -offset) }
}

/// Presses "Call now" and confirms any warning; returns the call's id (when one was
/// recorded) and the response.
pub async fn call_now(app: &TestApp, lead: LeadId) -> (Option<InteractionId>, reqwest::Response) {
    let response = app.post_form(&format!("/leads/{lead}/call"), &[("confirm", "yes")]).await;
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (location.strip_prefix("/interactions/").and_then(|id| id.parse().ok()), response)
}

pub fn interaction(app: &TestApp, id: InteractionId) -> db::interactions::Interaction {
    app.with_conn(|c| db::interactions::find(c, id).unwrap())
}

/// A `post_call_transcription` body in ElevenLabs' shape with `turns` transcript turns.
pub fn transcription(
    conversation_id: &str,
    interaction_id: Option<InteractionId>,
    collected_outcome: Option<&str>,
    turns: usize,
) -> Value {
    let transcript: Vec<Value> = (0..turns)
        .map(|n| {
            json!({"role": if n % 2 == 0 { "agent" } else { "user" }, "message": format!("turn {n}"), "time_in_call_secs": n * 3,
                   "tool_calls": null, "tool_results": null, "feedback": null, "conversation_turn_metrics": null})
        })
        .collect();
    let mut collected = json!({});
    if let Some(outcome) = collected_outcome {
        collected = json!({"outcome": {"data_collection_id": "outcome", "value": outcome, "rationale": "said so"}});
    }
    let mut variables = json!({"system__agent_id": "agent_prod", "system__call_sid": null});
    if let Some(id) = interaction_id {
        variables["voxdial_interaction_id"] = Value::from(id.to_string());
    }
    json!({
        "type": "post_call_transcription",
        "event_timestamp": chrono::Utc::now().timestamp(),
        "data": {
            "agent_id": "agent_prod", "conversation_id": conversation_id, "status": "done", "user_id": "lead-1",
            "transcript": transcript,
            "metadata": {"start_time_unix_secs": 1_739_537_297, "call_duration_secs": 42, "cost": 296, "termination_reason": "",
                         "phone_call": {"type": "twilio", "direction": "outbound", "phone_number_id": "pn_main",
                                        "agent_number": "+14155550100", "external_number": "+12125550123", "stream_sid": "MZ1", "call_sid": "CA_from_webhook"}},
            "analysis": {"call_successful": "success", "transcript_summary": "Ana wants a demo.",
                         "evaluation_criteria_results": {"polite": {"criteria_id": "polite", "result": "success", "rationale": "yes"}},
                         "data_collection_results": collected},
            "conversation_initiation_client_data": {"dynamic_variables": variables},
            "has_audio": false, "has_user_audio": false, "has_response_audio": false, "has_auxiliary_audio": false
        }
    })
}

pub fn initiation_failure(conversation_id: &str, reason: &str) -> Value {
    json!({"type": "call_initiation_failure", "event_timestamp": chrono::Utc::now().timestamp(),
           "data": {"agent_id": "agent_prod", "conversation_id": conversation_id, "failure_reason": reason,
                    "metadata": {"type": "twilio", "body": {"CallSid": "CA_failed", "CallStatus": reason, "Direction": "outbound-api",
                                                            "To": "+12125550123", "Called": "+12125550123", "From": "+14155550100",
                                                            "Duration": "0", "CallDuration": "0", "ApiVersion": "2010-04-01"}}}})
}

pub fn sign(body: &str, secret: &str, timestamp: i64) -> String {
    voxdial::provider::elevenlabs::webhook::sign(body.as_bytes(), secret, timestamp)
}

/// Posts a webhook signed with the connection's secret, now.
pub async fn post_webhook(app: &TestApp, connection: ConnectionId, body: &Value) -> reqwest::Response {
    let raw = body.to_string();
    let signature = sign(&raw, WEBHOOK_SECRET, chrono::Utc::now().timestamp());
    post_raw_webhook(app, connection, &raw, Some(&signature)).await
}

pub async fn post_raw_webhook(
    app: &TestApp,
    connection: impl std::fmt::Display,
    raw: &str,
    signature: Option<&str>,
) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("/webhooks/elevenlabs/{connection}/post-call")))
        .header("content-type", "application/json")
        .body(raw.to_owned());
    if let Some(signature) = signature {
        request = request.header("ElevenLabs-Signature", signature);
    }
    request.send().await.unwrap()
}

/// A call committed as `dialing` whose provider answer has not been stored yet.
pub fn dialing_call(app: &TestApp, s: &CallSetup, lead: LeadId, to_number: &str) -> InteractionId {
    app.with_conn(|c| insert_dialing_call(c, s, lead, to_number))
}

/// A `dialing` call of `lead` inserted on `c` (inside the caller's transaction, if any).
pub fn insert_dialing_call(c: &mut DbConnection, s: &CallSetup, lead: LeadId, to_number: &str) -> InteractionId {
    let to_number = E164::parse(to_number, None).unwrap();
    {
        db::interactions::insert(
            c,
            &db::interactions::NewInteraction {
                direction: Direction::Outbound,
                origin: CallOrigin::Manual,
                lead_id: lead,
                campaign_id: s.campaign,
                voice_agent_id: Some(s.production),
                phone_number_id: Some(s.main_number),
                provider_connection_id: Some(s.connection),
                contact_type: ContactType::First,
                attempt_number: 1,
                counts_as_attempt: true,
                template_version_id: None,
                rendered_prompt: None,
                rendered_first_message: None,
                to_number: &to_number,
                from_number: None,
                status: CallStatus::Dialing,
                outcome: None,
                error_code: None,
                error_message: None,
                initiated_by: None,
                ended_at: None,
                created_at: db::now(),
                lead_week_hour: None,
            },
        )
        .unwrap()
    }
}

/// An app whose provider is the in-process scripted one (knowing the agents `call_setup`
/// uses), with the given clock.
pub async fn app_with_scripted_clock(clock: Arc<dyn Clock>) -> (TestApp, Arc<ScriptedProvider>) {
    let provider = ScriptedProvider::accepting();
    let agent = |id: &str, name: &str| voxdial::provider::RemoteAgent { agent_id: id.into(), name: name.into() };
    provider.set_catalog(vec![agent("agent_prod", "Production Pat"), agent("agent_test", "Tester Tom")], Vec::new());
    let deps =
        Dependencies { clock, providers: Some(Arc::new(ScriptedProviders(provider.clone()))), instance_id: None };
    (spawn_app_with_deps(|_| {}, deps).await, provider)
}

pub async fn app_with_scripted_provider() -> (TestApp, Arc<ScriptedProvider>) {
    app_with_scripted_clock(Arc::new(voxdial::clock::SystemClock)).await
}

/// Posts a webhook signed at `unix_time` (the app's clock, when a test moves it).
pub async fn post_webhook_at(
    app: &TestApp,
    connection: ConnectionId,
    body: &Value,
    unix_time: i64,
) -> reqwest::Response {
    let raw = body.to_string();
    let signature = sign(&raw, WEBHOOK_SECRET, unix_time);
    post_raw_webhook(app, connection, &raw, Some(&signature)).await
}
