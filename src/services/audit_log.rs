//! Reading the audit log.

use crate::db;
use crate::db::audit::AuditEntry;
use crate::db::paging::{Page, fetch_size};
use crate::error::AppError;
use crate::services::Ctx;

/// Entries per page of the audit log.
pub const AUDIT_PAGE_SIZE: i64 = 50;

/// A page of the audit log, newest first; `before` continues from an earlier page.
pub async fn page(ctx: &Ctx, before: Option<i64>) -> Result<Page<AuditEntry, i64>, AppError> {
    ctx.db
        .run(move |conn| {
            let rows = db::audit::page(conn, before, fetch_size(AUDIT_PAGE_SIZE))?;
            Ok(Page::from_overfetch(rows, AUDIT_PAGE_SIZE, |e| e.id))
        })
        .await
}
