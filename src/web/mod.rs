//! HTTP handlers and their page views, one module per area. Templates mirror this layout
//! under `templates/<area>/`.

pub mod agents;
pub mod analytics;
pub mod assets;
pub mod auth;
pub mod campaigns;
pub mod dashboard;
mod dashboard_chart;
pub mod dnc;
pub mod errors;
pub mod exports;
pub mod headers;
pub mod health;
pub mod htmx;
pub mod imports;
pub mod interactions;
pub mod invite;
pub mod leads;
pub mod local_path;
pub mod local_times;
pub mod metrics;
pub mod phone_numbers;
pub mod profile;
pub mod prompts;
pub mod provider_import;
pub mod settings;
pub mod team;
pub mod webhooks;

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest, HttpResponse, web};

use crate::auth::middleware::{require_admin, require_login, verify_csrf};
use crate::auth::session::{Flash, FlashKind, TypedSession};
use crate::auth::{CurrentUser, csrf};
use crate::error::AppError;
pub use local_times::{LocalTimes, StoredTime};

/// Routes for browsers: public auth pages, then everything behind login.
/// The caller wraps this in the session middleware.
pub fn ui_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("").wrap(from_fn(verify_csrf)).configure(auth::routes).configure(invite::routes).service(
            web::scope("")
                .wrap(from_fn(require_login))
                .configure(dashboard::routes)
                .configure(analytics::routes)
                .configure(profile::routes)
                .service(web::scope("/agents").configure(agents::routes))
                .configure(leads::routes)
                .configure(interactions::routes)
                .configure(dnc::routes)
                .service(
                    web::scope("/campaigns")
                        .configure(leads::campaign_routes)
                        .configure(interactions::campaign_routes)
                        .configure(analytics::campaign_routes)
                        .configure(imports::routes)
                        .configure(campaigns::routes),
                )
                .service(web::scope("/phone-numbers").configure(phone_numbers::routes))
                .service(web::scope("/templates").configure(prompts::routes))
                .service(web::scope("/team").wrap(from_fn(require_admin)).configure(team::routes))
                .service(web::scope("/settings").wrap(from_fn(require_admin)).configure(settings::routes)),
        ),
    );
}

/// What every page's layout needs: the user, the CSRF token, the current path for the
/// navigation, and a one-shot flash message.
pub struct PageCtx {
    pub user: Option<CurrentUser>,
    pub csrf_token: String,
    pub path: String,
    pub flash: Option<Flash>,
}

impl PageCtx {
    pub fn is_admin(&self) -> bool {
        self.user.as_ref().is_some_and(CurrentUser::is_admin)
    }

    /// Whether the user may change prompt templates, voice agents and campaigns' AI Agents
    /// settings (pages hide or disable those controls otherwise, and say why).
    pub fn may_edit_ai_setup(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.may_edit_ai_setup)
    }

    /// How this reader reads times (their zone).
    pub fn times(&self) -> LocalTimes {
        LocalTimes(self.user.as_ref().map_or(chrono_tz::UTC, |u| u.zone))
    }

    // The same methods as `LocalTimes`, so templates write `ctx.time(at)` in pages and partials alike.
    pub fn zone_name(&self) -> &'static str {
        self.times().zone_name()
    }

    pub fn time(&self, at: impl StoredTime) -> String {
        self.times().time(at)
    }

    pub fn time_s(&self, at: impl StoredTime) -> String {
        self.times().time_s(at)
    }

    pub fn clock(&self, at: impl StoredTime) -> String {
        self.times().clock(at)
    }

    pub fn clock_s(&self, at: impl StoredTime) -> String {
        self.times().clock_s(at)
    }

    pub fn day(&self, at: impl StoredTime) -> chrono::NaiveDate {
        self.times().day(at)
    }

    /// Whether `user_id` is the logged-in user.
    pub fn is_me(&self, user_id: crate::ids::UserId) -> bool {
        self.user.as_ref().is_some_and(|u| u.id == user_id)
    }

    /// `aria-current` value for a navigation link.
    pub fn current(&self, prefix: &str) -> &'static str {
        let active = if prefix == "/" { self.path == "/" } else { self.path.starts_with(prefix) };
        if active { "page" } else { "false" }
    }

    pub fn flash_class(&self) -> &'static str {
        match self.flash.as_ref().map(|f| f.kind) {
            Some(FlashKind::Error) => "flash flash-error",
            _ => "flash flash-success",
        }
    }
}

impl FromRequest for PageCtx {
    type Error = AppError;
    type Future = std::future::Ready<Result<PageCtx, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(page_ctx(req))
    }
}

/// The token is the session's once logged in, else the visitor's anonymous one (no session
/// row for visitors); either way masked afresh for this response.
fn page_ctx(req: &HttpRequest) -> Result<PageCtx, AppError> {
    let session = TypedSession::from_request(req);
    let user = req.extensions().get::<CurrentUser>().cloned();
    let token = match (session.stored_csrf_token(), &user) {
        (Some(token), _) => token,
        (None, Some(_)) => session.csrf_token()?,
        (None, None) => {
            let state = req
                .app_data::<web::Data<crate::app::AppState>>()
                .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("application state missing")))?;
            csrf::anonymous_token(req, state)
        }
    };
    // Taken only when there is one: removing from an empty session would store it.
    let flash = session.has_flash().then(|| session.take_flash()).flatten();
    Ok(PageCtx { user, csrf_token: csrf::mask(&token), path: req.path().to_owned(), flash })
}

/// POST → redirect → GET. htmx requests get `HX-Redirect` (a full navigation) instead of a
/// 303 that htmx would follow and swap.
pub fn redirect(req: &HttpRequest, location: &str) -> HttpResponse {
    if htmx::HxRequest::from_http(req).is_htmx {
        HttpResponse::Ok().insert_header(("HX-Redirect", location)).finish()
    } else {
        HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
    }
}

/// Redirects after a change with a message for the next page.
pub fn redirect_with_flash(
    req: &HttpRequest,
    location: &str,
    kind: FlashKind,
    message: impl Into<String>,
) -> Result<HttpResponse, AppError> {
    TypedSession::from_request(req).flash(kind, message)?;
    Ok(redirect(req, location))
}

/// Turns a page (or any responder) into a response.
pub fn respond(page: impl actix_web::Responder, req: &HttpRequest) -> HttpResponse {
    page.respond_to(req).map_into_boxed_body()
}

/// A page with another status, e.g. 422 for a form shown again with its errors.
pub fn respond_with_status(
    page: impl actix_web::Responder,
    req: &HttpRequest,
    status: actix_web::http::StatusCode,
) -> HttpResponse {
    let mut res = respond(page, req);
    *res.status_mut() = status;
    res
}
