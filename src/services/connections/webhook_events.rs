//! The log of the webhooks providers sent, newest first, and an admin's "Retry now" for an
//! event that kept failing and was parked.

use crate::audit::{self, Actor, Change};
use crate::db;
use crate::db::paging::{Page, fetch_size};
use crate::db::webhook_events::WebhookEvent;
use crate::error::AppError;
use crate::ids::WebhookEventId;
use crate::services::Ctx;

/// Events per page of the log.
pub const PAGE_SIZE: i64 = 50;

/// A page of the log and how many events are parked in all (not only on this page).
pub struct EventLog {
    pub events: Page<WebhookEvent, WebhookEventId>,
    pub parked: i64,
}

pub async fn log(ctx: &Ctx, before: Option<WebhookEventId>) -> Result<EventLog, AppError> {
    ctx.db
        .run(move |conn| {
            let rows = db::webhook_events::page(conn, before, fetch_size(PAGE_SIZE))?;
            Ok(EventLog {
                events: Page::from_overfetch(rows, PAGE_SIZE, |e| e.id),
                parked: db::webhook_events::count_parked(conn)?,
            })
        })
        .await
}

pub async fn find(ctx: &Ctx, id: WebhookEventId) -> Result<WebhookEvent, AppError> {
    ctx.db.run(move |conn| Ok(db::webhook_events::find(conn, id)?)).await
}

/// Puts a parked event back in the queue, for the sweeper to apply again.
pub async fn retry_parked(ctx: &Ctx, actor: Actor, id: WebhookEventId) -> Result<(), AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let event = db::webhook_events::find(conn, id)?;
            if db::webhook_events::requeue(conn, id)? == 0 {
                return Err(AppError::conflict(format!(
                    "Webhook event #{id} is not parked: it is {} now.",
                    event.processing_state.label().to_lowercase()
                )));
            }
            let summary = format!("Queued the parked {} webhook event #{id} to be applied again", event.event_type);
            let change = Change {
                action: "webhook_event.retry",
                object_kind: "webhook_event",
                object_id: Some(id.get()),
                summary: &summary,
            };
            Ok(audit::record(conn, &actor, change, now)?)
        })
        .await
}
