//! Importing a CSV file of numbers into a list, and the result page.

use actix_multipart::MultipartError;
use actix_multipart::form::bytes::Bytes as UploadedBytes;
use actix_multipart::form::text::Text;
use actix_multipart::form::{MultipartForm, MultipartFormConfig};
use actix_web::error::PayloadError;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use askama_web::WebTemplate;

use super::list::{Forms, page};
use super::{ListQuery, list_choice, region_choice};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::db::suppression::ListScope;
use crate::error::AppError;
use crate::services::dnc::{self, DncFile, ImportReport};
use crate::web::{PageCtx, respond, respond_with_status};

/// Largest upload accepted (the rows are bounded too, by `imports::sheet::MAX_ROWS`).
const UPLOAD_LIMIT: usize = 5 * 1024 * 1024;

/// `POST /dnc/import`, with its own upload limit. The CSRF token is the form's first field,
/// as with every multipart upload.
pub(super) fn resource() -> actix_web::Resource {
    web::resource("/dnc/import")
        .app_data(MultipartFormConfig::default().total_limit(UPLOAD_LIMIT).memory_limit(UPLOAD_LIMIT))
        .route(web::post().to(import))
}

/// The import form's choices, kept when it is shown again.
#[derive(Debug)]
pub(super) struct ImportChoice {
    /// Empty for the global list.
    pub campaign: String,
    pub region: String,
}

#[derive(MultipartForm)]
struct UploadForm {
    file: UploadedBytes,
    campaign: Option<Text<String>>,
    region: Option<Text<String>>,
}

#[derive(Template, WebTemplate)]
#[template(path = "dnc/import_result.html")]
struct ResultPage {
    ctx: PageCtx,
    report: ImportReport,
    /// The list the numbers went to.
    list_link: String,
}

async fn import(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: Result<MultipartForm<UploadForm>, actix_web::Error>,
) -> Result<HttpResponse, AppError> {
    let (choice, file) = received(form);
    let imported = match file {
        Ok(file) => dnc::import(&state.ctx, &user.actor(), file).await,
        Err(e) => Err(e),
    };
    match imported {
        Ok(report) => {
            let list = match report.list {
                ListScope::Global => "global".to_owned(),
                ListScope::Campaign(id) => id.to_string(),
            };
            let list_link = ListQuery { list, ..ListQuery::default() }.link("/dnc", None);
            Ok(respond(ResultPage { ctx, report, list_link }, &req))
        }
        Err(e) => {
            let Some(message) = e.user_message() else { return Err(e) };
            let forms = Forms { import: choice, import_error: Some(message), ..Forms::default() };
            let page = page(&state, ctx, ListQuery::default(), forms).await?;
            Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

/// The form's choices, to show them again, and the file to import or why there is none.
fn received(form: Result<MultipartForm<UploadForm>, actix_web::Error>) -> (ImportChoice, Result<DncFile, AppError>) {
    let form = match form {
        Ok(form) => form.into_inner(),
        Err(e) => return (Forms::default().import, Err(unreadable(&e))),
    };
    let text = |field: Option<Text<String>>| field.map(Text::into_inner).unwrap_or_default();
    let choice = ImportChoice { campaign: text(form.campaign), region: text(form.region) };
    let file_name = form.file.file_name.filter(|n| !n.is_empty()).unwrap_or_else(|| "numbers.csv".into());
    let file = list_choice(&choice.campaign).and_then(|list| {
        Ok(DncFile { file_name, bytes: Vec::from(form.file.data), list, region: region_choice(&choice.region)? })
    });
    (choice, file)
}

/// Why an upload could not be received, for the form.
fn unreadable(e: &actix_web::Error) -> AppError {
    match e.as_error::<MultipartError>() {
        Some(MultipartError::Payload(PayloadError::Overflow)) => AppError::validation(format!(
            "The file is larger than {} MB. Split it and import the parts one after the other.",
            UPLOAD_LIMIT / 1024 / 1024
        )),
        _ => AppError::validation("The upload could not be read. Choose a CSV file and try again."),
    }
}
