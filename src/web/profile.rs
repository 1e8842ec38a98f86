//! The user's own profile: the zone they read times in, and their password.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{PageCtx, redirect_with_flash, respond, respond_with_status};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::{FlashKind, TypedSession};
use crate::domain::campaign::parse_timezone;
use crate::error::AppError;
use crate::services::accounts::{self, PasswordEntry};
use crate::services::timezones;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(profile_page).service(change_password).service(set_timezone);
}

#[derive(Template, WebTemplate)]
#[template(path = "profile/page.html")]
struct ProfilePage {
    ctx: PageCtx,
    error: Option<String>,
    zones: &'static [chrono_tz::Tz],
}

#[get("/profile")]
async fn profile_page(req: HttpRequest, ctx: PageCtx) -> HttpResponse {
    respond(ProfilePage { ctx, error: None, zones: &chrono_tz::TZ_VARIANTS }, &req)
}

#[derive(Deserialize)]
struct ChangePasswordForm {
    current_password: String,
    password: String,
    password_confirmation: String,
}

#[post("/profile/password")]
async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let ChangePasswordForm { current_password, password, password_confirmation } = form.into_inner();
    let entry = PasswordEntry { password, confirmation: password_confirmation };
    if let Err(error) = accounts::change_own_password(&state.ctx, &state.hasher, user.id, current_password, entry).await
    {
        let message = error.user_message().ok_or(error)?;
        let page = ProfilePage { ctx, error: Some(message), zones: &chrono_tz::TZ_VARIANTS };
        return Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY));
    }
    TypedSession::from_request(&req).renew();
    redirect_with_flash(&req, "/profile", FlashKind::Success, "Password changed. Your other sessions were logged out.")
}

#[derive(Deserialize)]
struct TimezoneForm {
    timezone: String,
}

#[post("/profile/timezone")]
async fn set_timezone(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<TimezoneForm>,
) -> Result<HttpResponse, AppError> {
    let zone = parse_timezone(&form.timezone).map_err(AppError::Validation)?;
    timezones::set_own(&state.ctx, user.actor(), zone).await?;
    let message = format!("Times are now shown in {}.", zone.name());
    redirect_with_flash(&req, "/profile", FlashKind::Success, message)
}
