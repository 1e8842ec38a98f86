//! CSV downloads of the lead and call lists with the filters on screen (R-ANALYTICS): the
//! same query strings as the lists, streamed by the exports service.

use actix_web::http::header::{ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, get, web};

use crate::app::AppState;
use crate::error::AppError;
use crate::ids::{CampaignId, LeadId};
use crate::services::exports::{self, CsvStream, LeadSelection};
use crate::web::LocalTimes;
use crate::web::interactions::ListQuery as CallQuery;
use crate::web::leads::ListQuery as LeadQuery;

/// A CSV download named after what it holds and today's date.
pub fn csv_download(name: &str, body: CsvStream) -> HttpResponse {
    let file = format!("{name}-{}.csv", chrono::Utc::now().format("%Y-%m-%d"));
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(file)],
        })
        .streaming(body)
}

#[get("/leads/export.csv")]
pub async fn all_leads(state: web::Data<AppState>, query: web::Query<LeadQuery>) -> HttpResponse {
    let selection = LeadSelection::List(query.lead_query(None));
    csv_download("leads", exports::leads_csv(&state.ctx, selection))
}

#[get("/{id}/leads/export.csv")]
pub async fn campaign_leads(
    state: web::Data<AppState>,
    path: web::Path<CampaignId>,
    query: web::Query<LeadQuery>,
) -> HttpResponse {
    let campaign = path.into_inner();
    let selection = LeadSelection::List(query.lead_query(Some(campaign)));
    csv_download(&format!("campaign-{campaign}-leads"), exports::leads_csv(&state.ctx, selection))
}

/// The leads ticked in a list (the bulk action "Export").
pub fn selected_leads(state: &AppState, ids: Vec<LeadId>) -> HttpResponse {
    csv_download("leads-selected", exports::leads_csv(&state.ctx, LeadSelection::Ids(ids)))
}

#[get("/interactions/export.csv")]
pub async fn all_calls(
    state: web::Data<AppState>,
    times: LocalTimes,
    query: web::Query<CallQuery>,
) -> Result<HttpResponse, AppError> {
    Ok(csv_download("calls", exports::calls_csv(&state.ctx, query.filter(times.0)?)))
}

#[get("/{id}/calls/export.csv")]
pub async fn campaign_calls(
    state: web::Data<AppState>,
    times: LocalTimes,
    path: web::Path<CampaignId>,
    query: web::Query<CallQuery>,
) -> Result<HttpResponse, AppError> {
    let campaign = path.into_inner();
    let mut filter = query.filter(times.0)?;
    filter.campaign_id = Some(campaign);
    Ok(csv_download(&format!("campaign-{campaign}-calls"), exports::calls_csv(&state.ctx, filter)))
}
