//! Leads: the list (per campaign and across campaigns) with keyset paging, sort, filters and
//! bulk actions; the lead page with its fields and call timeline; adding a lead by hand.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::campaigns::CampaignHeader;
use super::errors::urlencode;
use super::{PageCtx, redirect_with_flash, respond_with_status};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::campaigns::Campaign;
use crate::db::interactions::TimelineEntry;
use crate::db::leads::{Cursor, Lead, LeadFilter, LeadPage, LeadSort, PageAt, Provided};
use crate::db::{self, DbConnection, write_tx};
use crate::domain::lead::{FieldError, LeadInput, LeadStatus, RawLead, parse_custom_lines, search_key};
use crate::domain::phone::{E164, Region};
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(all_leads).service(bulk).service(lead_page).service(update_lead);
}

/// Routes under `/campaigns/{id}`.
pub fn campaign_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(campaign_leads).service(new_lead_page).service(create_lead);
}

const PAGE_SIZE: i64 = 50;

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub test: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub before: String,
}

impl ListQuery {
    fn page_at(&self) -> PageAt {
        match (Cursor::decode(&self.after), Cursor::decode(&self.before)) {
            (Some(c), _) => PageAt::After(c),
            (None, Some(c)) => PageAt::Before(c),
            _ => PageAt::First,
        }
    }

    /// The list's address with these filters and another cursor (for paging links).
    pub fn link(&self, base: &str, cursor: Option<(&str, &str)>) -> String {
        let mut pairs =
            vec![("status", self.status.as_str()), ("test", &self.test), ("q", &self.q), ("sort", &self.sort)];
        if let Some(c) = cursor {
            pairs.push(c);
        }
        let query: Vec<String> =
            pairs.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        if query.is_empty() { base.to_owned() } else { format!("{base}?{}", query.join("&")) }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "leads/list.html")]
struct ListPage {
    ctx: PageCtx,
    header: Option<CampaignHeader>,
    query: ListQuery,
    base: String,
    page: LeadPage,
    total: Option<i32>,
    truncated_search: bool,
    statuses: [LeadStatus; 8],
    sorts: [LeadSort; 4],
}

impl ListPage {
    fn next_link(&self) -> Option<String> {
        self.page.next.as_deref().map(|c| self.query.link(&self.base, Some(("after", c))))
    }

    fn prev_link(&self) -> Option<String> {
        self.page.prev.as_deref().map(|c| self.query.link(&self.base, Some(("before", c))))
    }

    fn here(&self) -> String {
        let cursor = if !self.query.after.is_empty() {
            Some(("after", self.query.after.as_str()))
        } else if !self.query.before.is_empty() {
            Some(("before", self.query.before.as_str()))
        } else {
            None
        };
        self.query.link(&self.base, cursor)
    }
}

/// Runs a list query: search candidates first (bounded), then one keyset page.
fn load_page(
    conn: &mut DbConnection,
    campaign: Option<&Campaign>,
    query: &ListQuery,
) -> Result<(LeadPage, bool), AppError> {
    let mut filter = LeadFilter {
        campaign_id: campaign.map(|c| c.id),
        status: LeadStatus::parse(&query.status).ok(),
        is_test: match query.test.as_str() {
            "yes" => Some(true),
            "no" => Some(false),
            _ => None,
        },
        ids: None,
    };
    let mut truncated = false;
    let term = search_key(&query.q);
    if !term.is_empty() {
        let campaign_ids = match campaign {
            Some(c) => vec![c.id],
            None => db::campaigns::all_ids(conn)?,
        };
        let region = campaign.and_then(|c| Region::parse(&c.default_region).ok());
        let (ids, cut) =
            db::leads::search_candidates(conn, &campaign_ids, &term, phone_prefix(&query.q, region).as_deref())?;
        filter.ids = Some(ids);
        truncated = cut;
    }
    let page = db::leads::page(conn, &filter, LeadSort::parse(&query.sort), &query.page_at(), PAGE_SIZE)?;
    Ok((page, truncated))
}

/// A search that looks like a phone number also matches phones: the full number when it
/// parses, else the digits as an international prefix.
fn phone_prefix(q: &str, region: Option<Region>) -> Option<String> {
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let phone_like = q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if digits.len() < 3 || !phone_like {
        return None;
    }
    Some(match E164::parse(q, region.as_ref()) {
        Ok(number) => number.to_string(),
        Err(_) => format!("+{digits}"),
    })
}

#[get("/leads")]
async fn all_leads(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let query = query.into_inner();
    state
        .db
        .run(move |conn| {
            let (page, truncated_search) = load_page(conn, None, &query)?;
            Ok(ListPage {
                ctx,
                header: None,
                base: "/leads".into(),
                query,
                page,
                total: None,
                truncated_search,
                statuses: LeadStatus::ALL,
                sorts: LeadSort::ALL,
            })
        })
        .await
}

#[get("/{id}/leads")]
async fn campaign_leads(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<i64>,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let id = path.into_inner();
    let query = query.into_inner();
    state
        .db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            let (page, truncated_search) = load_page(conn, Some(&campaign), &query)?;
            let total = Some(campaign.lead_count);
            Ok(ListPage {
                ctx,
                base: format!("/campaigns/{id}/leads"),
                header: Some(CampaignHeader { campaign, tab: "leads" }),
                query,
                page,
                total,
                truncated_search,
                statuses: LeadStatus::ALL,
                sorts: LeadSort::ALL,
            })
        })
        .await
}

#[derive(Template, WebTemplate)]
#[template(path = "leads/confirm_delete.html")]
struct ConfirmDelete {
    ctx: PageCtx,
    leads: Vec<Lead>,
    back: String,
}

/// Only local list addresses are redirect targets.
fn safe_back(back: &str) -> String {
    if back.starts_with('/') && !back.starts_with("//") && !back.contains('\\') {
        back.to_owned()
    } else {
        "/leads".into()
    }
}

#[post("/leads/bulk")]
async fn bulk(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    let value = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default();
    let back = safe_back(&value("back"));
    let ids: Vec<i64> = fields.iter().filter(|(k, _)| k == "lead_id").filter_map(|(_, v)| v.parse().ok()).collect();
    if ids.is_empty() {
        return redirect_with_flash(&req, &back, FlashKind::Error, "Select at least one lead first.");
    }
    if ids.len() > 500 {
        return Err(AppError::validation("Act on at most 500 leads at a time"));
    }
    let action = value("action");
    if action == "delete" && value("confirm") != "yes" {
        let leads = state
            .db
            .run(move |conn| ids.iter().map(|id| Ok(db::leads::find(conn, *id)?)).collect::<Result<Vec<_>, AppError>>())
            .await?;
        return Ok(super::respond(ConfirmDelete { ctx, leads, back }, &req));
    }
    let actor = user.actor();
    let message = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let now = db::now();
                let (changed, what) = match action.as_str() {
                    "delete" => (db::leads::soft_delete(conn, &ids, now)?, "Deleted".to_owned()),
                    "test_on" => (db::leads::set_test(conn, &ids, true, now)?, "Marked as test".to_owned()),
                    "test_off" => (db::leads::set_test(conn, &ids, false, now)?, "Unmarked as test".to_owned()),
                    other => match other.strip_prefix("status:").map(LeadStatus::parse) {
                        Some(Ok(status)) => {
                            (db::leads::set_status(conn, &ids, status, now)?, format!("Set to {}", status.label()))
                        }
                        _ => return Err(AppError::validation("Choose what to do with the selected leads")),
                    },
                };
                let summary = format!("{what}: {changed} lead(s) (ids {})", join_ids(&ids));
                audit::record(
                    conn,
                    &actor,
                    &format!("lead.bulk.{}", action.replace(':', ".")),
                    "lead",
                    None,
                    &summary,
                )?;
                Ok(format!("{what}: {changed} lead(s)."))
            })
        })
        .await?;
    redirect_with_flash(&req, &back, FlashKind::Success, message)
}

fn join_ids(ids: &[i64]) -> String {
    let mut shown: Vec<String> = ids.iter().take(20).map(i64::to_string).collect();
    if ids.len() > 20 {
        shown.push(format!("and {} more", ids.len() - 20));
    }
    shown.join(", ")
}

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
    fn from_lead(lead: &Lead) -> LeadForm {
        LeadForm {
            first_name: lead.first_name.clone(),
            last_name: lead.last_name.clone(),
            phone: lead.phone.clone(),
            email: lead.email.clone().unwrap_or_default(),
            company: lead.company.clone().unwrap_or_default(),
            timezone: lead.timezone.clone().unwrap_or_default(),
            status: lead.status.clone(),
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

    fn parse(&self, region: Option<&Region>) -> Result<LeadInput, Vec<FieldError>> {
        let custom =
            parse_custom_lines(&self.custom).map_err(|message| vec![FieldError { field: "custom", message }])?;
        let raw = RawLead {
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
        };
        LeadInput::parse(&raw, region)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "leads/detail.html")]
struct DetailPage {
    ctx: PageCtx,
    lead: Lead,
    campaign: Campaign,
    form: LeadForm,
    errors: Vec<FieldError>,
    timeline: Vec<TimelineEntry>,
    effective_timezone: Option<String>,
    timezone_source: &'static str,
    statuses: [LeadStatus; 8],
}

impl DetailPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }

    /// The call in progress, if any (the timeline is newest first).
    fn live_call(&self) -> Option<i64> {
        self.timeline.iter().find(|c| matches!(c.status.as_str(), "dialing" | "in_progress")).map(|c| c.id)
    }
}

/// The zone the lead's calls are timed in and where it comes from.
fn effective_timezone(lead: &Lead, campaign: &Campaign) -> (Option<String>, &'static str) {
    if let Some(tz) = &lead.timezone {
        return (Some(tz.clone()), "set on the lead");
    }
    if let Some(zone) = E164::parse(&lead.phone, None).ok().and_then(|p| p.zone()) {
        return (Some(zone.name().to_owned()), "from the phone number");
    }
    (Some(campaign.timezone.clone()), "the campaign's, as the number spans several zones")
}

fn detail_page(
    conn: &mut DbConnection,
    ctx: PageCtx,
    lead: Lead,
    form: Option<LeadForm>,
    errors: Vec<FieldError>,
) -> Result<DetailPage, AppError> {
    let campaign = db::campaigns::find(conn, lead.campaign_id)?;
    let timeline = db::interactions::timeline(conn, lead.id, 100)?;
    let (effective_timezone, timezone_source) = effective_timezone(&lead, &campaign);
    let form = form.unwrap_or_else(|| LeadForm::from_lead(&lead));
    Ok(DetailPage {
        ctx,
        lead,
        campaign,
        form,
        errors,
        timeline,
        effective_timezone,
        timezone_source,
        statuses: LeadStatus::ALL,
    })
}

#[get("/leads/{id}")]
async fn lead_page(state: web::Data<AppState>, ctx: PageCtx, path: web::Path<i64>) -> Result<DetailPage, AppError> {
    let id = path.into_inner();
    state
        .db
        .run(move |conn| {
            let lead = db::leads::find(conn, id)?;
            detail_page(conn, ctx, lead, None, Vec::new())
        })
        .await
}

#[post("/leads/{id}")]
async fn update_lead(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<LeadForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let actor = user.actor();
    let failure = state
        .db
        .run(move |conn| {
            let outcome = write_tx(conn, |conn| {
                let lead = db::leads::find(conn, id)?;
                if lead.deleted_at.is_some() {
                    return Err(AppError::conflict("This lead was deleted; it can no longer be edited."));
                }
                let campaign = db::campaigns::find(conn, lead.campaign_id)?;
                let input = match form.parse(Region::parse(&campaign.default_region).ok().as_ref()) {
                    Ok(input) => input,
                    Err(errors) => return Ok(Err(errors)),
                };
                if db::unless_duplicate(conn, |c| db::leads::update(c, &lead, &input, Provided::ALL, db::now()))?
                    .is_none()
                {
                    return Ok(Err(vec![FieldError {
                        field: "phone",
                        message: format!("Another lead of this campaign has the number {}", input.phone),
                    }]));
                }
                audit::record(
                    conn,
                    &actor,
                    "lead.update",
                    "lead",
                    Some(id),
                    &format!("Edited the lead {} ({})", input.first_name, input.phone),
                )?;
                Ok(Ok(()))
            })?;
            match outcome {
                Ok(()) => Ok(None),
                Err(errors) => {
                    let lead = db::leads::find(conn, id)?;
                    Ok(Some(detail_page(conn, ctx, lead, Some(form), errors)?))
                }
            }
        })
        .await?;
    match failure {
        None => redirect_with_flash(&req, &format!("/leads/{id}"), FlashKind::Success, "Lead saved."),
        Some(page) => Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "leads/new.html")]
struct NewLeadPage {
    ctx: PageCtx,
    header: CampaignHeader,
    form: LeadForm,
    errors: Vec<FieldError>,
    statuses: [LeadStatus; 8],
}

impl NewLeadPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.errors.iter().find(|e| e.field == field).map(|e| e.message.as_str())
    }
}

#[get("/{id}/leads/new")]
async fn new_lead_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<i64>,
) -> Result<NewLeadPage, AppError> {
    let id = path.into_inner();
    let campaign = state.db.run(move |conn| Ok(db::campaigns::find(conn, id)?)).await?;
    let form = LeadForm { status: "new".into(), ..LeadForm::default() };
    Ok(NewLeadPage {
        ctx,
        header: CampaignHeader { campaign, tab: "leads" },
        form,
        errors: Vec::new(),
        statuses: LeadStatus::ALL,
    })
}

#[post("/{id}/leads")]
async fn create_lead(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<LeadForm>,
) -> Result<HttpResponse, AppError> {
    let campaign_id = path.into_inner();
    let form = form.into_inner();
    let actor = user.actor();
    let (campaign, outcome, form) = state
        .db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, campaign_id)?;
            let outcome = write_tx(conn, |conn| {
                let input = match form.parse(Region::parse(&campaign.default_region).ok().as_ref()) {
                    Ok(input) => input,
                    Err(errors) => return Ok(Err(errors)),
                };
                let Some(id) = db::unless_duplicate(conn, |c| db::leads::insert(c, campaign_id, &input, db::now()))?
                else {
                    return Ok(Err(vec![FieldError {
                        field: "phone",
                        message: format!("{} is already a lead of this campaign", input.phone),
                    }]));
                };
                let summary = format!(
                    "Added the lead {} {} ({}) to “{}”",
                    input.first_name, input.last_name, input.phone, campaign.name
                );
                audit::record(conn, &actor, "lead.create", "lead", Some(id), &summary)?;
                Ok::<_, AppError>(Ok(id))
            })?;
            Ok((campaign, outcome, form))
        })
        .await?;
    match outcome {
        Ok(id) => redirect_with_flash(&req, &format!("/leads/{id}"), FlashKind::Success, "Lead added."),
        Err(errors) => {
            let page = NewLeadPage {
                ctx,
                header: CampaignHeader { campaign, tab: "leads" },
                form,
                errors,
                statuses: LeadStatus::ALL,
            };
            Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_like_searches_become_phone_prefixes() {
        let us = Region::parse("US").ok();
        assert_eq!(phone_prefix("(212) 555-0123", us).as_deref(), Some("+12125550123"));
        assert_eq!(phone_prefix("+4930", None).as_deref(), Some("+4930"));
        assert_eq!(phone_prefix("ana", us), None);
        assert_eq!(phone_prefix("12", us), None);
    }

    #[test]
    fn list_links_keep_the_filters() {
        let q = ListQuery { status: "new".into(), q: "ana lima".into(), ..ListQuery::default() };
        assert_eq!(q.link("/leads", Some(("after", "42"))), "/leads?status=new&q=ana+lima&after=42");
        assert_eq!(ListQuery::default().link("/leads", None), "/leads");
        assert_eq!(safe_back("//evil"), "/leads");
    }
}
