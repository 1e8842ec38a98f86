//! The call list with its filters.

use actix_web::{get, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::app::AppState;
use crate::db::call_lists::{CallCursor, CallFilter, CallRow};
use crate::domain::interaction::{CallStatus, Direction};
use crate::domain::local_time;
use crate::domain::outcome::Outcome;
use crate::error::AppError;
use crate::ids::{AgentId, CampaignId};
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
    pub min_score: String,
    /// `name=value`: an extracted value.
    #[serde(default)]
    pub field: String,
    /// `score`: best score first.
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub before: String,
}

impl ListQuery {
    /// The filters; dates are days in `zone` (the reader's).
    pub fn filter(&self, zone: chrono_tz::Tz) -> Result<CallFilter, AppError> {
        let date = |value: &str, label: &str| -> Result<Option<NaiveDate>, AppError> {
            match value.trim() {
                "" => Ok(None),
                v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| AppError::validation(format!("The {label} date must look like 2026-11-24"))),
            }
        };
        let min_score = match self.min_score.trim() {
            "" => None,
            v => Some(
                v.parse::<i32>()
                    .ok()
                    .filter(|n| (0..=100).contains(n))
                    .ok_or_else(|| AppError::validation("The minimum score must be a whole number from 0 to 100"))?,
            ),
        };
        let extracted = match self.field.split_once('=') {
            _ if self.field.trim().is_empty() => None,
            Some((name, value)) if !name.trim().is_empty() => {
                let value = value.trim();
                // Numbers and yes/no match as such; anything else as text.
                let typed = serde_json::from_str::<serde_json::Value>(value)
                    .ok()
                    .filter(|v| v.is_number() || v.is_boolean())
                    .unwrap_or_else(|| serde_json::Value::from(value));
                Some((name.trim().to_owned(), typed))
            }
            _ => return Err(AppError::validation("Filter an extracted field as name=value, e.g. plan=pro")),
        };
        Ok(CallFilter {
            min_score,
            extracted,
            best_score_first: self.sort == "score",
            campaign_id: self.campaign.parse().ok(),
            agent_id: self.agent.parse().ok(),
            outcome: Outcome::from_code(&self.outcome),
            status: CallStatus::from_code(&self.status),
            live_only: self.status == LIVE,
            direction: Direction::from_code(&self.direction),
            from: date(&self.from, "from")?.map(|d| local_time::start_of_day(d, zone)),
            until: date(&self.to, "to")?.and_then(|d| d.succ_opt()).map(|d| local_time::start_of_day(d, zone)),
        })
    }

    /// The list's filters as a query string (with `before` when paging).
    fn query_string(&self, before: Option<CallCursor>) -> String {
        let pairs = [
            ("campaign", &self.campaign),
            ("agent", &self.agent),
            ("outcome", &self.outcome),
            ("status", &self.status),
            ("direction", &self.direction),
            ("from", &self.from),
            ("to", &self.to),
            ("min_score", &self.min_score),
            ("field", &self.field),
            ("sort", &self.sort),
        ];
        let mut query: Vec<String> =
            pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        if let Some(before) = before {
            query.push(format!("before={before}"));
        }
        query.join("&")
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

impl ListPage {
    /// The CSV download of every call these filters match.
    fn export_link(&self) -> String {
        format!("{}/export.csv?{}", self.base, self.query.query_string(None))
    }
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
    let filter = query.filter(ctx.times().0)?;
    let list = services::interactions::list(&state.ctx, filter, query.before.parse().ok()).await?;
    let base = match &header {
        Some(header) => format!("/campaigns/{}/calls", header.campaign.id),
        None => "/interactions".to_owned(),
    };
    Ok(ListPage {
        ctx,
        next: list.calls.next.map(|before| format!("{base}?{}", query.query_string(Some(before)))),
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
