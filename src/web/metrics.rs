//! `/metrics` for Prometheus (R-METRICS), and the HTTP figures it shows. Never public: without
//! a configured `metrics_token` the route does not exist (404); with one, a request must carry
//! it as a bearer token (401 otherwise), compared in constant time.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpRequest, HttpResponse, get, web};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::app::AppState;
use crate::error::AppError;
use crate::monitoring::TEXT_FORMAT;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(scrape);
}

#[get("/metrics")]
async fn scrape(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let Some(token) = &state.settings.metrics_token else { return Err(AppError::NotFound) };
    if !bearer_matches(&req, token) {
        return Ok(HttpResponse::Unauthorized()
            .insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="voxdial metrics""#))
            .content_type("text/plain; charset=utf-8")
            .body("a valid bearer token is required"));
    }
    Ok(HttpResponse::Ok().content_type(TEXT_FORMAT).body(state.ctx.metrics.render(&state.ctx.db)))
}

/// Whether the request's `Authorization: Bearer …` is the token. Digests are compared, so
/// neither the content nor the length of the token shows in the time taken.
fn bearer_matches(req: &HttpRequest, token: &str) -> bool {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, credentials)| credentials.trim());
    let Some(presented) = presented else { return false };
    Sha256::digest(presented.as_bytes()).ct_eq(&Sha256::digest(token.as_bytes())).into()
}

/// Counts every request by method, route pattern and status, with its latency.
pub async fn count_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let metrics = req.app_data::<web::Data<AppState>>().map(|state| state.ctx.metrics.clone());
    let method = method_label(req.method());
    // Taken before routing: an error response no longer carries its request.
    let route = req.match_pattern();
    let response = next.call(req).await;
    if let Some(metrics) = metrics {
        let status = match &response {
            Ok(response) => response.status(),
            Err(err) => err.as_response_error().status_code(),
        };
        metrics.http_request(method, route, status.as_u16(), started.elapsed());
    }
    response
}

/// Any method a client makes up is one label, so they cannot multiply the series.
fn method_label(method: &Method) -> &'static str {
    const KNOWN: [(Method, &str); 7] = [
        (Method::GET, "GET"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::HEAD, "HEAD"),
        (Method::OPTIONS, "OPTIONS"),
    ];
    KNOWN.iter().find(|(known, _)| known == method).map_or("other", |(_, label)| label)
}
