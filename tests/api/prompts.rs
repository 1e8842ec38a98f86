//! Prompt templates: drafts, publishing, history with diffs, restore, live preview, errors
//! naming the variable with line and column, HTML in lead data escaped on pages; calls use
//! the published version and the agent's spoken name.

use reqwest::StatusCode;
use voxdial::db;

use crate::call_setup::{add_lead, call_now, call_setup, interaction};
use crate::helpers::{assert_is_redirect_to, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn r_prompt_a_saved_draft_is_not_live_until_published_and_old_versions_come_back_as_a_draft() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let id = app.add_template("Opening", "Version one for {{ lead.first_name }}.", "Hi {{ lead.first_name }}").await;
    let published = |app: &crate::helpers::TestApp| app.with_conn(|c| db::templates::published(c, id).unwrap());
    let editor = app.get_html(&format!("/templates/{id}")).await;
    assert!(editor.contains("version 1 published") && editor.contains("published") && editor.contains("by Ada Admin"));

    let response = app
        .post_form(
            &format!("/templates/{id}"),
            &[("name", "Opening"), ("system_prompt", "Version two."), ("first_message", "")],
        )
        .await;
    assert_is_redirect_to(&response, &format!("/templates/{id}"));
    assert_eq!(published(&app).version, 1, "a draft is no version");
    let editor = app.get_html(&format!("/templates/{id}")).await;
    assert!(editor.contains("Draft saved.") && editor.contains("draft not published"), "{editor}");
    assert!(editor.contains(">Version two.</textarea>"), "the editor opens the draft");
    assert!(editor.contains("Publish as version 2"));

    assert_is_redirect_to(&app.post_form(&format!("/templates/{id}/publish"), &[]).await, &format!("/templates/{id}"));
    let v2 = published(&app);
    assert_eq!((v2.version, v2.system_prompt.as_str(), v2.first_message.as_deref()), (2, "Version two.", None));
    assert!(app.with_conn(|c| db::templates::find(c, id).unwrap()).draft().is_none(), "nothing left to publish");
    let editor = app.get_html(&format!("/templates/{id}")).await;
    assert!(
        editor.contains("Version 2 published: calls use it from now on.") && !editor.contains("draft not published")
    );
    let audit = app.with_conn(|c| db::audit::page(c, None, 10).unwrap());
    let publish = audit.iter().find(|e| e.action == "prompt_template.publish").expect("publishing is audited");
    assert_eq!(
        (publish.actor.as_str(), publish.summary.as_str()),
        ("Ada Admin", "Published version 2 of the prompt template “Opening”")
    );
    let again = app.post_form(&format!("/templates/{id}/publish"), &[]).await;
    assert_is_redirect_to(&again, &format!("/templates/{id}"));
    assert!(app.get_html(&format!("/templates/{id}")).await.contains("Nothing to publish"));
    assert_eq!(published(&app).version, 2);

    // An old version comes back as the draft, to publish after a look.
    let v1 = app.get_html(&format!("/templates/{id}/versions/1")).await;
    assert!(v1.contains("Version one for {{ lead.first_name }}.") && v1.contains("by Ada Admin"));
    assert_is_redirect_to(
        &app.post_form(&format!("/templates/{id}/versions/1/restore"), &[]).await,
        &format!("/templates/{id}"),
    );
    assert_eq!(published(&app).version, 2, "restoring is not publishing");
    app.post_form(&format!("/templates/{id}/publish"), &[]).await;
    let v3 = published(&app);
    assert_eq!(v3.version, 3);
    assert_eq!(v3.system_prompt, "Version one for {{ lead.first_name }}.");
    assert_eq!(v3.first_message.as_deref(), Some("Hi {{ lead.first_name }}"));
    let audit = app.with_conn(|c| db::audit::page(c, None, 10).unwrap());
    assert!(audit.iter().any(|e| e.action == "prompt_template.restore"));

    // Saving the published text again leaves no draft.
    app.post_form(&format!("/templates/{id}"), &[("name", "Opening"), ("system_prompt", "Draft.")]).await;
    app.post_form(
        &format!("/templates/{id}"),
        &[
            ("name", "Opening"),
            ("system_prompt", "Version one for {{ lead.first_name }}."),
            ("first_message", "Hi {{ lead.first_name }}"),
        ],
    )
    .await;
    assert!(app.with_conn(|c| db::templates::find(c, id).unwrap()).draft().is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn the_version_page_shows_the_lines_changed_from_the_version_before() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let id = app.add_template("Opening", "Line one.\nLine two.\nLine three.", "").await;
    app.post_form(
        &format!("/templates/{id}"),
        &[
            ("name", "Opening"),
            ("system_prompt", "Line one.\nLine 2, <b>bold</b>.\nLine three."),
            ("first_message", "Hi"),
        ],
    )
    .await;
    let editor = app.get_html(&format!("/templates/{id}")).await;
    assert!(editor.contains("What publishing changes") && editor.contains("<del>Line two.</del>"), "{editor}");
    app.post_form(&format!("/templates/{id}/publish"), &[]).await;

    let v2 = app.get_html(&format!("/templates/{id}/versions/2")).await;
    assert!(v2.contains("Changes from version 1"));
    assert!(
        v2.contains("<del>Line two.</del>") && v2.contains("<ins>Line 2, &#60;b&#62;bold&#60;/b&#62;.</ins>"),
        "{v2}"
    );
    assert!(v2.contains("<ins>Hi</ins>"), "the first message is diffed too");
    assert!(v2.contains("<td>Line one.</td>"), "context lines");
    let v1 = app.get_html(&format!("/templates/{id}/versions/1")).await;
    assert!(v1.contains("The first version") && v1.contains("<ins>Line one.</ins>"));
    assert!(v1.contains("by Ada Admin") && !v1.contains("unknown"), "version 1 names who created it");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_prompt_vars_an_undefined_variable_is_refused_at_save_with_line_and_column() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let response = app
        .post_form(
            "/templates",
            &[
                ("name", "Broken"),
                ("system_prompt", "Hello {{ lead.first_name }}.\nPlan: {{ lead.plan }}"),
                ("first_message", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("system prompt, line 2, column 10: undefined variable `lead.plan`"), "{html}");
    assert!(html.contains("Plan: {{ lead.plan }}"), "the text typed is kept");
    assert!(app.with_conn(|c| db::templates::list(c).unwrap()).is_empty());

    // A branch only returning contacts reach is checked too.
    let response = app
        .post_form(
            "/templates",
            &[
                ("name", "Branchy"),
                ("system_prompt", "{% if contact_type == 'returning' %}{{ nope }}{% endif %}"),
                ("first_message", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("contact_type = returning"));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_prompt_vars_the_live_preview_renders_for_the_sample_lead_and_each_contact_type() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let template = "{% if contact_type == 'returning' %}Welcome back {{ lead.first_name }}{% else %}Hello {{ lead.first_name }}{% endif %} from {{ campaign.name }}";
    for (contact_type, expected) in
        [("first", "Hello Ana from Sample campaign"), ("returning", "Welcome back Ana from Sample campaign")]
    {
        let response = app
            .post_htmx(
                "/templates/preview",
                &[
                    ("name", "x"),
                    ("system_prompt", template),
                    ("first_message", ""),
                    ("preview_lead", ""),
                    ("contact_type", contact_type),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(html.starts_with("<div id=\"preview\""), "a fragment");
        assert!(html.contains(expected), "{contact_type}: {html}");
    }
    let broken = app
        .post_htmx(
            "/templates/preview",
            &[
                ("name", "x"),
                ("system_prompt", "ok\n{{ lead.nothing }}"),
                ("first_message", ""),
                ("contact_type", "first"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(broken.contains("line 2") && broken.contains("column 4"), "{broken}");
    assert!(
        broken.contains("undefined variable `lead.nothing`") && broken.contains("lead.nothing | default("),
        "{broken}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn html_in_lead_data_reaches_the_prompt_but_is_escaped_on_the_page() {
    use diesel::prelude::*;
    use voxdial::db::schema::leads;

    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;
    let now = db::now();
    let lead_id: voxdial::ids::LeadId = app.with_conn(|c| {
        diesel::insert_into(leads::table)
            .values((
                leads::campaign_id.eq(campaign),
                leads::first_name.eq("Eve"),
                leads::last_name.eq("Hacker"),
                leads::phone.eq("+14155550199"),
                leads::company.eq("<script>alert(1)</script>"),
                leads::status.eq("new"),
                leads::custom_fields.eq(r#"{"plan": "<b>gold</b>"}"#),
                leads::search_name.eq("eve hacker"),
                leads::search_last_name.eq(""),
                leads::search_email.eq(""),
                leads::search_company.eq(""),
                leads::created_at.eq(now),
                leads::updated_at.eq(now),
            ))
            .returning(leads::id)
            .get_result(c)
            .unwrap()
    });
    let html = app
        .post_htmx(
            "/templates/preview",
            &[
                ("name", "x"),
                ("system_prompt", "{{ lead.company }} {{ lead.plan }}"),
                ("preview_lead", &lead_id.to_string()),
                ("contact_type", "first"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(!html.contains("<script>alert(1)</script>") && !html.contains("<b>gold</b>"), "{html}");
    assert!(
        html.contains("&#60;script&#62;alert(1)&#60;/script&#62;") && html.contains("&#60;b&#62;gold&#60;/b&#62;"),
        "{html}"
    );

    // The chosen lead's custom field lets a template that uses it be saved.
    let saved = app
        .post_form(
            "/templates",
            &[("name", "Plan"), ("system_prompt", "{{ lead.plan }}"), ("preview_lead", &lead_id.to_string())],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
}

#[tokio::test(flavor = "multi_thread")]
async fn template_names_are_unique_and_a_rename_is_audited() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    app.add_template("Opening", "Hello.", "").await;
    let id = app.add_template("Follow-up", "Hello again.", "").await;

    let duplicate = app.post_form("/templates", &[("name", "Opening"), ("system_prompt", "Other.")]).await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = duplicate.text().await.unwrap();
    assert!(html.contains("A template named “Opening” already exists") && html.contains("Other."), "{html}");

    let taken = app.post_form(&format!("/templates/{id}"), &[("name", "Opening"), ("system_prompt", "v2")]).await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(app.with_conn(|c| db::templates::find(c, id).unwrap()).draft().is_none(), "nothing saved");

    let renamed = app.post_form(&format!("/templates/{id}"), &[("name", "Second call"), ("system_prompt", "v2")]).await;
    assert_is_redirect_to(&renamed, &format!("/templates/{id}"));
    let audit = app.with_conn(|c| db::audit::page(c, None, 5).unwrap());
    assert!(audit.iter().any(|e| e.action == "prompt_template.update"
        && e.summary == "Saved the draft of the prompt template “Second call” (renamed from “Follow-up”)"));
}

/// The prompt and first message a placed call sent to the provider.
fn sent_prompt(body: &serde_json::Value) -> (String, String) {
    let agent = &body["conversation_initiation_client_data"]["conversation_config_override"]["agent"];
    (agent["prompt"]["prompt"].as_str().unwrap().to_owned(), agent["first_message"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn r_prompt_calls_use_the_published_version_never_the_draft() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let bea = add_lead(&app, s.campaign, &[("first_name", "Bea"), ("phone", "+12125550125")]).await;
    let v1 = app.with_conn(|c| db::templates::published(c, s.template).unwrap());
    let draft = app
        .post_form(
            &format!("/templates/{}", s.template),
            &[
                ("name", "Opening"),
                ("system_prompt", "Draft for {{ lead.first_name }}."),
                ("first_message", "Draft hi"),
            ],
        )
        .await;
    assert_is_redirect_to(&draft, &format!("/templates/{}", s.template));

    let (first, _) = call_now(&app, s.lead).await;
    let calls = s.fake.placed_calls().await;
    assert_eq!(calls.len(), 1);
    assert_eq!(
        sent_prompt(&calls[0].1),
        (
            "You call Ana (first, attempt 1) for Spring. Plan: gold.".to_owned(),
            "Hi Ana, Production Pat here.".to_owned()
        ),
        "the published version, not the saved draft"
    );
    assert_eq!(interaction(&app, first.expect("a call")).template_version_id, Some(v1.id));

    assert_is_redirect_to(
        &app.post_form(&format!("/templates/{}/publish", s.template), &[]).await,
        &format!("/templates/{}", s.template),
    );
    let (second, _) = call_now(&app, bea).await;
    let calls = s.fake.placed_calls().await;
    assert_eq!(calls.len(), 2);
    assert_eq!(
        sent_prompt(&calls[1].1),
        ("Draft for Bea.".to_owned(), "Draft hi".to_owned()),
        "the newly published one"
    );
    let v2 = app.with_conn(|c| db::templates::published(c, s.template).unwrap());
    assert_eq!((v2.version, interaction(&app, second.expect("a call")).template_version_id), (2, Some(v2.id)));

    // Campaign pages say which version calls use.
    let overview = app.get_html(&format!("/campaigns/{}", s.campaign)).await;
    assert!(overview.contains("Opening</a>, version 2, published "), "{overview}");
    let tab = app.get_html(&format!("/campaigns/{}/ai-agents", s.campaign)).await;
    assert!(tab.contains("Opening</a>, version 2, published ") && tab.contains("Opening · v2"), "{tab}");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_prompt_vars_an_agent_speaks_as_its_spoken_name_and_templates_see_its_label_too() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (connection, number) = (s.connection.to_string(), s.main_number.to_string());
    let form = |spoken: &'static str| {
        [
            ("name", "Pat — outbound sales"),
            ("spoken_name", spoken),
            ("provider_connection_id", connection.as_str()),
            ("provider_agent_id", "agent_prod"),
            ("default_phone_number_id", number.as_str()),
        ]
    };
    let row = app.post_htmx(&format!("/agents/{}", s.production), &form("Pat")).await.text().await.unwrap();
    assert!(row.contains("Pat — outbound sales") && row.contains("speaks as Pat"), "the row shows both: {row}");
    let edit = app.get_html(&format!("/agents/{}/edit", s.production)).await;
    assert!(edit.contains("name=\"spoken_name\" value=\"Pat\""), "{edit}");

    app.post_form(
        &format!("/templates/{}", s.template),
        &[
            ("name", "Opening"),
            ("system_prompt", "You are {{ agent.name }} (listed as {{ agent.label }})."),
            ("first_message", "Hi {{ lead.first_name }}, {{ agent.name }} here."),
        ],
    )
    .await;
    app.post_form(&format!("/templates/{}/publish", s.template), &[]).await;
    call_now(&app, s.lead).await;
    let calls = s.fake.placed_calls().await;
    assert_eq!(
        sent_prompt(&calls[0].1),
        ("You are Pat (listed as Pat — outbound sales).".to_owned(), "Hi Ana, Pat here.".to_owned())
    );
    assert_eq!(calls[0].1["conversation_initiation_client_data"]["dynamic_variables"]["agent_name"], "Pat");

    // Without a spoken name the agent speaks as its label.
    assert_is_redirect_to(&app.post_form(&format!("/agents/{}", s.production), &form("")).await, "/agents");
    let preview = app
        .post_htmx(
            "/templates/preview",
            &[("system_prompt", "{{ agent.name }}/{{ agent.label }}"), ("preview_lead", &s.lead.to_string())],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(preview.contains("Pat — outbound sales/Pat — outbound sales"), "{preview}");
}
