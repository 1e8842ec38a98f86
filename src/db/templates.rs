//! Voice prompt templates: their published versions, the newest of which calls use, and
//! the draft the editor saves (NULL when there are no unpublished changes).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::max;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, prompt_template_versions, prompt_templates, users};
use super::types::typed_row;
use crate::ids::{TemplateId, TemplateVersionId, UserId};

typed_row! {
    pub struct PromptTemplate in prompt_templates as PromptTemplateRaw {
        pub id: TemplateId,
        pub name: String,
        pub description: String,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
        pub draft_system_prompt: Option<String>,
        pub draft_first_message: Option<String>,
    }
}

impl PromptTemplate {
    /// The draft's text, when it has changes not published yet.
    pub fn draft(&self) -> Option<(&str, Option<&str>)> {
        self.draft_system_prompt.as_deref().map(|prompt| (prompt, self.draft_first_message.as_deref()))
    }
}

typed_row! {
    pub struct TemplateVersion in prompt_template_versions as TemplateVersionRaw {
        pub id: TemplateVersionId,
        pub prompt_template_id: TemplateId,
        pub version: i32,
        pub system_prompt: String,
        pub first_message: Option<String>,
        pub created_by: Option<UserId>,
        pub created_at: NaiveDateTime,
    }
}

/// Who published a version when no team member did (the demo's setup).
const SYSTEM_AUTHOR: &str = "voxdial";

/// A version with the name of who published it, for the history list.
#[derive(Debug, Clone)]
pub struct VersionListItem {
    pub version: TemplateVersion,
    pub author: String,
}

/// The version a template's calls use: its number and when it was published.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Published {
    pub version: i32,
    pub at: NaiveDateTime,
}

/// A template with its published version, for lists, pickers and campaign pages.
#[derive(Debug, Clone)]
pub struct TemplateListItem {
    pub template: PromptTemplate,
    /// `None` only for a template whose first version was never written.
    pub published: Option<Published>,
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<TemplateListItem>> {
    let templates: Vec<PromptTemplate> =
        prompt_templates::table.select(PromptTemplate::as_select()).order(prompt_templates::name.asc()).load(conn)?;
    let rows: Vec<(TemplateId, i32, NaiveDateTime)> = prompt_template_versions::table
        .select((
            prompt_template_versions::prompt_template_id,
            prompt_template_versions::version,
            prompt_template_versions::created_at,
        ))
        .load(conn)?;
    let mut newest: HashMap<TemplateId, Published> = HashMap::new();
    for (template_id, version, at) in rows {
        let entry = newest.entry(template_id).or_insert(Published { version, at });
        if version > entry.version {
            *entry = Published { version, at };
        }
    }
    Ok(templates
        .into_iter()
        .map(|template| TemplateListItem { published: newest.get(&template.id).copied(), template })
        .collect())
}

/// One template with its published version.
pub fn summary(conn: &mut DbConnection, id: TemplateId) -> QueryResult<TemplateListItem> {
    let template = find(conn, id)?;
    let published = published(conn, id).optional()?.map(|v| Published { version: v.version, at: v.created_at });
    Ok(TemplateListItem { template, published })
}

pub fn find(conn: &mut DbConnection, id: TemplateId) -> QueryResult<PromptTemplate> {
    prompt_templates::table.find(id).select(PromptTemplate::as_select()).get_result(conn)
}

/// The version calls use: the newest, since every version is a published one.
pub fn published(conn: &mut DbConnection, template_id: TemplateId) -> QueryResult<TemplateVersion> {
    prompt_template_versions::table
        .filter(prompt_template_versions::prompt_template_id.eq(template_id))
        .order(prompt_template_versions::version.desc())
        .select(TemplateVersion::as_select())
        .first(conn)
}

pub fn version(conn: &mut DbConnection, template_id: TemplateId, version: i32) -> QueryResult<TemplateVersion> {
    prompt_template_versions::table
        .filter(prompt_template_versions::prompt_template_id.eq(template_id))
        .filter(prompt_template_versions::version.eq(version))
        .select(TemplateVersion::as_select())
        .get_result(conn)
}

pub fn versions(conn: &mut DbConnection, template_id: TemplateId) -> QueryResult<Vec<VersionListItem>> {
    let rows: Vec<(TemplateVersion, Option<String>)> = prompt_template_versions::table
        .left_join(users::table)
        .filter(prompt_template_versions::prompt_template_id.eq(template_id))
        .order(prompt_template_versions::version.desc())
        .select((TemplateVersion::as_select(), users::name.nullable()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(version, author)| VersionListItem { version, author: author.unwrap_or_else(|| SYSTEM_AUTHOR.into()) })
        .collect())
}

/// Who published a version.
pub fn author(conn: &mut DbConnection, version: &TemplateVersion) -> QueryResult<String> {
    let name = match version.created_by {
        Some(user_id) => users::table.find(user_id).select(users::name).get_result(conn).optional()?,
        None => None,
    };
    Ok(name.unwrap_or_else(|| SYSTEM_AUTHOR.into()))
}

pub fn insert_template(
    conn: &mut DbConnection,
    name: &str,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<TemplateId> {
    diesel::insert_into(prompt_templates::table)
        .values((
            prompt_templates::name.eq(name),
            prompt_templates::description.eq(description),
            prompt_templates::created_at.eq(now),
            prompt_templates::updated_at.eq(now),
        ))
        .returning(prompt_templates::id)
        .get_result(conn)
}

pub fn update_template(
    conn: &mut DbConnection,
    id: TemplateId,
    name: &str,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(prompt_templates::table.find(id))
        .set((
            prompt_templates::name.eq(name),
            prompt_templates::description.eq(description),
            prompt_templates::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Saves the draft; `None` drops it (the text is the published one again).
pub fn set_draft(
    conn: &mut DbConnection,
    id: TemplateId,
    draft: Option<(&str, Option<&str>)>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(prompt_templates::table.find(id))
        .set((
            prompt_templates::draft_system_prompt.eq(draft.map(|(prompt, _)| prompt)),
            prompt_templates::draft_first_message.eq(draft.and_then(|(_, first)| first)),
            prompt_templates::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Publishes the next version, which calls use from now on, and drops the draft; the
/// unique (template, version) key makes concurrent publishes fail rather than share a number.
pub fn add_version(
    conn: &mut DbConnection,
    template_id: TemplateId,
    system_prompt: &str,
    first_message: Option<&str>,
    author: Option<UserId>,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let current: Option<i32> = prompt_template_versions::table
        .filter(prompt_template_versions::prompt_template_id.eq(template_id))
        .select(max(prompt_template_versions::version))
        .get_result(conn)?;
    let next = current.unwrap_or(0) + 1;
    diesel::insert_into(prompt_template_versions::table)
        .values((
            prompt_template_versions::prompt_template_id.eq(template_id),
            prompt_template_versions::version.eq(next),
            prompt_template_versions::system_prompt.eq(system_prompt),
            prompt_template_versions::first_message.eq(first_message),
            prompt_template_versions::created_by.eq(author),
            prompt_template_versions::created_at.eq(now),
        ))
        .execute(conn)?;
    set_draft(conn, template_id, None, now)?;
    Ok(next)
}

pub fn campaigns_using(conn: &mut DbConnection, template_id: TemplateId) -> QueryResult<Vec<String>> {
    campaigns::table
        .filter(campaigns::prompt_template_id.eq(template_id))
        .select(campaigns::name)
        .order(campaigns::name.asc())
        .load(conn)
}

pub fn version_by_id(conn: &mut DbConnection, id: TemplateVersionId) -> QueryResult<TemplateVersion> {
    prompt_template_versions::table.find(id).select(TemplateVersion::as_select()).get_result(conn)
}
