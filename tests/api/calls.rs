//! Call now (R-CALL, R-PROMPT, R-AGENT-PICK, R-PHONE, R-CONFIG-ERR): what reaches the
//! provider, what is recorded, and what stops a call before it is dialed.

use reqwest::StatusCode;
use serde_json::json;
use voxdial::db;
use voxdial::db::campaigns::AiAgentsSettings;
use voxdial::domain::interaction::CallStatus;

use crate::call_setup::{call_now, call_setup, interaction};
use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread")]
async fn call_now_commits_the_call_then_sends_the_documented_request() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;

    let (id, response) = call_now(&app, s.lead).await;
    let id = id.expect("a call page");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let calls = s.fake.placed_calls().await;
    assert_eq!(calls.len(), 1);
    let (path, body) = &calls[0];
    assert_eq!(path, "/v1/convai/twilio/outbound-call");
    assert_eq!(body["agent_id"], "agent_prod");
    assert_eq!(body["agent_phone_number_id"], "pn_main", "the agent's number: the campaign has none");
    assert_eq!(body["to_number"], "+12125550123");
    let data = &body["conversation_initiation_client_data"];
    assert_eq!(
        data["conversation_config_override"]["agent"]["prompt"]["prompt"],
        "You call Ana (first, attempt 1) for Spring. Plan: gold."
    );
    assert_eq!(data["conversation_config_override"]["agent"]["first_message"], "Hi Ana, Production Pat here.");
    assert_eq!(data["user_id"], format!("lead-{}", s.lead));
    let vars = &data["dynamic_variables"];
    assert_eq!(vars["voxdial_interaction_id"], id.to_string());
    assert_eq!(vars["lead_first_name"], "Ana");
    assert_eq!(vars["lead_plan"], "gold");
    assert_eq!(vars["campaign_name"], "Spring");

    let call = interaction(&app, id);
    assert_eq!(call.status, CallStatus::InProgress);
    assert_eq!(call.provider_conversation_id.as_deref(), Some(format!("conv_{id}").as_str()));
    assert_eq!(call.provider_call_sid.as_deref(), Some(format!("sid_{id}").as_str()));
    assert_eq!(call.rendered_prompt.as_deref(), Some("You call Ana (first, attempt 1) for Spring. Plan: gold."));
    assert!(call.template_version_id.is_some() && call.counts_as_attempt);
    assert_eq!((call.voice_agent_id, call.phone_number_id), (Some(s.production), Some(s.main_number)));
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert_eq!(lead.attempt_count, 1);
    assert_eq!(lead.next_call_at, None, "not due while the call is live");

    let page = app.get_html(&format!("/interactions/{id}")).await;
    assert!(
        page.contains("Calling now.") && page.contains("hx-trigger=\"every 2s\""),
        "the page follows the live call"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_test_lead_gets_the_test_agent_with_the_campaign_or_agent_number() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    // The test agent has no number and the campaign none: MISSING_PHONE_NUMBER for test leads.
    let (id, _) = call_now(&app, s.test_lead).await;
    assert_eq!(interaction(&app, id.unwrap()).error_code.as_deref(), Some("MISSING_PHONE_NUMBER"));
    assert!(s.fake.placed_calls().await.is_empty());

    // With a campaign number, the test lead's call goes out through the test agent.
    let settings = AiAgentsSettings {
        production_agent_id: Some(s.production),
        test_agent_id: Some(s.test),
        prompt_template_id: Some(s.template),
        phone_number_id: Some(s.main_number),
    };
    app.with_conn(|c| db::campaigns::set_ai_agents(c, s.campaign, &settings, db::now()).unwrap());
    let (id, _) = call_now(&app, s.test_lead).await;
    let calls = s.fake.placed_calls().await;
    assert_eq!(calls[0].1["agent_id"], "agent_test");
    assert_eq!(interaction(&app, id.unwrap()).voice_agent_id, Some(s.test));

    // Without a test agent, test leads fall back to the production agent.
    app.with_conn(|c| {
        db::campaigns::set_ai_agents(c, s.campaign, &AiAgentsSettings { test_agent_id: None, ..settings }, db::now())
            .unwrap()
    });
    app.with_conn(|c| {
        db::leads::set_status(c, &[s.test_lead], voxdial::domain::lead::LeadStatus::New, db::now()).unwrap()
    });
    let live = app.with_conn(|c| db::interactions::find(c, id.unwrap()).unwrap());
    app.with_conn(|c| {
        db::interactions::end(c, &live, &CallStatus::LIVE, CallStatus::Completed, &Default::default(), db::now())
            .unwrap()
    });
    call_now(&app, s.test_lead).await;
    let calls = s.fake.placed_calls().await;
    assert_eq!(calls[1].1["agent_id"], "agent_prod");
}

#[tokio::test(flavor = "multi_thread")]
async fn sip_trunk_numbers_use_the_sip_endpoint() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    app.post_form(
        "/phone-numbers",
        &[
            ("provider_connection_id", &s.connection.to_string()),
            ("e164", "+442079460958"),
            ("label", "SIP"),
            ("provider_phone_number_id", "pn_sip"),
            ("telephony", "sip_trunk"),
        ],
    )
    .await;
    let sip = app
        .with_conn(|c| db::phone_numbers::list(c).unwrap())
        .into_iter()
        .find(|n| n.number.telephony == voxdial::provider::Telephony::SipTrunk)
        .unwrap()
        .number
        .id;
    let settings =
        AiAgentsSettings { production_agent_id: Some(s.production), phone_number_id: Some(sip), ..Default::default() };
    app.with_conn(|c| db::campaigns::set_ai_agents(c, s.campaign, &settings, db::now()).unwrap());

    let (id, _) = call_now(&app, s.lead).await;
    let calls = s.fake.placed_calls().await;
    assert_eq!(calls[0].0, "/v1/convai/sip-trunk/outbound-call");
    assert_eq!(calls[0].1["agent_phone_number_id"], "pn_sip", "the campaign number wins");
    assert_eq!(
        interaction(&app, id.unwrap()).provider_call_sid.as_deref(),
        Some(format!("sid_{}", id.unwrap()).as_str())
    );
    assert!(
        calls[0].1["conversation_initiation_client_data"].get("conversation_config_override").is_none(),
        "no template: no override"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r_config_err_configuration_errors_fail_the_call_without_dialing_or_counting() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let cases = [
        (AiAgentsSettings::default(), "MISSING_AGENT"),
        (AiAgentsSettings { production_agent_id: Some(s.test), ..Default::default() }, "MISSING_PHONE_NUMBER"),
    ];
    for (settings, code) in cases {
        app.with_conn(|c| db::campaigns::set_ai_agents(c, s.campaign, &settings, db::now()).unwrap());
        let (id, _) = call_now(&app, s.lead).await;
        let call = interaction(&app, id.unwrap());
        assert_eq!(
            (call.status, call.error_code.as_deref(), call.counts_as_attempt),
            (CallStatus::Failed, Some(code), false)
        );
        let page = app.get_html(&format!("/interactions/{}", call.id)).await;
        assert!(page.contains(&format!("Not called — {code}")), "{code} is explained on the page");
        let campaign_page = app.get_html(&format!("/campaigns/{}", s.campaign)).await;
        assert!(campaign_page.contains("Calling is blocked") && campaign_page.contains(code));
    }
    // A template that needs a field this lead lacks.
    let broken = app.with_conn(|c| {
        db::templates::add_version(c, s.template, "Plan: {{ lead.tier }}", None, None, db::now()).unwrap();
        AiAgentsSettings {
            production_agent_id: Some(s.production),
            prompt_template_id: Some(s.template),
            ..Default::default()
        }
    });
    app.with_conn(|c| db::campaigns::set_ai_agents(c, s.campaign, &broken, db::now()).unwrap());
    let (id, _) = call_now(&app, s.lead).await;
    let call = interaction(&app, id.unwrap());
    assert_eq!(call.error_code.as_deref(), Some("TEMPLATE_ERROR"));
    assert!(call.error_message.unwrap().contains("line 1"));

    assert!(s.fake.placed_calls().await.is_empty(), "nothing was dialed");
    assert_eq!(app.with_conn(|c| db::leads::find(c, s.lead).unwrap()).attempt_count, 0, "not attempts");
    let dashboard = app.get_html("/").await;
    assert!(dashboard.contains("Spring"), "the blocked campaign is a problem on the dashboard");

    // Fixing the configuration unblocks the campaign.
    let fixed = AiAgentsSettings { production_agent_id: Some(s.production), ..Default::default() };
    app.with_conn(|c| db::campaigns::set_ai_agents(c, s.campaign, &fixed, db::now()).unwrap());
    assert!(app.with_conn(|c| db::campaigns::find(c, s.campaign).unwrap()).blocking_error_code.is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_refusals_fail_the_call_with_the_providers_message() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    s.fake.server.reset().await;
    s.fake
        .answering_calls_with(
            422,
            json!({"detail": [{"loc": ["body", "to_number"], "msg": "Invalid phone number", "type": "value_error"}]}),
        )
        .await;
    let (id, _) = call_now(&app, s.lead).await;
    let call = interaction(&app, id.unwrap());
    assert_eq!((call.status, call.error_code.as_deref()), (CallStatus::Failed, Some("PROVIDER_ERROR")));
    assert!(call.error_message.unwrap().contains("body.to_number: Invalid phone number"));
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert_eq!(lead.attempt_count, 1);
    assert!(lead.next_call_at.is_some(), "due again later");

    s.fake.server.reset().await;
    s.fake
        .answering_calls_with(401, json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}}))
        .await;
    let (id, _) = call_now(&app, s.lead).await;
    assert!(
        interaction(&app, id.unwrap())
            .error_message
            .unwrap()
            .contains("rejected the API key (HTTP 401): Invalid API key")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r_call_uncertain_an_unanswered_request_is_left_for_reconciliation_and_never_resent() {
    let app = spawn_app_with_short_provider_timeout().await;
    let s = call_setup(&app).await;
    s.fake.server.reset().await;
    wiremock::Mock::given(wiremock::matchers::method("POST"))
        .respond_with(wiremock::ResponseTemplate::new(200).set_delay(std::time::Duration::from_secs(3)))
        .expect(1)
        .mount(&s.fake.server)
        .await;
    let (id, _) = call_now(&app, s.lead).await;
    let call = interaction(&app, id.unwrap());
    assert_eq!(call.status, CallStatus::Dialing, "its outcome is unknown, so it stays live");
    assert!(call.error_message.unwrap().contains("did not confirm the call"));
    // A second press is refused while the first may be ringing.
    let (second, response) = call_now(&app, s.lead).await;
    assert_eq!(second, None);
    assert!(
        app.get_html(response.headers()["location"].to_str().unwrap()).await.contains("already has a call in progress")
    );
}

async fn spawn_app_with_short_provider_timeout() -> crate::helpers::TestApp {
    crate::helpers::spawn_app_with(|s| s.provider_timeout_secs = 1).await
}

#[tokio::test(flavor = "multi_thread")]
async fn r_call_only_one_live_call_per_lead_even_when_pressed_twice_at_once() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (a, b) = tokio::join!(call_now(&app, s.lead), call_now(&app, s.lead));
    let started: Vec<_> = [a.0, b.0].into_iter().flatten().collect();
    assert_eq!(started.len(), 1, "one call page, one refusal");
    assert_eq!(s.fake.placed_calls().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn numbers_on_the_do_not_call_list_are_never_dialed() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    app.post_form("/dnc", &[("phone", "+1 212 555 0123"), ("reason", "asked by email")]).await;
    let (id, response) = call_now(&app, s.lead).await;
    assert_eq!(id, None);
    let page = app.get_html(response.headers()["location"].to_str().unwrap()).await;
    assert!(page.contains("is on the do-not-call list (asked by email)"));
    assert!(s.fake.placed_calls().await.is_empty());
    assert!(app.with_conn(|c| db::call_lists::timeline(c, s.lead, 5).unwrap()).is_empty(), "no call recorded");
}

#[tokio::test(flavor = "multi_thread")]
async fn dashboard_tiles_open_the_lists_they_count() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (live, _) = call_now(&app, s.lead).await;
    let (review, _) = call_now(&app, s.test_lead).await;
    let (live, review) = (live.unwrap(), review.unwrap());
    app.with_conn(|c| {
        use diesel::prelude::*;
        diesel::update(db::schema::interactions::table.find(review))
            .set(db::schema::interactions::status.eq(CallStatus::Unknown.as_str()))
            .execute(c)
            .unwrap()
    });

    let dashboard = app.get_html("/").await;
    let today = chrono::Utc::now().date_naive();
    let tiles = [
        (format!("/interactions?from={today}&amp;to={today}"), vec![live, review], vec![]),
        ("/interactions?status=live".to_owned(), vec![live], vec![review]),
        ("/interactions?status=unknown".to_owned(), vec![review], vec![live]),
    ];
    for (href, listed, absent) in tiles {
        assert!(dashboard.contains(&format!("href=\"{href}\"")), "a tile links to {href}");
        let list = app.get_html(&href.replace("&amp;", "&")).await;
        for call in listed {
            assert!(list.contains(&format!("href=\"/interactions/{call}\"")), "{href} lists call {call}");
        }
        for call in absent {
            assert!(!list.contains(&format!("href=\"/interactions/{call}\"")), "{href} leaves out call {call}");
        }
    }
    assert!(dashboard.contains("href=\"/campaigns\""));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_campaign_calls_tab_stays_inside_the_campaign() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (ours, _) = call_now(&app, s.lead).await;
    let other = app.add_campaign("Autumn").await;
    let stranger = crate::call_setup::add_lead(&app, other, &[("first_name", "Ivo"), ("phone", "+12125550188")]).await;
    let (theirs, _) = call_now(&app, stranger).await;

    let overview = app.get_html(&format!("/campaigns/{}", s.campaign)).await;
    let tab = format!("/campaigns/{}/calls", s.campaign);
    assert!(overview.contains(&format!("href=\"{tab}\"")), "the Calls tab stays in the campaign");
    let page = app.get_html(&tab).await;
    assert!(page.contains("aria-label=\"Campaign\"") && page.contains("Spring"), "header and tabs kept");
    assert!(page.contains(&format!("href=\"{tab}\" aria-current=\"page\"")));
    assert!(page.contains(&format!("href=\"/interactions/{}\"", ours.unwrap())));
    assert!(!page.contains(&format!("href=\"/interactions/{}\"", theirs.unwrap())), "only this campaign's calls");
    assert!(page.contains(&format!("action=\"{tab}\"")), "the filters stay on the tab");
    // Filters apply within the campaign; the campaign cannot be swapped from here.
    let filtered = app.get_html(&format!("{tab}?status=live&campaign={other}")).await;
    assert!(filtered.contains(&format!("href=\"/interactions/{}\"", ours.unwrap())));
    assert!(!filtered.contains(&format!("href=\"/interactions/{}\"", theirs.unwrap())));
}
