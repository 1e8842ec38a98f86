//! The CSV export of what the page's filter shows, streamed as it is read.

use actix_web::{HttpResponse, get, web};

use super::ListQuery;
use crate::app::AppState;
use crate::services::dnc;

#[get("/dnc/export.csv")]
pub(super) async fn export_csv(state: web::Data<AppState>, query: web::Query<ListQuery>) -> HttpResponse {
    let export = dnc::export(&state.ctx, query.filter());
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", format!("attachment; filename=\"{}\"", export.file_name)))
        .streaming(export.chunks)
}
