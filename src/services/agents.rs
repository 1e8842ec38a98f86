//! Voice agents: voxdial's record of the agents that live at a provider. The filtered list,
//! adding and editing by hand, activating, deleting, and importing them from the provider
//! (through [`provider_import`](super::provider_import)).

use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::{OptionalExtension, QueryResult};

use super::Ctx;
use super::provider_import::{ImportKind, Written};
use crate::audit::{self, Actor, Change};
use crate::db::agents::{AgentFields, AgentFilter, AgentListItem, VoiceAgent};
use crate::db::phone_numbers::NumberListItem;
use crate::db::providers::ProviderConnection;
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::ids::{AgentId, ConnectionId, PhoneNumberId};
use crate::provider::{ProviderError, RemoteAgent, VoiceProvider};

/// What an agent form offers to choose from.
pub struct Choices {
    pub connections: Vec<ProviderConnection>,
    pub numbers: Vec<NumberListItem>,
}

/// The agents a filter lets through, with the form's choices.
pub struct AgentList {
    pub agents: Vec<AgentListItem>,
    pub choices: Choices,
}

/// One agent, with the form's choices (for its row and its edit form).
pub struct AgentDetail {
    pub item: AgentListItem,
    pub choices: Choices,
}

/// An agent as a person entered it, already parsed.
#[derive(Debug, Clone)]
pub struct AgentInput {
    /// The label in voxdial.
    pub name: String,
    /// What the voice calls itself; empty: its label.
    pub spoken_name: String,
    pub provider_connection_id: ConnectionId,
    pub provider_agent_id: String,
    pub default_phone_number_id: Option<PhoneNumberId>,
}

impl AgentInput {
    fn fields(&self) -> AgentFields<'_> {
        AgentFields {
            provider_connection_id: self.provider_connection_id,
            name: &self.name,
            spoken_name: &self.spoken_name,
            provider_agent_id: &self.provider_agent_id,
            default_phone_number_id: self.default_phone_number_id,
        }
    }
}

pub async fn list(ctx: &Ctx, filter: AgentFilter) -> Result<AgentList, AppError> {
    ctx.db
        .run(move |conn| Ok(AgentList { agents: db::agents::list(conn, &filter)?, choices: load_choices(conn)? }))
        .await
}

pub async fn choices(ctx: &Ctx) -> Result<Choices, AppError> {
    ctx.db.run(load_choices).await
}

pub async fn detail(ctx: &Ctx, id: AgentId) -> Result<AgentDetail, AppError> {
    ctx.db.run(move |conn| load_detail(conn, id)).await
}

pub async fn create(ctx: &Ctx, actor: &Actor, input: AgentInput) -> Result<AgentId, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            check_references(conn, &input)?;
            let Some(id) = db::unless_duplicate(conn, |c| db::agents::insert(c, &input.fields(), now))? else {
                return Err(AppError::conflict(format!("The agent {} is already in voxdial", input.provider_agent_id)));
            };
            let summary = format!("Added the voice agent “{}” ({})", input.name, input.provider_agent_id);
            record(conn, &actor, "voice_agent.create", id, &summary, now)?;
            Ok(id)
        })
        .await
}

/// Saves an edit and returns the agent as it is now.
pub async fn update(ctx: &Ctx, actor: &Actor, id: AgentId, input: AgentInput) -> Result<AgentDetail, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let before = db::agents::find(conn, id)?;
            check_references(conn, &input)?;
            if db::unless_duplicate(conn, |c| db::agents::update(c, id, &input.fields(), now))?.is_none() {
                return Err(AppError::conflict(format!(
                    "Another agent already uses the id {}",
                    input.provider_agent_id
                )));
            }
            let summary = format!("Edited the voice agent “{}” (was “{}”)", input.name, before.name);
            record(conn, &actor, "voice_agent.update", id, &summary, now)?;
            load_detail(conn, id)
        })
        .await
}

/// Activates or deactivates an agent and returns it as it is now.
pub async fn set_active(ctx: &Ctx, actor: &Actor, id: AgentId, active: bool) -> Result<AgentDetail, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let agent = db::agents::find(conn, id)?;
            db::agents::set_active(conn, id, active, now)?;
            let verb = if active { "Activated" } else { "Deactivated" };
            let summary = format!("{verb} the voice agent “{}”", agent.name);
            record(conn, &actor, "voice_agent.active", id, &summary, now)?;
            load_detail(conn, id)
        })
        .await
}

/// Deletes an agent no campaign uses; returns its name.
pub async fn delete(ctx: &Ctx, actor: &Actor, id: AgentId) -> Result<String, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
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
            record(conn, &actor, "voice_agent.delete", id, &format!("Deleted the voice agent “{}”", agent.name), now)?;
            Ok(agent.name)
        })
        .await
}

fn load_choices(conn: &mut DbConnection) -> Result<Choices, AppError> {
    Ok(Choices { connections: db::providers::list(conn)?, numbers: db::phone_numbers::list(conn)? })
}

fn load_detail(conn: &mut DbConnection, id: AgentId) -> Result<AgentDetail, AppError> {
    let agent = db::agents::find(conn, id)?;
    let connection_name = db::providers::find(conn, agent.provider_connection_id)?.name;
    Ok(AgentDetail { item: AgentListItem { agent, connection_name }, choices: load_choices(conn)? })
}

/// The connection must exist, and the default number must belong to it.
fn check_references(conn: &mut DbConnection, input: &AgentInput) -> Result<(), AppError> {
    if db::providers::find(conn, input.provider_connection_id).optional()?.is_none() {
        return Err(AppError::validation("Choose the provider connection"));
    }
    if let Some(number_id) = input.default_phone_number_id {
        let number = db::phone_numbers::find(conn, number_id)
            .optional()?
            .ok_or_else(|| AppError::validation("Choose a phone number from the list"))?;
        if number.provider_connection_id != input.provider_connection_id {
            return Err(AppError::validation(format!(
                "{} belongs to another provider connection than the agent",
                number.e164
            )));
        }
    }
    Ok(())
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    id: AgentId,
    summary: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let change = Change { action, object_kind: "voice_agent", object_id: Some(id.get()), summary };
    audit::record(conn, actor, change, now)
}

/// Voice agents as [`provider_import`](super::provider_import) imports them: stored under
/// the provider's name (its id when it has none); importing again never duplicates, and never
/// overwrites the label an admin gave it.
pub struct AgentImport;

#[async_trait]
impl ImportKind for AgentImport {
    type Remote = RemoteAgent;
    /// The name voxdial gives the agent.
    type Prepared = String;
    type Existing = VoiceAgent;

    const PLURAL: &'static str = "agents";
    const AUDIT_ACTION: &'static str = "voice_agent.import";
    const OBJECT_KIND: &'static str = "voice_agent";

    async fn list(client: &dyn VoiceProvider) -> Result<Vec<RemoteAgent>, ProviderError> {
        client.list_agents().await
    }

    fn remote_id(remote: &RemoteAgent) -> &str {
        &remote.agent_id
    }

    fn label(remote: &RemoteAgent) -> String {
        remote.name.clone()
    }

    fn prepare(remote: &RemoteAgent) -> Option<String> {
        let name = remote.name.trim();
        Some(if name.is_empty() { remote.agent_id.clone() } else { name.to_owned() })
    }

    fn find(conn: &mut DbConnection, connection_id: ConnectionId, remote_id: &str) -> QueryResult<Option<VoiceAgent>> {
        db::agents::find_by_provider_id(conn, connection_id, remote_id)
    }

    fn insert(
        conn: &mut DbConnection,
        connection: &ProviderConnection,
        remote: &RemoteAgent,
        name: &String,
        now: NaiveDateTime,
    ) -> QueryResult<Written> {
        let fields = AgentFields {
            provider_connection_id: connection.id,
            name,
            // Providers have no spoken name: the agent speaks as its label until one is set.
            spoken_name: "",
            provider_agent_id: &remote.agent_id,
            default_phone_number_id: None,
        };
        let id = db::agents::insert(conn, &fields, now)?;
        let summary = format!("Imported the voice agent “{name}” from “{}”", connection.name);
        Ok(Written { id: id.get(), label: name.clone(), summary })
    }
}
