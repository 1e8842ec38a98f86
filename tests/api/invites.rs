//! R-AUTH, team onboarding without shared passwords: an admin adds a member and gets a
//! one-time link (shown once, stored only as a hash) with which the member sets their own
//! password. Used, expired, withdrawn and unknown links say so; every step is audited. A
//! password under the minimum is refused by the server on every path that sets one.

use std::sync::Arc;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use reqwest::StatusCode;
use voxdial::app::Dependencies;
use voxdial::clock::ManualClock;
use voxdial::db;
use voxdial::db::schema::user_invites;
use voxdial::domain::user::{Email, NO_PASSWORD_HASH, Role};
use voxdial::ids::UserId;

use crate::helpers::{PASSWORD, TestApp, TestSession, assert_is_redirect_to, spawn_app, spawn_app_with_deps};

/// The path of the invite link a page shows (`/invite/<token>`).
fn invite_path(html: &str) -> String {
    let start = html.find("/invite/").expect("an invite link on the page");
    let end = start + html[start..].find('<').unwrap();
    html[start..end].to_owned()
}

/// Adds a member through the Team page as the logged-in admin; returns the link's path.
async fn invite(app: &TestApp, name: &str, email: &str, role: &str) -> String {
    let response = app.post_form("/team", &[("name", name), ("email", email), ("role", role)]).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store", "the link stays out of caches");
    let html = response.text().await.unwrap();
    assert!(html.contains(&format!("Invite link for {name}")), "{html}");
    invite_path(&html)
}

async fn accept(session: &TestSession, path: &str, password: &str, confirmation: &str) -> reqwest::Response {
    session.post_form(path, &[("password", password), ("password_confirmation", confirmation)]).await
}

fn user_by_email(app: &TestApp, email: &str) -> db::users::User {
    let email = Email::parse(email).unwrap();
    app.with_conn(|c| db::users::find_by_email(c, &email).unwrap().unwrap())
}

fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
    app.with_conn(|c| db::audit::page(c, None, 50).unwrap())
        .into_iter()
        .map(|e| (e.action, e.actor, e.summary))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_an_invited_member_sets_their_own_password_once_and_is_logged_in() {
    let app = spawn_app().await;
    app.login_as_admin().await;

    let path = invite(&app, "Ben Member", "Ben@Example.com", "member").await;
    let token = path.strip_prefix("/invite/").unwrap().to_owned();
    let ben = user_by_email(&app, "ben@example.com");
    assert_eq!((ben.role, ben.password_hash.as_str()), (Role::Member, NO_PASSWORD_HASH));
    // Only a hash of the token is stored.
    let stored: Vec<String> = app.with_conn(|c| user_invites::table.select(user_invites::token_hash).load(c).unwrap());
    assert_eq!(stored, [voxdial::crypto::sha256_hex(token.as_bytes())]);
    let team = app.get_html("/team").await;
    assert!(team.contains("Pending invites") && team.contains("id=\"invite-"), "the pending invite is listed");
    assert!(!team.contains(&token), "the link is shown only once");

    // No password yet: nothing logs in as Ben, not even the placeholder.
    let visitor = app.new_session();
    assert_eq!(visitor.login("ben@example.com", NO_PASSWORD_HASH).await.status(), StatusCode::UNAUTHORIZED);

    let page = visitor.get(&path).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Welcome to voxdial, Ben Member") && html.contains("ben@example.com"));
    let response = accept(&visitor, &path, "a passphrase Ben chose", "a passphrase Ben chose").await;
    assert_is_redirect_to(&response, "/");
    let dashboard = visitor.get_html("/").await;
    assert!(dashboard.contains("Welcome to voxdial, Ben Member. Your password is set."), "logged in");

    // The link worked once.
    let again = app.new_session();
    let used = again.get(&path).await;
    assert_eq!(used.status(), StatusCode::GONE);
    assert!(used.text().await.unwrap().contains("This invite link was used already"));
    let replay = accept(&again, &path, "another passphrase!", "another passphrase!").await;
    assert_eq!(replay.status(), StatusCode::GONE);
    assert_eq!(again.login("ben@example.com", "another passphrase!").await.status(), StatusCode::UNAUTHORIZED);
    assert_is_redirect_to(&app.new_session().login("ben@example.com", "a passphrase Ben chose").await, "/");

    let audit = audit_actions(&app);
    let has = |action: &str, actor: &str| audit.iter().any(|(a, who, _)| a == action && who == actor);
    assert!(has("user.create", "Ada Admin") && has("user.invite_create", "Ada Admin"), "{audit:?}");
    assert!(has("user.invite_accept", "Ben Member"), "{audit:?}");
    assert!(!app.get_html("/team").await.contains("Pending invites"), "nothing pending any more");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_an_invite_link_expires_after_72_hours_and_a_new_one_replaces_it() {
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let deps = Dependencies { clock: clock.clone(), ..Dependencies::default() };
    let app = spawn_app_with_deps(|_| {}, deps).await;
    app.login_as_admin().await;
    let path = invite(&app, "Cleo Closer", "cleo@example.com", "member").await;
    let visitor = app.new_session();

    clock.advance(Duration::hours(72) - Duration::minutes(1));
    assert_eq!(visitor.get(&path).await.status(), StatusCode::OK, "still open a minute before");
    clock.advance(Duration::minutes(2));
    let expired = visitor.get(&path).await;
    assert_eq!(expired.status(), StatusCode::GONE);
    assert!(expired.text().await.unwrap().contains("This invite link has expired"));
    let refused = accept(&visitor, &path, "a passphrase Cleo chose", "a passphrase Cleo chose").await;
    assert_eq!(refused.status(), StatusCode::GONE);
    let cleo = user_by_email(&app, "cleo@example.com");
    assert_eq!(cleo.password_hash, NO_PASSWORD_HASH, "an expired link sets nothing");
    assert!(app.get_html("/team").await.contains("expired"), "the Team page shows the link expired");

    let response = app.post_form(&format!("/team/{}/invite", cleo.id), &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let fresh = invite_path(&response.text().await.unwrap());
    assert_ne!(fresh, path);
    let withdrawn = visitor.get(&path).await;
    assert_eq!(withdrawn.status(), StatusCode::GONE, "the old link stays dead");
    assert_is_redirect_to(&accept(&visitor, &fresh, "a passphrase Cleo chose", "a passphrase Cleo chose").await, "/");
    let created = audit_actions(&app).into_iter().filter(|(a, _, _)| a == "user.invite_create").count();
    assert_eq!(created, 2, "both links are audited");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_a_wrong_or_revoked_link_explains_itself_and_changes_nothing() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let path = invite(&app, "Dan Dialer", "dan@example.com", "member").await;
    let dan = user_by_email(&app, "dan@example.com");
    let visitor = app.new_session();

    for wrong in ["/invite/not-a-token", &format!("{path}x")] {
        let page = visitor.get(wrong).await;
        assert_eq!(page.status(), StatusCode::NOT_FOUND);
        assert!(page.text().await.unwrap().contains("This invite link is not valid"));
        assert_eq!(accept(&visitor, wrong, PASSWORD, PASSWORD).await.status(), StatusCode::NOT_FOUND);
    }

    // The accept form is CSRF-protected like every other.
    let forged = visitor
        .client
        .post(visitor.url(&path))
        .form(&[("password", PASSWORD), ("password_confirmation", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);

    assert_is_redirect_to(&app.post_form(&format!("/team/{}/invite/revoke", dan.id), &[]).await, "/team");
    assert!(app.get_html("/team").await.contains("Dan Dialer&#39;s invite link no longer works."));
    let revoked = visitor.get(&path).await;
    assert_eq!(revoked.status(), StatusCode::GONE);
    assert!(revoked.text().await.unwrap().contains("This invite link was withdrawn"));
    assert_eq!(accept(&visitor, &path, PASSWORD, PASSWORD).await.status(), StatusCode::GONE);
    let again = app.post_form(&format!("/team/{}/invite/revoke", dan.id), &[]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT, "nothing open to revoke");

    // Disabling a member withdraws their link too.
    let response = app.post_form(&format!("/team/{}/invite", dan.id), &[]).await;
    let fresh = invite_path(&response.text().await.unwrap());
    assert_is_redirect_to(&app.post_form(&format!("/team/{}/disable", dan.id), &[]).await, "/team");
    assert_eq!(visitor.get(&fresh).await.status(), StatusCode::GONE);

    assert_eq!(app.with_conn(|c| db::users::find(c, dan.id).unwrap()).password_hash, NO_PASSWORD_HASH);
    let audit = audit_actions(&app);
    assert!(audit.iter().any(|(a, who, _)| a == "user.invite_revoke" && who == "Ada Admin"), "{audit:?}");
    assert!(audit.iter().any(|(a, _, s)| a == "user.disable" && s.contains("revoked their invite link")));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_two_submissions_of_one_link_at_once_set_one_password() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let path = invite(&app, "Eve Early", "eve@example.com", "member").await;
    let (first, second) = (app.new_session(), app.new_session());
    let passwords = ["first passphrase here", "second passphrase here"];
    let (a, b) = tokio::join!(
        accept(&first, &path, passwords[0], passwords[0]),
        accept(&second, &path, passwords[1], passwords[1])
    );
    let statuses = [a.status(), b.status()];
    let winners: Vec<usize> = (0..2).filter(|&i| statuses[i] == StatusCode::SEE_OTHER).collect();
    assert_eq!(winners.len(), 1, "exactly one submission wins: {statuses:?}");
    let loser = 1 - winners[0];
    assert!(matches!(statuses[loser], StatusCode::GONE | StatusCode::CONFLICT), "{statuses:?}");
    let hash = user_by_email(&app, "eve@example.com").password_hash;
    assert!(voxdial::auth::password::verify_blocking(passwords[winners[0]], Some(&hash)));
    assert!(!voxdial::auth::password::verify_blocking(passwords[loser], Some(&hash)));
    let accepted = audit_actions(&app).into_iter().filter(|(a, _, _)| a == "user.invite_accept").count();
    assert_eq!(accepted, 1);
}

/// R-AUTH: the policy's minimum is enforced by the server, whatever the browser's
/// `minlength` says: first-admin setup, one's own profile, an invite link, an admin reset.
#[tokio::test(flavor = "multi_thread")]
async fn r_auth_a_short_password_is_refused_by_the_server_on_every_path() {
    const SHORT: &str = "nine char";
    const MESSAGE: &str = "Password must be at least 10 characters";
    let app = spawn_app().await;

    let setup = app
        .post_form(
            "/setup",
            &[
                ("name", "Ada Admin"),
                ("email", "ada@example.com"),
                ("password", SHORT),
                ("password_confirmation", SHORT),
            ],
        )
        .await;
    assert_eq!(setup.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(setup.text().await.unwrap().contains(MESSAGE));
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 0);

    let admin_id = app.login_as_admin().await;
    let path = invite(&app, "Finn", "finn@example.com", "member").await;
    let finn = app.new_session();
    let refused = accept(&finn, &path, SHORT, SHORT).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains(MESSAGE) && html.contains("Set password and log in"), "the form again, with why");
    let mismatch = accept(&finn, &path, PASSWORD, "not the same passphrase").await;
    assert!(mismatch.text().await.unwrap().contains("do not match"));
    let finn_id = user_by_email(&app, "finn@example.com").id;
    assert_eq!(app.with_conn(|c| db::users::find(c, finn_id).unwrap()).password_hash, NO_PASSWORD_HASH);
    assert_eq!(finn.get(&path).await.status(), StatusCode::OK, "a refused password leaves the link usable");

    let before = password_hash(&app, admin_id);
    let profile = app
        .post_form(
            "/profile/password",
            &[("current_password", PASSWORD), ("password", SHORT), ("password_confirmation", SHORT)],
        )
        .await;
    assert_eq!(profile.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(profile.text().await.unwrap().contains(MESSAGE));

    let member = app.create_user("gia@example.com", "Gia", Role::Member);
    let reset = app
        .post_form(&format!("/team/{member}/password"), &[("password", SHORT), ("password_confirmation", SHORT)])
        .await;
    assert_eq!(reset.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(reset.text().await.unwrap().contains(MESSAGE));
    assert_eq!(password_hash(&app, admin_id), before);
    assert!(voxdial::auth::password::verify_blocking(PASSWORD, Some(&password_hash(&app, member))));
}

fn password_hash(app: &TestApp, id: UserId) -> String {
    app.with_conn(|c| db::users::find(c, id).unwrap()).password_hash
}

#[tokio::test(flavor = "multi_thread")]
async fn r_auth_an_invited_admin_does_not_count_as_the_remaining_admin() {
    let app = spawn_app().await;
    let admin_id = app.login_as_admin().await;
    invite(&app, "Hal Heir", "hal@example.com", "admin").await;
    // Hal cannot log in yet, so Ada is still the only admin who can.
    let response = app.post_form(&format!("/team/{admin_id}/role"), &[("role", "member")]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(response.text().await.unwrap().contains("only active admin"));
}
