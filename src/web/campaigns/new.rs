//! Creating a campaign; its AI Agents tab comes next.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::CampaignForm;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::domain::campaign::{CampaignStatus, timezone_names};
use crate::error::AppError;
use crate::services::campaigns;
use crate::web::{PageCtx, redirect_with_flash, respond_with_status};

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/new.html")]
struct NewPage {
    ctx: PageCtx,
    form: CampaignForm,
    error: Option<String>,
    timezones: Vec<&'static str>,
    statuses: &'static [CampaignStatus],
}

impl NewPage {
    fn new(ctx: PageCtx, form: CampaignForm, error: Option<String>) -> NewPage {
        NewPage { ctx, form, error, timezones: timezone_names().collect(), statuses: CampaignStatus::ALL }
    }
}

#[get("/new")]
pub(super) async fn new_page(ctx: PageCtx) -> NewPage {
    let form = CampaignForm {
        status: CampaignStatus::Draft.as_str().into(),
        timezone: "America/New_York".into(),
        default_region: "US".into(),
        ..CampaignForm::default()
    };
    NewPage::new(ctx, form, None)
}

#[post("")]
pub(super) async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<CampaignForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let created = async { campaigns::create(&state.ctx, &user.actor(), form.input()?).await }.await;
    match created {
        Ok(id) => redirect_with_flash(
            &req,
            &format!("/campaigns/{id}/ai-agents"),
            FlashKind::Success,
            "Campaign created. Choose its agents, prompt and number next.",
        ),
        Err(e) => {
            let error = e.user_message().ok_or(e)?;
            Ok(respond_with_status(NewPage::new(ctx, form, Some(error)), &req, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}
