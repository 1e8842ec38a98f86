//! The dashboard's figures, and dismissing the problems it lists.

use chrono::NaiveDateTime;

use crate::audit::{self, Actor, Change};
use crate::db::{self, dashboard::Summary};
use crate::error::AppError;
use crate::ids::ProblemId;
use crate::services::Ctx;

/// Calls and outcomes since `since`, live calls, active campaigns with their dialers, and problems.
pub async fn summary(ctx: &Ctx, since: NaiveDateTime) -> Result<Summary, AppError> {
    ctx.db.run(move |conn| Ok(db::dashboard::summary(conn, since)?)).await
}

/// A person dismisses a problem they dealt with (a second dismissal changes nothing).
pub async fn dismiss_problem(ctx: &Ctx, actor: Actor, id: ProblemId) -> Result<(), AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let problem = db::problems::find(conn, id)?;
            if db::problems::resolve(conn, id, now)? == 0 {
                return Ok(());
            }
            let summary = format!("Dismissed the problem “{}”", problem.kind.label());
            let change = Change {
                action: "problem.dismiss",
                object_kind: "problem",
                object_id: Some(id.get()),
                summary: &summary,
            };
            Ok(audit::record(conn, &actor, change, now)?)
        })
        .await
}
