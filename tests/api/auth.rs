//! R-AUTH: first-admin setup, login, logout, throttling, sessions and their revocation.

use std::time::Duration;

use reqwest::StatusCode;
use voxdial::db;
use voxdial::domain::user::{Email, Role};

use crate::helpers::{PASSWORD, assert_is_redirect_to, spawn_app, spawn_app_with};

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_install_sends_every_page_to_setup() {
    let app = spawn_app().await;

    assert_is_redirect_to(&app.get("/").await, "/setup");
    assert_is_redirect_to(&app.get("/team").await, "/setup");
    assert_is_redirect_to(&app.get("/login").await, "/setup");
    let html = app.get_html("/setup").await;
    assert!(html.contains("Create admin account"));
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_creates_the_first_admin_once_and_logs_them_in() {
    let app = spawn_app().await;
    app.get_html("/setup").await;

    let response = app
        .post_form(
            "/setup",
            &[
                ("name", "Ada Admin"),
                ("email", "Ada@Example.com"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_is_redirect_to(&response, "/");
    let dashboard = app.get_html("/").await;
    assert!(dashboard.contains("Welcome to voxdial"), "flash shown once");
    assert!(dashboard.contains("Ada Admin"));

    let email = Email::parse("ada@example.com").unwrap();
    let user = app.with_conn(|c| db::users::find_by_email(c, &email).unwrap().unwrap());
    assert_eq!(user.role, Role::Admin);
    assert!(user.password_hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));

    // Setup is over: the page redirects and a second submission is refused.
    let other = app.new_session();
    assert_is_redirect_to(&other.get("/setup").await, "/login");
    let again = other
        .post_form(
            "/setup",
            &[
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn setup_rejects_bad_input_with_clear_messages_and_keeps_the_fields() {
    let app = spawn_app().await;
    let cases = [
        (("", "ada@example.com", PASSWORD, PASSWORD), "Name is required"),
        (("Ada", "not-an-email", PASSWORD, PASSWORD), "not a valid email address"),
        (("Ada", "ada@example.com", "short", "short"), "at least 10 characters"),
        (("Ada", "ada@example.com", PASSWORD, "something else!"), "do not match"),
    ];
    for ((name, email, password, confirmation), message) in cases {
        let response = app
            .post_form(
                "/setup",
                &[("name", name), ("email", email), ("password", password), ("password_confirmation", confirmation)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await.unwrap();
        assert!(html.contains(message), "expected “{message}”");
        assert!(html.contains(&format!("value=\"{email}\"")), "the email is kept");
    }
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_with_the_right_password_reaches_the_dashboard() {
    let app = spawn_app().await;
    app.create_user("ana@example.com", "Ana Member", Role::Member);

    let response = app.login("ANA@example.com ", PASSWORD).await;
    assert_is_redirect_to(&response, "/");
    let html = app.get_html("/").await;
    assert!(html.contains("Dashboard") && html.contains("Ana Member"));
}

#[tokio::test(flavor = "multi_thread")]
async fn login_returns_to_the_page_asked_for_but_never_off_site() {
    let app = spawn_app().await;
    app.create_user("ana@example.com", "Ana", Role::Member);

    assert_is_redirect_to(&app.get("/profile").await, "/login?next=%2Fprofile");
    let response =
        app.post_form("/login", &[("email", "ana@example.com"), ("password", PASSWORD), ("next", "/profile")]).await;
    assert_is_redirect_to(&response, "/profile");

    let other = app.new_session();
    let html = other.get("/login").await.text().await.unwrap();
    other.remember_csrf_from(&html);
    let response = other
        .post_form("/login", &[("email", "ana@example.com"), ("password", PASSWORD), ("next", "//evil.example/")])
        .await;
    assert_is_redirect_to(&response, "/");
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.create_user("ana@example.com", "Ana", Role::Member);

    let wrong = app.login("ana@example.com", "wrong password!!").await;
    let wrong_status = wrong.status();
    let wrong_html = wrong.text().await.unwrap();
    let unknown = app.login("nobody@example.com", "wrong password!!").await;
    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    let unknown_html = unknown.text().await.unwrap();
    assert!(wrong_html.contains("Email or password is incorrect."));
    assert!(unknown_html.contains("Email or password is incorrect."));
    assert_is_redirect_to(&app.get("/").await, "/login");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disabled_user_cannot_log_in() {
    let app = spawn_app().await;
    let id = app.create_user("ana@example.com", "Ana", Role::Member);
    app.with_conn(|c| db::users::set_disabled(c, id, true, db::now()).unwrap());

    let response = app.login("ana@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.text().await.unwrap().contains("Email or password is incorrect."));
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_failures_throttle_the_account_even_with_the_right_password() {
    let app = spawn_app_with(|s| s.login_max_failures_per_account = 3).await;
    app.create_user("ana@example.com", "Ana", Role::Member);

    for _ in 0..3 {
        assert_eq!(app.login("ana@example.com", "wrong password!!").await.status(), StatusCode::UNAUTHORIZED);
    }
    let blocked = app.login("ana@example.com", PASSWORD).await;
    assert_eq!(blocked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(blocked.text().await.unwrap().contains("Too many failed login attempts"));
    // Unknown accounts are throttled alike, so the answer reveals nothing.
    for _ in 0..3 {
        app.login("ghost@example.com", "wrong password!!").await;
    }
    assert_eq!(app.login("ghost@example.com", "whatever pass").await.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_is_redirect_to(&app.get("/").await, "/login");
}

#[tokio::test(flavor = "multi_thread")]
async fn repeated_failures_throttle_the_client_address_across_accounts() {
    let app = spawn_app_with(|s| s.login_max_failures_per_address = 4).await;
    app.create_user("ana@example.com", "Ana", Role::Member);

    for n in 0..4 {
        let email = format!("guess{n}@example.com");
        assert_eq!(app.login(&email, "wrong password!!").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_eq!(app.login("ana@example.com", PASSWORD).await.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_successful_login_clears_the_account_failure_count() {
    let app = spawn_app_with(|s| s.login_max_failures_per_account = 3).await;
    app.create_user("ana@example.com", "Ana", Role::Member);
    for _ in 0..2 {
        app.login("ana@example.com", "wrong password!!").await;
    }
    assert_is_redirect_to(&app.login("ana@example.com", PASSWORD).await, "/");
    app.logout().await;
    for _ in 0..2 {
        assert_eq!(app.login("ana@example.com", "wrong password!!").await.status(), StatusCode::UNAUTHORIZED);
    }
    assert_is_redirect_to(&app.login("ana@example.com", PASSWORD).await, "/");
}

/// The raw session cookie of a response.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("voxdial_session="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

async fn get_with_cookie(app: &crate::helpers::TestApp, path: &str, cookie: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url(path))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn login_issues_a_new_session_key_and_the_old_one_stays_anonymous() {
    let app = spawn_app().await;
    app.create_user("ana@example.com", "Ana", Role::Member);

    let login_page = app.get("/login").await;
    let anonymous_cookie = session_cookie(&login_page).expect("a session for the CSRF token");
    app.remember_csrf_from(&login_page.text().await.unwrap());
    let response = app.login("ana@example.com", PASSWORD).await;
    let logged_in_cookie = session_cookie(&response).expect("a renewed session cookie");
    assert_ne!(anonymous_cookie, logged_in_cookie);

    assert_is_redirect_to(&get_with_cookie(&app, "/", &anonymous_cookie).await, "/login");
    assert_eq!(get_with_cookie(&app, "/", &logged_in_cookie).await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_ends_the_session_for_good() {
    let app = spawn_app().await;
    app.create_user("ana@example.com", "Ana", Role::Member);
    let response = app.login("ana@example.com", PASSWORD).await;
    let cookie = session_cookie(&response).unwrap();
    assert_eq!(get_with_cookie(&app, "/", &cookie).await.status(), StatusCode::OK);

    let logout = app.logout().await;
    assert_is_redirect_to(&logout, "/login?logged_out=1");
    let removal = logout.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(removal.contains("Max-Age=0") || removal.contains("expires="), "cookie removed: {removal}");

    // Replaying the captured cookie gets nowhere: the session is gone server-side.
    assert_is_redirect_to(&get_with_cookie(&app, "/", &cookie).await, "/login");
    assert_is_redirect_to(&app.get("/").await, "/login");
}

#[tokio::test(flavor = "multi_thread")]
async fn logout_is_a_post_only() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let response = app.get("/logout").await;
    assert!(matches!(response.status().as_u16(), 404 | 405), "{}", response.status());
    assert_eq!(app.get("/").await.status(), StatusCode::OK, "still logged in");
}

#[tokio::test(flavor = "multi_thread")]
async fn disabling_a_user_logs_them_out_immediately() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let member = app.new_session();
    let member_id = app.create_user("ana@example.com", "Ana", Role::Member);
    assert_is_redirect_to(&member.login("ana@example.com", PASSWORD).await, "/");
    assert_eq!(member.get("/").await.status(), StatusCode::OK);

    let response = app.post_form(&format!("/team/{member_id}/disable"), &[]).await;
    assert_is_redirect_to(&response, "/team");

    assert_is_redirect_to(&member.get("/").await, "/login");
    assert_eq!(app.with_conn(|c| db::sessions::count_for_user(c, member_id).unwrap()), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_ends_the_other_sessions_and_keeps_this_one() {
    let app = spawn_app().await;
    let id = app.login_as("ana@example.com", "Ana", Role::Member).await;
    let laptop = app.new_session();
    assert_is_redirect_to(&laptop.login("ana@example.com", PASSWORD).await, "/");

    let new_password = "a brand new passphrase";
    let response = app
        .post_form(
            "/profile/password",
            &[("current_password", PASSWORD), ("password", new_password), ("password_confirmation", new_password)],
        )
        .await;
    assert_is_redirect_to(&response, "/profile");
    assert!(app.get_html("/profile").await.contains("Password changed"));
    assert_is_redirect_to(&laptop.get("/").await, "/login");
    assert_eq!(app.with_conn(|c| db::sessions::count_for_user(c, id).unwrap()), 1);

    let fresh = app.new_session();
    assert_eq!(fresh.login("ana@example.com", PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    assert_is_redirect_to(&fresh.login("ana@example.com", new_password).await, "/");
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_the_password_requires_the_current_one() {
    let app = spawn_app().await;
    app.login_as("ana@example.com", "Ana", Role::Member).await;
    let response = app
        .post_form(
            "/profile/password",
            &[
                ("current_password", "not my password"),
                ("password", "another passphrase"),
                ("password_confirmation", "another passphrase"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("current password is not correct"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_idle_session_expires() {
    let app = spawn_app_with(|s| s.session_idle_timeout_secs = 1).await;
    app.login_as("ana@example.com", "Ana", Role::Member).await;
    assert_eq!(app.get("/").await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_is_redirect_to(&app.get("/").await, "/login");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_busy_session_still_ends_at_the_absolute_timeout() {
    let app = spawn_app_with(|s| {
        s.session_idle_timeout_secs = 600;
        s.session_absolute_timeout_secs = 2;
    })
    .await;
    app.login_as("ana@example.com", "Ana", Role::Member).await;
    for _ in 0..3 {
        assert_eq!(app.get("/").await.status(), StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_is_redirect_to(&app.get("/").await, "/login");
}

#[tokio::test(flavor = "multi_thread")]
async fn session_cookie_is_http_only_and_same_site_lax_and_secure_when_configured() {
    let app = spawn_app().await;
    let response = app.get("/login").await;
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain-http localhost keeps cookies usable: {cookie}");

    let secure = spawn_app_with(|s| s.public_url = Some("https://dial.example.com".into())).await;
    let response = secure.get("/login").await;
    let cookie = response.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(cookie.starts_with("__Host-voxdial=") && cookie.contains("Secure"), "{cookie}");
    assert!(response.headers().get("strict-transport-security").is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn members_are_forbidden_from_admin_pages() {
    let app = spawn_app().await;
    app.login_as("ana@example.com", "Ana", Role::Member).await;

    let page = app.get("/team").await;
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    assert!(page.text().await.unwrap().contains("You do not have access to this page"));
    let action = app.post_form("/team", &[("name", "Eve"), ("email", "eve@example.com"), ("role", "admin")]).await;
    assert_eq!(action.status(), StatusCode::FORBIDDEN);
    let htmx = app.post_htmx("/team/1/disable", &[]).await;
    assert_eq!(htmx.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 1);
    let dashboard = app.get_html("/").await;
    assert!(!dashboard.contains("href=\"/team\""), "members see no admin navigation");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_role_change_takes_effect_on_the_next_request() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let member = app.new_session();
    let member_id = app.create_user("ana@example.com", "Ana", Role::Member);
    member.login("ana@example.com", PASSWORD).await;
    assert_eq!(member.get("/team").await.status(), StatusCode::FORBIDDEN);

    app.post_form(&format!("/team/{member_id}/role"), &[("role", "admin")]).await;
    assert_eq!(member.get("/team").await.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn htmx_requests_without_a_session_are_sent_to_login_with_hx_redirect() {
    let app = spawn_app().await;
    app.create_user("ana@example.com", "Ana", Role::Member);
    let response = app.client.get(app.url("/team")).header("HX-Request", "true").send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("hx-redirect").unwrap(), "/login?next=%2Fteam");
}

#[tokio::test(flavor = "multi_thread")]
async fn housekeeping_removes_expired_sessions() {
    let app = spawn_app_with(|s| s.session_idle_timeout_secs = 1).await;
    let id = app.login_as("ana@example.com", "Ana", Role::Member).await;
    assert_eq!(app.with_conn(|c| db::sessions::count_for_user(c, id).unwrap()), 1);
    let later = db::now() + chrono::Duration::seconds(5);
    let lifetime = chrono::Duration::seconds(app.state.settings.session_absolute_timeout_secs as i64);
    let removed = voxdial::worker::housekeeping_step(&app.ctx().db, lifetime, later).await.unwrap();
    assert!(removed.sessions >= 1);
    assert_eq!(app.with_conn(|c| db::sessions::count_for_user(c, id).unwrap()), 0);
}
