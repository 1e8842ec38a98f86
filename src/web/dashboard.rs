//! The dashboard: calls today, outcomes, active campaigns, problems.

use actix_web::{Responder, get, web};
use askama::Template;
use askama_web::WebTemplate;

use super::PageCtx;
use crate::app::AppState;
use crate::db::dashboard::Summary;
use crate::error::AppError;
use crate::services;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(dashboard);
}

#[derive(Template, WebTemplate)]
#[template(path = "dashboard/page.html")]
struct DashboardPage {
    ctx: PageCtx,
    summary: Summary,
}

#[get("/")]
async fn dashboard(state: web::Data<AppState>, ctx: PageCtx) -> Result<impl Responder, AppError> {
    // "Today" is the UTC day until users have their own timezone.
    let since = state.ctx.clock.now().date().and_hms_opt(0, 0, 0).expect("midnight exists");
    let summary = services::dashboard::summary(&state.ctx, since).await?;
    Ok(DashboardPage { ctx, summary })
}
