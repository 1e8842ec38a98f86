//! The central error presentation: every error response from the UI becomes a full error
//! page, or for htmx requests a toast fragment retargeted into the page's message area.
//! Login and setup requirements become redirects.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode, header};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};
use askama::Template;

use super::htmx::HxRequest;
use crate::error::AppError;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    title: &'a str,
    message: &'a str,
    status: u16,
}

#[derive(Template)]
#[template(path = "_partials/toast.html")]
struct Toast<'a> {
    message: &'a str,
}

/// Paths answered for machines (webhooks, health) keep their plain responses.
fn is_machine_path(path: &str) -> bool {
    path.starts_with("/webhooks/") || path == "/healthz" || path == "/readyz" || path == "/metrics"
}

/// What the presentation needs to know about the request, captured before routing (a
/// request must not be cloned while the router still needs it).
struct Origin {
    path: String,
    login_return: Option<String>,
    hx: HxRequest,
}

pub async fn render_errors(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let origin = Origin {
        path: req.path().to_owned(),
        // Only a page the user was reading is worth returning to after login.
        login_return: (req.method() == Method::GET && req.path() != "/")
            .then(|| req.uri().path_and_query().map_or("/", |pq| pq.as_str()).to_owned()),
        hx: HxRequest::from_http(req.request()),
    };
    if is_machine_path(&origin.path) {
        return next.call(req).await.map(ServiceResponse::map_into_boxed_body);
    }
    match next.call(req).await {
        Ok(res) => {
            let status = res.status();
            let replacement = match res.response().error() {
                Some(error) if status.is_client_error() || status.is_server_error() => {
                    Some(presentation(error, status, &origin))
                }
                _ => None,
            };
            Ok(match replacement {
                Some(response) => {
                    let (http_req, _) = res.into_parts();
                    ServiceResponse::new(http_req, response)
                }
                None => res.map_into_boxed_body(),
            })
        }
        // Errors raised by middleware (sessions) carry the page as their response.
        Err(err) => {
            let status = err.as_response_error().status_code();
            let response = presentation(&err, status, &origin);
            Err(actix_web::error::InternalError::from_response(err, response).into())
        }
    }
}

fn presentation(error: &Error, status: StatusCode, origin: &Origin) -> HttpResponse {
    let app_error = error.as_error::<AppError>();
    match app_error {
        Some(AppError::Unauthenticated) => to_page(origin, "/login"),
        Some(AppError::SetupRequired) => to_page(origin, "/setup"),
        _ => {
            let (title, message) = match app_error {
                Some(e) => (e.title().to_owned(), e.to_string()),
                None => describe_status(status),
            };
            present(status, &title, &message, origin.hx)
        }
    }
}

fn to_page(origin: &Origin, page: &str) -> HttpResponse {
    let location = match (&origin.login_return, page) {
        (Some(back), "/login") => format!("/login?next={}", urlencode(back)),
        _ => page.to_owned(),
    };
    if origin.hx.is_htmx {
        HttpResponse::Ok().insert_header(("HX-Redirect", location)).finish()
    } else {
        HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish()
    }
}

fn present(status: StatusCode, title: &str, message: &str, hx: HxRequest) -> HttpResponse {
    let mut builder = HttpResponse::build(status);
    builder.content_type("text/html; charset=utf-8");
    let body = if hx.is_htmx {
        builder.insert_header(("HX-Retarget", "#messages")).insert_header(("HX-Reswap", "innerHTML"));
        Toast { message }.render()
    } else {
        ErrorPage { title, message, status: status.as_u16() }.render()
    };
    match body {
        Ok(html) => builder.body(html),
        Err(err) => {
            tracing::error!(error = %err, "rendering the error page failed");
            builder.content_type("text/plain; charset=utf-8").body(message.to_owned())
        }
    }
}

fn describe_status(status: StatusCode) -> (String, String) {
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "The upload is too large.",
        StatusCode::BAD_REQUEST => "The request could not be read. Check the form and try again.",
        StatusCode::NOT_FOUND => "There is nothing at this address.",
        StatusCode::METHOD_NOT_ALLOWED => "This address does not accept that kind of request.",
        s if s.is_server_error() => "Something went wrong on our side.",
        _ => "The request could not be completed.",
    };
    (status.canonical_reason().unwrap_or("Error").to_owned(), message.to_owned())
}

/// Percent-encodes a value for a query string.
pub fn urlencode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)]).map(|s| s[1..].to_owned()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #[test]
    fn urlencodes_query_values() {
        assert_eq!(super::urlencode("/team?x=1&y=2"), "%2Fteam%3Fx%3D1%26y%3D2");
    }
}
