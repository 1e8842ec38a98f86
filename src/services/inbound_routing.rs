//! Where inbound calls go (R-INBOUND): a campaign answers the calls to its own number; a
//! campaign may also be marked to answer a number or an agent; each connection has a
//! default campaign for the rest.

use crate::audit::{self, Actor, Change};
use crate::db::campaigns::Campaign;
use crate::db::problems::ProblemKind;
use crate::db::providers::ProviderConnection;
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::ids::{CampaignId, ConnectionId};
use crate::services::Ctx;
use crate::services::ai_agents::resolved_number;

/// A campaign marked to answer inbound calls, with what it answers.
pub struct Answering {
    pub campaign: Campaign,
    pub number: Option<String>,
    pub agent: Option<String>,
}

/// A connection's inbound routing, as its settings page shows it.
pub struct InboundRouting {
    pub connection: ProviderConnection,
    /// Campaigns that may be the default, by name.
    pub campaigns: Vec<(CampaignId, String)>,
    pub answering: Vec<Answering>,
    /// The built-in simulator's phone, where a demo user can ring the demo account.
    pub simulator_phone: Option<String>,
}

pub async fn overview(ctx: &Ctx, connection_id: ConnectionId) -> Result<InboundRouting, AppError> {
    ctx.db
        .run(move |conn| {
            let connection = db::providers::find(conn, connection_id)?;
            let mut answering = Vec::new();
            for campaign in db::campaigns::answering_inbound(conn)? {
                let number = match campaign.inbound_number_id {
                    Some(id) => Some(db::phone_numbers::find(conn, id)?.e164.to_string()),
                    None => None,
                };
                let agent = db::agents::find_optional(conn, campaign.inbound_agent_id)?.map(|a| a.name);
                answering.push(Answering { campaign, number, agent });
            }
            let simulator_phone = (connection.name == crate::demo::CONNECTION_NAME)
                .then(|| format!("{}/phone", connection.api_base_url.trim_end_matches('/')));
            Ok(InboundRouting { connection, campaigns: db::campaigns::names(conn)?, answering, simulator_phone })
        })
        .await
}

/// Sets (or clears) the connection's default inbound campaign.
pub async fn set_default(
    ctx: &Ctx,
    actor: Actor,
    connection_id: ConnectionId,
    campaign_id: Option<CampaignId>,
) -> Result<(), AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let connection = db::providers::find(conn, connection_id)?;
            let name = match campaign_id {
                Some(id) => format!("“{}”", db::campaigns::find(conn, id)?.name),
                None => "none".to_owned(),
            };
            db::providers::set_default_inbound_campaign(conn, connection_id, campaign_id, now)?;
            // Calls that found no campaign may find one now: the next one says if not.
            if campaign_id.is_some() {
                db::problems::resolve_kind(conn, ProblemKind::InboundUnrouted, connection_id, now)?;
            }
            let summary = format!("Set the default inbound campaign of “{}” to {name}", connection.name);
            record(
                conn,
                &actor,
                "connection.inbound_default",
                connection_id.get(),
                "provider_connection",
                &summary,
                now,
            )
        })
        .await
}

/// Marks the campaign to answer inbound calls to its number and its production agent, or
/// stops it. A number or agent another campaign answers is refused with that campaign's name.
pub async fn set_answering(ctx: &Ctx, actor: Actor, campaign_id: CampaignId, answer: bool) -> Result<(), AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let campaign = db::campaigns::find(conn, campaign_id)?;
            let (number, agent) = if answer {
                let number = resolved_number(conn, &campaign)?;
                if number.is_none() && campaign.production_agent_id.is_none() {
                    return Err(AppError::validation(
                        "Choose a production agent or a campaign number first: inbound calls reach a campaign through them",
                    ));
                }
                (number, campaign.production_agent_id)
            } else {
                (None, None)
            };
            let taken = db::unless_duplicate(conn, |c| db::campaigns::set_inbound(c, campaign_id, number, agent, now))?;
            if taken.is_none() {
                let other = db::campaigns::answering_inbound(conn)?
                    .into_iter()
                    .find(|c| c.id != campaign_id && (c.inbound_number_id == number || c.inbound_agent_id == agent))
                    .map_or_else(|| "another campaign".to_owned(), |c| format!("“{}”", c.name));
                return Err(AppError::conflict(format!(
                    "{other} already answers inbound calls to this number or agent; stop it there first"
                )));
            }
            let summary = if answer {
                format!("“{}” answers inbound calls to its number and agent", campaign.name)
            } else {
                format!("“{}” no longer answers inbound calls", campaign.name)
            };
            record(conn, &actor, "campaign.inbound", campaign_id.get(), "campaign", &summary, now)
        })
        .await
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    object_id: i64,
    object_kind: &str,
    summary: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    Ok(audit::record(conn, actor, Change { action, object_kind, object_id: Some(object_id), summary }, now)?)
}
