//! The team page: add users, roles, disable/enable, password resets, audit.

use reqwest::StatusCode;
use voxdial::db;
use voxdial::domain::user::Role;

use crate::helpers::{PASSWORD, assert_is_redirect_to, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_a_member_and_gets_a_link_instead_of_typing_a_password() {
    let app = spawn_app().await;
    app.login_as_admin().await;

    let team = app.get_html("/team").await;
    assert!(!team.contains("Initial password"), "the admin never types the member's password");
    let response =
        app.post_form("/team", &[("name", "Ben Member"), ("email", "ben@example.com"), ("role", "member")]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Invite link for Ben Member") && html.contains("/invite/"));
    assert!(app.get_html("/team").await.contains("ben@example.com"));

    let audit = app.with_conn(|c| db::audit::page(c, None, 10).unwrap());
    assert!(
        audit
            .iter()
            .any(|e| e.action == "user.create" && e.actor == "Ada Admin" && e.summary.contains("ben@example.com"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn adding_a_duplicate_or_invalid_user_explains_why() {
    let app = spawn_app().await;
    app.login_as_admin().await;

    let duplicate =
        app.post_form("/team", &[("name", "Again"), ("email", "ADMIN@example.com"), ("role", "member")]).await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = duplicate.text().await.unwrap();
    assert!(html.contains("A user with the email admin@example.com already exists"));
    assert!(html.contains("value=\"Again\""), "the form keeps what was typed");

    let bad_role = app.post_form("/team", &[("name", "Eve"), ("email", "eve@example.com"), ("role", "owner")]).await;
    assert_eq!(bad_role.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad_role.text().await.unwrap().contains("Unknown role"));
    assert_eq!(app.with_conn(|c| db::users::count(c).unwrap()), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_active_admin_cannot_be_demoted_or_disabled() {
    let app = spawn_app().await;
    let admin_id = app.login_as_admin().await;
    let other_admin = app.create_user("root@example.com", "Other Admin", Role::Admin);

    let response = app.post_form(&format!("/team/{admin_id}/disable"), &[]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(response.text().await.unwrap().contains("cannot disable your own account"));

    assert_is_redirect_to(&app.post_form(&format!("/team/{other_admin}/disable"), &[]).await, "/team");
    let response = app.post_form(&format!("/team/{admin_id}/role"), &[("role", "member")]).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert!(response.text().await.unwrap().contains("only active admin"));
    assert_eq!(app.with_conn(|c| db::users::find(c, admin_id).unwrap()).role, Role::Admin);

    assert_is_redirect_to(&app.post_form(&format!("/team/{other_admin}/enable"), &[]).await, "/team");
    assert_is_redirect_to(&app.post_form(&format!("/team/{admin_id}/role"), &[("role", "member")]).await, "/team");
    assert_eq!(app.get("/team").await.status(), StatusCode::FORBIDDEN, "the demotion applies at once");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_resets_a_password_and_the_user_is_logged_out() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let ben_id = app.create_user("ben@example.com", "Ben", Role::Member);
    let ben = app.new_session();
    ben.login("ben@example.com", PASSWORD).await;

    let new_password = "reset by the admin";
    let response = app
        .post_form(
            &format!("/team/{ben_id}/password"),
            &[("password", new_password), ("password_confirmation", new_password)],
        )
        .await;
    assert_is_redirect_to(&response, "/team");
    assert_is_redirect_to(&ben.get("/").await, "/login");
    assert_is_redirect_to(&ben.login("ben@example.com", new_password).await, "/");

    let too_short = app
        .post_form(&format!("/team/{ben_id}/password"), &[("password", "short"), ("password_confirmation", "short")])
        .await;
    assert_eq!(too_short.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread")]
async fn actions_on_a_missing_user_answer_not_found() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    assert_eq!(app.post_form("/team/9999/disable", &[]).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.post_form("/team/9999/role", &[("role", "admin")]).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_last_admin_survives_two_admins_demoting_or_disabling_each_other_at_once() {
    let app = spawn_app().await;
    for round in 0..6 {
        // Only this round's two admins are active admins.
        app.with_conn(|c| {
            for user in db::users::list(c).unwrap() {
                db::users::set_role(c, user.id, Role::Member, db::now()).unwrap();
            }
        });
        let (first, second) = (app.new_session(), app.new_session());
        let mut ids = Vec::new();
        for (n, session) in [&first, &second].into_iter().enumerate() {
            let email = format!("admin{round}-{n}@example.com");
            ids.push(app.create_user(&email, "Admin", Role::Admin));
            assert_is_redirect_to(&session.login(&email, PASSWORD).await, "/");
            session.csrf_token().await;
        }
        let action = |id| match round % 2 {
            0 => (format!("/team/{id}/role"), vec![("role", "member")]),
            _ => (format!("/team/{id}/disable"), vec![]),
        };
        let ((path_a, form_a), (path_b, form_b)) = (action(ids[1]), action(ids[0]));
        let (a, b) = tokio::join!(first.post_form(&path_a, &form_a), second.post_form(&path_b, &form_b));
        // The loser is refused as the last admin, or (when the winner was quicker) as no
        // longer an admin or no longer logged in.
        let done = |r: &reqwest::Response| r.headers().get("location").is_some_and(|l| l == "/team");
        assert_eq!([done(&a), done(&b)].iter().filter(|d| **d).count(), 1, "round {round}: {a:?} {b:?}");
        let active_admins = app.with_conn(|c| db::users::lock_active_admins(c).unwrap());
        assert_eq!(active_admins.len(), 1, "round {round}: one admin remains");
    }
}

/// Follows every link a session's pages show, from the dashboard; fails on a link to an
/// admin-only page or a linked page that is forbidden. Returns the pages seen.
async fn crawl_as_member(member: &crate::helpers::TestSession) -> std::collections::HashSet<String> {
    let (mut queue, mut seen) = (vec!["/".to_owned()], std::collections::HashSet::new());
    while let Some(path) = queue.pop() {
        if !seen.insert(path.clone()) || seen.len() > 120 {
            continue;
        }
        let response = member.get(&path).await;
        assert_ne!(response.status(), StatusCode::FORBIDDEN, "{path} is linked for a member but forbidden");
        let html = response.text().await.unwrap();
        for link in html.split("href=\"").skip(1).filter_map(|rest| rest.split('"').next()) {
            let link = link.replace("&amp;", "&");
            assert!(!link.starts_with("/settings") && !link.starts_with("/team"), "{path} links to {link}");
            let followed = link.starts_with('/') && !link.starts_with("/static") && !link.contains(".csv");
            if followed && !seen.contains(&link) {
                queue.push(link);
            }
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn a_member_sees_no_admin_only_links_anywhere() {
    // An empty workspace (its pages point to what an admin must set up first) …
    let empty = spawn_app().await;
    empty.create_user("ada@example.com", "Ada Admin", Role::Admin);
    empty.create_user("mo@example.com", "Mo Member", Role::Member);
    assert_is_redirect_to(&empty.login("mo@example.com", PASSWORD).await, "/");
    crawl_as_member(&empty).await;

    // … and one with a campaign, a call and its webhook.
    let app = spawn_app().await;
    let s = crate::call_setup::call_setup(&app).await;
    let (call, _) = crate::call_setup::call_now(&app, s.lead).await;
    let body = crate::call_setup::transcription("conv_member", call, Some("interested"), 2);
    crate::call_setup::post_webhook(&app, s.connection, &body).await;
    let member = app.new_session();
    app.create_user("mo@example.com", "Mo Member", Role::Member);
    assert_is_redirect_to(&member.login("mo@example.com", PASSWORD).await, "/");
    let seen = crawl_as_member(&member).await;
    assert!(seen.len() > 15, "the crawl saw the app: {seen:?}");
}
