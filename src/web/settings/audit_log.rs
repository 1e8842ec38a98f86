//! The audit log: every change, newest first, in pages.

use actix_web::{get, web};
use askama::Template;
use askama_web::WebTemplate;

use super::BeforeQuery;
use crate::app::AppState;
use crate::db::audit::AuditEntry;
use crate::error::AppError;
use crate::services::audit_log;
use crate::web::PageCtx;

#[derive(Template, WebTemplate)]
#[template(path = "settings/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    entries: Vec<AuditEntry>,
    next_before: Option<i64>,
}

#[get("/audit")]
pub async fn page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<BeforeQuery<i64>>,
) -> Result<AuditPage, AppError> {
    let entries = audit_log::page(&state.ctx, query.before).await?;
    Ok(AuditPage { ctx, entries: entries.rows, next_before: entries.next })
}
