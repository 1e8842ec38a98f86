//! Prompt templates: versions on every save, history, restore, live preview, errors with
//! line and column, HTML in lead data escaped on pages.

use reqwest::StatusCode;
use voxdial::db;

use crate::helpers::{assert_is_redirect_to, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn every_save_is_a_new_version_and_old_ones_can_be_restored() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let id = app.add_template("Opening", "Version one for {{ lead.first_name }}.", "Hi {{ lead.first_name }}").await;

    let response = app
        .post_form(
            &format!("/templates/{id}"),
            &[("name", "Opening"), ("system_prompt", "Version two."), ("first_message", "")],
        )
        .await;
    assert_is_redirect_to(&response, &format!("/templates/{id}"));
    let editor = app.get_html(&format!("/templates/{id}")).await;
    assert!(editor.contains("Saved as version 2."));
    assert!(
        editor.contains("Version 2") && editor.contains("Version 1") && editor.contains("Ada Admin"),
        "history with author"
    );

    let v1 = app.get_html(&format!("/templates/{id}/versions/1")).await;
    assert!(v1.contains("Version one for {{ lead.first_name }}."));
    assert_is_redirect_to(
        &app.post_form(&format!("/templates/{id}/versions/1/restore"), &[]).await,
        &format!("/templates/{id}"),
    );
    let latest = app.with_conn(|c| db::templates::latest_version(c, id).unwrap());
    assert_eq!(latest.version, 3);
    assert_eq!(latest.system_prompt, "Version one for {{ lead.first_name }}.");
    assert_eq!(latest.first_message.as_deref(), Some("Hi {{ lead.first_name }}"));
    let audit = app.with_conn(|c| db::audit::page(c, None, 10).unwrap());
    assert!(audit.iter().any(|e| e.action == "prompt_template.restore"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_undefined_variable_is_refused_at_save_with_line_and_column() {
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
    assert!(html.contains("system prompt, line 2, column 10"), "{html}");
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
async fn the_live_preview_renders_for_the_sample_lead_and_each_contact_type() {
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
    assert_eq!(app.with_conn(|c| db::templates::latest_version(c, id).unwrap()).version, 1, "nothing saved");

    let renamed = app.post_form(&format!("/templates/{id}"), &[("name", "Second call"), ("system_prompt", "v2")]).await;
    assert_is_redirect_to(&renamed, &format!("/templates/{id}"));
    let audit = app.with_conn(|c| db::audit::page(c, None, 5).unwrap());
    assert!(audit.iter().any(|e| e.action == "prompt_template.update"
        && e.summary == "Saved version 2 of the prompt template “Second call” (renamed from “Follow-up”)"));
}
