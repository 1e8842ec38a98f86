//! The dashboard's figures, and dismissing the problems it lists.

use chrono::NaiveDate;
use chrono_tz::Tz;

use crate::audit::{self, Actor, Change};
use crate::db::analytics::DayCalls;
use crate::db::{self, dashboard::Summary};
use crate::domain::daily_calls::{self, DAYS, DailyCalls};
use crate::error::AppError;
use crate::ids::ProblemId;
use crate::services::Ctx;

pub struct Dashboard {
    pub summary: Summary,
    pub daily_calls: DailyCalls,
}

/// Today's calls and outcomes, live calls, active campaigns with their dialers, problems, and
/// the calls of the last days by outcome: days and "today" as the reader in `zone` has them.
pub async fn summary(ctx: &Ctx, today: NaiveDate, zone: Tz) -> Result<Dashboard, AppError> {
    let first = daily_calls::week_start(today);
    let edges = daily_calls::day_edges(first, DAYS, zone);
    ctx.db
        .run(move |conn| {
            // "Today" is the chart's last day.
            let summary = db::dashboard::summary(conn, edges[DAYS - 1])?;
            let days = db::analytics::calls_by_day(conn, &edges, None)?;
            let counted: Vec<_> = days.iter().map(DayCalls::counted).collect();
            Ok(Dashboard { summary, daily_calls: DailyCalls::new(first, DAYS, &counted) })
        })
        .await
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
