//! Voice agents: import with paging (imported agents marked, re-import never duplicates), list partial with
//! search and filters, inline edit, activate/deactivate, delete refused while in use.

use reqwest::StatusCode;
use voxdial::db;

use crate::fake_provider::FakeProvider;
use crate::helpers::{assert_is_redirect_to, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn agents_are_imported_across_pages_and_reimport_updates_names() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    fake.with_agents(&[("agent_a", "Alice"), ("agent_b", "Bob"), ("agent_c", "Carol")]).await;
    let conn_id = app.add_connection("Conn", &fake.url()).await;

    let page = app.get_html(&format!("/agents/import?connection={conn_id}")).await;
    assert!(page.contains("Alice") && page.contains("Bob") && page.contains("Carol"), "all pages listed");
    let response = app
        .post_form(
            "/agents/import",
            &[("connection", &conn_id.to_string()), ("agent_id", "agent_a"), ("agent_id", "agent_c")],
        )
        .await;
    assert_is_redirect_to(&response, "/agents");
    assert!(app.get_html("/agents").await.contains("Imported 2 new agents."));

    // Imported agents are marked and offer no box; the others are offered ticked.
    let page = app.get_html(&format!("/agents/import?connection={conn_id}")).await;
    assert!(!page.contains(r#"value="agent_a""#) && !page.contains(r#"value="agent_c""#), "{page}");
    assert!(page.contains(r#"name="agent_id" value="agent_b" checked"#), "{page}");

    // The provider renames Carol; importing again adds no row and keeps voxdial's label.
    let renamed = FakeProvider::start().await;
    renamed.with_agents(&[("agent_a", "Alice"), ("agent_b", "Bob"), ("agent_c", "Caroline")]).await;
    app.post_form(&format!("/settings/providers/{conn_id}"), &[("name", "Conn"), ("api_base_url", &renamed.url())])
        .await;
    // A renamed agent is still shown as imported, under its name in voxdial, with no box.
    let page = app.get_html(&format!("/agents/import?connection={conn_id}")).await;
    assert!(!page.contains(r#"value="agent_c""#) && !page.contains(r#"value="agent_a""#), "{page}");
    assert!(page.contains("as “Carol”"), "{page}");
    app.post_form(
        "/agents/import",
        &[("connection", &conn_id.to_string()), ("agent_id", "agent_a"), ("agent_id", "agent_c")],
    )
    .await;
    let agents = app.with_conn(|c| db::agents::list(c, &Default::default()).unwrap());
    let names: Vec<_> = agents.iter().map(|a| a.agent.name.as_str()).collect();
    assert_eq!(names, ["Alice", "Carol"], "the label is voxdial's own");
    assert!(app.get_html("/agents").await.contains("Imported 0 new agents."));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_already_in_voxdial_is_refused_with_the_form_kept() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let conn_id = app.add_connection("Conn", &fake.url()).await;
    app.add_agent(conn_id, "Ann", "agent_ann", None).await;

    let again = app
        .post_form(
            "/agents",
            &[
                ("name", "Ann again"),
                ("provider_connection_id", &conn_id.to_string()),
                ("provider_agent_id", "agent_ann"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = again.text().await.unwrap();
    assert!(
        html.contains("The agent agent_ann is already in voxdial") && html.contains("value=\"Ann again\""),
        "{html}"
    );
    assert_eq!(app.with_conn(|c| db::agents::list(c, &Default::default()).unwrap()).len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_partial_searches_and_filters() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let one = app.add_connection("One", &fake.url()).await;
    let two = app.add_connection("Two", &fake.url()).await;
    app.add_agent(one, "Sales Anna", "agent_1", None).await;
    let bob = app.add_agent(one, "Support Bob", "agent_2", None).await;
    app.add_agent(two, "Sales Cleo", "agent_3", None).await;
    app.post_form(&format!("/agents/{bob}/active"), &[("active", "false")]).await;

    let list = |query: String| {
        let app = &app;
        async move {
            let response = app
                .client
                .get(app.url(&format!("/agents/list?{query}")))
                .header("HX-Request", "true")
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.text().await.unwrap()
        }
    };
    let sales = list("q=sales".into()).await;
    assert!(sales.starts_with("<div id=\"agent-list\">"), "a fragment");
    assert!(sales.contains("Sales Anna") && sales.contains("Sales Cleo") && !sales.contains("Support Bob"));
    let by_id = list("q=AGENT_2".into()).await;
    assert!(by_id.contains("Support Bob") && !by_id.contains("Sales Anna"));
    let second_connection = list(format!("connection={two}")).await;
    assert!(second_connection.contains("Sales Cleo") && !second_connection.contains("Sales Anna"));
    let inactive = list("active=no".into()).await;
    assert!(inactive.contains("Support Bob") && !inactive.contains("Sales Cleo"));
    let nothing = list("q=zzz".into()).await;
    assert!(nothing.contains("No agent matches these filters."));
    let wildcard = list("q=%25".into()).await;
    assert!(wildcard.contains("No agent matches"), "LIKE wildcards are literal");
}

#[tokio::test(flavor = "multi_thread")]
async fn agents_are_created_and_edited_inline() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let conn_id = app.add_connection("Conn", &fake.url()).await;
    let other_conn = app.add_connection("Other", &fake.url()).await;
    let number = app.add_number(conn_id, "+14155550100", "Main", "pn_1").await;
    let foreign_number = app.add_number(other_conn, "+14155550101", "Elsewhere", "pn_2").await;

    // Inline create through htmx: a bad form comes back as the form fragment with its error.
    let bad = app
        .post_htmx(
            "/agents",
            &[("name", "Ann"), ("provider_connection_id", &conn_id.to_string()), ("provider_agent_id", "")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.starts_with("<div id=\"new-agent-form\">") && html.contains("agent id is required"));

    let id = app.add_agent(conn_id, "Ann", "agent_ann", Some(number)).await;
    let edit =
        app.client.get(app.url(&format!("/agents/{id}/edit"))).header("HX-Request", "true").send().await.unwrap();
    assert!(edit.text().await.unwrap().contains("class=\"editing\""));

    let mismatch = app
        .post_htmx(
            &format!("/agents/{id}"),
            &[
                ("name", "Ann"),
                ("provider_connection_id", &conn_id.to_string()),
                ("provider_agent_id", "agent_ann"),
                ("default_phone_number_id", &foreign_number.to_string()),
            ],
        )
        .await;
    assert_eq!(mismatch.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(mismatch.text().await.unwrap().contains("belongs to another provider connection"));

    let saved = app
        .post_htmx(
            &format!("/agents/{id}"),
            &[
                ("name", "Ann Renamed"),
                ("provider_connection_id", &conn_id.to_string()),
                ("provider_agent_id", "agent_ann"),
                ("default_phone_number_id", ""),
            ],
        )
        .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let row = saved.text().await.unwrap();
    assert!(row.starts_with(&format!("<tr id=\"agent-{id}\"")) && row.contains("Ann Renamed"));
    let agent = app.with_conn(|c| db::agents::find(c, id).unwrap());
    assert_eq!((agent.name.as_str(), agent.default_phone_number_id), ("Ann Renamed", None));
}

#[tokio::test(flavor = "multi_thread")]
async fn deactivating_and_deleting_agents() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    fake.with_agents(&[("agent_a", "Alice")]).await;
    let conn_id = app.add_connection("Conn", &fake.url()).await;
    let id = app.add_agent(conn_id, "Alice", "agent_a", None).await;

    let row = app.post_htmx(&format!("/agents/{id}/active"), &[("active", "false")]).await.text().await.unwrap();
    assert!(row.contains("inactive") && row.contains("Activate"));
    assert!(!app.with_conn(|c| db::agents::find(c, id).unwrap()).active);
    app.post_htmx(&format!("/agents/{id}/active"), &[("active", "true")]).await;

    let campaign = app.add_campaign("Spring").await;
    app.post_form(&format!("/campaigns/{campaign}/ai-agents"), &[("production_agent_id", &id.to_string())]).await;
    let refused = app.post_form(&format!("/agents/{id}/delete"), &[]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("used by the campaign(s) Spring"));

    app.post_form(&format!("/campaigns/{campaign}/ai-agents"), &[("production_agent_id", "")]).await;
    assert_is_redirect_to(&app.post_form(&format!("/agents/{id}/delete"), &[]).await, "/agents");
}

/// The table row of the import page that lists `agent_id`.
fn import_row<'a>(page: &'a str, agent_id: &str) -> &'a str {
    let at = page.find(&format!(">{agent_id}</td>")).unwrap_or_else(|| panic!("{agent_id} is listed: {page}"));
    let start = page[..at].rfind("<tr").unwrap();
    &page[start..at + page[at..].find("</tr>").unwrap()]
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_import_page_shows_imported_agents_as_imported_with_no_box() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    fake.with_agents(&[("agent_a", "Alice"), ("agent_b", "Bob")]).await;
    let conn_id = app.add_connection("Conn", &fake.url()).await;
    app.add_agent(conn_id, "Alice", "agent_a", None).await;

    let page = app.get_html(&format!("/agents/import?connection={conn_id}")).await;
    let imported = import_row(&page, "agent_a");
    assert!(imported.contains(r#"<span class="badge badge-ok">imported</span>"#), "{imported}");
    assert!(!imported.contains("<input"), "an imported agent cannot be ticked: {imported}");
    let new = import_row(&page, "agent_b");
    assert!(new.contains(r#"type="checkbox" name="agent_id" value="agent_b" checked"#), "{new}");
    assert!(!new.contains("imported"), "{new}");
}
