//! Security headers on every response, `Vary: HX-Request` for caches, and the request id.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage as _};
use tracing_actix_web::RequestId;

/// No inline script or style anywhere, so the policy needs no `unsafe-inline`.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; media-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; \
     base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let hsts =
        req.app_data::<actix_web::web::Data<crate::app::AppState>>().is_some_and(|s| s.settings.cookies_secure());
    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
    match next.call(req).await {
        Ok(mut res) => {
            add_headers(res.headers_mut(), hsts, request_id);
            Ok(res.map_into_boxed_body())
        }
        Err(err) => {
            let mut response = err.error_response();
            add_headers(response.headers_mut(), hsts, request_id);
            Err(actix_web::error::InternalError::from_response(err, response).into())
        }
    }
}

fn add_headers(headers: &mut HeaderMap, hsts: bool, request_id: Option<String>) {
    let fixed: [(&str, &str); 6] = [
        ("content-security-policy", CONTENT_SECURITY_POLICY),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "same-origin"),
        ("x-frame-options", "DENY"),
        ("cross-origin-opener-policy", "same-origin"),
        ("permissions-policy", "camera=(), microphone=(), geolocation=()"),
    ];
    for (name, value) in fixed {
        headers.insert(HeaderName::from_static(name), HeaderValue::from_static(value));
    }
    if hsts {
        headers.insert(
            HeaderName::from_static("strict-transport-security"),
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    headers.append(HeaderName::from_static("vary"), HeaderValue::from_static("HX-Request"));
    if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
        headers.insert(HeaderName::from_static("x-request-id"), id);
    }
}
