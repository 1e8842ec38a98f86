//! Request guards: login, admin role, and CSRF with an Origin check.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{Error, HttpMessage as _};
use diesel::OptionalExtension as _;

use super::session::TypedSession;
use super::{CurrentUser, csrf, multipart_token};
use crate::app::AppState;
use crate::db::users::User;
use crate::db::workspace::WorkspaceSettings;
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::ids::UserId;

pub const CSRF_HEADER: &str = "x-csrf-token";
pub const CSRF_FIELD: &str = "csrf_token";
/// Forms are small; uploads are multipart and carry the token in their first field.
const FORM_LIMIT: usize = 2 * 1024 * 1024;

fn state(req: &ServiceRequest) -> Result<web::Data<AppState>, AppError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Unexpected(anyhow::anyhow!("application state missing")))
}

/// Loads the session's user (fresh from the database) into the request, or refuses with
/// `Unauthenticated`. On an empty database every page leads to first-admin setup.
pub async fn require_login(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = state(&req)?;
    let session = TypedSession::from_request(req.request());
    let user = match session.user_id() {
        Some(user_id) => state.ctx.db.run(move |conn| load_user(conn, user_id)).await?,
        None => None,
    };
    match user {
        Some((user, workspace)) if !user.disabled => {
            req.extensions_mut().insert(CurrentUser::new(&user, &workspace));
            next.call(req).await
        }
        Some(_) => {
            session.log_out();
            Err(AppError::Unauthenticated.into())
        }
        None => {
            if state.ctx.db.run(|conn| Ok(db::users::count(conn)?)).await? == 0 {
                return Err(AppError::SetupRequired.into());
            }
            Err(AppError::Unauthenticated.into())
        }
    }
}

/// The session's user, if they still exist, and the workspace's settings that decide what
/// they may do and the zone they read times in.
fn load_user(conn: &mut DbConnection, user_id: UserId) -> Result<Option<(User, WorkspaceSettings)>, AppError> {
    let Some(user) = db::users::find(conn, user_id).optional()? else {
        return Ok(None);
    };
    if user.disabled {
        return Ok(Some((user, WorkspaceSettings::default())));
    }
    Ok(Some((user, db::workspace::settings(conn)?)))
}

/// Lets only admins through; runs inside `require_login`.
pub async fn require_admin(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let is_admin = req.extensions().get::<CurrentUser>().is_some_and(CurrentUser::is_admin);
    if !is_admin {
        tracing::warn!(path = req.path(), "non-admin refused an admin page");
        return Err(AppError::Forbidden.into());
    }
    next.call(req).await
}

/// Every state-changing request must come from our own pages (Origin / Sec-Fetch-Site) and
/// carry the session's CSRF token: the `X-CSRF-Token` header (htmx), the `csrf_token` form
/// field (plain forms, and the first field of multipart uploads); never the URL.
pub async fn verify_csrf(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let state = state(&req)?;
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return with_issued_cookie(next.call(req).await?, state.settings.cookies_secure());
    }
    if !same_origin(&req, &state.public_url) {
        tracing::warn!(path = req.path(), "cross-origin state-changing request refused");
        return Err(AppError::CsrfRejected.into());
    }
    let expected = TypedSession::from_request(req.request())
        .stored_csrf_token()
        .or_else(|| csrf::presented_cookie(req.request(), &state));
    let presented = match header_token(&req) {
        Some(token) => Some(token),
        None => body_token(&mut req).await?,
    };
    let valid = match (expected, presented) {
        (Some(expected), Some(presented)) => csrf::matches(&presented, &expected),
        _ => false,
    };
    if !valid {
        tracing::warn!(path = req.path(), "request without a valid CSRF token refused");
        return Err(AppError::CsrfRejected.into());
    }
    with_issued_cookie(next.call(req).await?, state.settings.cookies_secure())
}

/// Sets the cookie of an anonymous CSRF token that a page of this request handed out.
fn with_issued_cookie<B>(mut res: ServiceResponse<B>, secure: bool) -> Result<ServiceResponse<B>, Error> {
    let issued = res.request().extensions().get::<csrf::IssuedCookie>().cloned();
    if let Some(csrf::IssuedCookie(value)) = issued {
        res.response_mut().add_cookie(&csrf::cookie(value, secure))?;
    }
    Ok(res)
}

fn same_origin(req: &ServiceRequest, public_url: &str) -> bool {
    let headers = req.headers();
    if let Some(origin) = headers.get("origin") {
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let conn = req.connection_info();
        let request_origin = format!("{}://{}", conn.scheme(), conn.host());
        return origin == public_url || origin == request_origin;
    }
    // No Origin (older browsers, some same-origin navigations): fall back to Fetch Metadata.
    !matches!(headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()), Some("cross-site" | "same-site"))
}

fn header_token(req: &ServiceRequest) -> Option<String> {
    req.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn body_token(req: &mut ServiceRequest) -> Result<Option<String>, Error> {
    let content_type = req.content_type().to_owned();
    if content_type == "application/x-www-form-urlencoded" {
        // Read the body, take the field, and put the bytes back for the handler.
        let mut payload = req.take_payload();
        let mut body = web::BytesMut::new();
        while let Some(chunk) = futures_util::StreamExt::next(&mut payload).await {
            let chunk = chunk?;
            if body.len() + chunk.len() > FORM_LIMIT {
                return Err(AppError::validation("The form is too large").into());
            }
            body.extend_from_slice(&chunk);
        }
        let body: Bytes = body.freeze();
        let token = form_field(&body, CSRF_FIELD);
        req.set_payload(Payload::from(body));
        return Ok(token);
    }
    Ok(multipart_token::first_field(req, CSRF_FIELD).await?)
}

fn form_field(encoded: &[u8], name: &str) -> Option<String> {
    form_urlencoded_pairs(encoded).find(|(k, _)| k == name).map(|(_, v)| v)
}

fn form_urlencoded_pairs(encoded: &[u8]) -> impl Iterator<Item = (String, String)> + '_ {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(encoded).unwrap_or_default().into_iter()
}
