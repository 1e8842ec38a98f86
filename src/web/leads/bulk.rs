//! Bulk actions on the leads selected in a list (or the one on its page): status, test
//! flag, delete after a confirmation page, "call now" through the dialer's queue, and
//! export.

use actix_web::{HttpRequest, HttpResponse, post, web};
use askama::Template;
use askama_web::WebTemplate;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::leads::Lead;
use crate::error::AppError;
use crate::ids::LeadId;
use crate::services::lead_queue;
use crate::services::leads::{self, BulkAction};
use crate::web::local_path::LocalPath;
use crate::web::{PageCtx, redirect_with_flash, respond};

#[derive(Template, WebTemplate)]
#[template(path = "leads/confirm_delete.html")]
struct ConfirmDelete {
    ctx: PageCtx,
    leads: Vec<Lead>,
    back: String,
}

/// Takes repeated `lead_id` fields, so the form arrives as pairs.
#[post("/leads/bulk")]
pub(super) async fn bulk(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    let value = |name: &str| fields.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str());
    let back = LocalPath::or(Some(value("back")), "/leads");
    let ids: Vec<LeadId> = fields.iter().filter(|(k, _)| k == "lead_id").filter_map(|(_, v)| v.parse().ok()).collect();
    if ids.is_empty() {
        return redirect_with_flash(&req, &back, FlashKind::Error, "Select at least one lead first.");
    }
    match value("action") {
        "export" => return Ok(crate::web::exports::selected_leads(&state, ids)),
        "call_now" => {
            let report = lead_queue::call_now(&state.ctx, user.actor(), ids).await?;
            let kind = if report.now + report.later > 0 { FlashKind::Success } else { FlashKind::Error };
            return redirect_with_flash(&req, &back, kind, report.message());
        }
        _ => {}
    }
    let action = BulkAction::parse(value("action"))
        .ok_or_else(|| AppError::validation("Choose what to do with the selected leads"))?;
    if action == BulkAction::Delete && value("confirm") != "yes" {
        let leads = leads::selected(&state.ctx, ids).await?;
        return Ok(respond(ConfirmDelete { ctx, leads, back }, &req));
    }
    let changed = leads::bulk(&state.ctx, &user.actor(), ids, action).await?;
    redirect_with_flash(
        &req,
        &back,
        FlashKind::Success,
        format!("{}: {}.", action.done(), crate::domain::plural::counted(changed, "lead")),
    )
}
