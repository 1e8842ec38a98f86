//! The Outcomes tab: what each call outcome does to the lead's status (R-OUTCOME).

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::CampaignHeader;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::domain::lead::LeadStatus;
use crate::domain::outcome::{Outcome, StatusMap};
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::campaigns;
use crate::web::{PageCtx, redirect_with_flash};

/// One row of the outcome → status table.
struct OutcomeRow {
    outcome: Outcome,
    status: Option<LeadStatus>,
    is_default: bool,
}

impl OutcomeRow {
    fn is(&self, status: &LeadStatus) -> bool {
        self.status == Some(*status)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/outcomes.html")]
struct OutcomesPage {
    ctx: PageCtx,
    header: CampaignHeader,
    rows: Vec<OutcomeRow>,
    statuses: &'static [LeadStatus],
}

#[get("/{id}/outcomes")]
pub(super) async fn outcomes_tab(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
) -> Result<OutcomesPage, AppError> {
    let campaign = campaigns::find(&state.ctx, path.into_inner()).await?;
    let map = StatusMap::from_json(campaign.outcome_status_map.as_deref());
    let rows = Outcome::ALL
        .iter()
        .map(|&outcome| OutcomeRow { outcome, status: map.status_for(outcome), is_default: map.is_default(outcome) })
        .collect();
    Ok(OutcomesPage { ctx, header: CampaignHeader { campaign, tab: "outcomes" }, rows, statuses: LeadStatus::ALL })
}

/// Each outcome's field holds a status, or `keep` to leave the lead's status as it is.
fn parse_map(form: &HashMap<String, String>) -> Result<StatusMap, AppError> {
    let mut map = StatusMap::default();
    for &outcome in Outcome::ALL {
        // Outcomes the form leaves out keep their default.
        let status = match form.get(outcome.as_str()).map(String::as_str) {
            None => continue,
            Some("keep") => None,
            Some(value) => Some(LeadStatus::parse(value).map_err(AppError::Validation)?),
        };
        map.set(outcome, status);
    }
    Ok(map)
}

#[post("/{id}/outcomes")]
pub(super) async fn save_outcomes(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<CampaignId>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let map = parse_map(&form)?;
    campaigns::save_outcome_map(&state.ctx, &user.actor(), id, map).await?;
    redirect_with_flash(&req, &format!("/campaigns/{id}/outcomes"), FlashKind::Success, "Outcome rules saved.")
}
