//! Inbound calls routed to campaigns (R-INBOUND, R-CONTACT-TYPE, R-PROMPT): the
//! conversation-initiation webhook, answered for the right campaign and lead, and completed
//! by the post-call webhook like any call.

use reqwest::StatusCode;
use serde_json::{Value, json};
use voxdial::db;
use voxdial::domain::interaction::{CallStatus, ContactType, Direction};
use voxdial::domain::lead::LeadSource;
use voxdial::domain::outcome::Outcome;
use voxdial::ids::{CampaignId, ConnectionId, InteractionId};

use crate::call_setup::{CallSetup, add_lead, call_setup, post_webhook, transcription};
use crate::helpers::{TestApp, spawn_app};

const TOKEN: &str = "inbound_test_token";

async fn ring(
    app: &TestApp,
    connection: impl std::fmt::Display,
    token: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut request = app.client.post(app.url(&format!("/webhooks/elevenlabs/{connection}/initiation"))).json(body);
    if let Some(token) = token {
        request = request.header("X-Voxdial-Token", token);
    }
    request.send().await.unwrap()
}

/// Rings with the connection's token and returns the answer.
async fn answered(app: &TestApp, s: &CallSetup, caller: &str, called: &str, agent: &str) -> Value {
    let body =
        json!({"caller_id": caller, "agent_id": agent, "called_number": called, "call_sid": "CA_in_1", "extra": 1});
    let response = ring(app, s.connection, Some(TOKEN), &body).await;
    assert_eq!(response.status(), StatusCode::OK);
    let answer: Value = response.json().await.unwrap();
    crate::provider_schemas::assert_initiation_answer(&answer);
    answer
}

fn interaction_of(answer: &Value) -> Option<InteractionId> {
    answer["dynamic_variables"]["voxdial_interaction_id"].as_str().and_then(|id| id.parse().ok())
}

fn stored(app: &TestApp) -> (i64, i64) {
    app.with_conn(|c| {
        use diesel::prelude::*;
        let calls: i64 = db::schema::interactions::table.count().get_result(c).unwrap();
        let leads: i64 = db::schema::leads::table.count().get_result(c).unwrap();
        (calls, leads)
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_a_caller_reaches_the_campaign_calling_from_the_number_and_is_recognised() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    // Ana (a lead of Spring) calls the agent's default number, which Spring calls from.
    let answer = answered(&app, &s, "+12125550123", "+14155550100", "agent_prod").await;
    let vars = &answer["dynamic_variables"];
    assert_eq!((vars["lead_first_name"].as_str(), vars["contact_type"].as_str()), (Some("Ana"), Some("first")));
    assert_eq!(vars["campaign_name"], "Spring");
    let prompt = &answer["conversation_config_override"]["agent"];
    assert_eq!(prompt["prompt"]["prompt"], "You call Ana (first, attempt 1) for Spring. Plan: gold.");
    assert_eq!(prompt["first_message"], "Hi Ana, Production Pat here.");

    let id = interaction_of(&answer).expect("the call is recorded");
    let call = app.with_conn(|c| db::interactions::find(c, id).unwrap());
    assert_eq!(
        (call.direction, call.status, call.lead_id, call.contact_type, call.counts_as_attempt),
        (Direction::Inbound, CallStatus::InProgress, s.lead, ContactType::First, false)
    );
    assert_eq!(call.provider_call_sid.as_deref(), Some("CA_in_1"));
    assert_eq!(call.from_number.map(|n| n.to_string()).as_deref(), Some("+12125550123"));
    assert!(call.rendered_prompt.is_some() && call.template_version_id.is_some());

    // The post-call webhook completes it like an outbound call.
    let done =
        post_webhook(&app, s.connection, &transcription("conv_inbound_1", Some(id), Some("interested"), 4)).await;
    assert_eq!(done.status(), StatusCode::OK);
    let call = app.with_conn(|c| db::interactions::find(c, id).unwrap());
    assert_eq!((call.status, call.outcome), (CallStatus::Completed, Some(Outcome::Interested)));
    assert_eq!(call.provider_conversation_id.as_deref(), Some("conv_inbound_1"));
    // A second call is a returning contact; the pages show the direction.
    let again = answered(&app, &s, "+12125550123", "+14155550100", "agent_prod").await;
    assert_eq!(again["dynamic_variables"]["contact_type"], "returning");
    assert!(app.get_html(&format!("/leads/{}", s.lead)).await.contains("Inbound"));
    let list = app.get_html("/interactions?direction=inbound").await;
    assert!(list.contains(&format!("/interactions/{id}")));
    let outbound_only = app.get_html("/interactions?direction=outbound").await;
    assert!(!outbound_only.contains(&format!("/interactions/{id}\"")));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_contact_type_an_unknown_caller_becomes_a_new_lead() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (calls, leads) = stored(&app);
    let answer = answered(&app, &s, "+13125550199", "+14155550100", "agent_prod").await;
    assert_eq!(answer["dynamic_variables"]["contact_type"], "new");
    let id = interaction_of(&answer).unwrap();
    let call = app.with_conn(|c| db::interactions::find(c, id).unwrap());
    let lead = app.with_conn(|c| db::leads::find(c, call.lead_id).unwrap());
    assert_eq!(lead.phone.as_str(), "+13125550199");
    assert_eq!(lead.source, Some(LeadSource::Inbound));
    assert_eq!(lead.timezone, Some(chrono_tz::America::Chicago), "the zone of the number");
    assert_eq!(lead.campaign_id, s.campaign);
    assert_eq!(stored(&app), (calls + 1, leads + 1));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_marked_campaigns_and_the_default_route_the_rest() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    // A second number nobody calls from, and a second campaign.
    let other_number = app.add_number(s.connection, "+14155550199", "Hotline", "pn_hot").await;
    let hotline = app.add_campaign("Hotline").await;
    app.post_form(
        &format!("/campaigns/{hotline}/ai-agents"),
        &[
            ("production_agent_id", &s.test.to_string()),
            ("test_agent_id", ""),
            ("prompt_template_id", ""),
            ("phone_number_id", &other_number.to_string()),
        ],
    )
    .await;
    // Calls to a number no campaign calls from, for an agent no campaign answers: nothing
    // routes them until a default is set.
    app.post_form(
        &format!("/campaigns/{hotline}/ai-agents"),
        &[
            ("production_agent_id", &s.test.to_string()),
            ("test_agent_id", ""),
            ("prompt_template_id", ""),
            ("phone_number_id", ""),
        ],
    )
    .await;
    let unrouted = answered(&app, &s, "+13125550100", "+14155550199", "agent_unknown").await;
    assert_eq!(interaction_of(&unrouted), None, "neutral: nothing recorded");
    assert_eq!(unrouted["dynamic_variables"]["lead_first_name"], "");
    assert!(unrouted.get("conversation_config_override").is_none());
    let dashboard = app.get_html("/").await;
    assert!(dashboard.contains("Inbound call not routed"), "the dashboard says so");
    assert!(dashboard.contains(&format!("/settings/providers/{}/inbound", s.connection)));
    // The agent answers for Hotline once it is marked.
    let marked = app.post_form(&format!("/campaigns/{hotline}/ai-agents/inbound"), &[("answer", "yes")]).await;
    assert_eq!(marked.status(), StatusCode::SEE_OTHER);
    let by_agent = answered(&app, &s, "+13125550100", "+14155550199", "agent_test").await;
    assert_eq!(by_agent["dynamic_variables"]["campaign_name"], "Hotline");
    // Spring cannot claim the same agent.
    let spring = s.campaign;
    app.post_form(
        &format!("/campaigns/{spring}/ai-agents"),
        &[
            ("production_agent_id", &s.test.to_string()),
            ("test_agent_id", ""),
            ("prompt_template_id", ""),
            ("phone_number_id", ""),
        ],
    )
    .await;
    app.post_form(&format!("/campaigns/{spring}/ai-agents/inbound"), &[("answer", "yes")]).await;
    let page = app.get_html(&format!("/campaigns/{spring}/ai-agents")).await;
    assert!(page.contains("“Hotline” already answers inbound calls"), "unique per number and agent");
    // The connection's default takes what nothing else routes.
    set_default(&app, s.connection, Some(spring)).await;
    assert!(!app.get_html("/").await.contains("Inbound call not routed"), "routing changed: the problem closes");
    let by_default = answered(&app, &s, "+13125550100", "+19995550100", "agent_nobody").await;
    assert_eq!(by_default["dynamic_variables"]["campaign_name"], "Spring");
}

async fn set_default(app: &TestApp, connection: ConnectionId, campaign: Option<CampaignId>) {
    let value = campaign.map(|c| c.to_string()).unwrap_or_default();
    let response = app.post_form(&format!("/settings/providers/{connection}/inbound"), &[("campaign", &value)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_a_caller_on_the_dnc_list_is_answered_and_flagged() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    app.post_form("/dnc", &[("phone", "+12125550123"), ("reason", "asked by email")]).await;
    let answer = answered(&app, &s, "+12125550123", "+14155550100", "agent_prod").await;
    let call = app.with_conn(|c| db::interactions::find(c, interaction_of(&answer).unwrap()).unwrap());
    assert!(call.caller_on_dnc);
    assert!(app.get_html(&format!("/interactions/{}", call.id)).await.contains("do-not-call"));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_wrong_or_missing_tokens_and_unknown_connections_get_the_same_refusal() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let body = json!({"caller_id": "+12125550123", "agent_id": "agent_prod", "called_number": "+14155550100", "call_sid": "CA1"});
    let before = stored(&app);
    for (connection, token) in
        [(s.connection.to_string(), Some("wrong")), (s.connection.to_string(), None), ("999".into(), Some(TOKEN))]
    {
        let response = ring(&app, &connection, token, &body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.text().await.unwrap(), "invalid token");
    }
    assert_eq!(stored(&app), before, "nothing stored");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_malformed_bodies_are_refused_clearly_and_store_nothing() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let before = stored(&app);
    for raw in ["{not json", "{\"agent_id\": \"agent_prod\"}", "[]"] {
        let response = app
            .client
            .post(app.url(&format!("/webhooks/elevenlabs/{}/initiation", s.connection)))
            .header("X-Voxdial-Token", TOKEN)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{raw}");
        assert!(response.text().await.unwrap().starts_with("not an initiation request"));
    }
    let huge = "x".repeat(64 * 1024);
    let response = ring(&app, s.connection, Some(TOKEN), &json!({"caller_id": huge})).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(stored(&app), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_a_template_that_fails_still_gets_a_valid_answer_and_a_problem() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    app.with_conn(|c| {
        db::templates::add_version(c, s.template, "Plan: {{ lead.tier }}", None, None, db::now()).unwrap();
    });
    let answer = answered(&app, &s, "+12125550123", "+14155550100", "agent_prod").await;
    assert!(answer.get("conversation_config_override").is_none(), "the agent's own defaults speak");
    assert!(interaction_of(&answer).is_some(), "the call is still recorded, to be completed");
    let problems = app.with_conn(|c| db::problems::open(c, 10).unwrap());
    assert_eq!(problems.len(), 1);
    assert!(problems[0].message.contains("failed for an inbound caller"), "{}", problems[0].message);
    // The same failure again (another caller) is counted, not repeated.
    answered(&app, &s, "+12125550124", "+14155550100", "agent_prod").await;
    let problems = app.with_conn(|c| db::problems::open(c, 10).unwrap());
    assert_eq!((problems.len(), problems[0].occurrences), (1, 2));
    let dashboard = app.get_html("/").await;
    assert!(dashboard.contains("Inbound prompt failed") && dashboard.contains("2 times"), "counted on the dashboard");
    let dismissed = app.post_form(&format!("/problems/{}/dismiss", problems[0].id), &[]).await;
    assert_eq!(dismissed.status(), StatusCode::SEE_OTHER);
    assert!(!app.get_html("/").await.contains("Inbound prompt failed"));
    assert!(app.get_html("/settings/audit").await.contains("Dismissed the problem"));
    assert_eq!(app.post_form("/problems/999/dismiss", &[]).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_the_settings_page_explains_the_routing() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let page = app.get_html(&format!("/settings/providers/{}", s.connection)).await;
    assert!(!page.contains("not answered yet"));
    assert!(page.contains(&format!("/settings/providers/{}/inbound", s.connection)));
    let routing = app.get_html(&format!("/settings/providers/{}/inbound", s.connection)).await;
    assert!(routing.contains("/initiation") && routing.contains("X-Voxdial-Token"));
    // A lead added by hand has its source recorded too.
    let lead = add_lead(&app, s.campaign, &[("first_name", "Bo"), ("phone", "+12125550177")]).await;
    assert_eq!(app.with_conn(|c| db::leads::find(c, lead).unwrap()).source, Some(LeadSource::Form));
}
