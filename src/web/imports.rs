//! CSV import pages: upload, preview and mapping, progress (htmx polling), error report.

use actix_multipart::form::MultipartForm;
use actix_multipart::form::bytes::Bytes as UploadedBytes;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::campaigns::CampaignHeader;
use super::{PageCtx, redirect_with_flash, respond_with_status};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::imports::LeadImport;
use crate::error::AppError;
use crate::ids::{CampaignId, ImportId};
use crate::imports::sheet::{Mapping, Target};
use crate::imports::{self, ColumnChoice, DuplicateMode, ImportStatus, ImportView, Upload, Uploads};

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

impl UploadPage {
    fn new(ctx: PageCtx, uploads: Uploads, error: Option<String>) -> UploadPage {
        UploadPage {
            ctx,
            header: CampaignHeader { campaign: uploads.campaign, tab: "leads" },
            recent: uploads.recent,
            error,
        }
    }
}

#[get("/{id}/imports/new")]
async fn upload_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
) -> Result<UploadPage, AppError> {
    let uploads = imports::uploads(&state.ctx, path.into_inner()).await?;
    Ok(UploadPage::new(ctx, uploads, None))
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
    path: web::Path<CampaignId>,
    form: MultipartForm<UploadForm>,
) -> Result<HttpResponse, AppError> {
    let campaign_id = path.into_inner();
    let file = form.into_inner().file;
    let file_name = file.file_name.filter(|n| !n.is_empty()).unwrap_or_else(|| "leads.csv".into());
    let upload = Upload { file_name, bytes: Vec::from(file.data) };
    match imports::upload(&state.ctx, &user.actor(), campaign_id, upload).await {
        Ok(import_id) => Ok(super::redirect(&req, &format!("/campaigns/{campaign_id}/imports/{import_id}"))),
        Err(e) => {
            let Some(message) = e.user_message() else { return Err(e) };
            let uploads = imports::uploads(&state.ctx, campaign_id).await?;
            Ok(respond_with_status(
                UploadPage::new(ctx, uploads, Some(message)),
                &req,
                StatusCode::UNPROCESSABLE_ENTITY,
            ))
        }
    }
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

impl ImportPage {
    fn new(ctx: PageCtx, view: ImportView, error: Option<String>) -> ImportPage {
        ImportPage {
            ctx,
            header: CampaignHeader { campaign: view.campaign, tab: "leads" },
            import: view.import,
            delimiter: view.delimiter,
            columns: view.columns,
            targets: Target::CHOICES,
            error,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/_progress.html")]
struct ProgressPartial {
    import: LeadImport,
}

#[get("/{id}/imports/{import_id}")]
async fn import_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<(CampaignId, ImportId)>,
) -> Result<ImportPage, AppError> {
    let (campaign_id, import_id) = path.into_inner();
    let view = imports::view(&state.ctx, campaign_id, import_id, None).await?;
    Ok(ImportPage::new(ctx, view, None))
}

/// The mapping step as posted: `column_N` = target, and `duplicate_mode`.
fn parse_start(fields: &[(String, String)]) -> Result<(Mapping, DuplicateMode), AppError> {
    let mode = match fields.iter().find(|(k, _)| k == "duplicate_mode") {
        Some((_, v)) => DuplicateMode::parse(v).map_err(AppError::Validation)?,
        None => DuplicateMode::Skip,
    };
    let mut columns: Vec<(usize, Target)> = fields
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("column_")?.parse().ok()?, Target::parse(v)?)))
        .collect();
    columns.sort_by_key(|(index, _)| *index);
    Ok((Mapping(columns.into_iter().map(|(_, target)| target).collect()), mode))
}

#[post("/{id}/imports/{import_id}/start")]
async fn start(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<(CampaignId, ImportId)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let (campaign_id, import_id) = path.into_inner();
    let (mapping, mode) = parse_start(&form.into_inner())?;
    match imports::start(&state.ctx, &user.actor(), campaign_id, import_id, mapping.clone(), mode).await {
        Ok(()) => redirect_with_flash(
            &req,
            &format!("/campaigns/{campaign_id}/imports/{import_id}"),
            FlashKind::Success,
            "Import started. You can leave this page; it carries on in the background.",
        ),
        Err(e) => {
            let Some(message) = e.user_message() else { return Err(e) };
            // The page again with the columns as the user mapped them.
            let view = imports::view(&state.ctx, campaign_id, import_id, Some(mapping)).await?;
            Ok(respond_with_status(ImportPage::new(ctx, view, Some(message)), &req, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[get("/{id}/imports/{import_id}/progress")]
async fn progress(
    state: web::Data<AppState>,
    path: web::Path<(CampaignId, ImportId)>,
) -> Result<ProgressPartial, AppError> {
    let (campaign_id, import_id) = path.into_inner();
    Ok(ProgressPartial { import: imports::progress(&state.ctx, campaign_id, import_id).await? })
}

#[get("/{id}/imports/{import_id}/errors.csv")]
async fn error_report(
    state: web::Data<AppState>,
    path: web::Path<(CampaignId, ImportId)>,
) -> Result<HttpResponse, AppError> {
    let (campaign_id, import_id) = path.into_inner();
    let report = imports::error_report(&state.ctx, campaign_id, import_id).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", format!("attachment; filename=\"import-{import_id}-errors.csv\"")))
        .body(report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mapping_follows_the_column_numbers_and_skip_is_the_default() {
        let fields: Vec<(String, String)> =
            [("column_1", "phone"), ("column_0", "full_name"), ("csrf_token", "x"), ("column_2", "nonsense")]
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .into();
        let (mapping, mode) = parse_start(&fields).unwrap();
        assert_eq!(mapping, Mapping(vec![Target::FullName, Target::Phone]));
        assert_eq!(mode, DuplicateMode::Skip);
        let bad = [("duplicate_mode".to_owned(), "merge".to_owned())];
        assert!(parse_start(&bad).unwrap_err().user_message().unwrap().contains("merge"));
    }
}
