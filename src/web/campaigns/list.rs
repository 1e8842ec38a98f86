//! The campaign list, archived campaigns on request.

use actix_web::{get, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::db::campaigns::Campaign;
use crate::domain::campaign::CampaignStatus;
use crate::error::AppError;
use crate::services::campaigns;
use crate::web::PageCtx;

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/list.html")]
struct ListPage {
    ctx: PageCtx,
    campaigns: Vec<Campaign>,
    show_archived: bool,
}

impl ListPage {
    fn status_class(&self, status: &CampaignStatus) -> &'static str {
        super::status_class(*status)
    }
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    archived: bool,
}

#[get("")]
pub(super) async fn list_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let show_archived = query.archived;
    let campaigns = campaigns::list(&state.ctx, show_archived).await?;
    Ok(ListPage { ctx, campaigns, show_archived })
}
