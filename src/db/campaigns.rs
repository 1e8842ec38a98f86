//! Campaigns and their AI Agents settings.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::campaigns;
use super::types::typed_row;
use crate::domain::campaign::CampaignStatus;
use crate::domain::phone::Region;
use crate::ids::{AgentId, CampaignId, PhoneNumberId, TemplateId};
use chrono_tz::Tz;

typed_row! {
    pub struct Campaign in campaigns as CampaignRaw {
        pub id: CampaignId,
        pub name: String,
        pub description: String,
        pub status: CampaignStatus,
        pub timezone: Tz,
        pub default_region: Region,
        pub production_agent_id: Option<AgentId>,
        pub test_agent_id: Option<AgentId>,
        pub prompt_template_id: Option<TemplateId>,
        pub phone_number_id: Option<PhoneNumberId>,
        pub outcome_status_map: Option<String>,
        /// The number whose inbound calls this campaign answers.
        pub inbound_number_id: Option<PhoneNumberId>,
        /// The agent whose inbound calls this campaign answers (when no number routes them).
        pub inbound_agent_id: Option<AgentId>,
        pub lead_count: i32,
        pub blocking_error_code: Option<String>,
        pub blocking_error_message: Option<String>,
        pub blocking_error_at: Option<NaiveDateTime>,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
    }
}

pub struct CampaignFields<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub status: CampaignStatus,
    pub timezone: Tz,
    pub default_region: Region,
}

/// The four AI Agents choices.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AiAgentsSettings {
    pub production_agent_id: Option<AgentId>,
    pub test_agent_id: Option<AgentId>,
    pub prompt_template_id: Option<TemplateId>,
    pub phone_number_id: Option<PhoneNumberId>,
}

impl Campaign {
    pub fn ai_agents(&self) -> AiAgentsSettings {
        AiAgentsSettings {
            production_agent_id: self.production_agent_id,
            test_agent_id: self.test_agent_id,
            prompt_template_id: self.prompt_template_id,
            phone_number_id: self.phone_number_id,
        }
    }
}

pub fn list(conn: &mut DbConnection, include_archived: bool) -> QueryResult<Vec<Campaign>> {
    let mut query = campaigns::table.select(Campaign::as_select()).into_boxed();
    if !include_archived {
        query = query.filter(campaigns::status.ne(CampaignStatus::Archived.as_str()));
    }
    query.order(campaigns::name.asc()).load(conn)
}

/// Ids of every campaign (lists across campaigns probe the per-campaign indexes with them).
pub fn all_ids(conn: &mut DbConnection) -> QueryResult<Vec<CampaignId>> {
    campaigns::table.select(campaigns::id).order(campaigns::id.asc()).load(conn)
}

/// Adjusts the cached count of live leads by `delta`.
pub fn add_to_lead_count(conn: &mut DbConnection, id: CampaignId, delta: i32) -> QueryResult<usize> {
    if delta == 0 {
        return Ok(0);
    }
    diesel::update(campaigns::table.find(id)).set(campaigns::lead_count.eq(campaigns::lead_count + delta)).execute(conn)
}

/// Id and name of every campaign that is not archived, for pickers.
pub fn names(conn: &mut DbConnection) -> QueryResult<Vec<(CampaignId, String)>> {
    campaigns::table
        .filter(campaigns::status.ne(CampaignStatus::Archived.as_str()))
        .order(campaigns::name.asc())
        .select((campaigns::id, campaigns::name))
        .load(conn)
}

pub fn find(conn: &mut DbConnection, id: CampaignId) -> QueryResult<Campaign> {
    campaigns::table.find(id).select(Campaign::as_select()).get_result(conn)
}

pub fn find_by_name(conn: &mut DbConnection, name: &str) -> QueryResult<Option<Campaign>> {
    campaigns::table.filter(campaigns::name.eq(name)).select(Campaign::as_select()).get_result(conn).optional()
}

pub fn insert(conn: &mut DbConnection, fields: &CampaignFields<'_>, now: NaiveDateTime) -> QueryResult<CampaignId> {
    diesel::insert_into(campaigns::table)
        .values((
            campaigns::name.eq(fields.name),
            campaigns::description.eq(fields.description),
            campaigns::status.eq(fields.status.as_str()),
            campaigns::timezone.eq(fields.timezone.name()),
            campaigns::default_region.eq(fields.default_region.code()),
            campaigns::created_at.eq(now),
            campaigns::updated_at.eq(now),
        ))
        .returning(campaigns::id)
        .get_result(conn)
}

pub fn update(
    conn: &mut DbConnection,
    id: CampaignId,
    fields: &CampaignFields<'_>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(campaigns::table.find(id))
        .set((
            campaigns::name.eq(fields.name),
            campaigns::description.eq(fields.description),
            campaigns::status.eq(fields.status.as_str()),
            campaigns::timezone.eq(fields.timezone.name()),
            campaigns::default_region.eq(fields.default_region.code()),
            campaigns::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Saves the AI Agents choices; a configuration problem they fixed is cleared with them.
pub fn set_ai_agents(
    conn: &mut DbConnection,
    id: CampaignId,
    settings: &AiAgentsSettings,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(campaigns::table.find(id))
        .set((
            campaigns::production_agent_id.eq(settings.production_agent_id),
            campaigns::test_agent_id.eq(settings.test_agent_id),
            campaigns::prompt_template_id.eq(settings.prompt_template_id),
            campaigns::phone_number_id.eq(settings.phone_number_id),
            campaigns::blocking_error_code.eq(None::<String>),
            campaigns::blocking_error_message.eq(None::<String>),
            campaigns::blocking_error_at.eq(None::<NaiveDateTime>),
            campaigns::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Records a configuration problem that blocks calling (R-CONFIG-ERR).
pub fn set_blocking_error(
    conn: &mut DbConnection,
    id: CampaignId,
    code: &str,
    message: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(campaigns::table.find(id))
        .set((
            campaigns::blocking_error_code.eq(code),
            campaigns::blocking_error_message.eq(message),
            campaigns::blocking_error_at.eq(now),
        ))
        .execute(conn)
}

/// Clears a blocking configuration problem once a call resolved its configuration fine.
pub fn clear_blocking_error(conn: &mut DbConnection, id: CampaignId) -> QueryResult<usize> {
    diesel::update(campaigns::table.find(id).filter(campaigns::blocking_error_code.is_not_null()))
        .set((
            campaigns::blocking_error_code.eq(None::<String>),
            campaigns::blocking_error_message.eq(None::<String>),
            campaigns::blocking_error_at.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
}

pub fn set_outcome_status_map(
    conn: &mut DbConnection,
    id: CampaignId,
    json: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(campaigns::table.find(id))
        .set((campaigns::outcome_status_map.eq(json), campaigns::updated_at.eq(now)))
        .execute(conn)
}

/// Marks the campaign to answer inbound calls to `number` and `agent` (or clears it). A
/// number or agent another campaign answers makes this fail with a unique violation.
pub fn set_inbound(
    conn: &mut DbConnection,
    id: CampaignId,
    number: Option<PhoneNumberId>,
    agent: Option<AgentId>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(campaigns::table.find(id))
        .set((
            campaigns::inbound_number_id.eq(number),
            campaigns::inbound_agent_id.eq(agent),
            campaigns::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Campaigns that answer inbound calls to a number or an agent, by name.
pub fn answering_inbound(conn: &mut DbConnection) -> QueryResult<Vec<Campaign>> {
    campaigns::table
        .filter(campaigns::inbound_number_id.is_not_null().or(campaigns::inbound_agent_id.is_not_null()))
        .order(campaigns::name.asc())
        .select(Campaign::as_select())
        .load(conn)
}
