//! The list of prompt templates with their latest version.

use actix_web::{get, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::app::AppState;
use crate::db::templates::TemplateListItem;
use crate::error::AppError;
use crate::services::templates;
use crate::web::PageCtx;

#[derive(Template, WebTemplate)]
#[template(path = "prompts/list.html")]
struct ListPage {
    ctx: PageCtx,
    templates: Vec<TemplateListItem>,
}

#[get("")]
pub(super) async fn list_page(state: web::Data<AppState>, ctx: PageCtx) -> Result<ListPage, AppError> {
    let templates = templates::list(&state.ctx).await?;
    Ok(ListPage { ctx, templates })
}
