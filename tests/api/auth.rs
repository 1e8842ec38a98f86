//! R-AUTH: first-admin setup, login, logout, sessions and their revocation (throttling: in
//! `login_throttle.rs`).

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

fn session_rows(app: &crate::helpers::TestApp) -> i64 {
    use diesel::prelude::*;
    app.with_conn(|c| db::schema::sessions::table.count().get_result(c).unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visitor_gets_no_session_row_until_login_starts_one() {
    let app = spawn_app().await;
    app.create_user("ana@example.com", "Ana", Role::Member);

    let login_page = app.get("/login").await;
    assert!(session_cookie(&login_page).is_none(), "no session for a visitor");
    app.remember_csrf_from(&login_page.text().await.unwrap());
    assert_eq!(app.login("nobody@example.com", "wrong password!!").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(session_rows(&app), 0, "visitors and failed logins store nothing");

    let response = app.login("ana@example.com", PASSWORD).await;
    let logged_in_cookie = session_cookie(&response).expect("a session cookie at login");
    assert_eq!(session_rows(&app), 1);
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

/// The Set-Cookie header of a response for the cookie `name`.
fn set_cookie(response: &reqwest::Response, name: &str) -> String {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie"))
}

#[tokio::test(flavor = "multi_thread")]
async fn session_cookie_is_http_only_and_same_site_lax_and_secure_when_configured() {
    let app = spawn_app().await;
    app.create_user("ana@example.com", "Ana", Role::Member);
    let csrf = set_cookie(&app.get("/login").await, "voxdial_csrf");
    let session = set_cookie(&app.login("ana@example.com", PASSWORD).await, "voxdial_session");
    for cookie in [csrf, session] {
        assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
        assert!(!cookie.contains("Secure"), "plain-http localhost keeps cookies usable: {cookie}");
    }

    // Behind https the cookies are Secure and bound to the host. (The test client speaks
    // plain http, so it hands the CSRF cookie back by hand.)
    let secure = spawn_app_with(|s| s.public_url = Some("https://dial.example.com".into())).await;
    secure.create_user("ana@example.com", "Ana", Role::Member);
    let page = secure.get("/login").await;
    assert!(page.headers().get("strict-transport-security").is_some());
    let csrf = set_cookie(&page, "__Host-voxdial_csrf");
    let token = crate::helpers::extract_csrf(&page.text().await.unwrap()).unwrap();
    let login = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(secure.url("/login"))
        .header("cookie", csrf.split(';').next().unwrap())
        .form(&[("email", "ana@example.com"), ("password", PASSWORD), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_is_redirect_to(&login, "/");
    for cookie in [csrf, set_cookie(&login, "__Host-voxdial")] {
        assert!(cookie.contains("Secure") && cookie.contains("Path=/") && !cookie.contains("Domain"), "{cookie}");
    }
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
