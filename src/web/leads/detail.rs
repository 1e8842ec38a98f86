//! The lead page: its calls, when it is called and in which zone, and its edit form.

use actix_web::{get, web};
use askama::Template;
use askama_web::WebTemplate;

use super::form::{LeadForm, error_for};
use crate::app::AppState;
use crate::db::call_lists::TimelineEntry;
use crate::db::campaigns::Campaign;
use crate::db::leads::Lead;
use crate::domain::lead::{FieldError, LeadStatus, LeadZone};
use crate::error::AppError;
use crate::ids::{InteractionId, LeadId};
use crate::services::leads::{self, CallBlock, LeadDetail};
use crate::web::PageCtx;

#[derive(Template, WebTemplate)]
#[template(path = "leads/detail.html")]
pub(super) struct DetailPage {
    ctx: PageCtx,
    lead: Lead,
    campaign: Campaign,
    form: LeadForm,
    errors: Vec<FieldError>,
    timeline: Vec<TimelineEntry>,
    zone: Option<LeadZone>,
    call_block: Option<CallBlock>,
    local_now: Option<String>,
    statuses: &'static [LeadStatus],
}

impl DetailPage {
    /// The page with the form as the lead stands, or as posted (`form`) beside its errors.
    pub(super) fn new(ctx: PageCtx, detail: LeadDetail, form: Option<LeadForm>, errors: Vec<FieldError>) -> Self {
        DetailPage {
            ctx,
            form: form.unwrap_or_else(|| LeadForm::from_lead(&detail.lead)),
            lead: detail.lead,
            campaign: detail.campaign,
            errors,
            timeline: detail.timeline,
            zone: detail.zone,
            call_block: detail.call_block,
            local_now: detail.local_now,
            statuses: LeadStatus::ALL,
        }
    }

    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }

    /// The call in progress, if any (the timeline is newest first).
    fn live_call(&self) -> Option<InteractionId> {
        self.timeline.iter().find(|c| c.status.is_live()).map(|c| c.id)
    }
}

#[get("/leads/{id}")]
pub(super) async fn lead_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<LeadId>,
) -> Result<DetailPage, AppError> {
    let detail = leads::detail(&state.ctx, path.into_inner()).await?;
    Ok(DetailPage::new(ctx, detail, None, Vec::new()))
}
