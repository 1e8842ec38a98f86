//! Which zone people read times in: their own (their browser's at first login, or chosen
//! on their profile), else the workspace's, which admins set.

use chrono_tz::Tz;

use super::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db;
use crate::error::AppError;
use crate::ids::UserId;

/// A user's own choice on their profile.
pub async fn set_own(ctx: &Ctx, actor: Actor, zone: Tz) -> Result<(), AppError> {
    let user_id = actor.user_id.ok_or(AppError::Unauthenticated)?;
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            db::users::set_timezone(conn, user_id, zone, now)?;
            let summary = format!("Reads times in {}", zone.name());
            let change = Change {
                action: "user.timezone",
                object_kind: "user",
                object_id: Some(user_id.get()),
                summary: &summary,
            };
            audit::record(conn, &actor, change, now)?;
            Ok(())
        })
        .await
}

/// The zone the browser reported at login, for a user who has none yet; an unknown name
/// is ignored (the workspace's zone stays in force).
pub async fn adopt_browser_zone(ctx: &Ctx, user_id: UserId, reported: &str) -> Result<(), AppError> {
    let Ok(zone) = reported.trim().parse::<Tz>() else { return Ok(()) };
    let now = ctx.clock.now();
    ctx.db.write(move |conn| Ok(db::users::set_timezone_if_unset(conn, user_id, zone, now).map(drop)?)).await
}

pub async fn set_workspace(ctx: &Ctx, actor: Actor, zone: Tz) -> Result<(), AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            db::workspace::set_timezone(conn, zone, now)?;
            let summary = format!("Times are shown in {} to people who have not chosen a zone", zone.name());
            let change =
                Change { action: "workspace.timezone", object_kind: "workspace", object_id: None, summary: &summary };
            audit::record(conn, &actor, change, now)?;
            Ok(())
        })
        .await
}
