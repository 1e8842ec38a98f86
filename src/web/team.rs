//! The team page (admins only): add users, change roles, disable, reset passwords.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{PageCtx, redirect_with_flash, respond, respond_with_status};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::users::User;
use crate::domain::user::{Email, NewPassword, PersonName, Role};
use crate::error::AppError;
use crate::ids::UserId;
use crate::services::accounts::PasswordEntry;
use crate::services::team::{self, NewMember};

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

impl NewUserForm {
    fn parse(&self) -> Result<NewMember, String> {
        let name = PersonName::parse(&self.name)?;
        let email = Email::parse(&self.email)?;
        let role = Role::parse(&self.role)?;
        let password = NewPassword::parse(&self.password, &self.password_confirmation, Some(&email))?;
        Ok(NewMember { name, email, role, password })
    }
}

#[get("")]
async fn team_page(req: HttpRequest, state: web::Data<AppState>, ctx: PageCtx) -> Result<HttpResponse, AppError> {
    let users = team::members(&state.ctx).await?;
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
    let added = match form.parse().map_err(AppError::Validation) {
        Ok(member) => {
            let (name, email) = (member.name.clone(), member.email.clone());
            team::add(&state.ctx, &state.hasher, admin.actor(), member).await.map(|_| (name, email))
        }
        Err(error) => Err(error),
    };
    let error = match added {
        Ok((name, email)) => {
            let message = format!("{} can now log in as {}.", name.as_str(), email.as_str());
            return redirect_with_flash(&req, "/team", FlashKind::Success, message);
        }
        Err(error) => error.user_message().ok_or(error)?,
    };
    form.password.clear();
    form.password_confirmation.clear();
    let users = team::members(&state.ctx).await?;
    let page = TeamPage { ctx, users, form, error: Some(error) };
    Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY))
}

#[derive(Debug, Deserialize)]
struct RoleForm {
    role: String,
}

#[post("/{id}/role")]
async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<UserId>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let role = Role::parse(&form.role).map_err(AppError::Validation)?;
    let name = team::change_role(&state.ctx, admin.actor(), path.into_inner(), role).await?;
    redirect_with_flash(&req, "/team", FlashKind::Success, format!("{name} is now {}.", role.label().to_lowercase()))
}

#[post("/{id}/disable")]
async fn disable_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let name = team::disable(&state.ctx, admin.actor(), path.into_inner()).await?;
    redirect_with_flash(&req, "/team", FlashKind::Success, format!("{name} is disabled and logged out."))
}

#[post("/{id}/enable")]
async fn enable_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let name = team::enable(&state.ctx, admin.actor(), path.into_inner()).await?;
    redirect_with_flash(&req, "/team", FlashKind::Success, format!("{name} can log in again."))
}

#[derive(Deserialize)]
struct ResetPasswordForm {
    password: String,
    password_confirmation: String,
}

#[post("/{id}/password")]
async fn reset_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<UserId>,
    form: web::Form<ResetPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let user_id = path.into_inner();
    let ResetPasswordForm { password, password_confirmation } = form.into_inner();
    let entry = PasswordEntry { password, confirmation: password_confirmation };
    let name = team::reset_password(&state.ctx, &state.hasher, admin.actor(), user_id, entry).await?;
    let message = if user_id == admin.id {
        "Your password was changed. Log in again with the new password.".to_owned()
    } else {
        format!("{name} has a new password and was logged out everywhere.")
    };
    redirect_with_flash(&req, "/team", FlashKind::Success, message)
}
