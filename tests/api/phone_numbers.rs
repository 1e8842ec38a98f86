//! Phone numbers: by hand (E.164 normalised), import from the provider, relabel, delete.

use reqwest::StatusCode;
use serde_json::json;
use voxdial::db;
use voxdial::provider::Telephony;

use crate::fake_provider::{FakeProvider, sip_number, twilio_number};
use crate::helpers::{assert_is_redirect_to, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn numbers_added_by_hand_are_normalised_to_e164() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let conn_id = app.add_connection("Conn", &fake.url()).await;

    app.add_number(conn_id, "(415) 555-2671", "Sales line", "pn_sales").await;
    let numbers = app.with_conn(|c| db::phone_numbers::list(c).unwrap());
    assert_eq!(numbers[0].number.e164.as_str(), "+14155552671");
    assert_eq!(numbers[0].number.telephony, Telephony::Twilio);

    let bad = app
        .post_form(
            "/phone-numbers",
            &[
                ("provider_connection_id", &conn_id.to_string()),
                ("e164", "555-01"),
                ("region", "US"),
                ("label", "x"),
                ("provider_phone_number_id", "pn_x"),
                ("telephony", "twilio"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.contains("is not a valid phone number") || html.contains("is not a phone number"), "{html}");
    assert!(html.contains("value=\"555-01\""), "the input is kept");

    let duplicate = app
        .post_form(
            "/phone-numbers",
            &[
                ("provider_connection_id", &conn_id.to_string()),
                ("e164", "+14155552672"),
                ("label", "x"),
                ("provider_phone_number_id", "pn_sales"),
                ("telephony", "twilio"),
            ],
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(duplicate.text().await.unwrap().contains("already has a number with the id pn_sales"));
}

fn assigned(mut number: serde_json::Value, agent_id: &str, agent_name: &str) -> serde_json::Value {
    number["assigned_agent"] = json!({"agent_id": agent_id, "agent_name": agent_name});
    number
}

#[tokio::test(flavor = "multi_thread")]
async fn numbers_are_imported_from_the_provider_by_choice() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    fake.with_numbers(json!([
        twilio_number("pn_1", "+14155550100", "Main"),
        assigned(sip_number("pn_2", "+442079460958", "London"), "a1", "One"),
        {"phone_number": "+919876543210", "label": "Mumbai", "phone_number_id": "pn_3", "provider": "exotel"}
    ]))
    .await;
    let conn_id = app.add_connection("Conn", &fake.url()).await;

    let page = app.get_html(&format!("/phone-numbers/import?connection={conn_id}")).await;
    assert!(page.contains("+14155550100") && page.contains("+442079460958") && page.contains("+919876543210"));
    assert!(page.contains("not callable"), "exotel cannot be called from voxdial");

    let response = app
        .post_form("/phone-numbers/import", &[("connection", &conn_id.to_string()), ("phone_number_id", "pn_2")])
        .await;
    assert_is_redirect_to(&response, "/phone-numbers");
    let numbers = app.with_conn(|c| db::phone_numbers::list(c).unwrap());
    assert_eq!(numbers.len(), 1);
    assert_eq!((numbers[0].number.e164.as_str(), numbers[0].number.telephony), ("+442079460958", Telephony::SipTrunk));
    assert_eq!(numbers[0].number.label, "London");

    // Importing again offers it as already imported and never duplicates.
    let again = app.get_html(&format!("/phone-numbers/import?connection={conn_id}")).await;
    assert!(again.contains("imported"));
    assert!(!again.contains(r#"value="pn_2""#) && !again.contains(r#"value="pn_3""#), "no box: {again}");
    assert!(again.contains(r#"name="phone_number_id" value="pn_1" checked"#), "{again}");
    app.post_form(
        "/phone-numbers/import",
        &[("connection", &conn_id.to_string()), ("phone_number_id", "pn_2"), ("phone_number_id", "pn_1")],
    )
    .await;
    assert_eq!(app.with_conn(|c| db::phone_numbers::list(c).unwrap()).len(), 2);
    assert!(app.get_html("/phone-numbers").await.contains("Imported 1 number: +14155550100."));

    // A number voxdial cannot call from is reported, not stored.
    app.post_form("/phone-numbers/import", &[("connection", &conn_id.to_string()), ("phone_number_id", "pn_3")]).await;
    assert!(app.get_html("/phone-numbers").await.contains(
        "Nothing new to import. Skipped (not a Twilio or SIP-trunk number voxdial can call from): +919876543210."
    ));
    assert_eq!(app.with_conn(|c| db::phone_numbers::list(c).unwrap()).len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_provider_is_reported_on_the_import_page() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    fake.rejecting_the_key().await;
    let conn_id = app.add_connection("Conn", &fake.url()).await;
    let page = app.get_html(&format!("/phone-numbers/import?connection={conn_id}")).await;
    assert!(
        page.contains(
            "Could not list the provider&#39;s numbers: the provider rejected the API key (HTTP 401): Invalid API key"
        ) || page.contains(
            "Could not list the provider's numbers: the provider rejected the API key (HTTP 401): Invalid API key"
        ),
        "{page}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn labels_are_edited_inline_with_htmx() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let conn_id = app.add_connection("Conn", &fake.url()).await;
    let id = app.add_number(conn_id, "+14155550100", "Old", "pn_1").await;

    let response = app.post_htmx(&format!("/phone-numbers/{id}/label"), &[("label", "New <label>")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.trim_start().starts_with(&format!("<tr id=\"number-{id}\"")), "a row fragment: {html}");
    assert!(html.contains("New &#60;label&#62;"), "escaped on the page: {html}");
    assert_eq!(app.with_conn(|c| db::phone_numbers::find(c, id).unwrap()).label, "New <label>");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_number_in_use_cannot_be_deleted() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let conn_id = app.add_connection("Conn", &fake.url()).await;
    let number = app.add_number(conn_id, "+14155550100", "Main", "pn_1").await;
    let agent = app.add_agent(conn_id, "Alice", "agent_a", Some(number)).await;

    let refused = app.post_form(&format!("/phone-numbers/{number}/delete"), &[]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("still used by agent(s) Alice"));

    app.post_form(
        &format!("/agents/{agent}"),
        &[
            ("name", "Alice"),
            ("provider_connection_id", &conn_id.to_string()),
            ("provider_agent_id", "agent_a"),
            ("default_phone_number_id", ""),
        ],
    )
    .await;
    assert_is_redirect_to(&app.post_form(&format!("/phone-numbers/{number}/delete"), &[]).await, "/phone-numbers");
}
