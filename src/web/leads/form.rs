//! The lead form: adding a lead to a campaign by hand, and saving the lead page's edits.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::detail::DetailPage;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::leads::Lead;
use crate::domain::lead::{FieldError, LeadStatus, RawLead, parse_custom_lines};
use crate::error::AppError;
use crate::ids::{CampaignId, LeadId};
use crate::services::leads::{self, LeadError};
use crate::web::campaigns::CampaignHeader;
use crate::web::{PageCtx, redirect_with_flash, respond_with_status};

/// The lead form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct LeadForm {
    #[serde(default)]
    pub first_name: String,
    #[serde(default)]
    pub last_name: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub company: String,
    #[serde(default)]
    pub timezone: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub is_test: String,
    #[serde(default)]
    pub consent_source: String,
    #[serde(default)]
    pub consent_at: String,
    #[serde(default)]
    pub custom: String,
}

impl LeadForm {
    pub(super) fn from_lead(lead: &Lead) -> LeadForm {
        LeadForm {
            first_name: lead.first_name.clone(),
            last_name: lead.last_name.clone(),
            phone: lead.phone.to_string(),
            email: lead.email.as_ref().map(ToString::to_string).unwrap_or_default(),
            company: lead.company.clone().unwrap_or_default(),
            timezone: lead.timezone.map(|tz| tz.name().to_owned()).unwrap_or_default(),
            status: lead.status.as_str().to_owned(),
            is_test: if lead.is_test { "on".into() } else { String::new() },
            consent_source: lead.consent_source.clone().unwrap_or_default(),
            consent_at: lead.consent_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default(),
            custom: lead
                .custom_map()
                .iter()
                .map(|(k, v)| format!("{k} = {}", v.as_str().map_or_else(|| v.to_string(), str::to_owned)))
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The form as loose lead input (the service validates it against the campaign); the
    /// custom fields box must hold `name = value` lines.
    fn raw_lead(&self) -> Result<RawLead, LeadError> {
        let custom = parse_custom_lines(&self.custom)
            .map_err(|message| LeadError::Invalid(vec![FieldError { field: "custom", message }]))?;
        Ok(RawLead {
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            full_name: String::new(),
            phone: self.phone.clone(),
            email: self.email.clone(),
            company: self.company.clone(),
            timezone: self.timezone.clone(),
            status: self.status.clone(),
            is_test: if self.is_test.is_empty() { "no".into() } else { "yes".into() },
            consent_source: self.consent_source.clone(),
            consent_at: self.consent_at.clone(),
            custom,
        })
    }
}

/// The message for one field of the form, if it has one.
pub(super) fn error_for<'a>(errors: &'a [FieldError], field: &str) -> Option<&'a str> {
    errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
}

#[derive(Template, WebTemplate)]
#[template(path = "leads/new.html")]
struct NewLeadPage {
    ctx: PageCtx,
    header: CampaignHeader,
    form: LeadForm,
    errors: Vec<FieldError>,
    statuses: &'static [LeadStatus],
}

impl NewLeadPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        error_for(&self.errors, field)
    }
}

#[get("/{id}/leads/new")]
pub(super) async fn new_lead_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
) -> Result<NewLeadPage, AppError> {
    let campaign = leads::campaign_for_new_lead(&state.ctx, path.into_inner()).await?;
    let form = LeadForm { status: LeadStatus::New.as_str().into(), ..LeadForm::default() };
    Ok(NewLeadPage {
        ctx,
        header: CampaignHeader { campaign, tab: "leads" },
        form,
        errors: Vec::new(),
        statuses: LeadStatus::ALL,
    })
}

#[post("/{id}/leads")]
pub(super) async fn create_lead(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<CampaignId>,
    form: web::Form<LeadForm>,
) -> Result<HttpResponse, AppError> {
    let campaign_id = path.into_inner();
    let form = form.into_inner();
    let created = match form.raw_lead() {
        Ok(raw) => leads::create(&state.ctx, &user.actor(), campaign_id, raw).await,
        Err(invalid) => Err(invalid),
    };
    match created {
        Ok(id) => redirect_with_flash(&req, &format!("/leads/{id}"), FlashKind::Success, "Lead added."),
        Err(LeadError::Invalid(errors)) => {
            let campaign = leads::campaign_for_new_lead(&state.ctx, campaign_id).await?;
            let header = CampaignHeader { campaign, tab: "leads" };
            let page = NewLeadPage { ctx, header, form, errors, statuses: LeadStatus::ALL };
            Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(LeadError::Failed(e)) => Err(e),
    }
}

#[post("/leads/{id}")]
pub(super) async fn update_lead(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<LeadId>,
    form: web::Form<LeadForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let updated = match form.raw_lead() {
        Ok(raw) => leads::update(&state.ctx, &user.actor(), id, raw).await,
        Err(invalid) => Err(invalid),
    };
    match updated {
        Ok(()) => redirect_with_flash(&req, &format!("/leads/{id}"), FlashKind::Success, "Lead saved."),
        Err(LeadError::Invalid(errors)) => {
            let detail = leads::detail(&state.ctx, id).await?;
            let page = DetailPage::new(ctx, detail, Some(form), errors);
            Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY))
        }
        Err(LeadError::Failed(e)) => Err(e),
    }
}
