//! Lead imports from CSV, shared by the web upload and `voxdial leads import`.
//!
//! A file is stored with its import row, mapped, queued, then worked through in batches
//! ([`worker`]). Each batch — its leads, its errors and the import's progress — commits in
//! one transaction, so a crash loses at most the batch in flight, and the next worker (on
//! any instance, once the lease expires) resumes after the last committed row.

pub mod encoding;
mod preview;
mod report;
mod retention;
pub mod rows;
pub mod sheet;
mod worker;

use crate::audit::{self, Actor, Change};
use crate::db::campaigns::Campaign;
use crate::db::imports::{LeadImport, NewImport};
use crate::db::{self, DbConnection};
use crate::domain::codes::codes;
use crate::error::AppError;
use crate::ids::{CampaignId, ImportId};
use crate::services::Ctx;
pub use preview::{ImportPreview, PreviewRow, Verdict, preview};
pub use report::error_report;
pub use retention::{Retention, purge_files};
use sheet::{FileError, Mapping, Sheet, Target, delimiter_label};
pub use worker::{BATCH_ROWS, step, work};

codes! {
    /// What to do with a row whose phone is already a lead of the campaign.
    pub enum DuplicateMode {
        Skip => "skip", "Skip it";
        Update => "update", "Update the lead";
    }
}

codes! {
    /// Where an import stands.
    pub enum ImportStatus {
        /// Uploaded, mapping not confirmed yet.
        Draft => "draft", "Waiting for the mapping";
        Pending => "pending", "Queued";
        Running => "running", "Importing";
        Completed => "completed", "Done";
        Failed => "failed", "Failed";
    }
}

impl ImportStatus {
    pub fn is_finished(self) -> bool {
        matches!(self, ImportStatus::Completed | ImportStatus::Failed)
    }
}

impl DuplicateMode {
    pub fn parse(input: &str) -> Result<DuplicateMode, String> {
        DuplicateMode::from_code(input).ok_or_else(|| format!("Unknown duplicate handling “{input}”"))
    }
}

/// Imports listed on the upload page.
const RECENT_IMPORTS: i64 = 10;
/// Rows shown under each column while mapping, and checked there.
const SAMPLE_ROWS: usize = 5;

/// The upload page: the campaign and its latest imports.
pub struct Uploads {
    pub campaign: Campaign,
    pub recent: Vec<LeadImport>,
}

pub async fn uploads(ctx: &Ctx, campaign_id: CampaignId) -> Result<Uploads, AppError> {
    ctx.db
        .run(move |conn| {
            Ok(Uploads {
                campaign: db::campaigns::find(conn, campaign_id)?,
                recent: db::imports::recent_for_campaign(conn, campaign_id, RECENT_IMPORTS)?,
            })
        })
        .await
}

/// An uploaded file: a temporary file for the web upload, the named file for the command
/// line. It is read in chunks, never whole as bytes.
pub struct Upload {
    pub file_name: String,
    pub file: std::fs::File,
}

/// An uploaded file read and checked, ready to store.
struct ReadUpload {
    sheet: Sheet,
    encoding: &'static str,
    headers: Vec<String>,
    rows: usize,
}

impl ReadUpload {
    fn read(file: std::fs::File) -> Result<ReadUpload, FileError> {
        let decoded = encoding::decode(file)?;
        let sheet = Sheet::new(decoded.text)?;
        let headers = sheet.headers()?;
        let rows = sheet.count_rows()?;
        Ok(ReadUpload { sheet, encoding: decoded.encoding.name(), headers, rows })
    }
}

/// Stores an uploaded file, as UTF-8 text with the encoding it came in, as a draft import
/// with a guessed mapping. A file that is too large, binary, empty, undecodable, or has no
/// rows or too many is refused with the reason.
pub async fn upload(ctx: &Ctx, actor: &Actor, campaign_id: CampaignId, upload: Upload) -> Result<ImportId, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    let Upload { file_name, file } = upload;
    // Reading a large file takes a while: on a blocking thread, before taking a connection.
    let read = tokio::task::spawn_blocking(move || ReadUpload::read(file))
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e).context("reading an upload panicked")))?
        .map_err(refused)?;
    ctx.db
        .write(move |conn| {
            db::campaigns::find(conn, campaign_id)?;
            let new = NewImport {
                campaign_id,
                created_by: actor.user_id,
                file_name: &file_name,
                delimiter: &char::from(read.sheet.delimiter).to_string(),
                encoding: read.encoding,
                csv_data: read.sheet.text.as_bytes(),
                column_mapping: &Mapping::guess(&read.headers).to_json(),
                total_rows: read.rows as i32,
            };
            let id = db::imports::insert(conn, &new, now)?;
            let summary = format!("Uploaded {file_name} for import");
            let change = Change {
                action: "lead_import.upload",
                object_kind: "lead_import",
                object_id: Some(id.get()),
                summary: &summary,
            };
            audit::record(conn, &actor, change, now)?;
            Ok(id)
        })
        .await
}

/// One column of the mapping step.
pub struct ColumnChoice {
    pub index: usize,
    pub header: String,
    pub target: Target,
    /// The column's first values.
    pub samples: Vec<String>,
}

/// An import's page: the mapping step while it is a draft, else its progress.
pub struct ImportView {
    pub campaign: Campaign,
    pub import: LeadImport,
    /// "comma", "semicolon" or "tab".
    pub delimiter: &'static str,
    /// "UTF-8", "Windows-1252 (detected)".
    pub encoding: String,
    /// Whether the encoding was guessed (worth a look at the sample values).
    pub encoding_guessed: bool,
    /// The columns to map (drafts whose file is still stored).
    pub columns: Vec<ColumnChoice>,
    /// What the import would make of the first rows under that mapping (the same drafts).
    pub preview: Option<ImportPreview>,
    /// The duplicate handling chosen so far.
    pub mode: DuplicateMode,
}

/// The import's page; a draft shows the mapping and duplicate handling in `posted` when
/// given (a refused start), else the stored ones.
pub async fn view(
    ctx: &Ctx,
    campaign_id: CampaignId,
    import_id: ImportId,
    posted: Option<(Mapping, DuplicateMode)>,
) -> Result<ImportView, AppError> {
    ctx.db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, campaign_id)?;
            let import = import_of(conn, campaign_id, import_id)?;
            let (mut columns, mut checked) = (Vec::new(), None);
            let mut mode = import.duplicate_mode;
            if import.status == ImportStatus::Draft && import.file_purged_at.is_none() {
                let sheet = sheet_of(conn, &import)?;
                let headers = sheet.headers().map_err(unreadable)?;
                let rows = sheet.first_rows(SAMPLE_ROWS);
                let mapping = match posted {
                    Some((mapping, posted_mode)) => {
                        mode = posted_mode;
                        mapping
                    }
                    None => stored_mapping(&import)?,
                };
                checked = Some(preview::check(conn, &campaign, &sheet, mapping.clone(), mode)?);
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
            Ok(ImportView {
                delimiter: delimiter_label(delimiter_of(&import)),
                encoding: encoding::label(&import.encoding),
                encoding_guessed: encoding::is_guess(&import.encoding),
                campaign,
                import,
                columns,
                preview: checked,
                mode,
            })
        })
        .await
}

/// Confirms the mapping and queues the import for a worker.
pub async fn start(
    ctx: &Ctx,
    actor: &Actor,
    campaign_id: CampaignId,
    import_id: ImportId,
    mapping: Mapping,
    mode: DuplicateMode,
) -> Result<(), AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let import = import_of(conn, campaign_id, import_id)?;
            if import.file_purged_at.is_some() {
                return Err(file_purged());
            }
            let headers = sheet_of(conn, &import)?.headers().map_err(unreadable)?;
            mapping.validate(&headers).map_err(AppError::Validation)?;
            if db::imports::queue(conn, import_id, &mapping.to_json(), mode)? == 0 {
                return Err(match db::imports::find(conn, import_id)?.file_purged_at {
                    Some(_) => file_purged(),
                    None => AppError::conflict("This import has already been started"),
                });
            }
            let summary = format!(
                "Started importing {} ({}, duplicates: {})",
                import.file_name,
                crate::domain::plural::counted(import.total_rows, "row"),
                mode.as_str()
            );
            let change = Change {
                action: "lead_import.start",
                object_kind: "lead_import",
                object_id: Some(import_id.get()),
                summary: &summary,
            };
            audit::record(conn, &actor, change, now)?;
            Ok(())
        })
        .await
}

/// Where an import stands (the progress bar polls it).
pub async fn progress(ctx: &Ctx, campaign_id: CampaignId, import_id: ImportId) -> Result<LeadImport, AppError> {
    ctx.db.run(move |conn| import_of(conn, campaign_id, import_id)).await
}

/// The campaign called `name`, for the command line; the refusal names the campaigns there are.
pub async fn campaign_named(ctx: &Ctx, name: &str) -> Result<Campaign, AppError> {
    let name = name.to_owned();
    ctx.db
        .run(move |conn| {
            if let Some(campaign) = db::campaigns::find_by_name(conn, &name)? {
                return Ok(campaign);
            }
            let names: Vec<String> = db::campaigns::names(conn)?.into_iter().map(|(_, n)| n).collect();
            let names = if names.is_empty() { "none yet".into() } else { names.join(", ") };
            Err(AppError::validation(format!("no campaign named “{name}”; campaigns: {names}")))
        })
        .await
}

/// The import, when it belongs to the campaign in the address.
fn import_of(conn: &mut DbConnection, campaign_id: CampaignId, import_id: ImportId) -> Result<LeadImport, AppError> {
    let import = db::imports::find(conn, import_id)?;
    if import.campaign_id != campaign_id {
        return Err(AppError::NotFound);
    }
    Ok(import)
}

fn delimiter_of(import: &LeadImport) -> u8 {
    import.delimiter.bytes().next().unwrap_or(b',')
}

/// The stored file of an import (not purged: callers check).
fn sheet_of(conn: &mut DbConnection, import: &LeadImport) -> Result<Sheet, AppError> {
    let bytes = db::imports::csv_data(conn, import.id)?;
    Sheet::stored(bytes, delimiter_of(import)).map_err(unreadable)
}

fn stored_mapping(import: &LeadImport) -> Result<Mapping, AppError> {
    Mapping::from_json(&import.column_mapping).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))
}

fn file_purged() -> AppError {
    AppError::conflict("This upload was never started and its file has been deleted since. Upload the file again.")
}

/// A file that cannot be imported at all is the uploader's to fix.
fn refused(err: FileError) -> AppError {
    AppError::Validation(err.0)
}

/// A stored file was readable when it was uploaded; not any more is our fault.
fn unreadable(err: FileError) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("stored import unreadable: {err}"))
}
