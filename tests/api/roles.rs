//! R-AUTH, roles that fit a sales team: members work leads and calls, but change prompt
//! templates, voice agents and campaigns' AI Agents settings only when an admin allows it
//! (a workspace setting, off by default, audited). The server refuses with 403 and says
//! why; the pages show those controls disabled or hidden, with the reason.

use diesel::prelude::*;
use reqwest::StatusCode;
use voxdial::db;
use voxdial::db::schema::{prompt_template_versions, prompt_templates, voice_agents};
use voxdial::domain::user::Role;

use crate::call_setup::{CallSetup, call_setup};
use crate::helpers::{PASSWORD, TestApp, TestSession, assert_is_redirect_to, spawn_app};

const REFUSAL: &str = "Only admins can change prompt templates, voice agents and campaigns";
const READ_ONLY: &str = "Read-only for you";

async fn member_session(app: &TestApp) -> TestSession {
    app.create_user("max@example.com", "Max Member", Role::Member);
    let member = app.new_session();
    assert_is_redirect_to(&member.login("max@example.com", PASSWORD).await, "/");
    member
}

/// Every state-changing request on prompts, agents and the AI Agents tab, as forms.
fn ai_setup_changes(s: &CallSetup) -> Vec<(String, Vec<(&'static str, String)>)> {
    let (connection, production, test, template, campaign) =
        (s.connection.to_string(), s.production, s.test, s.template, s.campaign);
    let agent = |name: &str| {
        vec![
            ("name", name.to_owned()),
            ("provider_connection_id", connection.clone()),
            ("provider_agent_id", "agent_prod".to_owned()),
            ("default_phone_number_id", String::new()),
        ]
    };
    let template_form =
        vec![("name", "Renamed".to_owned()), ("system_prompt", "Say hi to {{ lead.first_name }}".into())];
    vec![
        ("/templates".into(), template_form.clone()),
        (format!("/templates/{template}"), template_form),
        (format!("/templates/{template}/versions/1/restore"), vec![]),
        (format!("/templates/{template}/publish"), vec![]),
        ("/agents".into(), agent("Another agent")),
        (format!("/agents/{production}"), agent("Renamed Pat")),
        (format!("/agents/{production}/active"), vec![("active", "false".into())]),
        (format!("/agents/{test}/delete"), vec![]),
        ("/agents/import".into(), vec![("connection", connection.clone()), ("agent_id", "agent_new".into())]),
        (format!("/campaigns/{campaign}/ai-agents"), vec![("production_agent_id", String::new())]),
        (format!("/campaigns/{campaign}/ai-agents/inbound"), vec![("answer", "yes".into())]),
    ]
}

async fn post(session: &TestSession, path: &str, fields: &[(&'static str, String)]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    session.post_form(path, &fields).await
}

/// Template versions, template drafts, agents' active flags and the campaign's AI Agents
/// settings: what the refused requests would have changed.
type AiSetupState = (i64, Vec<(String, Option<String>)>, Vec<(String, bool)>, String);

fn ai_setup_state(app: &TestApp, s: &CallSetup) -> AiSetupState {
    app.with_conn(|c| {
        let versions = prompt_template_versions::table.count().get_result(c).unwrap();
        let templates = prompt_templates::table
            .order(prompt_templates::id)
            .select((prompt_templates::name, prompt_templates::draft_system_prompt))
            .load(c)
            .unwrap();
        let agents = voice_agents::table
            .order(voice_agents::id)
            .select((voice_agents::name, voice_agents::active))
            .load(c)
            .unwrap();
        let campaign = db::campaigns::find(c, s.campaign).unwrap();
        (versions, templates, agents, format!("{:?} {:?}", campaign.production_agent_id, campaign.inbound_agent_id))
    })
}

fn audit_by(app: &TestApp, actor: &str) -> Vec<String> {
    let entries = app.with_conn(|c| db::audit::page(c, None, 200).unwrap());
    entries.into_iter().filter(|e| e.actor == actor).map(|e| e.action).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_members_may_not_change_prompts_agents_or_ai_settings_unless_an_admin_allows_it() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let member = member_session(&app).await;
    let before = ai_setup_state(&app, &s);

    for (path, fields) in ai_setup_changes(&s) {
        let response = post(&member, &path, &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "POST {path}");
        let html = response.text().await.unwrap();
        assert!(html.contains(REFUSAL) && html.contains("Not allowed for your role"), "POST {path}: {html}");
    }
    let htmx = member.post_htmx(&format!("/agents/{}/active", s.production), &[("active", "false")]).await;
    assert_eq!(htmx.status(), StatusCode::FORBIDDEN);
    assert_eq!(htmx.headers().get("hx-retarget").unwrap(), "#messages", "htmx gets the reason as a toast");
    assert_eq!(ai_setup_state(&app, &s), before, "nothing changed");
    assert!(audit_by(&app, "Max Member").is_empty());

    // Reading and previewing stay open, with the edit controls hidden or disabled and why.
    for page in [
        "/templates".to_owned(),
        format!("/templates/{}", s.template),
        "/agents".into(),
        format!("/campaigns/{}/ai-agents", s.campaign),
    ] {
        let html = member.get_html(&page).await;
        assert!(html.contains(READ_ONLY), "{page} says why");
    }
    let agents = member.get_html("/agents").await;
    assert!(!agents.contains("href=\"/agents/import\"") && !agents.contains("Add an agent by hand"));
    assert!(!agents.contains(&format!("action=\"/agents/{}/delete\"", s.production)));
    assert!(!member.get_html("/templates").await.contains("href=\"/templates/new\""));
    let tab = member.get_html(&format!("/campaigns/{}/ai-agents", s.campaign)).await;
    assert!(tab.contains("disabled>Save AI agents"), "the save button is disabled");
    let preview = member.post_form("/templates/preview", &[("system_prompt", "Hi {{ lead.first_name }}")]).await;
    assert_eq!(preview.status(), StatusCode::OK);
    let resolution = member
        .post_form(
            &format!("/campaigns/{}/ai-agents/resolution", s.campaign),
            &[("production_agent_id", &s.production.to_string())],
        )
        .await;
    assert_eq!(resolution.status(), StatusCode::OK);

    // The admin allows it: the member's edits go through and are audited as theirs.
    let allowed = app.post_form("/team/permissions", &[("members_edit_ai_setup", "yes")]).await;
    assert_is_redirect_to(&allowed, "/team#member-permissions");
    assert!(!member.get_html("/agents").await.contains(READ_ONLY));
    let agent_path = format!("/agents/{}", s.production);
    let (_, rename) = ai_setup_changes(&s).into_iter().find(|(path, _)| *path == agent_path).unwrap();
    let renamed = post(&member, &agent_path, &rename).await;
    assert_is_redirect_to(&renamed, "/agents");
    let inbound = member.post_form(&format!("/campaigns/{}/ai-agents/inbound", s.campaign), &[("answer", "yes")]).await;
    assert_is_redirect_to(&inbound, &format!("/campaigns/{}/ai-agents", s.campaign));
    assert_eq!(audit_by(&app, "Max Member").len(), 2, "both edits are audited as the member's");

    // And takes it back: refused again at once.
    assert_is_redirect_to(&app.post_form("/team/permissions", &[]).await, "/team#member-permissions");
    let again = member.post_form(&format!("/agents/{}/active", s.production), &[("active", "false")]).await;
    assert_eq!(again.status(), StatusCode::FORBIDDEN);

    let settings: Vec<String> = app
        .with_conn(|c| db::audit::page(c, None, 200).unwrap())
        .into_iter()
        .filter(|e| e.action == "workspace.members_edit_ai_setup" && e.actor == "Ada Admin")
        .map(|e| e.summary)
        .collect();
    assert_eq!(settings.len(), 2, "both changes of the setting are audited: {settings:?}");
    assert!(settings.iter().any(|s| s.starts_with("Allowed members")));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_admin_only_pages_stay_admin_only_when_members_may_edit_the_ai_setup() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let member = member_session(&app).await;
    let refused = member.post_form("/team/permissions", &[("members_edit_ai_setup", "yes")]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "members cannot give themselves the right");

    assert_is_redirect_to(
        &app.post_form("/team/permissions", &[("members_edit_ai_setup", "yes")]).await,
        "/team#member-permissions",
    );
    let team = app.get_html("/team").await;
    assert!(team.contains("name=\"members_edit_ai_setup\" value=\"yes\" checked"), "the Team page shows it on");
    for page in ["/team", "/settings", "/settings/audit"] {
        assert_eq!(member.get(page).await.status(), StatusCode::FORBIDDEN, "{page}");
    }
    let invite = member.post_form("/team", &[("name", "Eve"), ("email", "eve@example.com"), ("role", "admin")]).await;
    assert_eq!(invite.status(), StatusCode::FORBIDDEN);
    let unchanged = app.post_form("/team/permissions", &[("members_edit_ai_setup", "yes")]).await;
    assert_is_redirect_to(&unchanged, "/team#member-permissions");
    let audited = app
        .with_conn(|c| db::audit::page(c, None, 50).unwrap())
        .into_iter()
        .filter(|e| e.action == "workspace.members_edit_ai_setup")
        .count();
    assert_eq!(audited, 1, "saving the same value changes and records nothing");
}
