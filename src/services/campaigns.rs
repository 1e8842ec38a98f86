//! Campaigns: their details (name, status, timezone, region) and their outcome → lead
//! status map. The AI Agents settings live in [`super::ai_agents`].

use chrono_tz::Tz;

use super::Ctx;
use super::ai_agents::{self, Chosen};
use crate::audit::{self, Actor, Change};
use crate::db;
use crate::db::campaigns::{Campaign, CampaignFields};
use crate::domain::campaign::CampaignStatus;
use crate::domain::outcome::StatusMap;
use crate::domain::phone::Region;
use crate::error::AppError;
use crate::ids::CampaignId;

/// A campaign's details, validated.
#[derive(Debug, Clone)]
pub struct CampaignInput {
    pub name: String,
    pub description: String,
    pub status: CampaignStatus,
    pub timezone: Tz,
    pub default_region: Region,
}

impl CampaignInput {
    fn fields(&self) -> CampaignFields<'_> {
        CampaignFields {
            name: &self.name,
            description: &self.description,
            status: self.status,
            timezone: self.timezone,
            default_region: self.default_region,
        }
    }

    fn name_taken(&self) -> AppError {
        AppError::conflict(format!("A campaign named “{}” already exists", self.name))
    }
}

/// A campaign and a summary of its AI Agents choices.
#[derive(Debug, Clone)]
pub struct Overview {
    pub campaign: Campaign,
    /// `None` when a choice points at a row that no longer exists (the AI Agents tab says which).
    pub chosen: Option<Chosen>,
    pub pipeline: db::pipeline::PipelineSummary,
}

/// Campaigns by name; archived ones only when asked for.
pub async fn list(ctx: &Ctx, include_archived: bool) -> Result<Vec<Campaign>, AppError> {
    ctx.db.run(move |conn| Ok(db::campaigns::list(conn, include_archived)?)).await
}

pub async fn find(ctx: &Ctx, id: CampaignId) -> Result<Campaign, AppError> {
    ctx.db.run(move |conn| Ok(db::campaigns::find(conn, id)?)).await
}

pub async fn overview(ctx: &Ctx, id: CampaignId) -> Result<Overview, AppError> {
    ctx.db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            let chosen = ai_agents::load_chosen(conn, &campaign.ai_agents()).ok();
            let pipeline = db::pipeline::campaign_summary(conn, id)?;
            Ok(Overview { campaign, chosen, pipeline })
        })
        .await
}

/// Creates a campaign; a name in use is a [`AppError::Conflict`].
pub async fn create(ctx: &Ctx, actor: &Actor, input: CampaignInput) -> Result<CampaignId, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let id = db::unless_duplicate(conn, |c| db::campaigns::insert(c, &input.fields(), now))?
                .ok_or_else(|| input.name_taken())?;
            let summary = format!("Created the campaign “{}”", input.name);
            audit::record(conn, &actor, change("campaign.create", id, &summary), now)?;
            Ok(id)
        })
        .await
}

/// Changes a campaign's details; a name in use is a [`AppError::Conflict`].
pub async fn update(ctx: &Ctx, actor: &Actor, id: CampaignId, input: CampaignInput) -> Result<(), AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let before = db::campaigns::find(conn, id)?;
            db::unless_duplicate(conn, |c| db::campaigns::update(c, id, &input.fields(), now))?
                .ok_or_else(|| input.name_taken())?;
            let mut summary = format!("Edited the campaign “{}”", input.name);
            if before.status != input.status {
                summary.push_str(&format!(" (status {} → {})", before.status.as_str(), input.status.as_str()));
            }
            audit::record(conn, &actor, change("campaign.update", id, &summary), now)?;
            Ok(())
        })
        .await
}

/// Replaces the campaign's outcome → lead status map.
pub async fn save_outcome_map(ctx: &Ctx, actor: &Actor, id: CampaignId, map: StatusMap) -> Result<(), AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            db::campaigns::set_outcome_status_map(conn, id, &map.to_json(), now)?;
            let summary = format!("Changed the outcome → lead status map of “{}”", campaign.name);
            audit::record(conn, &actor, change("campaign.outcomes", id, &summary), now)?;
            Ok(())
        })
        .await
}

/// The audit entry of a change to a campaign.
pub(super) fn change<'a>(action: &'a str, id: CampaignId, summary: &'a str) -> Change<'a> {
    Change { action, object_kind: "campaign", object_id: Some(id.get()), summary }
}
