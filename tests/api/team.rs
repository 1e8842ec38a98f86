//! The team page: add users, roles, disable/enable, password resets, audit.

use reqwest::StatusCode;
use voxdial::db;
use voxdial::domain::user::Role;

use crate::helpers::{PASSWORD, assert_is_redirect_to, spawn_app};

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_adds_a_member_who_can_then_log_in() {
    let app = spawn_app().await;
    app.login_as_admin().await;

    let response = app
        .post_form(
            "/team",
            &[
                ("name", "Ben Member"),
                ("email", "ben@example.com"),
                ("role", "member"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_is_redirect_to(&response, "/team");
    let html = app.get_html("/team").await;
    assert!(html.contains("Ben Member can now log in as ben@example.com."));
    assert!(html.contains("ben@example.com"));

    let ben = app.new_session();
    assert_is_redirect_to(&ben.login("ben@example.com", PASSWORD).await, "/");

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

    let duplicate = app
        .post_form(
            "/team",
            &[
                ("name", "Again"),
                ("email", "ADMIN@example.com"),
                ("role", "member"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = duplicate.text().await.unwrap();
    assert!(html.contains("A user with the email admin@example.com already exists"));
    assert!(html.contains("value=\"Again\""), "the form keeps what was typed");

    let bad_role = app
        .post_form(
            "/team",
            &[
                ("name", "Eve"),
                ("email", "eve@example.com"),
                ("role", "owner"),
                ("password", PASSWORD),
                ("password_confirmation", PASSWORD),
            ],
        )
        .await;
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
