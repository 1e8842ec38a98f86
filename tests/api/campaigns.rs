//! Campaigns and their AI Agents tab (R-AI-TAB, R-AGENT-PICK, R-PHONE).

use reqwest::StatusCode;
use voxdial::db;
use voxdial::ids::{AgentId, CampaignId, ConnectionId, PhoneNumberId};

use crate::fake_provider::FakeProvider;
use crate::helpers::{TestApp, assert_is_redirect_to, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn campaigns_are_created_and_edited_with_validation() {
    let app = spawn_app().await;
    app.login_as_admin().await;

    let bad =
        app.post_form("/campaigns", &[("name", "Spring"), ("timezone", "Mars/Base"), ("default_region", "US")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.contains("is not an IANA timezone") && html.contains("value=\"Spring\""));

    let id = app.add_campaign("Spring").await;
    let duplicate = app
        .post_form("/campaigns", &[("name", "Spring"), ("timezone", "Europe/Berlin"), ("default_region", "DE")])
        .await;
    assert!(duplicate.text().await.unwrap().contains("already exists"));

    let response = app
        .post_form(
            &format!("/campaigns/{id}"),
            &[
                ("name", "Spring push"),
                ("status", "paused"),
                ("timezone", "Europe/Berlin"),
                ("default_region", "de"),
                ("description", "EU leads"),
            ],
        )
        .await;
    assert_is_redirect_to(&response, &format!("/campaigns/{id}"));
    let campaign = app.with_conn(|c| db::campaigns::find(c, id).unwrap());
    assert_eq!(
        (
            campaign.name.as_str(),
            campaign.status.as_str(),
            campaign.timezone.name(),
            campaign.default_region.code().as_str()
        ),
        ("Spring push", "paused", "Europe/Berlin", "DE")
    );
    let list = app.get_html("/campaigns").await;
    assert!(list.contains("Spring push") && list.contains("paused"));
}

/// A connection with two agents and two numbers, and a campaign.
struct Setup {
    connection: ConnectionId,
    campaign: CampaignId,
    production: AgentId,
    test: AgentId,
    agent_number: PhoneNumberId,
    campaign_number: PhoneNumberId,
    _fake: FakeProvider,
}

async fn setup(app: &TestApp) -> Setup {
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    fake.with_agents(&[("agent_prod", "Production Pat"), ("agent_test", "Tester Tom")]).await;
    let connection = app.add_connection("Conn", &fake.url()).await;
    let agent_number = app.add_number(connection, "+14155550101", "Agent line", "pn_agent").await;
    let campaign_number = app.add_number(connection, "+14155550102", "Campaign line", "pn_campaign").await;
    let production = app.add_agent(connection, "Production Pat", "agent_prod", None).await;
    let test = app.add_agent(connection, "Tester Tom", "agent_test", None).await;
    let campaign = app.add_campaign("Spring").await;
    Setup { connection, campaign, production, test, agent_number, campaign_number, _fake: fake }
}

/// The resolution panel for a selection, as the tab's htmx request gets it.
async fn resolution(app: &TestApp, campaign: CampaignId, fields: &[(&str, String)]) -> String {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = app.post_htmx(&format!("/campaigns/{campaign}/ai-agents/resolution"), &fields).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

fn row<'a>(html: &'a str, lead: &str) -> &'a str {
    let start = html.find(&format!("data-lead=\"{lead}\"")).expect("row");
    let end = start + html[start..].find("</tr>").unwrap();
    &html[start..end]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_resolution_panel_follows_every_branch_of_the_rules() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let c = s.campaign;

    // Nothing chosen: no agent for anyone.
    let html = resolution(&app, c, &[]).await;
    assert!(row(&html, "real").contains("MISSING_AGENT") && row(&html, "test").contains("MISSING_AGENT"));

    // A production agent without any number.
    let html = resolution(&app, c, &[("production_agent_id", s.production.to_string())]).await;
    assert!(row(&html, "real").contains("MISSING_PHONE_NUMBER"));
    assert!(row(&html, "test").contains("MISSING_PHONE_NUMBER"));

    // The agent's default number is used when the campaign has none.
    app.post_form(
        &format!("/agents/{}", s.production),
        &[
            ("name", "Production Pat"),
            ("provider_connection_id", &s.connection.to_string()),
            ("provider_agent_id", "agent_prod"),
            ("default_phone_number_id", &s.agent_number.to_string()),
        ],
    )
    .await;
    let html = resolution(&app, c, &[("production_agent_id", s.production.to_string())]).await;
    let real = row(&html, "real");
    assert!(
        real.contains("Production Pat") && real.contains("+14155550101") && real.contains("agent&#39;s default number")
            || real.contains("agent's default number"),
        "{real}"
    );
    assert!(row(&html, "test").contains("no test agent configured"), "test leads fall back to production");

    // The campaign number wins over the agent's.
    let html = resolution(
        &app,
        c,
        &[("production_agent_id", s.production.to_string()), ("phone_number_id", s.campaign_number.to_string())],
    )
    .await;
    assert!(row(&html, "real").contains("+14155550102") && row(&html, "real").contains("campaign number"));

    // A test agent takes test leads; without any number of its own it uses the campaign's.
    let html = resolution(
        &app,
        c,
        &[
            ("production_agent_id", s.production.to_string()),
            ("test_agent_id", s.test.to_string()),
            ("phone_number_id", s.campaign_number.to_string()),
        ],
    )
    .await;
    assert!(row(&html, "test").contains("Tester Tom") && row(&html, "test").contains("(test agent)"));
    assert!(row(&html, "real").contains("Production Pat"));
    let html = resolution(
        &app,
        c,
        &[("production_agent_id", s.production.to_string()), ("test_agent_id", s.test.to_string())],
    )
    .await;
    assert!(row(&html, "test").contains("MISSING_PHONE_NUMBER"), "the test agent has no number of its own");
    assert!(html.contains("not saved yet"));
}

#[tokio::test(flavor = "multi_thread")]
async fn saving_checks_the_agents_at_the_provider_and_the_template() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let c = s.campaign;

    // An agent the provider does not know.
    let ghost = app.add_agent(s.connection, "Ghost", "agent_ghost", Some(s.agent_number)).await;
    let response =
        app.post_form(&format!("/campaigns/{c}/ai-agents"), &[("production_agent_id", &ghost.to_string())]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Could not confirm the agent “Ghost” through the connection “Conn”: the provider does not know it (HTTP 404): Agent not found"));
    assert_eq!(app.with_conn(|conn| db::campaigns::find(conn, c).unwrap()).production_agent_id, None);

    // A template that does not render for the sample lead.
    let template = app.add_template("Fine", "Hi {{ lead.first_name }}", "").await;
    app.with_conn(|conn| {
        db::templates::add_version(conn, template, "Hi {{ lead.nickname }}", None, None, db::now()).unwrap()
    });
    let response = app
        .post_form(
            &format!("/campaigns/{c}/ai-agents"),
            &[("production_agent_id", &s.production.to_string()), ("prompt_template_id", &template.to_string())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("does not render for the sample lead"));

    // An inactive agent.
    app.post_form(&format!("/agents/{}/active", s.test), &[("active", "false")]).await;
    let response = app
        .post_form(
            &format!("/campaigns/{c}/ai-agents"),
            &[("production_agent_id", &s.production.to_string()), ("test_agent_id", &s.test.to_string())],
        )
        .await;
    assert!(response.text().await.unwrap().contains("The test agent “Tester Tom” is inactive"));
    app.post_form(&format!("/agents/{}/active", s.test), &[("active", "true")]).await;

    // A number from another provider account.
    let other = FakeProvider::start().await;
    let other_conn = app.add_connection("Other", &other.url()).await;
    let foreign = app.add_number(other_conn, "+14155550199", "Foreign", "pn_foreign").await;
    let response = app
        .post_form(
            &format!("/campaigns/{c}/ai-agents"),
            &[("production_agent_id", &s.production.to_string()), ("phone_number_id", &foreign.to_string())],
        )
        .await;
    assert!(response.text().await.unwrap().contains("belongs to another provider account"));

    // All good: saved, audited, and shown.
    let good = app.add_template("Good", "Hi {{ lead.first_name }} from {{ campaign.name }}", "").await;
    let response = app
        .post_form(
            &format!("/campaigns/{c}/ai-agents"),
            &[
                ("production_agent_id", &s.production.to_string()),
                ("test_agent_id", &s.test.to_string()),
                ("prompt_template_id", &good.to_string()),
                ("phone_number_id", &s.campaign_number.to_string()),
            ],
        )
        .await;
    assert_is_redirect_to(&response, &format!("/campaigns/{c}/ai-agents"));
    let campaign = app.with_conn(|conn| db::campaigns::find(conn, c).unwrap());
    assert_eq!(
        (campaign.production_agent_id, campaign.test_agent_id, campaign.prompt_template_id, campaign.phone_number_id),
        (Some(s.production), Some(s.test), Some(good), Some(s.campaign_number))
    );
    let tab = app.get_html(&format!("/campaigns/{c}/ai-agents")).await;
    assert!(tab.contains("AI agents saved.") && !tab.contains("not saved yet"));
    let audit = app.with_conn(|conn| db::audit::page(conn, None, 5).unwrap());
    assert!(audit.iter().any(|e| {
        e.action == "campaign.ai_agents"
            && e.summary.contains("production Production Pat, test Tester Tom, template Good")
    }));
}

#[tokio::test(flavor = "multi_thread")]
async fn pickers_are_partials_that_filter_and_keep_the_choice() {
    let app = spawn_app().await;
    let s = setup(&app).await;
    let url = format!(
        "/campaigns/{}/ai-agents/pickers/production_agent_id?q=tom&production_agent_id={}",
        s.campaign, s.production
    );
    let html = app.client.get(app.url(&url)).header("HX-Request", "true").send().await.unwrap().text().await.unwrap();
    assert!(html.starts_with("<div class=\"picker\" id=\"picker-production_agent_id\">"));
    assert!(html.contains("Tester Tom"), "matches the filter");
    assert!(
        html.contains(&format!("<option value=\"{}\" selected>Production Pat", s.production)),
        "the current choice stays: {html}"
    );

    let numbers = app
        .client
        .get(app.url(&format!("/campaigns/{}/ai-agents/pickers/phone_number_id?q=0102", s.campaign)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(numbers.contains("Campaign line") && !numbers.contains("Agent line"));
    let unknown = app.get(&format!("/campaigns/{}/ai-agents/pickers/nonsense", s.campaign)).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_edit_shows_the_form_again_as_typed() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    app.add_campaign("Autumn").await;
    let id = app.add_campaign("Spring").await;

    let response = app
        .post_form(
            &format!("/campaigns/{id}"),
            &[("name", "Autumn"), ("timezone", "Europe/Berlin"), ("default_region", "DE"), ("description", "typed")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("A campaign named “Autumn” already exists"), "{html}");
    assert!(html.contains("value=\"Europe/Berlin\"") && html.contains(">typed</textarea>"), "the form as typed");
    assert!(html.contains("<h1>Spring "), "the header shows the saved campaign");
    assert_eq!(app.with_conn(|c| db::campaigns::find(c, id).unwrap()).name, "Spring");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outcome_rules_are_saved_and_audited() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let id = app.add_campaign("Spring").await;

    let response =
        app.post_form(&format!("/campaigns/{id}/outcomes"), &[("voicemail", "callback"), ("busy", "keep")]).await;
    assert_is_redirect_to(&response, &format!("/campaigns/{id}/outcomes"));
    let map = app.with_conn(|c| db::campaigns::find(c, id).unwrap()).outcome_status_map;
    assert_eq!(map.as_deref(), Some(r#"{"voicemail":"callback"}"#), "only the change is stored");
    let tab = app.get_html(&format!("/campaigns/{id}/outcomes")).await;
    assert!(tab.contains("Outcome rules saved.") && tab.contains("changed"));
    let audit = app.with_conn(|c| db::audit::page(c, None, 5).unwrap());
    assert!(audit.iter().any(|e| e.action == "campaign.outcomes"));

    let bad = app.post_form(&format!("/campaigns/{id}/outcomes"), &[("voicemail", "dancing")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}
