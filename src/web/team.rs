//! The team page (admins only): add users, change roles, disable, reset passwords.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{PageCtx, redirect_with_flash, respond, respond_with_status};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::{self, DbConnection, users::User, write_tx};
use crate::domain::user::{Email, NewPassword, PersonName, Role};
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(team_page)
        .service(add_user)
        .service(change_role)
        .service(disable_user)
        .service(enable_user)
        .service(reset_password);
}

#[derive(Template, WebTemplate)]
#[template(path = "team/page.html")]
struct TeamPage {
    ctx: PageCtx,
    users: Vec<User>,
    form: NewUserForm,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct NewUserForm {
    name: String,
    email: String,
    role: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

async fn load_users(state: &AppState) -> Result<Vec<User>, AppError> {
    state.db.run(|conn| Ok(db::users::list(conn)?)).await
}

#[get("")]
async fn team_page(req: HttpRequest, state: web::Data<AppState>, ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let users = load_users(&state).await?;
    let form = NewUserForm { role: Role::Member.as_str().into(), ..NewUserForm::default() };
    Ok(respond(TeamPage { ctx, users, form, error: None }, &req))
}

#[post("")]
async fn add_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    admin: CurrentUser,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = form.into_inner();
    let parsed = (|| {
        let name = PersonName::parse(&form.name)?;
        let email = Email::parse(&form.email)?;
        let role = Role::parse(&form.role)?;
        let password = NewPassword::parse(&form.password, &form.password_confirmation, Some(&email))?;
        Ok::<_, String>((name, email, role, password))
    })();
    let failure = match parsed {
        Ok((name, email, role, password)) => {
            let hash = state.hasher.hash(password.expose().to_owned()).await?;
            let actor = admin.actor();
            let (name_c, email_c) = (name.clone(), email.clone());
            let inserted = state
                .db
                .run(move |conn| {
                    write_tx(conn, |conn| {
                        let Some(id) =
                            db::unless_duplicate(conn, |c| db::users::insert(c, &email_c, &name_c, &hash, role))?
                        else {
                            return Ok(None);
                        };
                        let summary = format!("Added {} <{}> as {}", name_c.as_str(), email_c.as_str(), role.label());
                        audit::record(conn, &actor, "user.create", "user", Some(id), &summary)?;
                        Ok::<_, AppError>(Some(id))
                    })
                })
                .await?;
            match inserted {
                Some(_) => {
                    let message = format!("{} can now log in as {}.", name.as_str(), email.as_str());
                    return redirect_with_flash(&req, "/team", FlashKind::Success, message);
                }
                None => format!("A user with the email {} already exists", email.as_str()),
            }
        }
        Err(message) => message,
    };
    form.password.clear();
    form.password_confirmation.clear();
    let users = load_users(&state).await?;
    let page = TeamPage { ctx, users, form, error: Some(failure) };
    Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY))
}

#[derive(Debug, Deserialize)]
struct RoleForm {
    role: String,
}

/// Refuses a change that would leave no active admin.
fn ensure_an_admin_remains(conn: &mut DbConnection, target: &User) -> Result<(), AppError> {
    if target.is_admin() && !target.disabled && db::users::count_active_admins(conn)? <= 1 {
        return Err(AppError::conflict(format!(
            "{} is the only active admin. Make someone else an admin first.",
            target.name
        )));
    }
    Ok(())
}

#[post("/{id}/role")]
async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let role = Role::parse(&form.role).map_err(AppError::Validation)?;
    let user_id = path.into_inner();
    let actor = admin.actor();
    let name = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let target = db::users::find(conn, user_id)?;
                if target.role() == role {
                    return Ok(target.name);
                }
                if role != Role::Admin {
                    ensure_an_admin_remains(conn, &target)?;
                }
                db::users::set_role(conn, user_id, role)?;
                let summary = format!("Changed the role of {} to {}", target.name, role.label());
                audit::record(conn, &actor, "user.role", "user", Some(user_id), &summary)?;
                Ok::<_, AppError>(target.name)
            })
        })
        .await?;
    redirect_with_flash(&req, "/team", FlashKind::Success, format!("{name} is now {}.", role.label().to_lowercase()))
}

#[post("/{id}/disable")]
async fn disable_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user_id = path.into_inner();
    if user_id == admin.id {
        return Err(AppError::conflict("You cannot disable your own account."));
    }
    let actor = admin.actor();
    let name = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let target = db::users::find(conn, user_id)?;
                ensure_an_admin_remains(conn, &target)?;
                db::users::set_disabled(conn, user_id, true)?;
                // Disabling ends every session of the user at once.
                db::sessions::delete_for_user(conn, user_id)?;
                let summary = format!("Disabled {} and ended their sessions", target.name);
                audit::record(conn, &actor, "user.disable", "user", Some(user_id), &summary)?;
                Ok::<_, AppError>(target.name)
            })
        })
        .await?;
    redirect_with_flash(&req, "/team", FlashKind::Success, format!("{name} is disabled and logged out."))
}

#[post("/{id}/enable")]
async fn enable_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let user_id = path.into_inner();
    let actor = admin.actor();
    let name = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let target = db::users::find(conn, user_id)?;
                db::users::set_disabled(conn, user_id, false)?;
                audit::record(conn, &actor, "user.enable", "user", Some(user_id), &format!("Enabled {}", target.name))?;
                Ok::<_, AppError>(target.name)
            })
        })
        .await?;
    redirect_with_flash(&req, "/team", FlashKind::Success, format!("{name} can log in again."))
}

#[derive(Debug, Deserialize)]
struct ResetPasswordForm {
    password: String,
    password_confirmation: String,
}

#[post("/{id}/password")]
async fn reset_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<ResetPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let user_id = path.into_inner();
    let target = state.db.run(move |conn| Ok(db::users::find(conn, user_id)?)).await?;
    let email = Email::parse(&target.email).ok();
    let password = NewPassword::parse(&form.password, &form.password_confirmation, email.as_ref())
        .map_err(AppError::Validation)?;
    let hash = state.hasher.hash(password.expose().to_owned()).await?;
    let actor = admin.actor();
    let name = target.name.clone();
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                db::users::set_password_hash(conn, user_id, &hash)?;
                db::sessions::delete_for_user(conn, user_id)?;
                let summary = format!("Reset the password of {} and ended their sessions", target.name);
                audit::record(conn, &actor, "user.password_reset", "user", Some(user_id), &summary)?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    let message = if user_id == admin.id {
        "Your password was changed. Log in again with the new password.".to_owned()
    } else {
        format!("{name} has a new password and was logged out everywhere.")
    };
    redirect_with_flash(&req, "/team", FlashKind::Success, message)
}
