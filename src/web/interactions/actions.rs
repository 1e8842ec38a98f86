//! Starting a call by hand, settling a call whose outcome nobody could establish, and
//! re-running the post-call pipeline on a call.

use actix_web::{HttpRequest, HttpResponse, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::calls::review::{self, Finding};
use crate::calls::{self, CallStart, Requester};
use crate::error::AppError;
use crate::ids::{InteractionId, LeadId};
use crate::services;
use crate::web::{PageCtx, redirect_with_flash, respond};

#[derive(Debug, Default, Deserialize)]
pub(super) struct CallNowForm {
    /// `yes` once the person has seen the warnings.
    #[serde(default)]
    confirm: String,
}

/// Asks before calling a lead the dialer would not call now.
#[derive(Template, WebTemplate)]
#[template(path = "interactions/confirm_call.html")]
struct ConfirmPage {
    ctx: PageCtx,
    lead_id: LeadId,
    warnings: Vec<String>,
}

/// "Call now" on a lead.
#[post("/leads/{id}/call")]
pub(super) async fn call_now(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<LeadId>,
    form: web::Form<CallNowForm>,
) -> Result<HttpResponse, AppError> {
    let lead_id = path.into_inner();
    let confirmed = form.confirm == "yes";
    let started = calls::start_call(&state.ctx, lead_id, Requester::Person { actor: user.actor(), confirmed }).await?;
    if let CallStart::NeedsConfirmation(warnings) = started {
        return Ok(respond(ConfirmPage { ctx, lead_id, warnings }, &req));
    }
    let (kind, message) = match &started {
        CallStart::Accepted { .. } => {
            (FlashKind::Success, "Calling now. The transcript appears here when the call ends.".to_owned())
        }
        CallStart::Unconfirmed { message, .. } => (FlashKind::Error, message.clone()),
        CallStart::ConfigError { error, .. } => {
            (FlashKind::Error, format!("Not called — {}: {}", error.code(), error.message()))
        }
        CallStart::ProviderError { message, .. } => {
            (FlashKind::Error, format!("The provider refused the call: {message}"))
        }
        CallStart::NotSent { message, .. } => (FlashKind::Error, format!("Not called: {message}")),
        CallStart::Refused(refusal) => (FlashKind::Error, format!("Not called: {}", refusal.message())),
        CallStart::NeedsConfirmation(_) => unreachable!("answered above"),
    };
    let location = match started.interaction_id() {
        Some(id) => format!("/interactions/{id}"),
        None => format!("/leads/{lead_id}"),
    };
    redirect_with_flash(&req, &location, kind, message)
}

#[derive(Debug, Deserialize)]
struct SettleForm {
    /// `reached` or `not_reached`.
    finding: String,
    #[serde(default)]
    outcome: String,
}

/// A person settles a call marked unknown: reached (with what came of it) or not reached.
#[post("/interactions/{id}/settle")]
pub(super) async fn settle(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<InteractionId>,
    form: web::Form<SettleForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let finding = Finding::parse(form.finding == "reached", &form.outcome)?;
    review::settle_unknown(&state.ctx, id, finding, user.actor()).await?;
    let message = match finding {
        Finding::Reached(outcome) => {
            format!("Settled as “{}”; the lead's status follows the campaign's rules.", outcome.label())
        }
        Finding::NotReached => "Settled as not reached; the lead may be called again.".to_owned(),
    };
    redirect_with_flash(&req, &format!("/interactions/{id}"), FlashKind::Success, message)
}

/// Queues another run of the campaign's pipeline on the call; earlier runs stay.
#[post("/interactions/{id}/pipeline/rerun")]
pub(super) async fn rerun_pipeline(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<InteractionId>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let version = services::pipeline::rerun(&state.ctx, user.actor(), id).await?;
    let message = format!("Run {version} queued; its result appears here in a few seconds.");
    redirect_with_flash(&req, &format!("/interactions/{id}#pipeline"), FlashKind::Success, message)
}
