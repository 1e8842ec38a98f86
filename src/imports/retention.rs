//! Uploaded files are kept only as long as they are useful: an import's results and error
//! report live in their own rows, so once it has finished its file only takes disk space
//! (and keeps personal data around); a draft nobody started is abandoned. The background
//! loop purges both.

use chrono::{Duration, NaiveDateTime};

use crate::config::Settings;
use crate::db;
use crate::error::AppError;
use crate::services::Ctx;

/// How long stored files are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    /// After the import finished.
    pub finished: Duration,
    /// After a draft was uploaded, when it was never started.
    pub drafts: Duration,
}

impl Retention {
    pub fn from_settings(settings: &Settings) -> Retention {
        Retention {
            finished: Duration::days(settings.import_file_retention_days as i64),
            drafts: Duration::hours(settings.import_draft_retention_hours as i64),
        }
    }
}

/// Empties the stored files whose retention is over at `now`; returns how many.
pub async fn purge_files(ctx: &Ctx, retention: Retention, now: NaiveDateTime) -> Result<usize, AppError> {
    ctx.db
        .write(move |conn| Ok(db::imports::purge_files(conn, now - retention.finished, now - retention.drafts, now)?))
        .await
}
