//! Voice prompt templates. Every save is a new version, and only after every contact-type
//! branch rendered for the chosen lead (R-PROMPT-VARS); previews render the same way.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension as _;

use super::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db::leads::Lead;
use crate::db::templates::{PromptTemplate, TemplateListItem, TemplateVersion, VersionListItem};
use crate::db::{self, DbConnection};
use crate::domain::interaction::ContactType;
use crate::domain::prompt::{self, PromptContext, PromptSource, RenderedPrompt, TemplateError};
use crate::error::AppError;
use crate::ids::TemplateId;
use crate::services::prompt_context::{PreviewLead, preview_context};

/// How many recent leads the editor offers to preview with.
const PREVIEW_LEADS: i64 = 25;

/// A template's text.
#[derive(Debug, Clone, Default)]
pub struct TemplateText {
    pub system_prompt: String,
    /// `None`: the agent's own first message.
    pub first_message: Option<String>,
}

impl TemplateText {
    fn source(&self) -> PromptSource<'_> {
        PromptSource { system_prompt: &self.system_prompt, first_message: self.first_message.as_deref() }
    }
}

/// Some text to render, and the lead and contact type to render it for.
#[derive(Debug, Clone)]
pub struct PreviewRequest {
    pub text: TemplateText,
    pub lead: PreviewLead,
    pub contact_type: ContactType,
}

/// A template to save, validated but for the render check the save runs.
#[derive(Debug, Clone)]
pub struct TemplateInput {
    pub name: String,
    pub description: String,
    pub text: TemplateText,
    /// The lead every branch is rendered for before saving.
    pub check_with: PreviewLead,
}

/// A rendered preview, or where the template fails.
#[derive(Debug, Clone)]
pub struct Preview {
    pub rendered: Option<RenderedPrompt>,
    pub error: Option<TemplateError>,
}

/// Everything the editor shows around its form.
#[derive(Debug, Clone)]
pub struct Editor {
    /// `None` for a template not saved yet.
    pub template: Option<PromptTemplate>,
    pub latest: Option<TemplateVersion>,
    pub versions: Vec<VersionListItem>,
    /// Recent leads to preview with, and their campaign's name.
    pub leads: Vec<(Lead, String)>,
    /// Names of the campaigns using the template.
    pub used_by: Vec<String>,
    pub preview: Preview,
}

impl Editor {
    /// The latest version number; 0 before the first save.
    pub fn current_version(&self) -> i32 {
        self.latest.as_ref().map_or(0, |v| v.version)
    }
}

/// One version of a template.
#[derive(Debug, Clone)]
pub struct VersionDetail {
    pub template: PromptTemplate,
    pub version: TemplateVersion,
    pub latest: i32,
    pub author: Option<String>,
}

pub async fn list(ctx: &Ctx) -> Result<Vec<TemplateListItem>, AppError> {
    ctx.db.run(|conn| Ok(db::templates::list(conn)?)).await
}

pub async fn preview(ctx: &Ctx, request: PreviewRequest) -> Result<Preview, AppError> {
    let now = ctx.clock.now_utc();
    ctx.db.run(move |conn| render_preview(conn, &request, now)).await
}

/// The editor of a template (`None`: a new one), previewing `request`, or without one the
/// latest version for the sample lead as a first contact.
pub async fn editor(ctx: &Ctx, id: Option<TemplateId>, request: Option<PreviewRequest>) -> Result<Editor, AppError> {
    let now = ctx.clock.now_utc();
    ctx.db
        .run(move |conn| {
            let (template, latest, versions, used_by) = match id {
                Some(id) => (
                    Some(db::templates::find(conn, id)?),
                    Some(db::templates::latest_version(conn, id)?),
                    db::templates::versions(conn, id)?,
                    db::templates::campaigns_using(conn, id)?,
                ),
                None => (None, None, Vec::new(), Vec::new()),
            };
            let request = request.unwrap_or_else(|| PreviewRequest {
                text: latest.as_ref().map(text_of).unwrap_or_default(),
                lead: PreviewLead::Sample,
                contact_type: ContactType::First,
            });
            let preview = render_preview(conn, &request, now)?;
            let leads = db::leads::recent_with_campaign(conn, PREVIEW_LEADS)?;
            Ok(Editor { template, latest, versions, leads, used_by, preview })
        })
        .await
}

/// Saves a new template as version 1; a name in use is a [`AppError::Conflict`].
pub async fn create(ctx: &Ctx, actor: &Actor, input: TemplateInput) -> Result<TemplateId, AppError> {
    check(ctx, &input).await?;
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let id = db::unless_duplicate(conn, |c| {
                db::templates::insert_template(c, &input.name, &input.description, now)
            })?
            .ok_or_else(|| name_taken(&input.name))?;
            append(conn, id, &input.text, &actor, now)?;
            let summary = format!("Created the prompt template “{}” (version 1)", input.name);
            audit::record(conn, &actor, change("prompt_template.create", id, &summary), now)?;
            Ok(id)
        })
        .await
}

/// Saves the next version, renaming the template when the name changed; returns the
/// version's number.
pub async fn save_version(ctx: &Ctx, actor: &Actor, id: TemplateId, input: TemplateInput) -> Result<i32, AppError> {
    check(ctx, &input).await?;
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let before = db::templates::find(conn, id)?;
            db::unless_duplicate(conn, |c| {
                db::templates::update_template(c, id, &input.name, &input.description, now)
            })?
            .ok_or_else(|| name_taken(&input.name))?;
            let version = append(conn, id, &input.text, &actor, now)?;
            let mut summary = format!("Saved version {version} of the prompt template “{}”", input.name);
            if before.name != input.name {
                summary.push_str(&format!(" (renamed from “{}”)", before.name));
            }
            audit::record(conn, &actor, change("prompt_template.update", id, &summary), now)?;
            Ok(version)
        })
        .await
}

/// Saves an old version's text as the next version; returns the new version's number.
pub async fn restore(ctx: &Ctx, actor: &Actor, id: TemplateId, number: i32) -> Result<i32, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let template = db::templates::find(conn, id)?;
            let old = db::templates::version(conn, id, number)?;
            let version = append(conn, id, &text_of(&old), &actor, now)?;
            let summary = format!("Restored version {number} of “{}” as version {version}", template.name);
            audit::record(conn, &actor, change("prompt_template.restore", id, &summary), now)?;
            Ok(version)
        })
        .await
}

pub async fn version(ctx: &Ctx, id: TemplateId, number: i32) -> Result<VersionDetail, AppError> {
    ctx.db
        .run(move |conn| {
            let template = db::templates::find(conn, id)?;
            let version = db::templates::version(conn, id, number)?;
            let latest = db::templates::latest_version(conn, id)?.version;
            let author = match version.created_by {
                Some(user_id) => db::users::find(conn, user_id).optional()?.map(|u| u.name),
                None => None,
            };
            Ok(VersionDetail { template, version, latest, author })
        })
        .await
}

/// Appends `text` as the template's next version, written by `actor`.
fn append(
    conn: &mut DbConnection,
    id: TemplateId,
    text: &TemplateText,
    actor: &Actor,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<i32> {
    db::templates::add_version(conn, id, &text.system_prompt, text.first_message.as_deref(), actor.user_id, now)
}

fn text_of(version: &TemplateVersion) -> TemplateText {
    TemplateText { system_prompt: version.system_prompt.clone(), first_message: version.first_message.clone() }
}

fn name_taken(name: &str) -> AppError {
    AppError::conflict(format!("A template named “{name}” already exists"))
}

/// The context a preview or check renders with; a preview lead deleted since the page
/// was shown is the user's to fix.
fn context(
    conn: &mut DbConnection,
    lead: PreviewLead,
    contact_type: ContactType,
    now: DateTime<Utc>,
) -> Result<PromptContext, AppError> {
    preview_context(conn, lead, contact_type, now).map_err(|e| match e {
        AppError::NotFound => AppError::validation("The chosen preview lead no longer exists"),
        other => other,
    })
}

fn render_preview(conn: &mut DbConnection, request: &PreviewRequest, now: DateTime<Utc>) -> Result<Preview, AppError> {
    let context = context(conn, request.lead, request.contact_type, now)?;
    Ok(match prompt::render(request.text.source(), &context) {
        Ok(rendered) => Preview { rendered: Some(rendered), error: None },
        Err(error) => Preview { rendered: None, error: Some(error) },
    })
}

/// Renders every contact-type branch for the input's lead; a failure is a validation error.
async fn check(ctx: &Ctx, input: &TemplateInput) -> Result<(), AppError> {
    let now = ctx.clock.now_utc();
    let lead = input.check_with;
    let context = ctx.db.run(move |conn| context(conn, lead, ContactType::First, now)).await?;
    prompt::check_all_branches(input.text.source(), &context)
        .map_err(|error| AppError::validation(format!("The template does not render: {error}")))
}

/// The audit entry of a change to a template.
fn change<'a>(action: &'a str, id: TemplateId, summary: &'a str) -> Change<'a> {
    Change { action, object_kind: "prompt_template", object_id: Some(id.get()), summary }
}
