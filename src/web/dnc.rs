//! The do-not-call list: add numbers, see why each is there, remove with confirmation.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{PageCtx, redirect_with_flash, respond_with_status};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::suppression::{NewEntry, SuppressionRow};
use crate::db::{self, write_tx};
use crate::domain::phone::{E164, Region};
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_page).service(add).service(confirm_remove).service(remove);
}

const PAGE_SIZE: i64 = 100;

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

#[derive(Template, WebTemplate)]
#[template(path = "dnc/page.html")]
struct ListPage {
    ctx: PageCtx,
    entries: Vec<SuppressionRow>,
    next: Option<String>,
    q: String,
    campaigns: Vec<(i64, String)>,
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
    let before = query.before.parse().ok();
    let digits: String = query.q.chars().filter(|c| c.is_ascii_digit()).collect();
    let prefix = (!digits.is_empty()).then(|| format!("+{digits}"));
    state
        .db
        .run(move |conn| {
            let mut entries = db::suppression::page(conn, prefix.as_deref(), before, PAGE_SIZE + 1)?;
            let next = if entries.len() as i64 > PAGE_SIZE {
                entries.truncate(PAGE_SIZE as usize);
                entries.last().map(|e| format!("/dnc?q={}&before={}", super::errors::urlencode(&query.q), e.id))
            } else {
                None
            };
            Ok(ListPage { ctx, entries, next, q: query.q, campaigns: db::campaigns::names(conn)?, form, error })
        })
        .await
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
    let campaign_id: Option<i64> = form.campaign.parse().ok();
    let parsed = E164::parse(&form.phone, Region::parse("US").ok().as_ref());
    let phone = match parsed {
        Ok(phone) => phone,
        Err(message) => {
            let page = page(&state, ctx, ListQuery::default(), form, Some(message)).await?;
            return Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let reason = form.reason.trim().chars().take(200).collect::<String>();
    let (actor, user_id) = (user.actor(), user.id);
    let number = phone.to_string();
    let added = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let added = db::suppression::add(
                    conn,
                    &NewEntry {
                        phone: phone.as_str(),
                        campaign_id,
                        reason: &reason,
                        source: "manual",
                        created_by: Some(user_id),
                        interaction_id: None,
                    },
                )?;
                if added {
                    audit::record(
                        conn,
                        &actor,
                        "dnc.add",
                        "suppression",
                        None,
                        &format!("Added {phone} to the do-not-call list"),
                    )?;
                }
                Ok::<_, AppError>(added)
            })
        })
        .await?;
    let message =
        if added { format!("{number} will not be called.") } else { format!("{number} was already on that list.") };
    redirect_with_flash(&req, "/dnc", FlashKind::Success, message)
}

#[derive(Template, WebTemplate)]
#[template(path = "dnc/confirm_remove.html")]
struct ConfirmRemove {
    ctx: PageCtx,
    id: i64,
    phone: String,
}

#[get("/dnc/{id}/remove")]
async fn confirm_remove(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<i64>,
) -> Result<ConfirmRemove, AppError> {
    let id = path.into_inner();
    let phone = state.db.run(move |conn| Ok(db::suppression::find_phone(conn, id)?)).await?;
    Ok(ConfirmRemove { ctx, id, phone })
}

#[post("/dnc/{id}/remove")]
async fn remove(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.actor();
    let phone = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let phone = db::suppression::find_phone(conn, id)?;
                db::suppression::delete(conn, id)?;
                audit::record(
                    conn,
                    &actor,
                    "dnc.remove",
                    "suppression",
                    Some(id),
                    &format!("Removed {phone} from the do-not-call list"),
                )?;
                Ok::<_, AppError>(phone)
            })
        })
        .await?;
    redirect_with_flash(&req, "/dnc", FlashKind::Success, format!("{phone} is no longer on that list."))
}
