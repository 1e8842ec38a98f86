//! Provider webhooks: machine endpoints outside sessions and CSRF, authenticated by the
//! provider's signature. Answers are plain text.

use actix_web::web::{self, Bytes};
use actix_web::{HttpRequest, HttpResponse, post};

use crate::app::AppState;
use crate::calls::events;
use crate::provider::ProviderKind;

/// Audio webhooks carry whole recordings as base64.
const BODY_LIMIT: usize = 64 * 1024 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::scope("/webhooks/elevenlabs").app_data(web::PayloadConfig::new(BODY_LIMIT)).service(post_call));
}

fn plain(status: u16, message: String) -> HttpResponse {
    HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap_or(actix_web::http::StatusCode::OK))
        .content_type("text/plain; charset=utf-8")
        .body(message)
}

#[post("/{connection_id}/post-call")]
async fn post_call(req: HttpRequest, state: web::Data<AppState>, path: web::Path<i64>, body: Bytes) -> HttpResponse {
    let signature =
        req.headers().get(ProviderKind::ElevenLabs.signature_header()).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let delivery =
        events::Delivery { connection_id: path.into_inner(), signature, body, received_at: chrono::Utc::now() };
    match events::receive(&state, delivery).await {
        Ok(reply) => plain(reply.status, reply.message),
        // Transient trouble (database busy or away): 5xx, so the provider may retry.
        Err(err) => {
            tracing::error!(error = ?err, "webhook could not be stored or applied");
            plain(503, "temporarily unable to process this webhook; please retry".into())
        }
    }
}
