//! The webhook events log: every webhook received with its signature verdict and what
//! voxdial did with it; parked events stand out and can be retried.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::BeforeQuery;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::calls::webhook_gate::{KEPT_PER_CONNECTION, RefusalCounts};
use crate::db::webhook_events::WebhookEvent;
use crate::domain::webhook::ProcessingState;
use crate::error::AppError;
use crate::ids::WebhookEventId;
use crate::provider::SignatureVerdict;
use crate::services::connections::webhook_events;
use crate::web::{PageCtx, redirect_with_flash};

#[derive(Template, WebTemplate)]
#[template(path = "settings/webhooks.html")]
struct LogPage {
    ctx: PageCtx,
    events: Vec<WebhookEvent>,
    next_before: Option<WebhookEventId>,
    parked: i64,
    refused: RefusalCounts,
}

#[get("/webhooks")]
pub async fn log_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<BeforeQuery<WebhookEventId>>,
) -> Result<LogPage, AppError> {
    let log = webhook_events::log(&state.ctx, query.before).await?;
    let refused = state.webhook_gate.refusals().counts();
    Ok(LogPage { ctx, events: log.events.rows, next_before: log.events.next, parked: log.parked, refused })
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/webhook_event.html")]
struct EventPage {
    ctx: PageCtx,
    event: WebhookEvent,
    body: String,
}

#[get("/webhooks/{id}")]
pub async fn event_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<WebhookEventId>,
) -> Result<EventPage, AppError> {
    let event = webhook_events::find(&state.ctx, path.into_inner()).await?;
    let body = serde_json::from_str::<serde_json::Value>(&event.raw_body)
        .ok()
        .and_then(|json| serde_json::to_string_pretty(&json).ok())
        .unwrap_or_else(|| event.raw_body.clone());
    Ok(EventPage { ctx, event, body })
}

#[post("/webhooks/{id}/retry")]
pub async fn retry(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<WebhookEventId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    webhook_events::retry_parked(&state.ctx, user.actor(), id).await?;
    let message = format!("Webhook event #{id} is queued to be applied again.");
    redirect_with_flash(&req, "/settings/webhooks", FlashKind::Success, message)
}
