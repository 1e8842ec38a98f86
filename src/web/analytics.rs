//! Analytics (R-ANALYTICS): across campaigns at `/analytics`, and a campaign's tab at
//! `/campaigns/{id}/analytics`; the same page, the campaign's header and tabs on the latter.

use actix_web::{get, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::PageCtx;
use super::campaigns::CampaignHeader;
use crate::app::AppState;
use crate::domain::analytics::{Period, WEEKDAYS, percent, shade};
use crate::domain::lead::LeadStatus;
use crate::domain::outcome::Outcome;
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::analytics::{self, Compared, Report};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(all_campaigns);
}

/// Under the `/campaigns` scope.
pub fn campaign_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(campaign_tab);
}

/// The period as the form sends it (`period=custom&from=…&to=…`).
#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// One heat-map cell as shown: its shade and its numbers.
struct HeatCell {
    class: &'static str,
    rate: String,
    calls: i64,
    reached: i64,
}

#[derive(Template, WebTemplate)]
#[template(path = "analytics/page.html")]
struct AnalyticsPage {
    ctx: PageCtx,
    header: Option<CampaignHeader>,
    report: Report,
    /// The calls-per-day chart, an `<svg>` element drawn here.
    chart: String,
    /// This page's address, which the period form submits to.
    base: String,
    hours: Vec<usize>,
    heat: Vec<(&'static str, Vec<HeatCell>)>,
}

impl AnalyticsPage {
    fn color(&self, outcome: &Option<Outcome>) -> String {
        super::dashboard_chart::hex(outcome)
    }

    /// Agents and prompt versions, each table's id, heading and first column.
    fn compared(&self) -> [(&'static str, &'static str, &'static str, &[Compared]); 2] {
        [
            ("by-agent", "By voice agent", "Agent", &self.report.agents),
            ("by-version", "By prompt version", "Prompt version", &self.report.versions),
        ]
    }

    fn percent(&self, part: &i64, whole: &i64) -> String {
        percent(*part, *whole)
    }

    /// Each funnel stage: its name, leads, share of all leads and of the stage before.
    fn funnel_stages(&self) -> Vec<(&'static str, i64, String, String)> {
        let funnel = &self.report.funnel;
        let mut before = funnel.leads;
        funnel
            .stages()
            .into_iter()
            .map(|(name, leads)| {
                let row = (name, leads, percent(leads, funnel.leads), percent(leads, before));
                before = leads;
                row
            })
            .collect()
    }

    /// Why a finished status ended calling, in a sales team's words.
    fn finished_reason(&self, status: &LeadStatus) -> &'static str {
        match status {
            LeadStatus::Qualified => "Interested: handed on",
            LeadStatus::NotInterested => "Said not interested",
            LeadStatus::DoNotCall => "Opted out or on a do-not-call list",
            LeadStatus::InvalidNumber => "Wrong or invalid number",
            LeadStatus::Unreachable => "All attempts used",
            _ => "",
        }
    }
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    campaign: Option<CampaignId>,
    query: &PeriodQuery,
) -> Result<AnalyticsPage, AppError> {
    let today = ctx.day(state.ctx.clock.now());
    let period = Period::parse(query.period.as_deref(), query.from.as_deref(), query.to.as_deref(), today)
        .map_err(AppError::Validation)?;
    let mut report = analytics::report(&state.ctx, campaign, period, ctx.times().0).await?;
    let chart = super::dashboard_chart::svg(&report.daily)?;
    let hours = report.heat.hours();
    let heat = WEEKDAYS
        .iter()
        .zip(&report.heat.cells)
        .map(|(day, cells)| {
            let cells = hours
                .iter()
                .map(|&hour| {
                    let (calls, reached) = cells[hour];
                    HeatCell { class: shade(cells[hour]), rate: percent(reached, calls), calls, reached }
                })
                .collect();
            (*day, cells)
        })
        .collect();
    let header = report.campaign.take().map(|campaign| CampaignHeader { campaign, tab: "analytics" });
    let base = campaign.map_or_else(|| "/analytics".to_owned(), |id| format!("/campaigns/{id}/analytics"));
    Ok(AnalyticsPage { ctx, header, report, chart, base, hours, heat })
}

#[get("/analytics")]
async fn all_campaigns(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<PeriodQuery>,
) -> Result<AnalyticsPage, AppError> {
    page(&state, ctx, None, &query).await
}

#[get("/{id}/analytics")]
async fn campaign_tab(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
    query: web::Query<PeriodQuery>,
) -> Result<AnalyticsPage, AppError> {
    page(&state, ctx, Some(path.into_inner()), &query).await
}
