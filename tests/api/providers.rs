//! Provider connections: secrets sealed and never shown, test connection, webhook URLs.

use reqwest::StatusCode;
use voxdial::db;
use voxdial::db::webhook_events::NewEvent;
use voxdial::domain::user::Role;
use voxdial::domain::webhook::ProcessingState;
use voxdial::provider::SignatureVerdict;

use crate::fake_provider::{API_KEY, FakeProvider};
use crate::helpers::{assert_is_redirect_to, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn secrets_are_encrypted_at_rest_and_never_shown_again() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let id = app.add_connection("ElevenLabs prod", &fake.url()).await;

    let row = app.with_conn(|c| db::providers::find(c, id).unwrap());
    for sealed in [Some(&row.api_key_enc), row.webhook_secret_enc.as_ref(), row.inbound_token_enc.as_ref()] {
        let sealed = sealed.expect("stored");
        assert!(sealed.starts_with("v1:"));
        assert!(
            !sealed.contains(API_KEY)
                && !sealed.contains("whsec_test_secret")
                && !sealed.contains("inbound_test_token")
        );
    }
    assert_eq!(row.api_key_hint, "1234");

    for page in ["/settings", &format!("/settings/providers/{id}")] {
        let html = app.get_html(page).await;
        assert!(html.contains("set · …1234"), "{page} shows the hint");
        assert!(
            !html.contains(API_KEY) && !html.contains("whsec_test_secret") && !html.contains("inbound_test_token"),
            "{page} leaks a secret"
        );
        assert!(html.contains(&format!("/webhooks/elevenlabs/{id}/post-call")));
        assert!(html.contains(&format!("/webhooks/elevenlabs/{id}/initiation")));
    }
    let audit = app.with_conn(|c| db::audit::page(c, None, 5).unwrap());
    assert!(audit.iter().any(|e| e.action == "provider_connection.create" && e.summary.contains("ElevenLabs prod")));
    assert!(audit.iter().all(|e| !e.summary.contains(API_KEY)));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_generated_inbound_token_is_shown_once() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let response = app
        .post_form(
            "/settings/providers",
            &[("kind", "elevenlabs"), ("name", "Gen"), ("api_base_url", &fake.url()), ("api_key", API_KEY)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    let marker = "<code class=\"copy secret\">";
    let start = html.find(marker).expect("the token is shown") + marker.len();
    let token = &html[start..start + html[start..].find('<').unwrap()];
    assert!(token.len() >= 40, "{token}");

    let id = app.with_conn(|c| db::providers::list(c).unwrap()[0].id);
    let later = app.get_html(&format!("/settings/providers/{id}")).await;
    assert!(!later.contains(token), "shown only once");
    let hint: String = token.chars().rev().take(4).collect::<Vec<_>>().into_iter().rev().collect();
    assert!(later.contains(&format!("set · …{hint}")));
}

#[tokio::test(flavor = "multi_thread")]
async fn test_connection_reports_success_and_the_exact_failure() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let good = FakeProvider::start().await;
    good.with_agents(&[("agent_a", "Alice")]).await;
    let bad = FakeProvider::start().await;
    bad.rejecting_the_key().await;
    let good_id = app.add_connection("Good", &good.url()).await;
    let bad_id = app.add_connection("Bad", &bad.url()).await;

    let ok = app.post_htmx(&format!("/settings/providers/{good_id}/test"), &[]).await;
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(ok.text().await.unwrap().contains("Connected"));
    let failed = app.post_htmx(&format!("/settings/providers/{bad_id}/test"), &[]).await;
    let text = failed.text().await.unwrap();
    assert!(text.contains("the provider rejected the API key (HTTP 401): Invalid API key"), "{text}");

    let rows = app.with_conn(|c| (db::providers::find(c, good_id).unwrap(), db::providers::find(c, bad_id).unwrap()));
    assert_eq!(rows.0.last_check_ok, Some(true));
    assert_eq!(rows.1.last_check_ok, Some(false));
    let settings = app.get_html("/settings").await;
    assert!(settings.contains("Invalid API key"), "the last verdict stays visible");

    let unreachable = app.add_connection("Down", "http://127.0.0.1:9").await;
    let down = app.post_htmx(&format!("/settings/providers/{unreachable}/test"), &[]).await;
    assert!(down.text().await.unwrap().contains("could not reach the provider"));
}

#[tokio::test(flavor = "multi_thread")]
async fn editing_keeps_blank_secrets_and_replaces_typed_ones() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let id = app.add_connection("Conn", &fake.url()).await;
    let before = app.with_conn(|c| db::providers::find(c, id).unwrap());

    let response = app
        .post_form(
            &format!("/settings/providers/{id}"),
            &[
                ("name", "Renamed"),
                ("api_base_url", &fake.url()),
                ("api_key", ""),
                ("webhook_secret", "whsec_rotated_9876"),
            ],
        )
        .await;
    assert_is_redirect_to(&response, "/settings");
    let after = app.with_conn(|c| db::providers::find(c, id).unwrap());
    assert_eq!(after.name, "Renamed");
    assert_eq!(after.api_key_enc, before.api_key_enc, "blank keeps the key");
    assert_ne!(after.webhook_secret_enc, before.webhook_secret_enc);
    assert_eq!(after.webhook_secret_hint.as_deref(), Some("9876"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_connection_input_is_explained() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let cases = [
        (vec![("name", ""), ("api_base_url", "https://api.elevenlabs.io"), ("api_key", "k")], "Name is required"),
        (vec![("name", "X"), ("api_base_url", "ftp://x"), ("api_key", "k")], "http:// or https://"),
        (
            vec![("name", "X"), ("api_base_url", "https://api.elevenlabs.io"), ("api_key", "")],
            "The API key is required",
        ),
    ];
    for (fields, message) in cases {
        let response = app.post_form("/settings/providers", &fields).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "expected {message}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_in_use_cannot_be_deleted() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let id = app.add_connection("Conn", &fake.url()).await;
    let number = app.add_number(id, "+14155550100", "Main", "pn_1").await;

    let refused = app.post_form(&format!("/settings/providers/{id}/delete"), &[]).await;
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    assert!(refused.text().await.unwrap().contains("still has 1 phone number and 0 agents"));

    assert_is_redirect_to(&app.post_form(&format!("/phone-numbers/{number}/delete"), &[]).await, "/phone-numbers");
    assert_is_redirect_to(&app.post_form(&format!("/settings/providers/{id}/delete"), &[]).await, "/settings");
    assert!(app.with_conn(|c| db::providers::list(c).unwrap()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn provider_settings_are_for_admins_only() {
    let app = spawn_app().await;
    app.login_as("ana@example.com", "Ana", Role::Member).await;
    assert_eq!(app.get("/settings").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/settings/audit").await.status(), StatusCode::FORBIDDEN);
    let response = app
        .post_form("/settings/providers", &[("name", "X"), ("api_base_url", "https://x.example"), ("api_key", "k")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_is_visible_to_admins_with_paging() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    for n in 0..55 {
        app.add_campaign(&format!("Campaign {n:02}")).await;
    }
    let first = app.get_html("/settings/audit").await;
    assert!(first.contains("Created the campaign “Campaign 54”"));
    assert!(!first.contains("Created the campaign “Campaign 00”"));
    let marker = "/settings/audit?before=";
    let start = first.find(marker).expect("a next page link") + marker.len();
    let before: String = first[start..].chars().take_while(char::is_ascii_digit).collect();
    let second = app.get_html(&format!("/settings/audit?before={before}")).await;
    assert!(second.contains("Created the campaign “Campaign 00”"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_parked_webhook_event_stands_out_and_an_admin_can_retry_it() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let connection = app.add_connection("Conn", &fake.url()).await;
    let now = app.ctx().clock.now();
    let event = app.with_conn(|c| {
        let new = NewEvent {
            provider_connection_id: connection,
            event_type: "post_call_transcription",
            conversation_id: Some("conv_parked"),
            event_timestamp: None,
            signature_verdict: SignatureVerdict::Valid,
            processing_state: ProcessingState::Pending,
            processing_result: None,
            raw_body: "{}",
            received_at: now,
        };
        let id = db::webhook_events::insert(c, &new).unwrap().expect("a new event");
        db::webhook_events::record_failure(c, id, "boom: the database was away", None, now).unwrap();
        id
    });

    let log = app.get_html("/settings/webhooks").await;
    assert!(log.contains("1 event kept failing and is parked"), "the count is shown at the top");
    assert!(log.contains("Parked (kept failing)") && log.contains("Last error: boom: the database was away"));
    assert!(log.contains(&format!("action=\"/settings/webhooks/{event}/retry\"")), "a Retry now button");
    let detail = app.get_html(&format!("/settings/webhooks/{event}")).await;
    assert!(detail.contains("Parked (kept failing)") && detail.contains("Retry now"));

    let retried = app.post_form(&format!("/settings/webhooks/{event}/retry"), &[]).await;
    assert_is_redirect_to(&retried, "/settings/webhooks");
    let stored = app.with_conn(|c| db::webhook_events::find(c, event).unwrap());
    assert_eq!((stored.processing_state, stored.retry_at, stored.processed_at), (ProcessingState::Pending, None, None));
    let log = app.get_html("/settings/webhooks").await;
    assert!(log.contains(&format!("Webhook event #{event} is queued to be applied again.")));
    assert!(!log.contains("kept failing and") && !log.contains("Retry now"), "nothing is parked any more");
    assert!(log.contains("webhook-pending"));
    let audit = app.with_conn(|c| db::audit::page(c, None, 5).unwrap());
    assert!(audit.iter().any(|e| e.action == "webhook_event.retry" && e.object_id == Some(event.get())));

    let again = app.post_form(&format!("/settings/webhooks/{event}/retry"), &[]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "only a parked event is retried");
    assert!(again.text().await.unwrap().contains("is not parked"));
    assert_eq!(app.post_form("/settings/webhooks/9999/retry", &[]).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn members_cannot_retry_webhook_events() {
    let app = spawn_app().await;
    app.login_as("ana@example.com", "Ana", Role::Member).await;
    assert_eq!(app.get("/settings/webhooks").await.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.post_form("/settings/webhooks/1/retry", &[]).await.status(), StatusCode::FORBIDDEN);
}
