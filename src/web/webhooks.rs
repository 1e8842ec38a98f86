//! Provider webhooks: machine endpoints outside sessions and CSRF, authenticated by the
//! provider's signature. Answers are plain text.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_LENGTH;
use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, post};
use serde::Deserialize;

use crate::app::AppState;
use crate::calls::events::Receipt;
use crate::calls::inbound;
use crate::calls::webhook_intake::{self, Delivery};
use crate::error::AppError;
use crate::ids::ConnectionId;
use crate::provider::ProviderKind;
use crate::services::connections::INBOUND_TOKEN_HEADER;

/// An initiation request is four short fields.
const INITIATION_LIMIT: usize = 16 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/webhooks/elevenlabs")
            .service(
                web::resource("/{connection_id}/initiation")
                    .app_data(web::PayloadConfig::new(INITIATION_LIMIT))
                    .route(web::post().to(initiation)),
            )
            // Reads its body itself, with limits, once the cheap checks passed.
            .service(post_call),
    );
}

fn plain(status: StatusCode, message: impl Into<String>) -> HttpResponse {
    HttpResponse::build(status).content_type("text/plain; charset=utf-8").body(message.into())
}

#[post("/{connection_id}/post-call")]
async fn post_call(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ConnectionId>,
    body: web::Payload,
) -> HttpResponse {
    let provider = ProviderKind::ElevenLabs;
    let header = |name| req.headers().get(name).and_then(|v| v.to_str().ok());
    let delivery = Delivery {
        provider,
        connection_id: path.into_inner(),
        signature: header(provider.signature_header()).map(str::to_owned),
        body,
        declared_length: header(CONTENT_LENGTH.as_str()).and_then(|v| v.parse().ok()),
        received_at: state.ctx.clock.now_utc(),
    };
    let receipt = webhook_intake::receive(&state.ctx, &state.webhook_gate, delivery).await;
    state.ctx.metrics.webhook("post_call", post_call_verdict(&receipt));
    match receipt {
        Ok(Receipt::Accepted(message) | Receipt::Settled(_, message) | Receipt::Duplicate(message)) => {
            plain(StatusCode::OK, message)
        }
        // One answer for an unknown connection, a missing secret and every signature
        // problem: no hints.
        Ok(Receipt::Refused(_)) => plain(StatusCode::UNAUTHORIZED, "invalid signature"),
        Ok(Receipt::TooLarge(limit)) => {
            plain(StatusCode::PAYLOAD_TOO_LARGE, format!("the body is over the limit of {} MiB", limit >> 20))
        }
        Ok(Receipt::TimedOut) => plain(StatusCode::REQUEST_TIMEOUT, "the body did not arrive in time; please retry"),
        Ok(Receipt::Unreadable(reason)) => plain(StatusCode::BAD_REQUEST, reason),
        // Transient trouble (database busy or away): 5xx, so the provider may retry.
        Err(err) => {
            tracing::error!(error = ?err, "webhook could not be stored or applied");
            plain(StatusCode::SERVICE_UNAVAILABLE, "temporarily unable to process this webhook; please retry")
        }
    }
}

/// The `verdict` label of a post-call delivery.
fn post_call_verdict(receipt: &Result<Receipt, AppError>) -> &'static str {
    match receipt {
        Ok(Receipt::Accepted(_) | Receipt::Settled(..)) => "accepted",
        Ok(Receipt::Duplicate(_)) => "duplicate",
        Ok(Receipt::Refused(_)) => "refused",
        Ok(Receipt::TooLarge(_)) => "too_large",
        Ok(Receipt::TimedOut) => "timed_out",
        Ok(Receipt::Unreadable(_)) => "unreadable",
        Err(_) => "error",
    }
}

/// What ElevenLabs sends when an inbound call rings; other fields are ignored.
#[derive(Debug, Deserialize)]
struct InitiationBody {
    caller_id: String,
    #[serde(default)]
    agent_id: Option<String>,
    #[serde(default)]
    called_number: Option<String>,
    #[serde(default)]
    call_sid: Option<String>,
    /// SIP trunks may name it `call_id`.
    #[serde(default)]
    call_id: Option<String>,
}

/// The conversation-initiation webhook (R-INBOUND): answered fast, and always with a valid
/// body once authenticated.
async fn initiation(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ConnectionId>,
    body: Bytes,
) -> HttpResponse {
    let parsed: InitiationBody = match serde_json::from_slice(&body) {
        Ok(parsed) => parsed,
        Err(err) => {
            state.ctx.metrics.webhook("initiation", "unreadable");
            return plain(StatusCode::BAD_REQUEST, format!("not an initiation request: {err}"));
        }
    };
    let token = req.headers().get(INBOUND_TOKEN_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let request = inbound::Initiation {
        connection_id: path.into_inner(),
        token,
        caller_id: parsed.caller_id,
        agent_id: parsed.agent_id,
        called_number: parsed.called_number,
        call_sid: parsed.call_sid.or(parsed.call_id),
    };
    let reply = inbound::answer(&state.ctx, request).await;
    let verdict = if matches!(reply, inbound::Reply::Refused) { "refused" } else { "answered" };
    state.ctx.metrics.webhook("initiation", verdict);
    match reply {
        inbound::Reply::Answer(answer) => HttpResponse::Ok().json(answer),
        inbound::Reply::Refused => plain(StatusCode::UNAUTHORIZED, "invalid token"),
    }
}
