//! First-admin setup, login and logout.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{PageCtx, redirect, redirect_with_flash, respond, respond_with_status};
use crate::app::AppState;
use crate::audit::{self, Actor};
use crate::auth::password;
use crate::auth::session::{FlashKind, TypedSession};
use crate::auth::throttle::LoginThrottle;
use crate::db::{self, write_tx};
use crate::domain::user::{Email, NewPassword, PersonName, Role};
use crate::error::AppError;

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
}

async fn has_users(state: &AppState) -> Result<bool, AppError> {
    Ok(state.db.run(|conn| Ok(db::users::count(conn)?)).await? > 0)
}

#[get("/setup")]
async fn setup_page(req: HttpRequest, state: web::Data<AppState>, ctx: PageCtx) -> Result<HttpResponse, AppError> {
    if has_users(&state).await? {
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
    let parsed = (|| {
        let name = PersonName::parse(&form.name)?;
        let email = Email::parse(&form.email)?;
        let password = NewPassword::parse(&form.password, &form.password_confirmation, Some(&email))?;
        Ok::<_, String>((name, email, password))
    })();
    let (name, email, password) = match parsed {
        Ok(values) => values,
        Err(message) => {
            form.password.clear();
            form.password_confirmation.clear();
            let page = SetupPage { ctx, form, error: Some(message) };
            return Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let hash = state.hasher.hash(password.expose().to_owned()).await?;
    let created = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                db::users::lock_for_first_setup(conn)?;
                if db::users::count(conn)? > 0 {
                    return Ok(None);
                }
                let id = db::users::insert(conn, &email, &name, &hash, Role::Admin)?;
                let summary = format!("Created the first admin {} <{}>", name.as_str(), email.as_str());
                audit::record(conn, &Actor::user(id, name.as_str()), "user.create", "user", Some(id), &summary)?;
                Ok::<_, AppError>(Some(id))
            })
        })
        .await?;
    let Some(user_id) = created else {
        return Err(AppError::conflict("voxdial is already set up. Log in with your account."));
    };
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

#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// Only local paths, so `next` cannot send a user to another site.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => path.to_owned(),
        _ => "/".to_owned(),
    }
}

#[get("/login")]
async fn login_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<LoginQuery>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.next.as_deref());
    if !has_users(&state).await? {
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
    let form = form.into_inner();
    let email = form.email.trim().to_lowercase();
    let next = safe_next(Some(&form.next));
    let client_ip = client_ip(&req, &state);
    let throttle = LoginThrottle::from_settings(&state.settings);

    let (lookup_email, lookup_ip) = (email.clone(), client_ip.clone());
    let user = state
        .db
        .run(move |conn| {
            throttle.check(conn, &lookup_email, &lookup_ip)?;
            Ok(db::users::find_by_email(conn, &lookup_email)?)
        })
        .await;
    let user = match user {
        Ok(user) => user,
        Err(AppError::TooManyRequests(message)) => {
            tracing::warn!(%client_ip, "login throttled");
            let page = LoginPage { ctx, email, next, error: Some(message), notice: None };
            return Ok(respond_with_status(page, &req, StatusCode::TOO_MANY_REQUESTS));
        }
        Err(other) => return Err(other),
    };

    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let password_ok = state.hasher.verify(form.password.clone(), stored_hash).await?;
    let accepted = user.filter(|u| password_ok && !u.disabled);

    let (record_email, record_ip) = (email.clone(), client_ip.clone());
    let succeeded = accepted.is_some();
    state.db.run(move |conn| Ok(db::login_attempts::record(conn, &record_email, &record_ip, succeeded)?)).await?;

    let Some(user) = accepted else {
        tracing::info!(%client_ip, "login failed");
        let page = LoginPage { ctx, email, next, error: Some("Email or password is incorrect.".into()), notice: None };
        return Ok(respond_with_status(page, &req, StatusCode::UNAUTHORIZED));
    };
    tracing::info!(user_id = user.id, %client_ip, "login succeeded");
    if password::needs_rehash(&user.password_hash) {
        let hash = state.hasher.hash(form.password).await?;
        let user_id = user.id;
        state.db.run(move |conn| Ok(db::users::set_password_hash(conn, user_id, &hash)?)).await?;
    }
    TypedSession::from_request(&req).log_in(user.id)?;
    Ok(redirect(&req, &next))
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

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_only_allows_local_paths() {
        assert_eq!(safe_next(Some("/team?x=1")), "/team?x=1");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }
}
