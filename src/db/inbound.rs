//! Lookups that route an inbound call, each one indexed query.

use diesel::prelude::*;

use super::DbConnection;
use super::campaigns::Campaign;
use super::phone_numbers::PhoneNumber;
use super::schema::{campaigns, phone_numbers, voice_agents};
use crate::domain::campaign::CampaignStatus;
use crate::domain::phone::E164;
use crate::ids::{AgentId, ConnectionId, PhoneNumberId};

/// The connection's number that was called.
pub fn number(conn: &mut DbConnection, connection_id: ConnectionId, e164: &E164) -> QueryResult<Option<PhoneNumber>> {
    phone_numbers::table
        .filter(phone_numbers::e164.eq(e164.as_str()))
        .filter(phone_numbers::provider_connection_id.eq(connection_id))
        .select(PhoneNumber::as_select())
        .first(conn)
        .optional()
}

/// Campaigns (not archived) that call from this number — their own number, or their
/// production agent's default when they set none — the one marked to answer it first, then
/// active ones, then the newest.
pub fn campaigns_calling_from(conn: &mut DbConnection, number_id: PhoneNumberId) -> QueryResult<Vec<Campaign>> {
    let agents_on_number =
        voice_agents::table.filter(voice_agents::default_phone_number_id.eq(number_id)).select(voice_agents::id);
    let mut found: Vec<Campaign> = campaigns::table
        .filter(
            campaigns::phone_number_id.eq(number_id).or(campaigns::phone_number_id
                .is_null()
                .and(campaigns::production_agent_id.eq_any(agents_on_number.nullable()))),
        )
        .filter(campaigns::status.ne(CampaignStatus::Archived.as_str()))
        .select(Campaign::as_select())
        .limit(20)
        .load(conn)?;
    found.sort_by_key(|c| {
        (c.inbound_number_id != Some(number_id), c.status != CampaignStatus::Active, std::cmp::Reverse(c.id))
    });
    Ok(found)
}

/// The campaign marked to answer calls to this number.
pub fn campaign_answering_number(conn: &mut DbConnection, number_id: PhoneNumberId) -> QueryResult<Option<Campaign>> {
    campaigns::table
        .filter(campaigns::inbound_number_id.eq(number_id))
        .filter(campaigns::status.ne(CampaignStatus::Archived.as_str()))
        .select(Campaign::as_select())
        .get_result(conn)
        .optional()
}

/// The campaign marked to answer calls to this agent.
pub fn campaign_answering_agent(conn: &mut DbConnection, agent_id: AgentId) -> QueryResult<Option<Campaign>> {
    campaigns::table
        .filter(campaigns::inbound_agent_id.eq(agent_id))
        .filter(campaigns::status.ne(CampaignStatus::Archived.as_str()))
        .select(Campaign::as_select())
        .get_result(conn)
        .optional()
}
