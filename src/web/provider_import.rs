//! Importing from a provider account: the import page and form of any
//! [`ImportKind`](crate::services::provider_import::ImportKind); each area (voice agents,
//! phone numbers) says how its items are shown and worded.

use actix_web::{HttpRequest, HttpResponse, Responder, web};
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::error::AppError;
use crate::ids::ConnectionId;
use crate::services::provider_import::{self, ImportKind, ImportReport, Review};
use crate::web::{PageCtx, redirect_with_flash};

/// How an area shows and words the import of its kind of item.
pub(in crate::web) trait ImportPages: ImportKind + Sized {
    /// The area's list: the import starts from it and returns to it.
    const LIST_URL: &'static str;
    /// The form field that carries the provider's ids of the ticked items.
    const ID_FIELD: &'static str;
    /// The flash message when nothing was ticked.
    const NOTHING_CHOSEN: &'static str;
    /// Importing changes the AI setup (voice agents): only users who may edit it may import.
    const CHANGES_AI_SETUP: bool = false;

    type Page: Responder + 'static;

    fn page(ctx: PageCtx, review: Review<Self>) -> Self::Page;

    /// The flash message after an import.
    fn flash(report: &ImportReport) -> String;
}

/// The connection whose items to list (the only one when none is given).
#[derive(Debug, Deserialize)]
pub(in crate::web) struct ImportQuery {
    connection: Option<ConnectionId>,
}

/// GET `<list>/import`: the chosen connection's items, marked with those voxdial has.
pub(in crate::web) async fn import_page<K: ImportPages>(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ImportQuery>,
) -> Result<K::Page, AppError> {
    let review = provider_import::review::<K>(&state.ctx, query.connection).await?;
    Ok(K::page(ctx, review))
}

/// POST `<list>/import`: imports the ticked items (the field `ID_FIELD`, repeated).
pub(in crate::web) async fn import_chosen<K: ImportPages>(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    if K::CHANGES_AI_SETUP {
        user.ensure_may_edit_ai_setup()?;
    }
    let fields = form.into_inner();
    let connection_id: ConnectionId = fields
        .iter()
        .find(|(k, _)| k == "connection")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| AppError::validation("Choose the provider connection"))?;
    let chosen: Vec<String> = fields.into_iter().filter(|(k, _)| k == K::ID_FIELD).map(|(_, v)| v).collect();
    if chosen.is_empty() {
        let back = format!("{}/import?connection={connection_id}", K::LIST_URL);
        return redirect_with_flash(&req, &back, FlashKind::Error, K::NOTHING_CHOSEN);
    }
    let report = provider_import::import::<K>(&state.ctx, &user.actor(), connection_id, chosen).await?;
    redirect_with_flash(&req, K::LIST_URL, FlashKind::Success, K::flash(&report))
}
