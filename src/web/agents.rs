//! Voice agents: a searchable, filterable list (htmx partial), inline create and edit,
//! import from the provider, default number, activate/deactivate, delete.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::htmx::HxRequest;
use super::{PageCtx, redirect_with_flash, respond, respond_with_status};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::connections;
use crate::db::agents::{AgentFields, AgentFilter, AgentListItem};
use crate::db::phone_numbers::NumberListItem;
use crate::db::providers::ProviderConnection;
use crate::db::{self, DbConnection, write_tx};
use crate::domain::campaign::parse_name;
use crate::error::AppError;
use crate::provider::RemoteAgent;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(agents_page)
        .service(agent_list)
        .service(create_agent)
        .service(import_page)
        .service(import_agents)
        .service(edit_row)
        .service(show_row)
        .service(update_agent)
        .service(set_active)
        .service(delete_agent);
}

/// The list's filters, from the query string.
#[derive(Debug, Default, Deserialize)]
struct FilterQuery {
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

/// Choices every agent form needs.
struct Choices {
    connections: Vec<ProviderConnection>,
    numbers: Vec<NumberListItem>,
}

fn load_choices(conn: &mut DbConnection) -> Result<Choices, AppError> {
    Ok(Choices { connections: db::providers::list(conn)?, numbers: db::phone_numbers::list(conn)? })
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

#[derive(Template, WebTemplate)]
#[template(path = "agents/_list.html")]
struct AgentList {
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

#[derive(Template, WebTemplate)]
#[template(path = "agents/_row.html")]
struct AgentRow {
    ctx: PageCtx,
    item: AgentListItem,
    numbers: Vec<NumberListItem>,
}

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

/// The edit row on a page of its own, for browsers without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "agents/edit.html")]
struct EditPage {
    ctx: PageCtx,
    item: AgentListItem,
    connections: Vec<ProviderConnection>,
    numbers: Vec<NumberListItem>,
    form: AgentForm,
    error: Option<String>,
}

impl From<EditRow> for EditPage {
    fn from(row: EditRow) -> Self {
        let EditRow { ctx, item, connections, numbers, form, error } = row;
        EditPage { ctx, item, connections, numbers, form, error }
    }
}

#[derive(Debug, Default, Deserialize)]
struct AgentForm {
    name: String,
    #[serde(default)]
    provider_connection_id: String,
    provider_agent_id: String,
    #[serde(default)]
    default_phone_number_id: String,
}

impl AgentForm {
    fn from_item(item: &AgentListItem) -> AgentForm {
        AgentForm {
            name: item.agent.name.clone(),
            provider_connection_id: item.agent.provider_connection_id.to_string(),
            provider_agent_id: item.agent.provider_agent_id.clone(),
            default_phone_number_id: item.agent.default_phone_number_id.map(|id| id.to_string()).unwrap_or_default(),
        }
    }
}

struct AgentInput {
    name: String,
    provider_connection_id: i64,
    provider_agent_id: String,
    default_phone_number_id: Option<i64>,
}

fn parse_agent(form: &AgentForm) -> Result<AgentInput, String> {
    let name = parse_name(&form.name, "Name")?;
    let provider_connection_id =
        form.provider_connection_id.parse().map_err(|_| "Choose the provider connection".to_owned())?;
    let provider_agent_id = form.provider_agent_id.trim();
    if provider_agent_id.is_empty() {
        return Err("The provider's agent id is required (ElevenLabs: agent_id)".into());
    }
    let default_phone_number_id = match form.default_phone_number_id.trim() {
        "" => None,
        id => Some(id.parse().map_err(|_| "Choose a phone number from the list".to_owned())?),
    };
    Ok(AgentInput {
        name,
        provider_connection_id,
        provider_agent_id: provider_agent_id.to_owned(),
        default_phone_number_id,
    })
}

/// Checks the references of an agent inside the saving transaction.
fn check_references(conn: &mut DbConnection, input: &AgentInput) -> Result<Result<(), String>, AppError> {
    if let Err(diesel::result::Error::NotFound) = db::providers::find(conn, input.provider_connection_id) {
        return Ok(Err("Choose the provider connection".into()));
    }
    if let Some(number_id) = input.default_phone_number_id {
        match db::phone_numbers::find(conn, number_id) {
            Ok(number) if number.provider_connection_id != input.provider_connection_id => {
                return Ok(Err(format!("{} belongs to another provider connection than the agent", number.e164)));
            }
            Ok(_) => {}
            Err(diesel::result::Error::NotFound) => {
                return Ok(Err("Choose a phone number from the list".into()));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Ok(()))
}

#[get("")]
async fn agents_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<FilterQuery>,
) -> Result<AgentsPage, AppError> {
    let query = query.into_inner();
    let filter = query.filter();
    let (agents, choices) =
        state.db.run(move |conn| Ok((db::agents::list(conn, &filter)?, load_choices(conn)?))).await?;
    Ok(AgentsPage {
        ctx,
        query,
        agents,
        connections: choices.connections,
        numbers: choices.numbers,
        form: AgentForm::default(),
        error: None,
    })
}

#[get("/list")]
async fn agent_list(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<FilterQuery>,
) -> Result<AgentList, AppError> {
    let filter = query.filter();
    let filtered = filter.search.is_some() || filter.provider_connection_id.is_some() || filter.active.is_some();
    let (agents, numbers) =
        state.db.run(move |conn| Ok((db::agents::list(conn, &filter)?, db::phone_numbers::list(conn)?))).await?;
    Ok(AgentList { ctx, agents, numbers, filtered })
}

#[post("")]
async fn create_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<AgentForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let failure = match parse_agent(&form) {
        Err(message) => message,
        Ok(input) => {
            let actor = user.actor();
            let saved = state
                .db
                .run(move |conn| {
                    write_tx(conn, |conn| {
                        if let Err(message) = check_references(conn, &input)? {
                            return Ok(Err(message));
                        }
                        let fields = AgentFields {
                            provider_connection_id: input.provider_connection_id,
                            name: &input.name,
                            provider_agent_id: &input.provider_agent_id,
                            default_phone_number_id: input.default_phone_number_id,
                        };
                        let Some(id) = db::unless_duplicate(conn, |c| db::agents::insert(c, &fields))? else {
                            return Ok(Err(format!("The agent {} is already in voxdial", input.provider_agent_id)));
                        };
                        let summary = format!("Added the voice agent “{}” ({})", input.name, input.provider_agent_id);
                        audit::record(conn, &actor, "voice_agent.create", "voice_agent", Some(id), &summary)?;
                        Ok::<_, AppError>(Ok(input.name))
                    })
                })
                .await?;
            match saved {
                Ok(name) => {
                    return redirect_with_flash(&req, "/agents", FlashKind::Success, format!("Agent “{name}” added."));
                }
                Err(message) => message,
            }
        }
    };
    let choices = state.db.run(load_choices).await?;
    let status = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    if HxRequest::from_http(&req).is_htmx {
        let partial = NewAgentForm {
            ctx,
            connections: choices.connections,
            numbers: choices.numbers,
            form,
            error: Some(failure),
        };
        return Ok(respond_with_status(partial, &req, status));
    }
    let agents = state.db.run(|conn| Ok(db::agents::list(conn, &AgentFilter::default())?)).await?;
    let page = AgentsPage {
        ctx,
        query: FilterQuery::default(),
        agents,
        connections: choices.connections,
        numbers: choices.numbers,
        form,
        error: Some(failure),
    };
    Ok(respond_with_status(page, &req, status))
}

async fn load_item(state: &AppState, id: i64) -> Result<(AgentListItem, Choices), AppError> {
    state
        .db
        .run(move |conn| {
            let agent = db::agents::find(conn, id)?;
            let connection_name = db::providers::find(conn, agent.provider_connection_id)?.name;
            Ok((AgentListItem { agent, connection_name }, load_choices(conn)?))
        })
        .await
}

#[get("/{id}/edit")]
async fn edit_row(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (item, choices) = load_item(&state, path.into_inner()).await?;
    let form = AgentForm::from_item(&item);
    let row = EditRow { ctx, item, connections: choices.connections, numbers: choices.numbers, form, error: None };
    Ok(if HxRequest::from_http(&req).wants_fragment() {
        respond(row, &req)
    } else {
        respond(EditPage::from(row), &req)
    })
}

#[get("/{id}/row")]
async fn show_row(state: web::Data<AppState>, ctx: PageCtx, path: web::Path<i64>) -> Result<AgentRow, AppError> {
    let (item, choices) = load_item(&state, path.into_inner()).await?;
    Ok(AgentRow { ctx, item, numbers: choices.numbers })
}

#[post("/{id}")]
async fn update_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<AgentForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let failure = match parse_agent(&form) {
        Err(message) => message,
        Ok(input) => {
            let actor = user.actor();
            let saved = state
                .db
                .run(move |conn| {
                    write_tx(conn, |conn| {
                        let before = db::agents::find(conn, id)?;
                        if let Err(message) = check_references(conn, &input)? {
                            return Ok(Err(message));
                        }
                        let fields = AgentFields {
                            provider_connection_id: input.provider_connection_id,
                            name: &input.name,
                            provider_agent_id: &input.provider_agent_id,
                            default_phone_number_id: input.default_phone_number_id,
                        };
                        if db::unless_duplicate(conn, |c| db::agents::update(c, id, &fields))?.is_none() {
                            return Ok(Err(format!("Another agent already uses the id {}", input.provider_agent_id)));
                        }
                        let summary = format!("Edited the voice agent “{}” (was “{}”)", input.name, before.name);
                        audit::record(conn, &actor, "voice_agent.update", "voice_agent", Some(id), &summary)?;
                        Ok::<_, AppError>(Ok(()))
                    })
                })
                .await?;
            match saved {
                Ok(()) => {
                    if HxRequest::from_http(&req).is_htmx {
                        let (item, choices) = load_item(&state, id).await?;
                        return Ok(respond(AgentRow { ctx, item, numbers: choices.numbers }, &req));
                    }
                    return redirect_with_flash(&req, "/agents", FlashKind::Success, "Agent saved.");
                }
                Err(message) => message,
            }
        }
    };
    let (item, choices) = load_item(&state, id).await?;
    let row =
        EditRow { ctx, item, connections: choices.connections, numbers: choices.numbers, form, error: Some(failure) };
    let status = actix_web::http::StatusCode::UNPROCESSABLE_ENTITY;
    Ok(if HxRequest::from_http(&req).is_htmx {
        respond_with_status(row, &req, status)
    } else {
        respond_with_status(EditPage::from(row), &req, status)
    })
}

#[derive(Debug, Deserialize)]
struct ActiveForm {
    active: String,
}

#[post("/{id}/active")]
async fn set_active(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<ActiveForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let active = form.active == "true";
    let actor = user.actor();
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let agent = db::agents::find(conn, id)?;
                db::agents::set_active(conn, id, active)?;
                let verb = if active { "Activated" } else { "Deactivated" };
                audit::record(
                    conn,
                    &actor,
                    "voice_agent.active",
                    "voice_agent",
                    Some(id),
                    &format!("{verb} the voice agent “{}”", agent.name),
                )?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    if HxRequest::from_http(&req).is_htmx {
        let (item, choices) = load_item(&state, id).await?;
        return Ok(respond(AgentRow { ctx, item, numbers: choices.numbers }, &req));
    }
    redirect_with_flash(
        &req,
        "/agents",
        FlashKind::Success,
        if active { "Agent activated." } else { "Agent deactivated." },
    )
}

#[post("/{id}/delete")]
async fn delete_agent(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.actor();
    let name = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let agent = db::agents::find(conn, id)?;
                let campaigns = db::agents::campaigns_using(conn, id)?;
                if !campaigns.is_empty() {
                    return Err(AppError::conflict(format!(
                        "“{}” is used by the campaign(s) {}. Choose another agent there first.",
                        agent.name,
                        campaigns.join(", ")
                    )));
                }
                db::agents::delete(conn, id)?;
                audit::record(
                    conn,
                    &actor,
                    "voice_agent.delete",
                    "voice_agent",
                    Some(id),
                    &format!("Deleted the voice agent “{}”", agent.name),
                )?;
                Ok(agent.name)
            })
        })
        .await?;
    redirect_with_flash(&req, "/agents", FlashKind::Success, format!("Agent “{name}” deleted."))
}

/// An agent offered for import, and the name voxdial has for it now.
pub struct ImportCandidate {
    pub remote: RemoteAgent,
    pub existing_name: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "agents/import.html")]
struct ImportPage {
    ctx: PageCtx,
    connections: Vec<ProviderConnection>,
    connection: Option<ProviderConnection>,
    candidates: Vec<ImportCandidate>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ImportQuery {
    connection: Option<i64>,
}

async fn candidates(
    state: &AppState,
    connection_id: i64,
) -> Result<(ProviderConnection, Result<Vec<ImportCandidate>, String>), AppError> {
    let (connection, client) = connections::load_client(state, connection_id).await?;
    let remote = match client.list_agents().await {
        Ok(remote) => remote,
        Err(err) => {
            return Ok((connection, Err(format!("Could not list the provider's agents: {err}"))));
        }
    };
    let ids: Vec<String> = remote.iter().map(|r| r.agent_id.clone()).collect();
    let existing = state
        .db
        .run(move |conn| {
            ids.iter()
                .map(|id| Ok(db::agents::find_by_provider_id(conn, connection_id, id)?.map(|a| a.name)))
                .collect::<Result<Vec<Option<String>>, AppError>>()
        })
        .await?;
    let candidates = remote
        .into_iter()
        .zip(existing)
        .map(|(remote, existing_name)| ImportCandidate { remote, existing_name })
        .collect();
    Ok((connection, Ok(candidates)))
}

#[get("/import")]
async fn import_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ImportQuery>,
) -> Result<ImportPage, AppError> {
    let connections = state.db.run(|conn| Ok(db::providers::list(conn)?)).await?;
    let chosen = query.connection.or_else(|| (connections.len() == 1).then(|| connections[0].id));
    let (connection, candidates, error) = match chosen {
        Some(id) => match candidates(&state, id).await? {
            (connection, Ok(candidates)) => (Some(connection), candidates, None),
            (connection, Err(error)) => (Some(connection), Vec::new(), Some(error)),
        },
        None => (None, Vec::new(), None),
    };
    Ok(ImportPage { ctx, connections, connection, candidates, error })
}

#[post("/import")]
async fn import_agents(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    let connection_id: i64 = fields
        .iter()
        .find(|(k, _)| k == "connection")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| AppError::validation("Choose the provider connection"))?;
    let chosen: Vec<String> = fields.into_iter().filter(|(k, _)| k == "agent_id").map(|(_, v)| v).collect();
    if chosen.is_empty() {
        return redirect_with_flash(
            &req,
            &format!("/agents/import?connection={connection_id}"),
            FlashKind::Error,
            "Choose at least one agent to import.",
        );
    }
    let (connection, listed) = candidates(&state, connection_id).await?;
    let listed = listed.map_err(AppError::Conflict)?;
    let selected: Vec<RemoteAgent> =
        listed.into_iter().filter(|c| chosen.contains(&c.remote.agent_id)).map(|c| c.remote).collect();
    let actor = user.actor();
    let (added, renamed) = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let (mut added, mut renamed) = (0, 0);
                for remote in &selected {
                    let name = if remote.name.trim().is_empty() {
                        remote.agent_id.clone()
                    } else {
                        remote.name.trim().to_owned()
                    };
                    match db::agents::find_by_provider_id(conn, connection.id, &remote.agent_id)? {
                        // Re-importing updates the name and never duplicates.
                        Some(existing) if existing.name != name => {
                            db::agents::rename(conn, existing.id, &name)?;
                            let summary =
                                format!("Renamed the voice agent “{}” to “{name}” from the provider", existing.name);
                            audit::record(
                                conn,
                                &actor,
                                "voice_agent.import",
                                "voice_agent",
                                Some(existing.id),
                                &summary,
                            )?;
                            renamed += 1;
                        }
                        Some(_) => {}
                        None => {
                            let fields = AgentFields {
                                provider_connection_id: connection.id,
                                name: &name,
                                provider_agent_id: &remote.agent_id,
                                default_phone_number_id: None,
                            };
                            let id = db::agents::insert(conn, &fields)?;
                            let summary = format!("Imported the voice agent “{name}” from “{}”", connection.name);
                            audit::record(conn, &actor, "voice_agent.import", "voice_agent", Some(id), &summary)?;
                            added += 1;
                        }
                    }
                }
                Ok::<_, AppError>((added, renamed))
            })
        })
        .await?;
    let message = format!("Imported {added} new agent(s); updated the name of {renamed}.");
    redirect_with_flash(&req, "/agents", FlashKind::Success, message)
}
