//! The agent list: the page with its filters and the add form, the list partial, adding,
//! activating/deactivating and deleting.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{AgentForm, AgentRow};
use crate::app::AppState;
use crate::auth::AiSetupEditor;
use crate::auth::session::FlashKind;
use crate::db::agents::{AgentFilter, AgentListItem};
use crate::db::phone_numbers::NumberListItem;
use crate::db::providers::ProviderConnection;
use crate::error::AppError;
use crate::ids::AgentId;
use crate::services::agents;
use crate::web::htmx::HxRequest;
use crate::web::{PageCtx, redirect_with_flash, respond, respond_with_status};

/// The list's filters, from the query string.
#[derive(Debug, Default, Deserialize)]
pub(super) struct FilterQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    connection: String,
    #[serde(default)]
    active: String,
}

impl FilterQuery {
    fn filter(&self) -> AgentFilter {
        AgentFilter {
            search: Some(self.q.clone()).filter(|q| !q.trim().is_empty()),
            provider_connection_id: self.connection.parse().ok(),
            active: match self.active.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "agents/page.html")]
struct AgentsPage {
    ctx: PageCtx,
    query: FilterQuery,
    agents: Vec<AgentListItem>,
    connections: Vec<ProviderConnection>,
    numbers: Vec<NumberListItem>,
    form: AgentForm,
    error: Option<String>,
}

impl AgentsPage {
    fn new(ctx: PageCtx, query: FilterQuery, list: agents::AgentList, form: AgentForm, error: Option<String>) -> Self {
        let agents::AgentList { agents, choices } = list;
        AgentsPage { ctx, query, agents, connections: choices.connections, numbers: choices.numbers, form, error }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "agents/_list.html")]
struct AgentListPartial {
    ctx: PageCtx,
    agents: Vec<AgentListItem>,
    numbers: Vec<NumberListItem>,
    filtered: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "agents/_form.html")]
struct NewAgentForm {
    ctx: PageCtx,
    connections: Vec<ProviderConnection>,
    numbers: Vec<NumberListItem>,
    form: AgentForm,
    error: Option<String>,
}

#[get("")]
pub(super) async fn agents_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<FilterQuery>,
) -> Result<AgentsPage, AppError> {
    let query = query.into_inner();
    let list = agents::list(&state.ctx, query.filter()).await?;
    Ok(AgentsPage::new(ctx, query, list, AgentForm::default(), None))
}

#[get("/list")]
pub(super) async fn agent_list(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<FilterQuery>,
) -> Result<AgentListPartial, AppError> {
    let filter = query.filter();
    let filtered = filter.search.is_some() || filter.provider_connection_id.is_some() || filter.active.is_some();
    let list = agents::list(&state.ctx, filter).await?;
    Ok(AgentListPartial { ctx, agents: list.agents, numbers: list.choices.numbers, filtered })
}

#[post("")]
pub(super) async fn create_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    AiSetupEditor(user): AiSetupEditor,
    form: web::Form<AgentForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let created = async {
        let input = form.parse()?;
        let name = input.name.clone();
        agents::create(&state.ctx, &user.actor(), input).await?;
        Ok::<_, AppError>(name)
    }
    .await;
    let err = match created {
        Ok(name) => return redirect_with_flash(&req, "/agents", FlashKind::Success, format!("Agent “{name}” added.")),
        Err(err) => err,
    };
    let Some(message) = err.user_message() else { return Err(err) };
    if HxRequest::from_http(&req).is_htmx {
        let choices = agents::choices(&state.ctx).await?;
        let partial = NewAgentForm {
            ctx,
            connections: choices.connections,
            numbers: choices.numbers,
            form,
            error: Some(message),
        };
        return Ok(respond_with_status(partial, &req, StatusCode::UNPROCESSABLE_ENTITY));
    }
    let list = agents::list(&state.ctx, AgentFilter::default()).await?;
    let page = AgentsPage::new(ctx, FilterQuery::default(), list, form, Some(message));
    Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY))
}

#[derive(Debug, Deserialize)]
pub(super) struct ActiveForm {
    active: String,
}

#[post("/{id}/active")]
pub(super) async fn set_active(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    AiSetupEditor(user): AiSetupEditor,
    path: web::Path<AgentId>,
    form: web::Form<ActiveForm>,
) -> Result<HttpResponse, AppError> {
    let active = form.active == "true";
    let detail = agents::set_active(&state.ctx, &user.actor(), path.into_inner(), active).await?;
    if HxRequest::from_http(&req).is_htmx {
        return Ok(respond(AgentRow::new(ctx, detail), &req));
    }
    let message = if active { "Agent activated." } else { "Agent deactivated." };
    redirect_with_flash(&req, "/agents", FlashKind::Success, message)
}

#[post("/{id}/delete")]
pub(super) async fn delete_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    AiSetupEditor(user): AiSetupEditor,
    path: web::Path<AgentId>,
) -> Result<HttpResponse, AppError> {
    let name = agents::delete(&state.ctx, &user.actor(), path.into_inner()).await?;
    redirect_with_flash(&req, "/agents", FlashKind::Success, format!("Agent “{name}” deleted."))
}
