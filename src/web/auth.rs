//! First-admin setup, login and logout.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::local_path::LocalPath;
use super::{PageCtx, redirect, redirect_with_flash, respond, respond_with_status};
use crate::app::AppState;
use crate::auth::session::{FlashKind, TypedSession};
use crate::auth::throttle::LoginThrottle;
use crate::domain::user::{Email, NewPassword, PersonName};
use crate::error::AppError;
use crate::services::accounts::{self, FirstAdmin, LoginAttempt, LoginVerdict};
use crate::services::timezones;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(setup_page).service(setup).service(login_page).service(login).service(logout);
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/setup.html")]
struct SetupPage {
    ctx: PageCtx,
    form: SetupForm,
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct SetupForm {
    name: String,
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
    #[serde(default)]
    browser_timezone: String,
}

impl SetupForm {
    fn parse(&self) -> Result<FirstAdmin, String> {
        let name = PersonName::parse(&self.name)?;
        let email = Email::parse(&self.email)?;
        let password = NewPassword::parse(&self.password, &self.password_confirmation, Some(&email))?;
        Ok(FirstAdmin { name, email, password })
    }
}

#[get("/setup")]
async fn setup_page(req: HttpRequest, state: web::Data<AppState>, ctx: PageCtx) -> Result<HttpResponse, AppError> {
    if accounts::is_set_up(&state.ctx).await? {
        return Ok(redirect(&req, "/login"));
    }
    Ok(respond(SetupPage { ctx, form: SetupForm::default(), error: None }, &req))
}

#[post("/setup")]
async fn setup(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    form: web::Form<SetupForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = form.into_inner();
    let admin = match form.parse() {
        Ok(admin) => admin,
        Err(message) => {
            form.password.clear();
            form.password_confirmation.clear();
            let page = SetupPage { ctx, form, error: Some(message) };
            return Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let throttle = LoginThrottle::from_settings(&state.settings);
    let user_id = accounts::set_up(&state.ctx, &state.hasher, throttle, client_ip(&req, &state), admin).await?;
    timezones::adopt_browser_zone(&state.ctx, user_id, &form.browser_timezone).await?;
    TypedSession::from_request(&req).log_in(user_id)?;
    redirect_with_flash(&req, "/", FlashKind::Success, "Welcome to voxdial. Your admin account is ready.")
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: PageCtx,
    email: String,
    next: String,
    error: Option<String>,
    notice: Option<&'static str>,
}

#[derive(Debug, Deserialize)]
struct LoginQuery {
    next: Option<String>,
    logged_out: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
    /// The browser's zone (filled in by a script), adopted by a user who has none yet.
    #[serde(default)]
    browser_timezone: String,
}

#[get("/login")]
async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let next = LocalPath::or(query.next.as_deref(), "/");
    if !accounts::is_set_up(&state.ctx).await? {
        return Ok(redirect(&req, "/setup"));
    }
    if TypedSession::from_request(&req).user_id().is_some() {
        return Ok(redirect(&req, &next));
    }
    let notice = query.logged_out.is_some().then_some("You have been logged out.");
    Ok(respond(LoginPage { ctx, email: String::new(), next, error: None, notice }, &req))
}

#[post("/login")]
async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm { email, password, next, browser_timezone } = form.into_inner();
    let email = email.trim().to_lowercase();
    let next = LocalPath::or(Some(&next), "/");
    let throttle = LoginThrottle::from_settings(&state.settings);
    let attempt = LoginAttempt { email: email.clone(), password, client_ip: client_ip(&req, &state) };
    let (error, status) = match accounts::log_in(&state.ctx, &state.hasher, throttle, attempt).await {
        Ok(LoginVerdict::Accepted(user_id)) => {
            timezones::adopt_browser_zone(&state.ctx, user_id, &browser_timezone).await?;
            TypedSession::from_request(&req).log_in(user_id)?;
            return Ok(redirect(&req, &next));
        }
        Ok(LoginVerdict::Refused) => ("Email or password is incorrect.".to_owned(), StatusCode::UNAUTHORIZED),
        Err(AppError::TooManyRequests(message)) => (message, StatusCode::TOO_MANY_REQUESTS),
        Err(other) => return Err(other),
    };
    let page = LoginPage { ctx, email, next, error: Some(error), notice: None };
    Ok(respond_with_status(page, &req, status))
}

#[post("/logout")]
async fn logout(req: HttpRequest) -> HttpResponse {
    TypedSession::from_request(&req).log_out();
    redirect(&req, "/login?logged_out=1")
}

/// The client address used for throttling.
pub fn client_ip(req: &HttpRequest, state: &AppState) -> String {
    if state.settings.trust_proxy_headers
        && let Some(ip) = req.connection_info().realip_remote_addr()
    {
        return ip.to_owned();
    }
    req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_else(|| "unknown".into())
}
