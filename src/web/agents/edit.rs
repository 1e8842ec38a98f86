//! Editing an agent in its row (htmx), or on a page of its own without JavaScript.

use std::ops::Deref;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{AgentForm, AgentRow};
use crate::app::AppState;
use crate::auth::AiSetupEditor;
use crate::auth::session::FlashKind;
use crate::db::agents::AgentListItem;
use crate::db::phone_numbers::NumberListItem;
use crate::db::providers::ProviderConnection;
use crate::error::AppError;
use crate::ids::AgentId;
use crate::services::agents::{self, AgentDetail};
use crate::web::htmx::HxRequest;
use crate::web::{PageCtx, redirect_with_flash, respond, respond_with_status};

#[derive(Template, WebTemplate)]
#[template(path = "agents/_edit_row.html")]
struct EditRow {
    ctx: PageCtx,
    item: AgentListItem,
    connections: Vec<ProviderConnection>,
    numbers: Vec<NumberListItem>,
    form: AgentForm,
    error: Option<String>,
}

/// The edit row on a page of its own, for browsers without JavaScript. Its template reads
/// the row's fields through `Deref`, so that it can include the row's template.
#[derive(Template, WebTemplate)]
#[template(path = "agents/edit.html")]
struct EditPage(EditRow);

impl Deref for EditPage {
    type Target = EditRow;

    fn deref(&self) -> &EditRow {
        &self.0
    }
}

/// The edit row as a fragment for htmx swaps, else as a page.
fn edit_form(
    req: &HttpRequest,
    ctx: PageCtx,
    detail: AgentDetail,
    form: AgentForm,
    error: Option<String>,
    status: StatusCode,
) -> HttpResponse {
    let AgentDetail { item, choices } = detail;
    let row = EditRow { ctx, item, connections: choices.connections, numbers: choices.numbers, form, error };
    if HxRequest::from_http(req).wants_fragment() {
        respond_with_status(row, req, status)
    } else {
        respond_with_status(EditPage(row), req, status)
    }
}

#[get("/{id}/edit")]
pub(super) async fn edit_row(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<AgentId>,
) -> Result<HttpResponse, AppError> {
    let detail = agents::detail(&state.ctx, path.into_inner()).await?;
    let form = AgentForm::from_item(&detail.item);
    Ok(edit_form(&req, ctx, detail, form, None, StatusCode::OK))
}

#[get("/{id}/row")]
pub(super) async fn show_row(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<AgentId>,
) -> Result<AgentRow, AppError> {
    let detail = agents::detail(&state.ctx, path.into_inner()).await?;
    Ok(AgentRow::new(ctx, detail))
}

#[post("/{id}")]
pub(super) async fn update_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    AiSetupEditor(user): AiSetupEditor,
    path: web::Path<AgentId>,
    form: web::Form<AgentForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let saved = async { agents::update(&state.ctx, &user.actor(), id, form.parse()?).await }.await;
    let err = match saved {
        Ok(detail) if HxRequest::from_http(&req).is_htmx => {
            return Ok(respond(AgentRow::new(ctx, detail), &req));
        }
        Ok(_) => return redirect_with_flash(&req, "/agents", FlashKind::Success, "Agent saved."),
        Err(err) => err,
    };
    let Some(message) = err.user_message() else { return Err(err) };
    let detail = agents::detail(&state.ctx, id).await?;
    Ok(edit_form(&req, ctx, detail, form, Some(message), StatusCode::UNPROCESSABLE_ENTITY))
}
