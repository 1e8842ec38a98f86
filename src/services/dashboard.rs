//! The dashboard's figures.

use chrono::NaiveDateTime;

use crate::db::{self, dashboard::Summary};
use crate::error::AppError;
use crate::services::Ctx;

/// Calls and outcomes since `since`, live calls, campaigns and problems.
pub async fn summary(ctx: &Ctx, since: NaiveDateTime) -> Result<Summary, AppError> {
    ctx.db.run(move |conn| Ok(db::dashboard::summary(conn, since)?)).await
}
