//! A connection's inbound routing: how calls reach campaigns, and its default campaign.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::error::AppError;
use crate::ids::{CampaignId, ConnectionId};
use crate::services::connections::{INBOUND_TOKEN_HEADER, webhook_urls};
use crate::services::inbound_routing::{self, InboundRouting};
use crate::web::{PageCtx, redirect_with_flash};

#[derive(Template, WebTemplate)]
#[template(path = "settings/inbound.html")]
struct InboundPage {
    ctx: PageCtx,
    routing: InboundRouting,
    initiation_url: String,
    inbound_header: &'static str,
}

#[get("/providers/{id}/inbound")]
pub async fn page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<ConnectionId>,
) -> Result<InboundPage, AppError> {
    let id = path.into_inner();
    let routing = inbound_routing::overview(&state.ctx, id).await?;
    let (_, initiation_url) = webhook_urls(&state.public_url, id);
    Ok(InboundPage { ctx, routing, initiation_url, inbound_header: INBOUND_TOKEN_HEADER })
}

#[derive(Debug, Deserialize)]
pub struct DefaultForm {
    /// A campaign id, or empty for none.
    #[serde(default)]
    campaign: String,
}

#[post("/providers/{id}/inbound")]
pub async fn set_default(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ConnectionId>,
    form: web::Form<DefaultForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let campaign = match form.campaign.trim() {
        "" => None,
        value => {
            Some(value.parse::<CampaignId>().map_err(|_| AppError::validation("Choose a campaign from the list"))?)
        }
    };
    inbound_routing::set_default(&state.ctx, user.actor(), id, campaign).await?;
    redirect_with_flash(
        &req,
        &format!("/settings/providers/{id}/inbound"),
        FlashKind::Success,
        "Inbound routing saved.",
    )
}
