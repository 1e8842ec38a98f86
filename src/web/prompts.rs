//! Voice prompt templates: an editor with a live preview (htmx, debounced) for a chosen
//! lead and contact type, a variable reference, and the version history with restore.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{PageCtx, redirect_with_flash, respond_with_status};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::leads::Lead;
use crate::db::templates::{PromptTemplate, TemplateListItem, TemplateVersion, VersionListItem};
use crate::db::{self, DbConnection, write_tx};
use crate::domain::campaign::parse_name;
use crate::domain::interaction::ContactType;
use crate::domain::prompt::{self, PromptSource, RenderedPrompt, TemplateError, VARIABLES};
use crate::error::AppError;
use crate::prompts::{PreviewLead, preview_context};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_page)
        .service(new_page)
        .service(create)
        .service(preview)
        .service(editor_page)
        .service(save)
        .service(version_page)
        .service(restore);
}

#[derive(Template, WebTemplate)]
#[template(path = "prompts/list.html")]
struct ListPage {
    ctx: PageCtx,
    templates: Vec<TemplateListItem>,
}

#[get("")]
async fn list_page(state: web::Data<AppState>, ctx: PageCtx) -> Result<ListPage, AppError> {
    let templates = state.db.run(|conn| Ok(db::templates::list(conn)?)).await?;
    Ok(ListPage { ctx, templates })
}

#[derive(Debug, Default, Deserialize)]
struct TemplateForm {
    name: String,
    #[serde(default)]
    description: String,
    system_prompt: String,
    #[serde(default)]
    first_message: String,
    #[serde(default)]
    preview_lead: String,
    #[serde(default)]
    contact_type: String,
}

impl TemplateForm {
    fn source(&self) -> PromptSource<'_> {
        PromptSource { system_prompt: &self.system_prompt, first_message: Some(self.first_message.as_str()) }
    }

    fn contact_type(&self) -> ContactType {
        ContactType::parse(&self.contact_type).unwrap_or(ContactType::First)
    }

    fn first_message(&self) -> Option<&str> {
        Some(self.first_message.as_str()).filter(|m| !m.trim().is_empty())
    }
}

/// What the preview panel shows.
pub struct Preview {
    pub rendered: Option<RenderedPrompt>,
    pub error: Option<TemplateError>,
}

#[derive(Template, WebTemplate)]
#[template(path = "prompts/_preview.html")]
struct PreviewPartial {
    preview: Preview,
}

#[derive(Template, WebTemplate)]
#[template(path = "prompts/editor.html")]
struct EditorPage {
    ctx: PageCtx,
    template: Option<PromptTemplate>,
    current_version: i32,
    form: TemplateForm,
    versions: Vec<VersionListItem>,
    leads: Vec<(Lead, String)>,
    used_by: Vec<String>,
    preview: Preview,
    error: Option<String>,
    variables: &'static [(&'static str, &'static str)],
    contact_types: [ContactType; 3],
}

/// How many recent leads the preview picker offers.
const PREVIEW_LEADS: i64 = 25;

fn render_preview(conn: &mut DbConnection, form: &TemplateForm) -> Result<Preview, AppError> {
    let ctx = match preview_context(conn, PreviewLead::parse(&form.preview_lead), form.contact_type()) {
        Ok(ctx) => ctx,
        Err(AppError::NotFound) => {
            return Err(AppError::validation("The chosen preview lead no longer exists"));
        }
        Err(e) => return Err(e),
    };
    Ok(match prompt::render(form.source(), &ctx) {
        Ok(rendered) => Preview { rendered: Some(rendered), error: None },
        Err(error) => Preview { rendered: None, error: Some(error) },
    })
}

/// Everything the editor shows around the form.
struct EditorData {
    template: Option<PromptTemplate>,
    current_version: i32,
    versions: Vec<VersionListItem>,
    leads: Vec<(Lead, String)>,
    used_by: Vec<String>,
    preview: Preview,
}

fn editor_data(conn: &mut DbConnection, template_id: Option<i64>, form: &TemplateForm) -> Result<EditorData, AppError> {
    let (template, current_version, versions, used_by) = match template_id {
        Some(id) => (
            Some(db::templates::find(conn, id)?),
            db::templates::latest_version(conn, id)?.version,
            db::templates::versions(conn, id)?,
            db::templates::campaigns_using(conn, id)?,
        ),
        None => (None, 0, Vec::new(), Vec::new()),
    };
    Ok(EditorData {
        template,
        current_version,
        versions,
        leads: db::leads::recent_with_campaign(conn, PREVIEW_LEADS)?,
        used_by,
        preview: render_preview(conn, form)?,
    })
}

fn editor_page_from(ctx: PageCtx, data: EditorData, form: TemplateForm, error: Option<String>) -> EditorPage {
    EditorPage {
        ctx,
        template: data.template,
        current_version: data.current_version,
        form,
        versions: data.versions,
        leads: data.leads,
        used_by: data.used_by,
        preview: data.preview,
        error,
        variables: VARIABLES,
        contact_types: ContactType::ALL,
    }
}

const STARTER_PROMPT: &str = "You are a friendly sales assistant calling on behalf of {{ campaign.name }}.\n\
{% if contact_type == 'returning' %}You have spoken with {{ lead.first_name }} before: \
{% for call in previous_interactions %}on {{ call.date }} ({{ call.outcome }}) {{ call.summary }} {% endfor %}\n\
{% else %}This is your first conversation with {{ lead.first_name }}.\n{% endif %}\
The lead works at {{ lead.company or 'an unknown company' }}. It is {{ now }} for them.";

#[get("/new")]
async fn new_page(state: web::Data<AppState>, ctx: PageCtx) -> Result<EditorPage, AppError> {
    let form = TemplateForm {
        system_prompt: STARTER_PROMPT.into(),
        first_message: "Hi {{ lead.first_name }}, this is {{ agent.name }} from {{ campaign.name }}.".into(),
        contact_type: ContactType::First.as_str().into(),
        ..TemplateForm::default()
    };
    let (data, form) = state.db.run(move |conn| Ok((editor_data(conn, None, &form)?, form))).await?;
    Ok(editor_page_from(ctx, data, form, None))
}

#[get("/{id}")]
async fn editor_page(state: web::Data<AppState>, ctx: PageCtx, path: web::Path<i64>) -> Result<EditorPage, AppError> {
    let id = path.into_inner();
    let (data, form) = state
        .db
        .run(move |conn| {
            let template = db::templates::find(conn, id)?;
            let latest = db::templates::latest_version(conn, id)?;
            let form = TemplateForm {
                name: template.name,
                description: template.description,
                system_prompt: latest.system_prompt,
                first_message: latest.first_message.unwrap_or_default(),
                contact_type: ContactType::First.as_str().into(),
                preview_lead: String::new(),
            };
            Ok((editor_data(conn, Some(id), &form)?, form))
        })
        .await?;
    Ok(editor_page_from(ctx, data, form, None))
}

#[post("/preview")]
async fn preview(state: web::Data<AppState>, form: web::Form<TemplateForm>) -> Result<PreviewPartial, AppError> {
    let form = form.into_inner();
    let preview = state.db.run(move |conn| render_preview(conn, &form)).await?;
    Ok(PreviewPartial { preview })
}

/// Validates a template before it is saved: a name, a system prompt, and a render of every
/// contact-type branch against the chosen preview lead (R-PROMPT-VARS).
fn validate(conn: &mut DbConnection, form: &TemplateForm) -> Result<Result<(String, String), String>, AppError> {
    let name = match parse_name(&form.name, "Name") {
        Ok(name) => name,
        Err(message) => return Ok(Err(message)),
    };
    if form.system_prompt.trim().is_empty() {
        return Ok(Err("The system prompt is required".into()));
    }
    let ctx = preview_context(conn, PreviewLead::parse(&form.preview_lead), form.contact_type())?;
    if let Err(error) = prompt::check_all_branches(form.source(), &ctx) {
        return Ok(Err(format!("The template does not render: {error}")));
    }
    Ok(Ok((name, form.description.trim().to_owned())))
}

#[post("")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let actor = user.actor();
    let user_id = user.id;
    let (result, form) = state
        .db
        .run(move |conn| {
            let result = write_tx(conn, |conn| {
                let (name, description) = match validate(conn, &form)? {
                    Ok(valid) => valid,
                    Err(message) => return Ok(Err(message)),
                };
                let Some(id) = db::unless_duplicate(conn, |c| db::templates::insert_template(c, &name, &description))?
                else {
                    return Ok(Err(format!("A template named “{name}” already exists")));
                };
                db::templates::add_version(conn, id, &form.system_prompt, form.first_message(), Some(user_id))?;
                audit::record(
                    conn,
                    &actor,
                    "prompt_template.create",
                    "prompt_template",
                    Some(id),
                    &format!("Created the prompt template “{name}” (version 1)"),
                )?;
                Ok::<_, AppError>(Ok(id))
            })?;
            Ok((result, form))
        })
        .await?;
    match result {
        Ok(id) => {
            redirect_with_flash(&req, &format!("/templates/{id}"), FlashKind::Success, "Template saved as version 1.")
        }
        Err(message) => {
            let (data, form) = state.db.run(move |conn| Ok((editor_data(conn, None, &form)?, form))).await?;
            let page = editor_page_from(ctx, data, form, Some(message));
            Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[post("/{id}")]
async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let actor = user.actor();
    let user_id = user.id;
    let (result, form) = state
        .db
        .run(move |conn| {
            let result = write_tx(conn, |conn| {
                let before = db::templates::find(conn, id)?;
                let (name, description) = match validate(conn, &form)? {
                    Ok(valid) => valid,
                    Err(message) => return Ok(Err(message)),
                };
                if db::unless_duplicate(conn, |c| db::templates::update_template(c, id, &name, &description))?.is_none()
                {
                    return Ok(Err(format!("A template named “{name}” already exists")));
                }
                let version =
                    db::templates::add_version(conn, id, &form.system_prompt, form.first_message(), Some(user_id))?;
                let mut summary = format!("Saved version {version} of the prompt template “{name}”");
                if before.name != name {
                    summary.push_str(&format!(" (renamed from “{}”)", before.name));
                }
                audit::record(conn, &actor, "prompt_template.update", "prompt_template", Some(id), &summary)?;
                Ok::<_, AppError>(Ok(version))
            })?;
            Ok((result, form))
        })
        .await?;
    match result {
        Ok(version) => redirect_with_flash(
            &req,
            &format!("/templates/{id}"),
            FlashKind::Success,
            format!("Saved as version {version}."),
        ),
        Err(message) => {
            let (data, form) = state.db.run(move |conn| Ok((editor_data(conn, Some(id), &form)?, form))).await?;
            let page = editor_page_from(ctx, data, form, Some(message));
            Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

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
async fn version_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<(i64, i32)>,
) -> Result<VersionPage, AppError> {
    let (id, number) = path.into_inner();
    state
        .db
        .run(move |conn| {
            let template = db::templates::find(conn, id)?;
            let version = db::templates::version(conn, id, number)?;
            let latest = db::templates::latest_version(conn, id)?.version;
            let author = match version.created_by {
                Some(user_id) => db::users::find(conn, user_id).ok().map(|u| u.name),
                None => None,
            };
            Ok(VersionPage { ctx, template, version, latest, author })
        })
        .await
}

#[post("/{id}/versions/{version}/restore")]
async fn restore(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(i64, i32)>,
) -> Result<HttpResponse, AppError> {
    let (id, number) = path.into_inner();
    let actor = user.actor();
    let user_id = user.id;
    let version = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let template = db::templates::find(conn, id)?;
                let old = db::templates::version(conn, id, number)?;
                let version = db::templates::add_version(
                    conn,
                    id,
                    &old.system_prompt,
                    old.first_message.as_deref(),
                    Some(user_id),
                )?;
                let summary = format!("Restored version {number} of “{}” as version {version}", template.name);
                audit::record(conn, &actor, "prompt_template.restore", "prompt_template", Some(id), &summary)?;
                Ok::<_, AppError>(version)
            })
        })
        .await?;
    redirect_with_flash(
        &req,
        &format!("/templates/{id}"),
        FlashKind::Success,
        format!("Version {number} restored as version {version}."),
    )
}
