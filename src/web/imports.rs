//! CSV import pages: upload, preview and mapping, progress (htmx polling), error report.

use actix_multipart::form::MultipartForm;
use actix_multipart::form::bytes::Bytes as UploadedBytes;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::campaigns::CampaignHeader;
use super::{PageCtx, redirect_with_flash, respond_with_status};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::imports::LeadImport;
use crate::db::{self, write_tx};
use crate::error::AppError;
use crate::imports::sheet::{Mapping, Target, delimiter_label};
use crate::imports::{self, DuplicateMode};

/// Largest upload accepted.
pub const UPLOAD_LIMIT: usize = 50 * 1024 * 1024;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        actix_multipart::form::MultipartFormConfig::default().total_limit(UPLOAD_LIMIT).memory_limit(UPLOAD_LIMIT),
    )
    .service(upload_page)
    .service(upload)
    .service(import_page)
    .service(start)
    .service(progress)
    .service(error_report);
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/upload.html")]
struct UploadPage {
    ctx: PageCtx,
    header: CampaignHeader,
    recent: Vec<LeadImport>,
    error: Option<String>,
}

async fn upload_page_for(
    state: &AppState,
    ctx: PageCtx,
    campaign_id: i64,
    error: Option<String>,
) -> Result<UploadPage, AppError> {
    let (campaign, recent) = state
        .db
        .run(move |conn| {
            Ok((db::campaigns::find(conn, campaign_id)?, db::imports::recent_for_campaign(conn, campaign_id, 10)?))
        })
        .await?;
    Ok(UploadPage { ctx, header: CampaignHeader { campaign, tab: "leads" }, recent, error })
}

#[get("/{id}/imports/new")]
async fn upload_page(state: web::Data<AppState>, ctx: PageCtx, path: web::Path<i64>) -> Result<UploadPage, AppError> {
    upload_page_for(&state, ctx, path.into_inner(), None).await
}

#[derive(MultipartForm)]
struct UploadForm {
    file: UploadedBytes,
}

#[post("/{id}/imports")]
async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
    form: MultipartForm<UploadForm>,
) -> Result<HttpResponse, AppError> {
    let campaign_id = path.into_inner();
    let file = form.into_inner().file;
    let file_name = file.file_name.clone().filter(|n| !n.is_empty()).unwrap_or_else(|| "leads.csv".into());
    let user_id = user.id;
    let actor = user.actor();
    let created = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                db::campaigns::find(conn, campaign_id)?;
                let created = imports::create_draft(conn, campaign_id, Some(user_id), &file_name, &file.data)?;
                if let Ok(id) = created {
                    audit::record(
                        conn,
                        &actor,
                        "lead_import.upload",
                        "lead_import",
                        Some(id),
                        &format!("Uploaded {file_name} for import"),
                    )?;
                }
                Ok::<_, AppError>(created)
            })
        })
        .await?;
    match created {
        Ok(import_id) => Ok(super::redirect(&req, &format!("/campaigns/{campaign_id}/imports/{import_id}"))),
        Err(file_error) => {
            let page = upload_page_for(&state, ctx, campaign_id, Some(file_error.0)).await?;
            Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

/// One column of the mapping step.
pub struct ColumnChoice {
    pub index: usize,
    pub header: String,
    pub target: Target,
    pub samples: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/import.html")]
struct ImportPage {
    ctx: PageCtx,
    header: CampaignHeader,
    import: LeadImport,
    delimiter: &'static str,
    columns: Vec<ColumnChoice>,
    targets: [Target; 13],
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/_progress.html")]
struct ProgressPartial {
    import: LeadImport,
}

fn import_page_data(
    conn: &mut db::DbConnection,
    ctx: PageCtx,
    campaign_id: i64,
    import_id: i64,
    mapping_override: Option<Mapping>,
    error: Option<String>,
) -> Result<ImportPage, AppError> {
    let campaign = db::campaigns::find(conn, campaign_id)?;
    let import = db::imports::find(conn, import_id)?;
    if import.campaign_id != campaign_id {
        return Err(AppError::NotFound);
    }
    let mut columns = Vec::new();
    if import.status == "draft" {
        let sheet = imports::sheet_of(conn, &import)?;
        let headers = sheet.headers().map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))?;
        let rows = sheet.first_rows(5);
        let mapping = match mapping_override {
            Some(mapping) => mapping,
            None => Mapping::from_json(&import.column_mapping).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?,
        };
        columns = headers
            .into_iter()
            .zip(mapping.0)
            .enumerate()
            .map(|(index, (header, target))| ColumnChoice {
                index,
                header,
                target,
                samples: rows.iter().map(|r| r.get(index).cloned().unwrap_or_default()).collect(),
            })
            .collect();
    }
    let delimiter = delimiter_label(import.delimiter.bytes().next().unwrap_or(b','));
    Ok(ImportPage {
        ctx,
        header: CampaignHeader { campaign, tab: "leads" },
        import,
        delimiter,
        columns,
        targets: Target::CHOICES,
        error,
    })
}

#[get("/{id}/imports/{import_id}")]
async fn import_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<(i64, i64)>,
) -> Result<ImportPage, AppError> {
    let (campaign_id, import_id) = path.into_inner();
    state.db.run(move |conn| import_page_data(conn, ctx, campaign_id, import_id, None, None)).await
}

#[post("/{id}/imports/{import_id}/start")]
async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<(i64, i64)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (campaign_id, import_id) = path.into_inner();
    let fields = form.into_inner();
    let mode = fields
        .iter()
        .find(|(k, _)| k == "duplicate_mode")
        .map(|(_, v)| DuplicateMode::parse(v))
        .unwrap_or(Ok(DuplicateMode::Skip))
        .map_err(AppError::Validation)?;
    let mut columns: Vec<(usize, Target)> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("column_")?.parse().ok()?, Target::parse(v)?)))
        .collect();
    columns.sort_by_key(|(index, _)| *index);
    let mapping = Mapping(columns.into_iter().map(|(_, target)| target).collect());
    let actor = user.actor();
    let page = state
        .db
        .run(move |conn| {
            let outcome = write_tx(conn, |conn| {
                let import = db::imports::find(conn, import_id)?;
                if import.campaign_id != campaign_id {
                    return Err(AppError::NotFound);
                }
                let queued = imports::queue(conn, &import, &mapping, mode)?;
                if queued.is_ok() {
                    let summary = format!(
                        "Started importing {} ({} rows, duplicates: {})",
                        import.file_name,
                        import.total_rows,
                        mode.as_str()
                    );
                    audit::record(conn, &actor, "lead_import.start", "lead_import", Some(import_id), &summary)?;
                }
                Ok(queued)
            })?;
            match outcome {
                Ok(()) => Ok(None),
                Err(message) => {
                    Ok(Some(import_page_data(conn, ctx, campaign_id, import_id, Some(mapping), Some(message))?))
                }
            }
        })
        .await?;
    match page {
        None => redirect_with_flash(
            &req,
            &format!("/campaigns/{campaign_id}/imports/{import_id}"),
            FlashKind::Success,
            "Import started. You can leave this page; it carries on in the background.",
        ),
        Some(page) => Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)),
    }
}

#[get("/{id}/imports/{import_id}/progress")]
async fn progress(state: web::Data<AppState>, path: web::Path<(i64, i64)>) -> Result<ProgressPartial, AppError> {
    let (campaign_id, import_id) = path.into_inner();
    let import = state.db.run(move |conn| Ok(db::imports::find(conn, import_id)?)).await?;
    if import.campaign_id != campaign_id {
        return Err(AppError::NotFound);
    }
    Ok(ProgressPartial { import })
}

#[get("/{id}/imports/{import_id}/errors.csv")]
async fn error_report(state: web::Data<AppState>, path: web::Path<(i64, i64)>) -> Result<HttpResponse, AppError> {
    let (campaign_id, import_id) = path.into_inner();
    let (import, report) = state
        .db
        .run(move |conn| Ok((db::imports::find(conn, import_id)?, imports::error_report(conn, import_id)?)))
        .await?;
    if import.campaign_id != campaign_id {
        return Err(AppError::NotFound);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", format!("attachment; filename=\"import-{import_id}-errors.csv\"")))
        .body(report))
}
