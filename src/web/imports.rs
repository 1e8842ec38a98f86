//! CSV import pages: upload, preview and mapping, progress (htmx polling), error report.

use actix_multipart::MultipartError;
use actix_multipart::form::tempfile::TempFile;
use actix_multipart::form::{MultipartForm, MultipartFormConfig};
use actix_web::error::PayloadError;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest as _, HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::campaigns::CampaignHeader;
use super::{LocalTimes, PageCtx, redirect_with_flash, respond_with_status};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::imports::LeadImport;
use crate::error::AppError;
use crate::ids::{CampaignId, ImportId};
use crate::imports::sheet::{Mapping, Target};
use crate::imports::{
    self, ColumnChoice, DuplicateMode, ImportPreview, ImportStatus, ImportView, Upload, Uploads, Verdict,
};

/// Largest upload accepted: the largest file an import takes.
pub const UPLOAD_LIMIT: usize = imports::encoding::MAX_FILE_BYTES as usize;
/// Uploads read at the same time; each may hold its file as text while it is checked.
pub const CONCURRENT_UPLOADS: usize = 2;
/// Room for the multipart framing around the file (boundaries, part headers, small fields).
const MULTIPART_OVERHEAD: usize = 64 * 1024;
/// Small form fields beside the file are read into memory; the file goes to a temporary file.
const FIELDS_IN_MEMORY: usize = 64 * 1024;

const TOO_LARGE: &str = "The file is larger than 50 MB. Split it into several files and import them one by one.";
const BUSY: &str = "Too many uploads at once; try again in a moment.";
const INCOMPLETE: &str = "The upload did not arrive whole. Choose the file and try again.";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.app_data(MultipartFormConfig::default().total_limit(UPLOAD_LIMIT).memory_limit(FIELDS_IN_MEMORY))
        .service(upload_page)
        .service(upload)
        .service(import_page)
        .service(start)
        .service(preview_rows)
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

/// The file is streamed to a temporary file (removed when the request ends), never held
/// in memory as it arrives.
#[derive(MultipartForm)]
struct UploadForm {
    file: TempFile,
}

#[post("/{id}/imports")]
async fn upload(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<CampaignId>,
    payload: web::Payload,
) -> Result<HttpResponse, AppError> {
    let campaign_id = path.into_inner();
    let (status, message) = match receive(&req, &state, &user, campaign_id, payload.into_inner()).await? {
        Received::Stored(import_id) => {
            return Ok(super::redirect(&req, &format!("/campaigns/{campaign_id}/imports/{import_id}")));
        }
        Received::Refused(status, message) => (status, message),
    };
    let uploads = imports::uploads(&state.ctx, campaign_id).await?;
    Ok(respond_with_status(UploadPage::new(ctx, uploads, Some(message)), &req, status))
}

/// What became of an upload.
enum Received {
    Stored(ImportId),
    /// Not taken, with the status and the reason for the upload page.
    Refused(StatusCode, String),
}

async fn receive(
    req: &HttpRequest,
    state: &AppState,
    user: &CurrentUser,
    campaign_id: CampaignId,
    mut payload: actix_web::dev::Payload,
) -> Result<Received, AppError> {
    let refused = |status, message: &str| Ok(Received::Refused(status, message.to_owned()));
    // Both refusals come before a byte of the body is read.
    let Ok(_reading) = state.uploads.try_acquire() else {
        return refused(StatusCode::SERVICE_UNAVAILABLE, BUSY);
    };
    if declared_length(req).is_some_and(|length| length > UPLOAD_LIMIT + MULTIPART_OVERHEAD) {
        return refused(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE);
    }
    let file = match MultipartForm::<UploadForm>::from_request(req, &mut payload).await {
        Ok(form) => form.into_inner().file,
        Err(e) if is_overflow(&e) => return refused(StatusCode::PAYLOAD_TOO_LARGE, TOO_LARGE),
        Err(e) => {
            tracing::info!(error = %e, "unreadable upload");
            return refused(StatusCode::UNPROCESSABLE_ENTITY, INCOMPLETE);
        }
    };
    let file_name = file.file_name.filter(|n| !n.is_empty()).unwrap_or_else(|| "leads.csv".into());
    let uploaded = Upload { file_name, file: file.file.into_file() };
    match imports::upload(&state.ctx, &user.actor(), campaign_id, uploaded).await {
        Ok(import_id) => Ok(Received::Stored(import_id)),
        Err(e) => match e.user_message() {
            Some(message) => refused(StatusCode::UNPROCESSABLE_ENTITY, &message),
            None => Err(e),
        },
    }
}

fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers().get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Whether reading the form stopped at the size limit (possibly inside the file field).
fn is_overflow(err: &actix_web::Error) -> bool {
    match err.as_error::<MultipartError>() {
        Some(MultipartError::Payload(PayloadError::Overflow)) => true,
        Some(MultipartError::Field { source, .. }) => is_overflow(source),
        _ => false,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/import.html")]
struct ImportPage {
    ctx: PageCtx,
    header: CampaignHeader,
    import: LeadImport,
    delimiter: &'static str,
    encoding: String,
    encoding_guessed: bool,
    columns: Vec<ColumnChoice>,
    targets: [Target; 13],
    mode: DuplicateMode,
    /// The check of the first rows, rendered (the mapping step swaps it as columns change).
    preview: Option<PreviewPartial>,
    error: Option<String>,
}

impl ImportPage {
    fn new(ctx: PageCtx, view: ImportView, error: Option<String>) -> ImportPage {
        ImportPage {
            ctx,
            header: CampaignHeader { campaign: view.campaign, tab: "leads" },
            import: view.import,
            delimiter: view.delimiter,
            encoding: view.encoding,
            encoding_guessed: view.encoding_guessed,
            columns: view.columns,
            targets: Target::CHOICES,
            mode: view.mode,
            preview: view.preview.map(|preview| PreviewPartial { preview }),
            error,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/_preview.html")]
struct PreviewPartial {
    preview: ImportPreview,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports/_progress.html")]
struct ProgressPartial {
    ctx: LocalTimes,
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
            let view = imports::view(&state.ctx, campaign_id, import_id, Some((mapping, mode))).await?;
            Ok(respond_with_status(ImportPage::new(ctx, view, Some(message)), &req, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

/// The check of the first rows under the mapping as it stands in the form.
#[post("/{id}/imports/{import_id}/preview")]
async fn preview_rows(
    state: web::Data<AppState>,
    path: web::Path<(CampaignId, ImportId)>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<PreviewPartial, AppError> {
    let (campaign_id, import_id) = path.into_inner();
    let (mapping, mode) = parse_start(&form.into_inner())?;
    Ok(PreviewPartial { preview: imports::preview(&state.ctx, campaign_id, import_id, mapping, mode).await? })
}

#[get("/{id}/imports/{import_id}/progress")]
async fn progress(
    state: web::Data<AppState>,
    ctx: LocalTimes,
    path: web::Path<(CampaignId, ImportId)>,
) -> Result<ProgressPartial, AppError> {
    let (campaign_id, import_id) = path.into_inner();
    Ok(ProgressPartial { ctx, import: imports::progress(&state.ctx, campaign_id, import_id).await? })
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
