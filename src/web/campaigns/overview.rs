//! A campaign's overview: a summary of its AI agents and its details form.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::{CampaignForm, CampaignHeader};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::domain::campaign::{CampaignStatus, timezone_names};
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::ai_agents::Chosen;
use crate::services::campaigns::{self, Overview};
use crate::web::{PageCtx, redirect_with_flash, respond_with_status};

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/overview.html")]
struct OverviewPage {
    ctx: PageCtx,
    header: CampaignHeader,
    form: CampaignForm,
    error: Option<String>,
    timezones: Vec<&'static str>,
    statuses: &'static [CampaignStatus],
    summary: Option<Chosen>,
    pipeline: crate::db::pipeline::PipelineSummary,
}

impl OverviewPage {
    /// The page with the saved details, or with a form that was not saved and why.
    fn new(ctx: PageCtx, overview: Overview, refused: Option<(CampaignForm, String)>) -> OverviewPage {
        let (form, error) = match refused {
            Some((form, error)) => (form, Some(error)),
            None => (CampaignForm::from_campaign(&overview.campaign), None),
        };
        OverviewPage {
            ctx,
            header: CampaignHeader { campaign: overview.campaign, tab: "overview" },
            form,
            error,
            timezones: timezone_names().collect(),
            statuses: CampaignStatus::ALL,
            summary: overview.chosen,
            pipeline: overview.pipeline,
        }
    }
}

#[get("/{id}")]
pub(super) async fn overview_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
) -> Result<OverviewPage, AppError> {
    let overview = campaigns::overview(&state.ctx, path.into_inner()).await?;
    Ok(OverviewPage::new(ctx, overview, None))
}

#[post("/{id}")]
pub(super) async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<CampaignId>,
    form: web::Form<CampaignForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let saved = async { campaigns::update(&state.ctx, &user.actor(), id, form.input()?).await }.await;
    match saved {
        Ok(()) => redirect_with_flash(&req, &format!("/campaigns/{id}"), FlashKind::Success, "Campaign saved."),
        Err(e) => {
            let error = e.user_message().ok_or(e)?;
            let overview = campaigns::overview(&state.ctx, id).await?;
            let page = OverviewPage::new(ctx, overview, Some((form, error)));
            Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}
