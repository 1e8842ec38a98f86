//! The template editor: a new template or the draft of one, its live preview for a chosen
//! lead and contact type, and saving, which renders every branch first. Line numbers and
//! the unsaved-changes warning come from static/editor.js.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::AiSetupEditor;
use crate::auth::session::FlashKind;
use crate::db::leads::Lead;
use crate::db::templates::{PromptTemplate, VersionListItem};
use crate::domain::campaign::parse_name;
use crate::domain::interaction::ContactType;
use crate::domain::prompt::VARIABLES;
use crate::error::AppError;
use crate::ids::TemplateId;
use crate::services::prompt_context::PreviewLead;
use crate::services::templates::{self, Changes, Editor, Preview, PreviewRequest, Saved, TemplateInput, TemplateText};
use crate::web::{PageCtx, redirect_with_flash, respond_with_status};

/// The editor's form as posted, kept as typed for showing it again.
#[derive(Debug, Default, Deserialize)]
struct TemplateForm {
    /// Previews need no name; saving requires one.
    #[serde(default)]
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
    /// The form for a template's draft (else its published version), previewed for the
    /// sample lead.
    fn from_editor(editor: &Editor) -> TemplateForm {
        let template = editor.template.as_ref();
        TemplateForm {
            name: template.map(|t| t.name.clone()).unwrap_or_default(),
            description: template.map(|t| t.description.clone()).unwrap_or_default(),
            system_prompt: editor.text.system_prompt.clone(),
            first_message: editor.text.first_message.clone().unwrap_or_default(),
            preview_lead: String::new(),
            contact_type: ContactType::First.as_str().into(),
        }
    }

    /// The text with the line breaks browsers send (CRLF) as `\n`, so that saving what was
    /// published compares equal and diffs show only real changes.
    fn text(&self) -> TemplateText {
        let lines = |text: &str| text.replace("\r\n", "\n");
        TemplateText {
            system_prompt: lines(&self.system_prompt),
            first_message: Some(lines(&self.first_message)).filter(|m| !m.trim().is_empty()),
        }
    }

    fn preview_request(&self) -> PreviewRequest {
        PreviewRequest {
            text: self.text(),
            lead: PreviewLead::parse(&self.preview_lead),
            contact_type: ContactType::parse(&self.contact_type).unwrap_or(ContactType::First),
        }
    }

    /// What to save: a name and a system prompt are required.
    fn input(&self) -> Result<TemplateInput, AppError> {
        let name = parse_name(&self.name, "Name").map_err(AppError::Validation)?;
        if self.system_prompt.trim().is_empty() {
            return Err(AppError::validation("The system prompt is required"));
        }
        Ok(TemplateInput {
            name,
            description: self.description.trim().to_owned(),
            text: self.text(),
            check_with: PreviewLead::parse(&self.preview_lead),
        })
    }
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
    /// The version calls use, with who published it.
    published: Option<VersionListItem>,
    form: TemplateForm,
    versions: Vec<VersionListItem>,
    /// The saved draft's changes to the published version.
    changes: Changes,
    leads: Vec<(Lead, String)>,
    used_by: Vec<String>,
    preview: Preview,
    /// Why the form was not saved; the form then holds unsaved changes.
    error: Option<String>,
    variables: &'static [(&'static str, &'static str)],
    contact_types: &'static [ContactType],
}

impl EditorPage {
    fn new(ctx: PageCtx, editor: Editor, form: TemplateForm, error: Option<String>) -> EditorPage {
        let Editor { template, versions, unpublished, leads, used_by, preview, .. } = editor;
        EditorPage {
            ctx,
            template,
            published: versions.first().cloned(),
            form,
            versions,
            changes: unpublished,
            leads,
            used_by,
            preview,
            error,
            variables: VARIABLES,
            contact_types: ContactType::ALL,
        }
    }
}

const STARTER_PROMPT: &str = "You are a friendly sales assistant calling on behalf of {{ campaign.name }}.\n\
{% if contact_type == 'returning' %}You have spoken with {{ lead.first_name }} before: \
{% for call in previous_interactions %}on {{ call.date }} ({{ call.outcome }}) {{ call.summary }} {% endfor %}\n\
{% else %}This is your first conversation with {{ lead.first_name }}.\n{% endif %}\
The lead works at {{ lead.company or 'an unknown company' }}. It is {{ now }} for them.";

#[get("/new")]
pub(super) async fn new_page(state: web::Data<AppState>, ctx: PageCtx) -> Result<EditorPage, AppError> {
    let form = TemplateForm {
        system_prompt: STARTER_PROMPT.into(),
        first_message: "Hi {{ lead.first_name }}, this is {{ agent.name }} from {{ campaign.name }}.".into(),
        contact_type: ContactType::First.as_str().into(),
        ..TemplateForm::default()
    };
    let editor = templates::editor(&state.ctx, None, Some(form.preview_request())).await?;
    Ok(EditorPage::new(ctx, editor, form, None))
}

#[get("/{id}")]
pub(super) async fn editor_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<TemplateId>,
) -> Result<EditorPage, AppError> {
    let editor = templates::editor(&state.ctx, Some(path.into_inner()), None).await?;
    let form = TemplateForm::from_editor(&editor);
    Ok(EditorPage::new(ctx, editor, form, None))
}

#[post("/preview")]
pub(super) async fn preview_partial(
    state: web::Data<AppState>,
    form: web::Form<TemplateForm>,
) -> Result<PreviewPartial, AppError> {
    let preview = templates::preview(&state.ctx, form.preview_request()).await?;
    Ok(PreviewPartial { preview })
}

#[post("")]
pub(super) async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    AiSetupEditor(user): AiSetupEditor,
    form: web::Form<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    match async { templates::create(&state.ctx, &user.actor(), form.input()?).await }.await {
        Ok(id) => redirect_with_flash(
            &req,
            &format!("/templates/{id}"),
            FlashKind::Success,
            "Template created and version 1 published. Later changes are saved as a draft until you publish them.",
        ),
        Err(e) => not_saved(&req, &state, ctx, None, form, e).await,
    }
}

#[post("/{id}")]
pub(super) async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    AiSetupEditor(user): AiSetupEditor,
    path: web::Path<TemplateId>,
    form: web::Form<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    match async { templates::save_draft(&state.ctx, &user.actor(), id, form.input()?).await }.await {
        Ok(saved) => {
            let message = match saved {
                Saved::Draft => "Draft saved. Calls keep the published version until you publish the draft.".to_owned(),
                Saved::Published(version) => {
                    format!("Saved. This is the published version {version}; nothing to publish.")
                }
            };
            redirect_with_flash(&req, &format!("/templates/{id}"), FlashKind::Success, message)
        }
        Err(e) => not_saved(&req, &state, ctx, Some(id), form, e).await,
    }
}

/// The editor again with the form as typed and why it was not saved; an error the user
/// cannot fix propagates.
async fn not_saved(
    req: &HttpRequest,
    state: &AppState,
    ctx: PageCtx,
    id: Option<TemplateId>,
    form: TemplateForm,
    error: AppError,
) -> Result<HttpResponse, AppError> {
    let message = error.user_message().ok_or(error)?;
    let editor = templates::editor(&state.ctx, id, Some(form.preview_request())).await?;
    let page = EditorPage::new(ctx, editor, form, Some(message));
    Ok(respond_with_status(page, req, StatusCode::UNPROCESSABLE_ENTITY))
}
