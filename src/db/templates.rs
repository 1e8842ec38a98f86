//! Voice prompt templates and their versions (every save is a new version).

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

/// A version with its author's name, for the history list.
#[derive(Debug, Clone)]
pub struct VersionListItem {
    pub version: TemplateVersion,
    pub author: Option<String>,
}

/// A template with its latest version number, for lists and pickers.
#[derive(Debug, Clone)]
pub struct TemplateListItem {
    pub template: PromptTemplate,
    pub latest_version: i32,
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<TemplateListItem>> {
    let rows: Vec<(PromptTemplate, Option<i32>)> = prompt_templates::table
        .left_join(prompt_template_versions::table)
        .group_by(prompt_templates::id)
        .select((PromptTemplate::as_select(), max(prompt_template_versions::version).nullable()))
        .order(prompt_templates::name.asc())
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(template, latest)| TemplateListItem { template, latest_version: latest.unwrap_or(0) })
        .collect())
}

pub fn find(conn: &mut DbConnection, id: TemplateId) -> QueryResult<PromptTemplate> {
    prompt_templates::table.find(id).select(PromptTemplate::as_select()).get_result(conn)
}

pub fn latest_version(conn: &mut DbConnection, template_id: TemplateId) -> QueryResult<TemplateVersion> {
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
    Ok(rows.into_iter().map(|(version, author)| VersionListItem { version, author }).collect())
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

/// Appends the next version; the unique (template, version) key makes concurrent saves
/// fail rather than share a number.
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
    diesel::update(prompt_templates::table.find(template_id))
        .set(prompt_templates::updated_at.eq(now))
        .execute(conn)?;
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
