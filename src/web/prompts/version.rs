//! One saved version of a template, and restoring it as the newest version.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::templates::{PromptTemplate, TemplateVersion};
use crate::error::AppError;
use crate::ids::TemplateId;
use crate::services::templates::{self, VersionDetail};
use crate::web::{PageCtx, redirect_with_flash};

#[derive(Template, WebTemplate)]
#[template(path = "prompts/version.html")]
struct VersionPage {
    ctx: PageCtx,
    template: PromptTemplate,
    version: TemplateVersion,
    latest: i32,
    author: Option<String>,
}

#[get("/{id}/versions/{version}")]
pub(super) async fn version_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<(TemplateId, i32)>,
) -> Result<VersionPage, AppError> {
    let (id, number) = path.into_inner();
    let VersionDetail { template, version, latest, author } = templates::version(&state.ctx, id, number).await?;
    Ok(VersionPage { ctx, template, version, latest, author })
}

#[post("/{id}/versions/{version}/restore")]
pub(super) async fn restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(TemplateId, i32)>,
) -> Result<HttpResponse, AppError> {
    let (id, number) = path.into_inner();
    let version = templates::restore(&state.ctx, &user.actor(), id, number).await?;
    redirect_with_flash(
        &req,
        &format!("/templates/{id}"),
        FlashKind::Success,
        format!("Version {number} restored as version {version}."),
    )
}
