//! Voice agents: voxdial's record of an agent that lives at a provider.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, provider_connections, voice_agents};
use super::types::typed_row;
use crate::ids::{AgentId, ConnectionId, PhoneNumberId};

typed_row! {
    pub struct VoiceAgent in voice_agents as VoiceAgentRaw {
        pub id: AgentId,
        pub provider_connection_id: ConnectionId,
        /// The agent's label in voxdial ("Ava — sales").
        pub name: String,
        pub provider_agent_id: String,
        pub default_phone_number_id: Option<PhoneNumberId>,
        pub active: bool,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
        /// The name the voice speaks as ("Ava"); empty: its label.
        pub spoken_name: String,
    }
}

impl VoiceAgent {
    pub fn candidate(&self) -> crate::domain::resolution::AgentCandidate {
        crate::domain::resolution::AgentCandidate {
            id: self.id,
            name: self.name.clone(),
            active: self.active,
            default_phone_number_id: self.default_phone_number_id,
        }
    }

    /// The agent as prompt templates see it.
    pub fn vars(&self) -> crate::domain::prompt::AgentVars {
        crate::domain::prompt::AgentVars::new(&self.name, &self.spoken_name)
    }
}

#[derive(Debug, Clone)]
pub struct AgentListItem {
    pub agent: VoiceAgent,
    pub connection_name: String,
}

/// Filters for the agent list.
#[derive(Debug, Clone, Default)]
pub struct AgentFilter {
    pub search: Option<String>,
    pub provider_connection_id: Option<ConnectionId>,
    pub active: Option<bool>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

pub fn list(conn: &mut DbConnection, filter: &AgentFilter) -> QueryResult<Vec<AgentListItem>> {
    let mut query = voice_agents::table
        .inner_join(provider_connections::table)
        .select((VoiceAgent::as_select(), provider_connections::name))
        .into_boxed();
    if let Some(search) = filter.search.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let pattern = format!("%{}%", escape_like(&search.to_lowercase()));
        query = query.filter(
            lower(voice_agents::name)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(voice_agents::spoken_name).like(pattern.clone()).escape('\\'))
                .or(lower(voice_agents::provider_agent_id).like(pattern).escape('\\')),
        );
    }
    if let Some(id) = filter.provider_connection_id {
        query = query.filter(voice_agents::provider_connection_id.eq(id));
    }
    if let Some(active) = filter.active {
        query = query.filter(voice_agents::active.eq(active));
    }
    let rows: Vec<(VoiceAgent, String)> = query.order((voice_agents::name.asc(), voice_agents::id.asc())).load(conn)?;
    Ok(rows.into_iter().map(|(agent, connection_name)| AgentListItem { agent, connection_name }).collect())
}

/// Escapes LIKE wildcards in user input.
pub fn escape_like(input: &str) -> String {
    input.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

pub fn find(conn: &mut DbConnection, id: AgentId) -> QueryResult<VoiceAgent> {
    voice_agents::table.find(id).select(VoiceAgent::as_select()).get_result(conn)
}

pub fn find_optional(conn: &mut DbConnection, id: Option<AgentId>) -> QueryResult<Option<VoiceAgent>> {
    match id {
        Some(id) => voice_agents::table.find(id).select(VoiceAgent::as_select()).get_result(conn).optional(),
        None => Ok(None),
    }
}

pub fn find_by_provider_id(
    conn: &mut DbConnection,
    provider_connection_id: ConnectionId,
    provider_agent_id: &str,
) -> QueryResult<Option<VoiceAgent>> {
    voice_agents::table
        .filter(voice_agents::provider_connection_id.eq(provider_connection_id))
        .filter(voice_agents::provider_agent_id.eq(provider_agent_id))
        .select(VoiceAgent::as_select())
        .get_result(conn)
        .optional()
}

pub struct AgentFields<'a> {
    pub provider_connection_id: ConnectionId,
    pub name: &'a str,
    pub spoken_name: &'a str,
    pub provider_agent_id: &'a str,
    pub default_phone_number_id: Option<PhoneNumberId>,
}

pub fn insert(conn: &mut DbConnection, fields: &AgentFields<'_>, now: NaiveDateTime) -> QueryResult<AgentId> {
    diesel::insert_into(voice_agents::table)
        .values((
            voice_agents::provider_connection_id.eq(fields.provider_connection_id),
            voice_agents::name.eq(fields.name),
            voice_agents::spoken_name.eq(fields.spoken_name),
            voice_agents::provider_agent_id.eq(fields.provider_agent_id),
            voice_agents::default_phone_number_id.eq(fields.default_phone_number_id),
            voice_agents::active.eq(true),
            voice_agents::created_at.eq(now),
            voice_agents::updated_at.eq(now),
        ))
        .returning(voice_agents::id)
        .get_result(conn)
}

pub fn update(
    conn: &mut DbConnection,
    id: AgentId,
    fields: &AgentFields<'_>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(voice_agents::table.find(id))
        .set((
            voice_agents::provider_connection_id.eq(fields.provider_connection_id),
            voice_agents::name.eq(fields.name),
            voice_agents::spoken_name.eq(fields.spoken_name),
            voice_agents::provider_agent_id.eq(fields.provider_agent_id),
            voice_agents::default_phone_number_id.eq(fields.default_phone_number_id),
            voice_agents::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_active(conn: &mut DbConnection, id: AgentId, active: bool, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(voice_agents::table.find(id))
        .set((voice_agents::active.eq(active), voice_agents::updated_at.eq(now)))
        .execute(conn)
}

/// Names of the campaigns that use the agent (production or test).
pub fn campaigns_using(conn: &mut DbConnection, id: AgentId) -> QueryResult<Vec<String>> {
    campaigns::table
        .filter(campaigns::production_agent_id.eq(id).or(campaigns::test_agent_id.eq(id)))
        .select(campaigns::name)
        .order(campaigns::name.asc())
        .load(conn)
}

pub fn delete(conn: &mut DbConnection, id: AgentId) -> QueryResult<usize> {
    diesel::delete(voice_agents::table.find(id)).execute(conn)
}
