//! The do-not-call list: numbers that are never dialed, globally or for one campaign.

use crate::audit::{self, Actor, Change};
use crate::db;
use crate::db::paging::{Page, fetch_size};
use crate::db::suppression::{NewEntry, SuppressionRow};
use crate::domain::phone::E164;
use crate::domain::suppression::SuppressionSource;
use crate::error::AppError;
use crate::ids::{CampaignId, SuppressionId};
use crate::services::Ctx;

/// Entries per page of the list.
pub const PAGE_SIZE: i64 = 100;

/// A page of the list and the campaigns a number can be listed for.
pub struct DncList {
    pub entries: Page<SuppressionRow, SuppressionId>,
    pub campaigns: Vec<(CampaignId, String)>,
}

/// The newest entries (below `before`), narrowed to numbers starting with `phone_prefix`.
pub async fn list(ctx: &Ctx, phone_prefix: Option<String>, before: Option<SuppressionId>) -> Result<DncList, AppError> {
    ctx.db
        .run(move |conn| {
            let rows = db::suppression::page(conn, phone_prefix.as_deref(), before, fetch_size(PAGE_SIZE))?;
            Ok(DncList {
                entries: Page::from_overfetch(rows, PAGE_SIZE, |e| e.id),
                campaigns: db::campaigns::names(conn)?,
            })
        })
        .await
}

/// A number added by a person.
pub struct NewSuppression {
    pub phone: E164,
    /// `None` for every campaign.
    pub campaign_id: Option<CampaignId>,
    pub reason: String,
}

/// Lists a number; `false` when it was already listed for that scope.
pub async fn add(ctx: &Ctx, actor: &Actor, new: NewSuppression) -> Result<bool, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let entry = NewEntry {
                phone: &new.phone,
                campaign_id: new.campaign_id,
                reason: &new.reason,
                source: SuppressionSource::Manual,
                created_by: actor.user_id,
                interaction_id: None,
            };
            let added = db::suppression::add(conn, &entry, now)?;
            if added {
                let summary = format!("Added {} to the do-not-call list", new.phone);
                let change =
                    Change { action: "dnc.add", object_kind: "suppression", object_id: None, summary: &summary };
                audit::record(conn, &actor, change, now)?;
            }
            Ok(added)
        })
        .await
}

/// The number of an entry, for confirming its removal.
pub async fn phone_of(ctx: &Ctx, id: SuppressionId) -> Result<E164, AppError> {
    ctx.db.run(move |conn| Ok(db::suppression::find_phone(conn, id)?)).await
}

/// Takes an entry off the list; returns its number.
pub async fn remove(ctx: &Ctx, actor: &Actor, id: SuppressionId) -> Result<E164, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let phone = db::suppression::find_phone(conn, id)?;
            db::suppression::delete(conn, id)?;
            let summary = format!("Removed {phone} from the do-not-call list");
            let change = Change {
                action: "dnc.remove",
                object_kind: "suppression",
                object_id: Some(id.get()),
                summary: &summary,
            };
            audit::record(conn, &actor, change, now)?;
            Ok(phone)
        })
        .await
}
