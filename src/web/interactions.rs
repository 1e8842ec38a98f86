//! Calls: the list with filters and paging, the call page with its transcript as a
//! conversation (updating live while the call runs), its recording, and "Call now".

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDate;
use serde::Deserialize;

use super::errors::urlencode;
use super::{PageCtx, redirect_with_flash};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::calls::{self, CallStart};
use crate::db::interactions::{CallFilter, CallRow, Interaction, TranscriptTurn};
use crate::db::leads::Lead;
use crate::db::templates::TemplateVersion;
use crate::db::webhook_events::WebhookEvent;
use crate::db::{self, DbConnection};
use crate::domain::interaction::CallStatus;
use crate::domain::outcome::Outcome;
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_page).service(call_page).service(status_panel).service(recording).service(call_now);
}

const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub campaign: String,
    #[serde(default)]
    pub agent: String,
    #[serde(default)]
    pub outcome: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub direction: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub before: String,
}

impl ListQuery {
    fn filter(&self) -> Result<CallFilter, AppError> {
        let date = |value: &str, label: &str| -> Result<Option<NaiveDate>, AppError> {
            match value.trim() {
                "" => Ok(None),
                v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| AppError::validation(format!("The {label} date must look like 2026-11-24"))),
            }
        };
        let non_empty = |v: &str| Some(v.to_owned()).filter(|v| !v.is_empty());
        Ok(CallFilter {
            campaign_id: self.campaign.parse().ok(),
            agent_id: self.agent.parse().ok(),
            outcome: non_empty(&self.outcome),
            status: non_empty(&self.status),
            direction: non_empty(&self.direction),
            from: date(&self.from, "from")?.map(|d| d.and_hms_opt(0, 0, 0).expect("midnight")),
            until: date(&self.to, "to")?.and_then(|d| d.succ_opt()).map(|d| d.and_hms_opt(0, 0, 0).expect("midnight")),
        })
    }

    fn next_link(&self, before: i64) -> String {
        let pairs = [
            ("campaign", &self.campaign),
            ("agent", &self.agent),
            ("outcome", &self.outcome),
            ("status", &self.status),
            ("direction", &self.direction),
            ("from", &self.from),
            ("to", &self.to),
        ];
        let mut query: Vec<String> =
            pairs.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        query.push(format!("before={before}"));
        format!("/interactions?{}", query.join("&"))
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "interactions/list.html")]
struct ListPage {
    ctx: PageCtx,
    query: ListQuery,
    calls: Vec<CallRow>,
    next: Option<String>,
    campaigns: Vec<(i64, String)>,
    agents: Vec<(i64, String)>,
    outcomes: [Outcome; 10],
    statuses: [CallStatus; 7],
}

#[get("/interactions")]
async fn list_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let query = query.into_inner();
    let filter = query.filter()?;
    let before = query.before.parse().ok();
    state
        .db
        .run(move |conn| {
            let mut calls = db::interactions::page(conn, &filter, before, PAGE_SIZE + 1)?;
            let next = if calls.len() as i64 > PAGE_SIZE {
                calls.truncate(PAGE_SIZE as usize);
                calls.last().map(|c| query.next_link(c.id))
            } else {
                None
            };
            let agents =
                db::agents::list(conn, &Default::default())?.into_iter().map(|a| (a.agent.id, a.agent.name)).collect();
            Ok(ListPage {
                ctx,
                campaigns: db::campaigns::names(conn)?,
                agents,
                query,
                calls,
                next,
                outcomes: Outcome::ALL,
                statuses: CallStatus::ALL,
            })
        })
        .await
}

/// Everything the call page shows.
pub struct CallView {
    pub call: Interaction,
    pub lead: Lead,
    pub campaign_name: String,
    pub agent_name: Option<String>,
    pub template: Option<(String, TemplateVersion)>,
    pub transcript: Vec<TranscriptTurn>,
    pub has_recording: bool,
    pub collected: Vec<(String, String)>,
    pub criteria: Vec<(String, String)>,
    pub analysis_pretty: Option<String>,
    pub events: Vec<WebhookEvent>,
}

impl CallView {
    pub fn status(&self) -> CallStatus {
        self.call.status()
    }

    pub fn outcome_label(&self) -> Option<&'static str> {
        self.call.outcome.as_deref().and_then(Outcome::parse).map(Outcome::label)
    }
}

/// `mm:ss` for a transcript time.
pub fn clock(seconds: &i32) -> String {
    format!("{:02}:{:02}", seconds / 60, seconds % 60)
}

fn load_view(conn: &mut DbConnection, id: i64) -> Result<CallView, AppError> {
    let call = db::interactions::find(conn, id)?;
    let lead = db::leads::find(conn, call.lead_id)?;
    let campaign_name = db::campaigns::find(conn, call.campaign_id)?.name;
    let agent_name = db::agents::find_optional(conn, call.voice_agent_id)?.map(|a| a.name);
    let template = match call.template_version_id {
        Some(version_id) => {
            let version = db::templates::version_by_id(conn, version_id)?;
            Some((db::templates::find(conn, version.prompt_template_id)?.name, version))
        }
        None => None,
    };
    let analysis: Option<serde_json::Value> =
        call.provider_analysis.as_deref().and_then(|a| serde_json::from_str(a).ok());
    let pairs = |key: &str, field: &str| -> Vec<(String, String)> {
        analysis
            .as_ref()
            .and_then(|a| a.get(key))
            .and_then(|v| v.as_object())
            .map(|items| {
                items
                    .iter()
                    .map(|(name, item)| {
                        let value = item.get(field).unwrap_or(item);
                        (name.clone(), value.as_str().map_or_else(|| value.to_string(), str::to_owned))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(CallView {
        transcript: db::interactions::transcript(conn, id)?,
        has_recording: db::recordings::exists_for(conn, id)?,
        collected: pairs("data_collection_results", "value"),
        criteria: pairs("evaluation_criteria_results", "result"),
        analysis_pretty: analysis.as_ref().and_then(|a| serde_json::to_string_pretty(a).ok()),
        events: db::webhook_events::for_interaction(conn, id)?,
        call,
        lead,
        campaign_name,
        agent_name,
        template,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "interactions/detail.html")]
struct CallPage {
    ctx: PageCtx,
    view: CallView,
}

#[derive(Template, WebTemplate)]
#[template(path = "interactions/_status.html")]
struct StatusPanel {
    view: CallView,
}

#[get("/interactions/{id}")]
async fn call_page(state: web::Data<AppState>, ctx: PageCtx, path: web::Path<i64>) -> Result<CallPage, AppError> {
    let id = path.into_inner();
    let view = state.db.run(move |conn| load_view(conn, id)).await?;
    Ok(CallPage { ctx, view })
}

/// The live panel; once the call has ended the whole page reloads to show its transcript.
#[get("/interactions/{id}/status")]
async fn status_panel(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let view = state.db.run(move |conn| load_view(conn, id)).await?;
    if !view.status().is_live() {
        return Ok(HttpResponse::Ok().insert_header(("HX-Refresh", "true")).finish());
    }
    Ok(super::respond(StatusPanel { view }, &req))
}

#[get("/interactions/{id}/recording")]
async fn recording(state: web::Data<AppState>, path: web::Path<i64>) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let (content_type, audio) =
        state.db.run(move |conn| db::recordings::for_interaction(conn, id)?.ok_or(AppError::NotFound)).await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("cache-control", "private, max-age=3600"))
        .body(audio))
}

/// "Call now" on a lead.
#[post("/leads/{id}/call")]
async fn call_now(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let lead_id = path.into_inner();
    let started = calls::start_call(&state, lead_id, user.actor()).await?;
    let (interaction, kind, message) = match &started {
        CallStart::Accepted { interaction_id } => (
            Some(*interaction_id),
            FlashKind::Success,
            "Calling now. The transcript appears here when the call ends.".to_owned(),
        ),
        CallStart::Unconfirmed { interaction_id, message } => {
            (Some(*interaction_id), FlashKind::Error, message.clone())
        }
        CallStart::ConfigError { interaction_id, error } => {
            (Some(*interaction_id), FlashKind::Error, format!("Not called — {}: {}", error.code(), error.message()))
        }
        CallStart::ProviderError { interaction_id, message } => {
            (Some(*interaction_id), FlashKind::Error, format!("The provider refused the call: {message}"))
        }
        CallStart::Refused(reason) => (None, FlashKind::Error, format!("Not called: {reason}")),
    };
    let location = match interaction {
        Some(id) => format!("/interactions/{id}"),
        None => format!("/leads/{lead_id}"),
    };
    redirect_with_flash(&req, &location, kind, message)
}
