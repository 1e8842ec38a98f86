//! The page an invite link opens (public, no login): the member sets their own password and
//! is logged in. A link that was used, expired, was withdrawn or never existed says so.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::{PageCtx, redirect_with_flash, respond_with_status};
use crate::app::AppState;
use crate::auth::session::{FlashKind, TypedSession};
use crate::error::AppError;
use crate::services::accounts::PasswordEntry;
use crate::services::invites::{self, INVITE_LIFETIME, Link};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(invite_page).service(accept);
}

#[derive(Template, WebTemplate)]
#[template(path = "auth/invite.html")]
struct InvitePage {
    ctx: PageCtx,
    token: String,
    /// The member the link is for, when it can be used.
    invitee: Option<Invitee>,
    /// Why the link cannot be used.
    problem: Option<Problem>,
    error: Option<String>,
}

struct Invitee {
    name: String,
    email: String,
    expires_at: NaiveDateTime,
}

struct Problem {
    title: &'static str,
    message: String,
    /// Whoever used the link can log in now.
    offer_login: bool,
}

impl InvitePage {
    /// The page for `link`, with its status.
    fn new(ctx: PageCtx, token: String, link: Link, error: Option<String>) -> (InvitePage, StatusCode) {
        let problem = |title, message: String, offer_login| Some(Problem { title, message, offer_login });
        let hours = INVITE_LIFETIME.num_hours();
        let (invitee, problem, status) = match link {
            Link::Usable { name, email, expires_at } => {
                let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
                (Some(Invitee { name, email: email.to_string(), expires_at }), None, status)
            }
            Link::Used => (
                None,
                problem(
                    "This invite link was used already",
                    "A password was set with it, and a link works only once. Log in with your email and that \
                     password. If you do not know it, ask an admin of your team for a new link."
                        .into(),
                    true,
                ),
                StatusCode::GONE,
            ),
            Link::Expired => (
                None,
                problem(
                    "This invite link has expired",
                    format!("Invite links work for {hours} hours. Ask an admin of your team for a new one."),
                    false,
                ),
                StatusCode::GONE,
            ),
            Link::Revoked => (
                None,
                problem(
                    "This invite link was withdrawn",
                    "An admin of your team withdrew it or sent a newer one. Use the newest link you got, or ask \
                     an admin for a new one."
                        .into(),
                    false,
                ),
                StatusCode::GONE,
            ),
            Link::Unknown => (
                None,
                problem(
                    "This invite link is not valid",
                    "Check that you opened the whole link as you received it, or ask an admin of your team for \
                     a new one."
                        .into(),
                    false,
                ),
                StatusCode::NOT_FOUND,
            ),
        };
        (InvitePage { ctx, token, invitee, problem, error }, status)
    }

    fn respond(self, req: &HttpRequest, status: StatusCode) -> HttpResponse {
        no_store(respond_with_status(self, req, status))
    }
}

/// Pages that show a link's token are kept out of caches.
pub(super) fn no_store(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    response
}

#[get("/invite/{token}")]
async fn invite_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let link = invites::look_up(&state.ctx, &token).await?;
    let (page, status) = InvitePage::new(ctx, token, link, None);
    Ok(page.respond(&req, status))
}

#[derive(Deserialize)]
struct AcceptForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
    #[serde(default)]
    browser_timezone: String,
}

#[post("/invite/{token}")]
async fn accept(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<String>,
    form: web::Form<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let link = invites::look_up(&state.ctx, &token).await?;
    let Link::Usable { name, .. } = &link else {
        let (page, status) = InvitePage::new(ctx, token, link, None);
        return Ok(page.respond(&req, status));
    };
    let name = name.clone();
    let AcceptForm { password, password_confirmation, browser_timezone } = form.into_inner();
    let entry = PasswordEntry { password, confirmation: password_confirmation };
    match invites::accept(&state.ctx, &state.hasher, &token, entry).await {
        Ok(user_id) => {
            crate::services::timezones::adopt_browser_zone(&state.ctx, user_id, &browser_timezone).await?;
            TypedSession::from_request(&req).log_in(user_id)?;
            let message = format!("Welcome to voxdial, {name}. Your password is set.");
            redirect_with_flash(&req, "/", FlashKind::Success, message)
        }
        Err(error) => {
            let message = error.user_message().ok_or(error)?;
            // The link may have been used meanwhile: the page says so rather than ask again.
            let link = invites::look_up(&state.ctx, &token).await?;
            let (page, status) = InvitePage::new(ctx, token, link, Some(message));
            Ok(page.respond(&req, status))
        }
    }
}
