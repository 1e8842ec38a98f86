//! Publishing a template's draft, one published version with its changes from the one
//! before, and copying an old version into the draft.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::app::AppState;
use crate::auth::AiSetupEditor;
use crate::auth::session::FlashKind;
use crate::db::templates::{PromptTemplate, TemplateVersion};
use crate::error::AppError;
use crate::ids::TemplateId;
use crate::services::templates::{self, Changes, Saved, VersionDetail};
use crate::web::{PageCtx, redirect_with_flash};

#[derive(Template, WebTemplate)]
#[template(path = "prompts/version.html")]
struct VersionPage {
    ctx: PageCtx,
    template: PromptTemplate,
    version: TemplateVersion,
    /// The number of the version calls use.
    published: i32,
    author: String,
    changes: Changes,
}

#[post("/{id}/publish")]
pub(super) async fn publish(
    req: HttpRequest,
    state: web::Data<AppState>,
    AiSetupEditor(user): AiSetupEditor,
    path: web::Path<TemplateId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let back = format!("/templates/{id}");
    match templates::publish(&state.ctx, &user.actor(), id).await {
        Ok(version) => redirect_with_flash(
            &req,
            &back,
            FlashKind::Success,
            format!("Version {version} published: calls use it from now on."),
        ),
        Err(error) => match error.user_message() {
            Some(message) => redirect_with_flash(&req, &back, FlashKind::Error, message),
            None => Err(error),
        },
    }
}

#[get("/{id}/versions/{version}")]
pub(super) async fn version_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<(TemplateId, i32)>,
) -> Result<VersionPage, AppError> {
    let (id, number) = path.into_inner();
    let VersionDetail { template, version, published, author, changes } =
        templates::version(&state.ctx, id, number).await?;
    Ok(VersionPage { ctx, template, version, published, author, changes })
}

#[post("/{id}/versions/{version}/restore")]
pub(super) async fn restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    AiSetupEditor(user): AiSetupEditor,
    path: web::Path<(TemplateId, i32)>,
) -> Result<HttpResponse, AppError> {
    let (id, number) = path.into_inner();
    let message = match templates::restore(&state.ctx, &user.actor(), id, number).await? {
        Saved::Draft => format!("Version {number} copied into the draft. Publish the draft to make it live."),
        Saved::Published(version) => {
            format!("Version {number} is the published version {version}; the draft is dropped.")
        }
    };
    redirect_with_flash(&req, &format!("/templates/{id}"), FlashKind::Success, message)
}
