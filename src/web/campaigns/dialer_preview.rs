//! The Dialer tab's preview (R-DIAL-SIM): every call the dialer would place over the next
//! day under the saved rules, worked out on demand by the dry run on a scratch copy.

use std::collections::BTreeMap;

use actix_web::{HttpRequest, HttpResponse, get, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono_tz::Tz;

use crate::app::AppState;
use crate::dialer::simulate::{DEFAULT_MIX, Dial, DialCsv, PREVIEW_LEADS, SimSummary};
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::dialer::{self, PREVIEW_HOURS};
use crate::web::htmx::HxRequest;
use crate::web::{PageCtx, respond};

/// Calls listed on the page; the CSV has them all.
const LISTED: usize = 50;

/// Calls per hour of the campaign's day.
pub(super) struct Hour {
    label: String,
    calls: usize,
}

/// A worked-out preview.
pub(super) struct Preview {
    summary: SimSummary,
    first: Vec<Dial>,
    hours: Vec<Hour>,
    busiest: usize,
}

impl Preview {
    fn new(dials: Vec<Dial>, summary: SimSummary) -> Preview {
        let zone = summary.campaign_zone;
        let mut by_hour: BTreeMap<i64, Hour> = BTreeMap::new();
        for dial in &dials {
            let hour = by_hour.entry(dial.at.timestamp().div_euclid(3600)).or_insert_with(|| Hour {
                label: dial.at.with_timezone(&zone).format("%a %H:00").to_string(),
                calls: 0,
            });
            hour.calls += 1;
        }
        let hours: Vec<Hour> = by_hour.into_values().collect();
        let busiest = hours.iter().map(|h| h.calls).max().unwrap_or(0);
        Preview { summary, first: dials.into_iter().take(LISTED).collect(), hours, busiest }
    }

    /// The dial's time for the lead, with its zone.
    fn local(dial: &Dial) -> String {
        dial.local_time().map_or_else(|| "—".to_owned(), |t| t.format("%a %H:%M").to_string())
    }

    fn zone(dial: &Dial) -> &'static str {
        dial.zone.map_or("", Tz::name)
    }

    /// Whether the preview looked at only some of the campaign's leads.
    fn sampled(&self) -> bool {
        self.summary.leads as i64 >= PREVIEW_LEADS
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/_dialer_preview.html")]
struct PreviewPanel {
    campaign_id: CampaignId,
    result: Result<Preview, String>,
    mix: &'static str,
    hours: u32,
    limit: i64,
}

/// The panel as a page of its own, for browsers without JavaScript.
#[derive(Template, WebTemplate)]
#[template(path = "campaigns/dialer_preview_page.html")]
struct PreviewPage {
    ctx: PageCtx,
    campaign_id: CampaignId,
    panel: PreviewPanel,
}

const BUSY: &str = "Another preview is being worked out right now; try again in a moment.";

#[get("/{id}/dialer/preview")]
pub(super) async fn preview(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, AppError> {
    let campaign_id = path.into_inner();
    let result = match state.dry_runs.try_acquire() {
        Ok(_permit) => match dialer::preview(&state.ctx, campaign_id).await {
            Ok((dials, summary)) => Ok(Preview::new(dials, summary)),
            Err(err) => Err(err.user_message().ok_or(err)?),
        },
        Err(_) => Err(BUSY.to_owned()),
    };
    let panel = PreviewPanel { campaign_id, result, mix: DEFAULT_MIX, hours: PREVIEW_HOURS, limit: PREVIEW_LEADS };
    if HxRequest::from_http(&req).wants_fragment() {
        Ok(respond(panel, &req))
    } else {
        Ok(respond(PreviewPage { ctx, campaign_id, panel }, &req))
    }
}

#[get("/{id}/dialer/preview.csv")]
pub(super) async fn preview_csv(
    state: web::Data<AppState>,
    path: web::Path<CampaignId>,
) -> Result<HttpResponse, AppError> {
    let campaign_id = path.into_inner();
    let Ok(_permit) = state.dry_runs.try_acquire() else { return Err(AppError::conflict(BUSY)) };
    let (dials, _) = dialer::preview(&state.ctx, campaign_id).await?;
    let mut csv = DialCsv::new(Vec::new()).map_err(|e| AppError::Unexpected(e.into()))?;
    for dial in &dials {
        csv.write(dial).map_err(|e| AppError::Unexpected(e.into()))?;
    }
    let body = csv.finish().map_err(|e| AppError::Unexpected(e.into()))?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "content-disposition",
            format!("attachment; filename=\"campaign-{campaign_id}-next-{PREVIEW_HOURS}h.csv\""),
        ))
        .body(body))
}
