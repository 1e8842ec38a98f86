//! The call list with its filters.

use actix_web::{get, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::app::AppState;
use crate::db::call_lists::{CallFilter, CallRow};
use crate::domain::interaction::{CallStatus, Direction};
use crate::domain::outcome::Outcome;
use crate::error::AppError;
use crate::ids::{AgentId, CampaignId, InteractionId};
use crate::services;
use crate::web::PageCtx;
use crate::web::campaigns::CampaignHeader;
use crate::web::errors::urlencode;

/// The status filter's value for every live call (dialing or in progress).
const LIVE: &str = "live";

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub campaign: String,
    #[serde(default)]
    pub agent: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub direction: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub before: String,
}

impl ListQuery {
    fn filter(&self) -> Result<CallFilter, AppError> {
        let date = |value: &str, label: &str| -> Result<Option<NaiveDate>, AppError> {
            match value.trim() {
                "" => Ok(None),
                v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| AppError::validation(format!("The {label} date must look like 2026-11-24"))),
            }
        };
        Ok(CallFilter {
            campaign_id: self.campaign.parse().ok(),
            agent_id: self.agent.parse().ok(),
            outcome: Outcome::from_code(&self.outcome),
            status: CallStatus::from_code(&self.status),
            live_only: self.status == LIVE,
            direction: Direction::from_code(&self.direction),
            from: date(&self.from, "from")?.map(|d| d.and_hms_opt(0, 0, 0).expect("midnight")),
            until: date(&self.to, "to")?.and_then(|d| d.succ_opt()).map(|d| d.and_hms_opt(0, 0, 0).expect("midnight")),
        })
    }

    fn next_link(&self, base: &str, before: InteractionId) -> String {
        let pairs = [
            ("campaign", &self.campaign),
            ("agent", &self.agent),
            ("outcome", &self.outcome),
            ("status", &self.status),
            ("direction", &self.direction),
            ("from", &self.from),
            ("to", &self.to),
        ];
        let mut query: Vec<String> =
            pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        query.push(format!("before={before}"));
        format!("{base}?{}", query.join("&"))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "interactions/list.html")]
struct ListPage {
    ctx: PageCtx,
    /// Set on a campaign's Calls tab: the list keeps the campaign's header and tabs.
    header: Option<CampaignHeader>,
    /// Where the filters and the pager lead.
    base: String,
    query: ListQuery,
    calls: Vec<CallRow>,
    next: Option<String>,
    campaigns: Vec<(CampaignId, String)>,
    agents: Vec<(AgentId, String)>,
    outcomes: &'static [Outcome],
    statuses: &'static [CallStatus],
    directions: &'static [Direction],
}

#[get("/interactions")]
pub(super) async fn list_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    list(&state, ctx, query.into_inner(), None).await
}

/// A campaign's Calls tab: the same list, filtered to the campaign, inside its pages.
#[get("/{id}/calls")]
pub(super) async fn campaign_calls(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let campaign = services::campaigns::find(&state.ctx, path.into_inner()).await?;
    let mut query = query.into_inner();
    query.campaign = campaign.id.to_string();
    list(&state, ctx, query, Some(CampaignHeader { campaign, tab: "calls" })).await
}

async fn list(
    state: &AppState,
    ctx: PageCtx,
    query: ListQuery,
    header: Option<CampaignHeader>,
) -> Result<ListPage, AppError> {
    let filter = query.filter()?;
    let list = services::interactions::list(&state.ctx, filter, query.before.parse().ok()).await?;
    let base = match &header {
        Some(header) => format!("/campaigns/{}/calls", header.campaign.id),
        None => "/interactions".to_owned(),
    };
    Ok(ListPage {
        ctx,
        next: list.calls.next.map(|before| query.next_link(&base, before)),
        header,
        base,
        calls: list.calls.rows,
        campaigns: list.campaigns,
        agents: list.agents,
        query,
        outcomes: Outcome::ALL,
        statuses: CallStatus::ALL,
        directions: Direction::ALL,
    })
}
