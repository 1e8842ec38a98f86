//! The call page, its live status panel and its recording.

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::app::AppState;
use crate::domain::outcome::Outcome;
use crate::error::AppError;
use crate::ids::InteractionId;
use crate::services::{self, interactions::CallView};
use crate::web::PageCtx;

/// `mm:ss` for a transcript time.
pub fn clock(seconds: &i32) -> String {
    format!("{:02}:{:02}", seconds / 60, seconds % 60)
}

#[derive(Template, WebTemplate)]
#[template(path = "interactions/detail.html")]
struct CallPage {
    ctx: PageCtx,
    view: CallView,
    review_outcomes: [Outcome; 7],
}

#[derive(Template, WebTemplate)]
#[template(path = "interactions/_status.html")]
struct StatusPanel {
    view: CallView,
}

#[get("/interactions/{id}")]
pub(super) async fn call_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<InteractionId>,
) -> Result<CallPage, AppError> {
    let view = services::interactions::view(&state.ctx, path.into_inner()).await?;
    Ok(CallPage { ctx, view, review_outcomes: Outcome::CONNECTED })
}

/// The live panel; once the call has ended the whole page reloads to show its transcript.
#[get("/interactions/{id}/status")]
pub(super) async fn status_panel(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<InteractionId>,
) -> Result<HttpResponse, AppError> {
    let view = services::interactions::view(&state.ctx, path.into_inner()).await?;
    if !view.call.status.is_live() {
        return Ok(HttpResponse::Ok().insert_header(("HX-Refresh", "true")).finish());
    }
    Ok(crate::web::respond(StatusPanel { view }, &req))
}

#[get("/interactions/{id}/recording")]
pub(super) async fn recording(
    state: web::Data<AppState>,
    path: web::Path<InteractionId>,
) -> Result<HttpResponse, AppError> {
    let (content_type, audio) = services::interactions::recording(&state.ctx, path.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("cache-control", "private, max-age=3600"))
        .body(audio))
}
