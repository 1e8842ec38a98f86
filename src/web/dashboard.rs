//! The dashboard: calls today, outcomes, the last 7 days' calls, active campaigns, problems.

use actix_web::{HttpRequest, HttpResponse, Responder, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{PageCtx, redirect_with_flash};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::dashboard::{DialerStatus, Summary};
use crate::db::problems::ProblemKind;
use crate::domain::daily_calls::DailyCalls;
use crate::domain::outcome::Outcome;
use crate::error::AppError;
use crate::ids::ProblemId;
use crate::services;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(dashboard).service(dismiss_problem);
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/page.html")]
struct DashboardPage {
    ctx: PageCtx,
    summary: Summary,
    /// The day the "today" figures count, for the links to the lists behind them.
    today: chrono::NaiveDate,
    daily_calls: DailyCalls,
    /// The chart of `daily_calls`, an `<svg>` element drawn here.
    chart: String,
}

impl DashboardPage {
    fn color(&self, outcome: &Option<Outcome>) -> String {
        super::dashboard_chart::hex(outcome)
    }
}

#[get("/")]
async fn dashboard(state: web::Data<AppState>, ctx: PageCtx) -> Result<impl Responder, AppError> {
    // "Today" is the reader's day, in their zone.
    let today = ctx.day(state.ctx.clock.now());
    let services::dashboard::Dashboard { summary, daily_calls } =
        services::dashboard::summary(&state.ctx, today, ctx.times().0).await?;
    let chart = super::dashboard_chart::svg(&daily_calls)?;
    Ok(DashboardPage { ctx, summary, today, daily_calls, chart })
}

#[post("/problems/{id}/dismiss")]
async fn dismiss_problem(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ProblemId>,
) -> Result<HttpResponse, AppError> {
    services::dashboard::dismiss_problem(&state.ctx, user.actor(), path.into_inner()).await?;
    redirect_with_flash(&req, "/", FlashKind::Success, "Problem dismissed; it comes back if it happens again.")
}
