//! Logging setup. Each request runs in a span carrying its request id and route
//! (tracing-actix-web), never its query string or a secret in its path.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::FmtSpan;

/// Installs the global subscriber. `RUST_LOG` overrides `filter` when set.
pub fn init(filter: &str, json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(filter));
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_span_events(FmtSpan::NONE).with_writer(std::io::stderr);
    // A second init (tests) keeps the first subscriber.
    let _ = if json { builder.json().flatten_event(true).try_init() } else { builder.try_init() };
}

/// The request span of every request, like tracing-actix-web's default but without what
/// must not reach logs: the query string (searches hold names and numbers) and the secret in
/// an invite link's path.
pub struct RequestSpans;

impl tracing_actix_web::RootSpanBuilder for RequestSpans {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        let request_id = actix_web::HttpMessage::extensions(request).get::<tracing_actix_web::RequestId>().copied();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %request.match_pattern().unwrap_or_default(),
            http.target = %loggable_path(request.path()),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
            request_id = %request_id.map(|id| id.to_string()).unwrap_or_default(),
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

/// The path with an invite token replaced.
fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/invite/") {
        Some(_) => "/invite/[token]".to_owned(),
        None => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn invite_tokens_never_reach_the_log() {
        assert_eq!(super::loggable_path("/invite/abc123"), "/invite/[token]");
        assert_eq!(super::loggable_path("/leads/7"), "/leads/7");
    }
}
