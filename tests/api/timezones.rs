//! Times people can read: each user reads times in their own zone (their browser's from the
//! first login, or their profile's choice), else the workspace's; the call list's dates
//! and "today" are days in that zone.

use diesel::prelude::*;
use voxdial::db;
use voxdial::db::schema::{interactions, users};
use voxdial::domain::user::Role;

use crate::call_setup::{call_now, call_setup};
use crate::helpers::{PASSWORD, TestApp, assert_is_redirect_to, spawn_app};

fn zone_of(app: &TestApp, email: &str) -> Option<String> {
    app.with_conn(|c| users::table.filter(users::email.eq(email)).select(users::timezone).get_result(c).unwrap())
}

#[tokio::test]
async fn r_times_the_first_login_adopts_the_browsers_zone_and_the_profile_changes_it() {
    let app = spawn_app().await;
    app.create_user("mia@example.com", "Mia", Role::Member);
    let session = app.new_session();
    let login = session
        .post_form(
            "/login",
            &[("email", "mia@example.com"), ("password", PASSWORD), ("browser_timezone", "America/Chicago")],
        )
        .await;
    assert!(login.status().is_redirection());
    assert_eq!(zone_of(&app, "mia@example.com").as_deref(), Some("America/Chicago"));
    let profile = session.get_html("/profile").await;
    assert!(profile.contains("<strong>America/Chicago</strong>"));

    // A later login from elsewhere does not move it; the profile does.
    session.logout().await;
    let again = session
        .post_form(
            "/login",
            &[("email", "mia@example.com"), ("password", PASSWORD), ("browser_timezone", "Europe/Paris")],
        )
        .await;
    assert!(again.status().is_redirection());
    assert_eq!(zone_of(&app, "mia@example.com").as_deref(), Some("America/Chicago"));
    // The session's token changed at login.
    session.remember_csrf_from(&session.get_html("/profile").await);
    let refused = session.post_form("/profile/timezone", &[("timezone", "Mars/Olympus")]).await;
    assert_eq!(refused.status(), 422);
    let saved = session.post_form("/profile/timezone", &[("timezone", "Asia/Kolkata")]).await;
    assert_is_redirect_to(&saved, "/profile");
    assert_eq!(zone_of(&app, "mia@example.com").as_deref(), Some("Asia/Kolkata"));

    // A browser that reports nothing usable leaves the workspace's zone in force.
    app.create_user("noah@example.com", "Noah", Role::Member);
    let other = app.new_session();
    other.post_form("/login", &[("email", "noah@example.com"), ("password", PASSWORD), ("browser_timezone", "")]).await;
    assert_eq!(zone_of(&app, "noah@example.com"), None);
    assert!(other.get_html("/profile").await.contains("<strong>UTC</strong>"));
}

#[tokio::test]
async fn r_times_pages_list_and_filter_calls_in_the_readers_zone_and_day() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (call, _) = call_now(&app, s.lead).await;
    let call = call.unwrap();
    // 03:30 UTC on 2026-11-24 is 21:30 on the 23rd in Chicago (CST, UTC−6).
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap().and_hms_opt(3, 30, 0).unwrap();
    app.with_conn(|c| {
        diesel::update(interactions::table.find(call)).set(interactions::created_at.eq(at)).execute(c).unwrap()
    });

    let listed = |html: &str| html.contains(&format!("/interactions/{call}\""));
    assert!(listed(&app.get_html("/interactions?from=2026-11-24&to=2026-11-24").await), "the 24th in UTC");
    assert!(app.get_html(&format!("/interactions/{call}")).await.contains("2026-11-24 03:30:00 UTC"));

    assert_is_redirect_to(&app.post_form("/profile/timezone", &[("timezone", "America/Chicago")]).await, "/profile");
    assert!(!listed(&app.get_html("/interactions?from=2026-11-24&to=2026-11-24").await), "the 23rd in Chicago");
    let chicago_day = app.get_html("/interactions?from=2026-11-23&to=2026-11-23").await;
    assert!(listed(&chicago_day));
    assert!(chicago_day.contains("When (America/Chicago)") && chicago_day.contains("2026-11-23 21:30"));
    assert!(app.get_html(&format!("/interactions/{call}")).await.contains("2026-11-23 21:30:00 CST"));
    let bad = app.get("/interactions?from=11/23/2026").await;
    assert_eq!(bad.status(), 422, "dates are ISO");

    // The dashboard's "today" is the reader's today: its link carries their date.
    let today = chrono::Utc::now().with_timezone(&chrono_tz::America::Chicago).date_naive();
    let dashboard = app.get_html("/").await;
    assert!(dashboard.contains(&format!("/interactions?from={today}&amp;to={today}")), "today in Chicago");
}

#[tokio::test]
async fn r_times_the_workspace_zone_applies_until_people_choose_their_own() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let saved = app.post_form("/team/timezone", &[("timezone", "Europe/Berlin")]).await;
    assert_is_redirect_to(&saved, "/team#workspace-timezone");
    assert!(app.get_html("/profile").await.contains("<strong>Europe/Berlin</strong>"));
    let audit = app.get_html("/settings/audit").await;
    assert!(audit.contains("Times are shown in Europe/Berlin"));
    assert!(app.with_conn(|c| db::workspace::settings(c).unwrap()).timezone == "Europe/Berlin");
}
