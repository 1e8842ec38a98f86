//! The dashboard: calls today, outcomes, active campaigns, problems.

use actix_web::{Responder, get, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::Utc;

use super::PageCtx;
use crate::app::AppState;
use crate::db::{self, dashboard::Summary};
use crate::error::AppError;

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
    // "Today" is the UTC day until a workspace timezone exists.
    let since = Utc::now().date_naive().and_hms_opt(0, 0, 0).expect("midnight exists");
    let summary = state.db.run(move |conn| Ok(db::dashboard::summary(conn, since)?)).await?;
    Ok(DashboardPage { ctx, summary })
}
