//! Reading calls: the filtered, keyset-paged call list and everything the call page shows.

use crate::db::call_lists::{CallCursor, CallFilter, CallRow};
use crate::db::interactions::{Interaction, TranscriptTurn};
use crate::db::leads::Lead;
use crate::db::paging::{Page, fetch_size};
use crate::db::templates::TemplateVersion;
use crate::db::webhook_events::WebhookEvent;
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::ids::{AgentId, CampaignId, InteractionId};
use crate::services::Ctx;

/// Calls per page of the list.
pub const PAGE_SIZE: i64 = 50;

/// A page of the call list and what its filters offer.
pub struct CallList {
    pub calls: Page<CallRow, CallCursor>,
    pub campaigns: Vec<(CampaignId, String)>,
    pub agents: Vec<(AgentId, String)>,
}

pub async fn list(ctx: &Ctx, filter: CallFilter, before: Option<CallCursor>) -> Result<CallList, AppError> {
    ctx.db
        .run(move |conn| {
            let rows = db::call_lists::page(conn, &filter, before, fetch_size(PAGE_SIZE))?;
            let by_score = filter.best_score_first;
            let agents =
                db::agents::list(conn, &Default::default())?.into_iter().map(|a| (a.agent.id, a.agent.name)).collect();
            Ok(CallList {
                calls: Page::from_overfetch(rows, PAGE_SIZE, |c| CallCursor {
                    score: c.score.filter(|_| by_score),
                    id: c.id,
                }),
                campaigns: db::campaigns::names(conn)?,
                agents,
            })
        })
        .await
}

/// Everything the call page shows.
pub struct CallView {
    pub call: Interaction,
    pub lead: Lead,
    pub campaign_name: String,
    pub agent_name: Option<String>,
    pub template: Option<(String, TemplateVersion)>,
    pub transcript: Vec<TranscriptTurn>,
    pub has_recording: bool,
    /// The provider's analysis and the pipeline's runs.
    pub findings: super::pipeline::CallFindings,
    pub analysis_pretty: Option<String>,
    pub events: Vec<WebhookEvent>,
}

pub async fn view(ctx: &Ctx, id: InteractionId) -> Result<CallView, AppError> {
    ctx.db.run(move |conn| load_view(conn, id)).await
}

fn load_view(conn: &mut DbConnection, id: InteractionId) -> Result<CallView, AppError> {
    let call = db::interactions::find(conn, id)?;
    let lead = db::leads::find(conn, call.lead_id)?;
    let campaign_name = db::campaigns::find(conn, call.campaign_id)?.name;
    let agent_name = db::agents::find_optional(conn, call.voice_agent_id)?.map(|a| a.name);
    let template = match call.template_version_id {
        Some(version_id) => {
            let version = db::templates::version_by_id(conn, version_id)?;
            Some((db::templates::find(conn, version.prompt_template_id)?.name, version))
        }
        None => None,
    };
    let analysis: Option<serde_json::Value> =
        call.provider_analysis.as_deref().and_then(|a| serde_json::from_str(a).ok());
    Ok(CallView {
        transcript: db::interactions::transcript(conn, id)?,
        has_recording: db::recordings::exists_for(conn, id)?,
        findings: super::pipeline::call_findings(conn, &call)?,
        analysis_pretty: analysis.as_ref().and_then(|a| serde_json::to_string_pretty(a).ok()),
        events: db::webhook_events::for_interaction(conn, id)?,
        call,
        lead,
        campaign_name,
        agent_name,
        template,
    })
}

/// A call's recording: its content type and bytes.
pub async fn recording(ctx: &Ctx, id: InteractionId) -> Result<(String, Vec<u8>), AppError> {
    ctx.db.run(move |conn| db::recordings::for_interaction(conn, id)?.ok_or(AppError::NotFound)).await
}
