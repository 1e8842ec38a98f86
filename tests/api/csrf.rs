//! R-AUTH: every state-changing request carries the session's CSRF token and comes from
//! our own origin.

use reqwest::StatusCode;
use voxdial::db;
use voxdial::domain::user::Role;

use crate::helpers::{PASSWORD, spawn_app};

/// Adding a member answers with their invite link (200), shown once.
fn add_member_form() -> Vec<(&'static str, &'static str)> {
    vec![("name", "Eve"), ("email", "eve@example.com"), ("role", "member")]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_form_without_a_token_is_rejected_and_changes_nothing() {
    let app = spawn_app().await;
    app.login_as_admin().await;

    let response = app.client.post(app.url("/team")).form(&add_member_form()).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(response.text().await.unwrap().contains("did not come from voxdial"));
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_token_is_rejected_in_the_form_and_in_the_header() {
    let app = spawn_app().await;
    app.login_as_admin().await;

    let mut form = add_member_form();
    form.push(("csrf_token", "forged"));
    let response = app.client.post(app.url("/team")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = app
        .client
        .post(app.url("/team"))
        .header("X-CSRF-Token", "forged")
        .header("HX-Request", "true")
        .form(&add_member_form())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(response.headers().get("hx-retarget").unwrap(), "#messages", "htmx gets a toast fragment");
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn another_sessions_token_does_not_work() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let other = app.new_session();
    let foreign_token = other.csrf_token().await;

    let mut form = add_member_form();
    form.push(("csrf_token", &foreign_token));
    let response = app.client.post(app.url("/team")).form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_right_token_in_the_header_works_for_htmx() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let response = app.post_htmx("/team", &add_member_form()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("Invite link for Eve"));
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cross_origin_post_is_rejected_even_with_a_valid_token() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let token = app.csrf_token().await;

    let mut form = add_member_form();
    form.push(("csrf_token", &token));
    let response =
        app.client.post(app.url("/team")).header("Origin", "https://evil.example").form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response =
        app.client.post(app.url("/team")).header("Sec-Fetch-Site", "cross-site").form(&form).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let same_origin =
        app.client.post(app.url("/team")).header("Origin", &app.address).form(&form).send().await.unwrap();
    assert_eq!(same_origin.status(), StatusCode::OK);
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_itself_needs_the_token() {
    let app = spawn_app().await;
    app.create_user("ana@example.com", "Ana", Role::Member);
    let response = app
        .client
        .post(app.url("/login"))
        .form(&[("email", "ana@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_without_a_token_does_not_log_out() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let response = app.client.post(app.url("/logout")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn breach_the_token_is_masked_afresh_in_every_response_and_each_one_works() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    // A page that reflects input (the search box) and is compressed when asked.
    let compressed = app.client.get(app.url("/leads?q=a")).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(compressed.headers().get("content-encoding").map(|v| v.to_str().unwrap()), Some("gzip"));
    let first = crate::helpers::extract_csrf(&app.get_html("/leads?q=a").await).unwrap();
    let second = crate::helpers::extract_csrf(&app.get_html("/leads?q=b").await).unwrap();
    assert_ne!(first, second, "a fresh mask in every response");
    for token in [first, second] {
        let mut form = add_member_form();
        form.push(("csrf_token", &token));
        let email = format!("eve{}@example.com", &token[..6]);
        form[1] = ("email", &email);
        let response = app.client.post(app.url("/team")).form(&form).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_carries_its_token_as_its_first_field_never_in_the_url() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let page = app.get_html("/dnc").await;
    assert!(!page.contains("?csrf_token="), "no token in a URL");
    let token = app.csrf_token().await;
    let upload = |form: reqwest::multipart::Form, path: String| {
        let app = &app;
        async move { app.client.post(app.url(&path)).multipart(form).send().await.unwrap() }
    };
    let file = || reqwest::multipart::Part::bytes(b"phone\n+12125550199\n".to_vec()).file_name("dnc.csv");
    let in_url = reqwest::multipart::Form::new().part("file", file()).text("campaign", "").text("region", "US");
    let refused = upload(in_url, format!("/dnc/import?csrf_token={token}")).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "a token in the URL is not accepted");
    let as_field = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part("file", file())
        .text("campaign", "")
        .text("region", "US");
    let accepted = upload(as_field, "/dnc/import".into()).await;
    assert!(accepted.status().is_success() || accepted.status().is_redirection(), "{}", accepted.status());
}
