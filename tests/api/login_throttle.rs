//! R-AUTH: login throttling. An address over its limit is refused before any password is
//! hashed; an account over its limit is slowed down, never locked; every attempt counts,
//! parallel ones too.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use reqwest::StatusCode;
use voxdial::db;
use voxdial::domain::user::Role;

use crate::helpers::{PASSWORD, TestApp, TestSession, assert_is_redirect_to, spawn_app_with};

const WRONG: &str = "wrong password!!";

fn attempts_for(app: &TestApp, email: &str) -> i64 {
    use db::schema::login_attempts;
    app.with_conn(|c| login_attempts::table.filter(login_attempts::email.eq(email)).count().get_result(c).unwrap())
}

/// A login from another address (the app trusts X-Forwarded-For in these tests).
async fn login_from(app: &TestSession, address: &str, email: &str, password: &str) -> reqwest::Response {
    let token = app.csrf_token().await;
    app.client
        .post(app.url("/login"))
        .header("X-Forwarded-For", address)
        .form(&[("email", email), ("password", password), ("csrf_token", &token)])
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_parallel_guesses_all_count_and_the_owner_still_gets_in() {
    let app = spawn_app_with(|s| {
        s.trust_proxy_headers = true;
        s.login_max_failures_per_account = 5;
        s.login_max_failures_per_address = 20;
        s.login_slowdown_max_ms = 400;
    })
    .await;
    app.create_user("ana@example.com", "Ana", Role::Admin);

    // One visit first, so that every guess carries the same CSRF cookie and token.
    app.csrf_token().await;
    let guesses = (0..50).map(|_| login_from(&app, "203.0.113.7", "ana@example.com", WRONG));
    let statuses: Vec<StatusCode> = futures_util::future::join_all(guesses).await.iter().map(|r| r.status()).collect();
    let checked = statuses.iter().filter(|s| **s == StatusCode::UNAUTHORIZED).count();
    let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    // Counted before hashing, one after the other: exactly the address's limit was checked.
    assert_eq!((checked, refused), (20, 30), "{statuses:?}");
    assert_eq!(attempts_for(&app, "ana@example.com"), 50, "every guess is counted");

    // The owner, in their own browser at their own address: slowed down, not locked out.
    let browser = app.new_session();
    let began = Instant::now();
    let wrong = login_from(&browser, "198.51.100.2", "ana@example.com", WRONG).await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let owner = login_from(&browser, "198.51.100.2", "ana@example.com", PASSWORD).await;
    assert_is_redirect_to(&owner, "/");
    assert!(began.elapsed() >= Duration::from_millis(800), "both waited: {:?}", began.elapsed());
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_an_account_over_its_limit_is_slowed_down_even_for_unknown_accounts() {
    let app = spawn_app_with(|s| {
        s.login_max_failures_per_account = 3;
        s.login_slowdown_max_ms = 300;
    })
    .await;
    app.create_user("ana@example.com", "Ana", Role::Member);
    for _ in 0..3 {
        assert_eq!(app.login("ana@example.com", WRONG).await.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(app.login("ghost@example.com", WRONG).await.status(), StatusCode::UNAUTHORIZED);
    }
    // Unknown accounts wait alike, so the wait reveals nothing.
    let began = Instant::now();
    assert_eq!(app.login("ghost@example.com", WRONG).await.status(), StatusCode::UNAUTHORIZED);
    assert!(began.elapsed() >= Duration::from_millis(300));
    let began = Instant::now();
    assert_is_redirect_to(&app.login("ana@example.com", PASSWORD).await, "/");
    assert!(began.elapsed() >= Duration::from_millis(300));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_repeated_failures_refuse_the_client_address_across_accounts() {
    let app = spawn_app_with(|s| s.login_max_failures_per_address = 4).await;
    app.create_user("ana@example.com", "Ana", Role::Member);

    for n in 0..4 {
        let email = format!("guess{n}@example.com");
        assert_eq!(app.login(&email, WRONG).await.status(), StatusCode::UNAUTHORIZED);
    }
    let refused = app.login("ana@example.com", PASSWORD).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.text().await.unwrap().contains("Too many failed login attempts from your address"));
    assert_is_redirect_to(&app.get("/").await, "/login");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_a_successful_login_clears_the_account_failure_count() {
    let app = spawn_app_with(|s| {
        s.login_max_failures_per_account = 3;
        s.login_slowdown_max_ms = 5_000;
    })
    .await;
    app.create_user("ana@example.com", "Ana", Role::Member);
    for _ in 0..2 {
        app.login("ana@example.com", WRONG).await;
    }
    assert_is_redirect_to(&app.login("ana@example.com", PASSWORD).await, "/");
    app.logout().await;
    let began = Instant::now();
    for _ in 0..2 {
        assert_eq!(app.login("ana@example.com", WRONG).await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_is_redirect_to(&app.login("ana@example.com", PASSWORD).await, "/");
    assert!(began.elapsed() < Duration::from_secs(5), "no wait below the limit");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_setup_is_throttled_and_hashes_nothing_once_set_up() {
    let app = spawn_app_with(|s| s.login_max_failures_per_address = 2).await;
    let admin = [
        ("name", "Ada Admin"),
        ("email", "ada@example.com"),
        ("password", PASSWORD),
        ("password_confirmation", PASSWORD),
    ];
    for _ in 0..2 {
        assert_eq!(app.login("guess@example.com", WRONG).await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.post_form("/setup", &admin).await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 0);

    let other = spawn_app_with(|_| {}).await;
    assert_is_redirect_to(&other.post_form("/setup", &admin).await, "/");
    assert_eq!(attempts_for(&other, "ada@example.com"), 1);
    // Once set up, a setup is refused before anything is hashed or counted.
    let late = other.new_session();
    assert_eq!(late.post_form("/setup", &admin).await.status(), StatusCode::CONFLICT);
    assert_eq!(attempts_for(&other, "ada@example.com"), 1);
}
