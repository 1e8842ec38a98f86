//! Taking a number off a list, after asking.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::suppression::SuppressionRow;
use crate::error::AppError;
use crate::ids::SuppressionId;
use crate::services::dnc;
use crate::web::{PageCtx, redirect_with_flash};

#[derive(Template, WebTemplate)]
#[template(path = "dnc/confirm_remove.html")]
struct ConfirmRemove {
    ctx: PageCtx,
    entry: SuppressionRow,
}

#[get("/dnc/{id}/remove")]
pub(super) async fn confirm_remove(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<SuppressionId>,
) -> Result<ConfirmRemove, AppError> {
    Ok(ConfirmRemove { ctx, entry: dnc::entry(&state.ctx, path.into_inner()).await? })
}

#[post("/dnc/{id}/remove")]
pub(super) async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<SuppressionId>,
) -> Result<HttpResponse, AppError> {
    let entry = dnc::remove(&state.ctx, &user.actor(), path.into_inner()).await?;
    let message = format!("{} is no longer on {}.", entry.phone, entry.list_title());
    redirect_with_flash(&req, "/dnc", FlashKind::Success, message)
}
