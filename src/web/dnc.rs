//! The do-not-call list: add numbers, see why each is there, remove with confirmation.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::errors::urlencode;
use super::{PageCtx, redirect_with_flash, respond_with_status};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::suppression::SuppressionRow;
use crate::domain::phone::{E164, Region};
use crate::error::AppError;
use crate::ids::{CampaignId, SuppressionId};
use crate::services::dnc::{self, NewSuppression};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_page).service(add).service(confirm_remove).service(remove);
}

/// The longest reason kept.
const MAX_REASON: usize = 200;

#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    before: String,
}

#[derive(Debug, Default, Deserialize)]
struct AddForm {
    phone: String,
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    reason: String,
}

impl AddForm {
    /// National numbers are read as US numbers; an unknown campaign means every campaign.
    fn parse(&self) -> Result<NewSuppression, String> {
        Ok(NewSuppression {
            phone: E164::parse(&self.phone, Region::parse("US").ok().as_ref())?,
            campaign_id: self.campaign.parse().ok(),
            reason: self.reason.trim().chars().take(MAX_REASON).collect(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dnc/page.html")]
struct ListPage {
    ctx: PageCtx,
    entries: Vec<SuppressionRow>,
    next: Option<String>,
    q: String,
    campaigns: Vec<(CampaignId, String)>,
    form: AddForm,
    error: Option<String>,
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    query: ListQuery,
    form: AddForm,
    error: Option<String>,
) -> Result<ListPage, AppError> {
    // Whatever is typed around the digits, the search is a number prefix.
    let digits: String = query.q.chars().filter(char::is_ascii_digit).collect();
    let prefix = (!digits.is_empty()).then(|| format!("+{digits}"));
    let list = dnc::list(&state.ctx, prefix, query.before.parse().ok()).await?;
    let next = list.entries.next.map(|before| format!("/dnc?q={}&before={before}", urlencode(&query.q)));
    Ok(ListPage { ctx, entries: list.entries.rows, next, q: query.q, campaigns: list.campaigns, form, error })
}

#[get("/dnc")]
async fn list_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    page(&state, ctx, query.into_inner(), AddForm::default(), None).await
}

#[post("/dnc")]
async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let new = match form.parse() {
        Ok(new) => new,
        Err(message) => {
            let page = page(&state, ctx, ListQuery::default(), form, Some(message)).await?;
            return Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let number = new.phone.clone();
    let message = if dnc::add(&state.ctx, &user.actor(), new).await? {
        format!("{number} will not be called.")
    } else {
        format!("{number} was already on that list.")
    };
    redirect_with_flash(&req, "/dnc", FlashKind::Success, message)
}

#[derive(Template, WebTemplate)]
#[template(path = "dnc/confirm_remove.html")]
struct ConfirmRemove {
    ctx: PageCtx,
    id: SuppressionId,
    phone: E164,
}

#[get("/dnc/{id}/remove")]
async fn confirm_remove(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<SuppressionId>,
) -> Result<ConfirmRemove, AppError> {
    let id = path.into_inner();
    let phone = dnc::phone_of(&state.ctx, id).await?;
    Ok(ConfirmRemove { ctx, id, phone })
}

#[post("/dnc/{id}/remove")]
async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<SuppressionId>,
) -> Result<HttpResponse, AppError> {
    let phone = dnc::remove(&state.ctx, &user.actor(), path.into_inner()).await?;
    redirect_with_flash(&req, "/dnc", FlashKind::Success, format!("{phone} is no longer on that list."))
}
