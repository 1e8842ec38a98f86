//! Voice prompt templates. The editor saves a draft, and only after every contact-type
//! branch rendered for the chosen lead (R-PROMPT-VARS); previews render the same way. Calls
//! use the published version: publishing turns the draft into the next version.

use chrono::{DateTime, Utc};
use diesel::OptionalExtension as _;

use super::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db::leads::Lead;
use crate::db::templates::{PromptTemplate, TemplateListItem, TemplateVersion, VersionListItem};
use crate::db::{self, DbConnection};
use crate::domain::interaction::ContactType;
use crate::domain::prompt::{self, PromptContext, PromptSource, RenderedPrompt, TemplateError};
use crate::domain::text_diff::{Hunk, line_diff};
use crate::error::AppError;
use crate::ids::TemplateId;
use crate::services::prompt_context::{PreviewLead, preview_context};

/// How many recent leads the editor offers to preview with.
const PREVIEW_LEADS: i64 = 25;

/// A template's text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateText {
    pub system_prompt: String,
    /// `None`: the agent's own first message.
    pub first_message: Option<String>,
}

impl TemplateText {
    fn source(&self) -> PromptSource<'_> {
        PromptSource { system_prompt: &self.system_prompt, first_message: self.first_message.as_deref() }
    }

    fn of_version(version: &TemplateVersion) -> TemplateText {
        TemplateText { system_prompt: version.system_prompt.clone(), first_message: version.first_message.clone() }
    }

    /// The draft when there is one, else the published text.
    fn current(template: &PromptTemplate, published: Option<&TemplateVersion>) -> TemplateText {
        match template.draft() {
            Some((system_prompt, first_message)) => TemplateText {
                system_prompt: system_prompt.to_owned(),
                first_message: first_message.map(str::to_owned),
            },
            None => published.map(TemplateText::of_version).unwrap_or_default(),
        }
    }
}

/// What changed from one text of a template to another, part by part.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    pub first_message: Vec<Hunk>,
    pub system_prompt: Vec<Hunk>,
}

impl Changes {
    fn between(old: &TemplateText, new: &TemplateText) -> Changes {
        let first = |t: &TemplateText| t.first_message.clone().unwrap_or_default();
        Changes {
            first_message: line_diff(&first(old), &first(new)),
            system_prompt: line_diff(&old.system_prompt, &new.system_prompt),
        }
    }

    /// Each part with its title, in the editor's order.
    pub fn parts(&self) -> [(&'static str, &[Hunk]); 2] {
        [("First message", &self.first_message), ("System prompt", &self.system_prompt)]
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
    /// The text the editor opens with: the draft, else the published version.
    pub text: TemplateText,
    /// Newest first: the first is the published version.
    pub versions: Vec<VersionListItem>,
    /// The draft's changes to the published version; empty without a draft.
    pub unpublished: Changes,
    /// Recent leads to preview with, and their campaign's name.
    pub leads: Vec<(Lead, String)>,
    /// Names of the campaigns using the template.
    pub used_by: Vec<String>,
    pub preview: Preview,
}

/// One version of a template and what it changed.
#[derive(Debug, Clone)]
pub struct VersionDetail {
    pub template: PromptTemplate,
    pub version: TemplateVersion,
    /// The published version's number.
    pub published: i32,
    pub author: String,
    /// The changes from the version before (from nothing for version 1).
    pub changes: Changes,
}

/// What saving the editor's text did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    /// A draft with unpublished changes.
    Draft,
    /// The text is the published version's (which the number is): no draft is left.
    Published(i32),
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
            let (template, versions, used_by) = match id {
                Some(id) => (
                    Some(db::templates::find(conn, id)?),
                    db::templates::versions(conn, id)?,
                    db::templates::campaigns_using(conn, id)?,
                ),
                None => (None, Vec::new(), Vec::new()),
            };
            let published = versions.first().map(|item| &item.version);
            let text = template.as_ref().map(|t| TemplateText::current(t, published)).unwrap_or_default();
            let unpublished = match (&template, published) {
                (Some(t), Some(published)) if t.draft().is_some() => {
                    Changes::between(&TemplateText::of_version(published), &text)
                }
                _ => Changes::default(),
            };
            let request = request.unwrap_or_else(|| PreviewRequest {
                text: text.clone(),
                lead: PreviewLead::Sample,
                contact_type: ContactType::First,
            });
            let preview = render_preview(conn, &request, now)?;
            let leads = db::leads::recent_with_campaign(conn, PREVIEW_LEADS)?;
            Ok(Editor { template, text, versions, unpublished, leads, used_by, preview })
        })
        .await
}

/// Saves a new template and publishes it as version 1 (no campaign can use it yet); a
/// name in use is a [`AppError::Conflict`].
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
            publish_text(conn, id, &input.text, &actor, now)?;
            let summary = format!("Created the prompt template “{}” and published version 1", input.name);
            audit::record(conn, &actor, change("prompt_template.create", id, &summary), now)?;
            Ok(id)
        })
        .await
}

/// Saves the editor's text as the draft (calls keep the published version) and the name
/// and description at once, which calls do not use.
pub async fn save_draft(ctx: &Ctx, actor: &Actor, id: TemplateId, input: TemplateInput) -> Result<Saved, AppError> {
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
            let saved = keep_as_draft(conn, id, &input.text, now)?;
            let mut summary = match saved {
                Saved::Draft => format!("Saved the draft of the prompt template “{}”", input.name),
                Saved::Published(version) => {
                    format!("Saved the prompt template “{}” as its published version {version}", input.name)
                }
            };
            if before.name != input.name {
                summary.push_str(&format!(" (renamed from “{}”)", before.name));
            }
            audit::record(conn, &actor, change("prompt_template.update", id, &summary), now)?;
            Ok(saved)
        })
        .await
}

/// Publishes the draft as the next version, which calls use from now on; returns its number.
pub async fn publish(ctx: &Ctx, actor: &Actor, id: TemplateId) -> Result<i32, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let template = db::templates::find(conn, id)?;
            let Some((system_prompt, first_message)) = template.draft() else {
                return Err(AppError::validation("Nothing to publish: the draft is the published version"));
            };
            let version = db::templates::add_version(conn, id, system_prompt, first_message, actor.user_id, now)?;
            let summary = format!("Published version {version} of the prompt template “{}”", template.name);
            audit::record(conn, &actor, change("prompt_template.publish", id, &summary), now)?;
            Ok(version)
        })
        .await
}

/// Copies an old version's text into the draft, to publish again after a look.
pub async fn restore(ctx: &Ctx, actor: &Actor, id: TemplateId, number: i32) -> Result<Saved, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let template = db::templates::find(conn, id)?;
            let old = db::templates::version(conn, id, number)?;
            let saved = keep_as_draft(conn, id, &TemplateText::of_version(&old), now)?;
            let summary = format!("Copied version {number} of “{}” into its draft", template.name);
            audit::record(conn, &actor, change("prompt_template.restore", id, &summary), now)?;
            Ok(saved)
        })
        .await
}

pub async fn version(ctx: &Ctx, id: TemplateId, number: i32) -> Result<VersionDetail, AppError> {
    ctx.db
        .run(move |conn| {
            let template = db::templates::find(conn, id)?;
            let version = db::templates::version(conn, id, number)?;
            let before = match number {
                1 => None,
                _ => db::templates::version(conn, id, number - 1).optional()?,
            };
            let published = db::templates::published(conn, id)?.version;
            let author = db::templates::author(conn, &version)?;
            let before = before.as_ref().map(TemplateText::of_version).unwrap_or_default();
            let changes = Changes::between(&before, &TemplateText::of_version(&version));
            Ok(VersionDetail { template, version, published, author, changes })
        })
        .await
}

/// Keeps `text` as the draft, or drops the draft when `text` is the published version's.
fn keep_as_draft(
    conn: &mut DbConnection,
    id: TemplateId,
    text: &TemplateText,
    now: chrono::NaiveDateTime,
) -> Result<Saved, AppError> {
    let published = db::templates::published(conn, id).optional()?;
    if let Some(published) = published.filter(|p| TemplateText::of_version(p) == *text) {
        db::templates::set_draft(conn, id, None, now)?;
        return Ok(Saved::Published(published.version));
    }
    db::templates::set_draft(conn, id, Some((&text.system_prompt, text.first_message.as_deref())), now)?;
    Ok(Saved::Draft)
}

/// Publishes `text` as the template's next version, by `actor`.
fn publish_text(
    conn: &mut DbConnection,
    id: TemplateId,
    text: &TemplateText,
    actor: &Actor,
    now: chrono::NaiveDateTime,
) -> diesel::QueryResult<i32> {
    db::templates::add_version(conn, id, &text.system_prompt, text.first_message.as_deref(), actor.user_id, now)
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
