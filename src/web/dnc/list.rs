//! The lists' page: entries with filters and paging, and adding a number by hand.

use actix_web::{HttpRequest, HttpResponse, ResponseError as _, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::import::ImportChoice;
use super::{DEFAULT_REGION, ListQuery, list_choice, region_choice};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::suppression::{AddedBy, SuppressionRow};
use crate::domain::phone::E164;
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::dnc::{self, NewSuppression};
use crate::web::{PageCtx, redirect_with_flash, respond_with_status};

#[derive(Debug, Deserialize)]
pub(super) struct AddForm {
    phone: String,
    /// Empty for the global list.
    #[serde(default)]
    campaign: String,
    #[serde(default)]
    region: String,
    #[serde(default)]
    reason: String,
}

impl AddForm {
    fn parse(&self) -> Result<NewSuppression, AppError> {
        let region = region_choice(&self.region)?;
        Ok(NewSuppression {
            phone: E164::parse(&self.phone, Some(&region)).map_err(AppError::Validation)?,
            list: list_choice(&self.campaign)?,
            reason: self.reason.clone(),
        })
    }
}

/// The page's forms as posted, with their errors, for showing them again.
pub(super) struct Forms {
    pub add: AddForm,
    pub add_error: Option<String>,
    pub import: ImportChoice,
    pub import_error: Option<String>,
}

impl Default for Forms {
    fn default() -> Forms {
        let region = DEFAULT_REGION.to_owned();
        Forms {
            add: AddForm {
                phone: String::new(),
                campaign: String::new(),
                region: region.clone(),
                reason: String::new(),
            },
            add_error: None,
            import: ImportChoice { campaign: String::new(), region },
            import_error: None,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "dnc/page.html")]
pub(super) struct ListPage {
    ctx: PageCtx,
    query: ListQuery,
    entries: Vec<SuppressionRow>,
    next: Option<String>,
    /// The export of what the filter shows.
    export: String,
    campaigns: Vec<(CampaignId, String)>,
    forms: Forms,
}

pub(super) async fn page(state: &AppState, ctx: PageCtx, query: ListQuery, forms: Forms) -> Result<ListPage, AppError> {
    let list = dnc::list(&state.ctx, query.filter(), query.before.parse().ok()).await?;
    Ok(ListPage {
        ctx,
        next: list.entries.next.map(|before| query.link("/dnc", Some(before.to_string()))),
        export: query.link("/dnc/export.csv", None),
        entries: list.entries.rows,
        campaigns: list.campaigns,
        query,
        forms,
    })
}

#[get("/dnc")]
pub(super) async fn list_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    page(&state, ctx, query.into_inner(), Forms::default()).await
}

#[post("/dnc")]
pub(super) async fn add(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<AddForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let added = match form.parse() {
        Ok(new) => {
            let phone = new.phone.clone();
            dnc::add(&state.ctx, &user.actor(), new).await.map(|list| format!("{phone} is on {list} now."))
        }
        Err(e) => Err(e),
    };
    match added {
        Ok(message) => redirect_with_flash(&req, "/dnc", FlashKind::Success, message),
        Err(e) => {
            let Some(message) = e.user_message() else { return Err(e) };
            let forms = Forms { add: form, add_error: Some(message), ..Forms::default() };
            let page = page(&state, ctx, ListQuery::default(), forms).await?;
            Ok(respond_with_status(page, &req, e.status_code()))
        }
    }
}
