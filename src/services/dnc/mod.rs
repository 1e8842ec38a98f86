//! The do-not-call lists: numbers that are never dialed, on the global list (every
//! campaign) or on one campaign's list. Members add and remove numbers by hand, import
//! them from CSV files and export them.

mod export;
mod import;

pub use export::{Export, export};
pub use import::{DncFile, ImportCounts, ImportReport, InvalidRow, import};

use crate::audit::{self, Actor, Change};
use crate::db::paging::{Page, fetch_size};
use crate::db::suppression::{EntryFilter, ListScope, NewEntry, SuppressionRow};
use crate::db::{self, DbConnection};
use crate::domain::phone::E164;
use crate::domain::suppression::SuppressionSource;
use crate::error::AppError;
use crate::ids::{CampaignId, SuppressionId};
use crate::services::Ctx;

/// Entries per page of the list.
pub const PAGE_SIZE: i64 = 100;
/// The longest reason kept.
const MAX_REASON: usize = 200;

/// A page of entries and the campaigns that have lists.
pub struct DncPage {
    pub entries: Page<SuppressionRow, SuppressionId>,
    pub campaigns: Vec<(CampaignId, String)>,
}

/// The newest entries (below `before`) that `filter` lets through.
pub async fn list(ctx: &Ctx, filter: EntryFilter, before: Option<SuppressionId>) -> Result<DncPage, AppError> {
    ctx.db
        .run(move |conn| {
            let rows = db::suppression::page(conn, &filter, before, fetch_size(PAGE_SIZE))?;
            Ok(DncPage {
                entries: Page::from_overfetch(rows, PAGE_SIZE, |e| e.id),
                campaigns: db::campaigns::names(conn)?,
            })
        })
        .await
}

/// A number added by a person.
pub struct NewSuppression {
    pub phone: E164,
    pub list: ListScope,
    pub reason: String,
}

/// Puts a number on a list; returns the list's title ("the global list"). A number already
/// there is a conflict whose message says so.
pub async fn add(ctx: &Ctx, actor: &Actor, new: NewSuppression) -> Result<String, AppError> {
    let reason = checked_reason(&new.reason).map_err(AppError::Validation)?;
    if reason.is_empty() {
        return Err(AppError::validation("Say why this number must not be called"));
    }
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let list = list_title(conn, new.list)?;
            let entry = NewEntry {
                phone: &new.phone,
                campaign_id: new.list.campaign_id(),
                reason: &reason,
                source: SuppressionSource::Manual,
                created_by: actor.user_id,
                interaction_id: None,
            };
            let Some(id) = db::suppression::insert(conn, &entry, now)? else {
                return Err(AppError::conflict(format!("{} is already on {list}.", new.phone)));
            };
            let summary = format!("Added {} to {list}", new.phone);
            let change =
                Change { action: "dnc.add", object_kind: "suppression", object_id: Some(id.get()), summary: &summary };
            audit::record(conn, &actor, change, now)?;
            Ok(list)
        })
        .await
}

/// One entry, for confirming its removal.
pub async fn entry(ctx: &Ctx, id: SuppressionId) -> Result<SuppressionRow, AppError> {
    ctx.db.run(move |conn| Ok(db::suppression::find(conn, id)?)).await
}

/// Takes an entry off its list; returns what it was.
pub async fn remove(ctx: &Ctx, actor: &Actor, id: SuppressionId) -> Result<SuppressionRow, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let entry = db::suppression::find(conn, id)?;
            db::suppression::delete(conn, id)?;
            let summary = format!("Removed {} from {}", entry.phone, entry.list_title());
            let change = Change {
                action: "dnc.remove",
                object_kind: "suppression",
                object_id: Some(id.get()),
                summary: &summary,
            };
            audit::record(conn, &actor, change, now)?;
            Ok(entry)
        })
        .await
}

/// The list as a sentence names it; a campaign that does not exist is the user's mistake.
fn list_title(conn: &mut DbConnection, list: ListScope) -> Result<String, AppError> {
    match list {
        ListScope::Global => Ok(db::suppression::list_title(None)),
        ListScope::Campaign(id) => match db::campaigns::find(conn, id) {
            Ok(campaign) => Ok(db::suppression::list_title(Some(&campaign.name))),
            Err(diesel::result::Error::NotFound) => Err(AppError::validation("That campaign does not exist")),
            Err(e) => Err(e.into()),
        },
    }
}

/// The reason trimmed, or why it cannot be kept.
fn checked_reason(reason: &str) -> Result<String, String> {
    let reason = reason.trim();
    if reason.chars().count() > MAX_REASON {
        return Err(format!("The reason is longer than {MAX_REASON} characters"));
    }
    Ok(reason.to_owned())
}
