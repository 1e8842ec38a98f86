//! Lead imports from CSV, shared by the web upload and `voxdial leads import`.
//!
//! A file is stored with its import row, mapped, queued, then worked through in batches
//! ([`worker`]). Each batch — its leads, its errors and the import's progress — commits in
//! one transaction, so a crash loses at most the batch in flight, and the next worker (on
//! any instance, once the lease expires) resumes after the last committed row.

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
/// Rows shown under each column while mapping.
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

/// An uploaded file.
pub struct Upload {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// Stores an uploaded file as a draft import with a guessed mapping. A file that is not
/// UTF-8 text, is empty, has no rows or too many is refused with the reason.
pub async fn upload(ctx: &Ctx, actor: &Actor, campaign_id: CampaignId, upload: Upload) -> Result<ImportId, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .run(move |conn| {
            // Reading a large file takes a while: before the transaction, not inside it.
            let sheet = Sheet::decode(&upload.bytes).map_err(refused)?;
            let headers = sheet.headers().map_err(refused)?;
            let rows = sheet.count_rows().map_err(refused)?;
            let mapping = Mapping::guess(&headers).to_json();
            let delimiter = char::from(sheet.delimiter).to_string();
            db::write_tx(conn, |conn| {
                db::campaigns::find(conn, campaign_id)?;
                let new = NewImport {
                    campaign_id,
                    created_by: actor.user_id,
                    file_name: &upload.file_name,
                    delimiter: &delimiter,
                    csv_data: &upload.bytes,
                    column_mapping: &mapping,
                    total_rows: rows as i32,
                };
                let id = db::imports::insert(conn, &new, now)?;
                let summary = format!("Uploaded {} for import", upload.file_name);
                let change = Change {
                    action: "lead_import.upload",
                    object_kind: "lead_import",
                    object_id: Some(id.get()),
                    summary: &summary,
                };
                audit::record(conn, &actor, change, now)?;
                Ok(id)
            })
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
    /// The columns to map (drafts only).
    pub columns: Vec<ColumnChoice>,
}

/// The import's page; a draft shows `mapping` when given (a refused start), else the
/// stored one.
pub async fn view(
    ctx: &Ctx,
    campaign_id: CampaignId,
    import_id: ImportId,
    mapping: Option<Mapping>,
) -> Result<ImportView, AppError> {
    ctx.db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, campaign_id)?;
            let import = import_of(conn, campaign_id, import_id)?;
            let mut columns = Vec::new();
            if import.status == ImportStatus::Draft {
                let sheet = sheet_of(conn, &import)?;
                let headers = sheet.headers().map_err(unreadable)?;
                let rows = sheet.first_rows(SAMPLE_ROWS);
                let mapping = match mapping {
                    Some(mapping) => mapping,
                    None => stored_mapping(&import)?,
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
            let delimiter = delimiter_label(delimiter_of(&import));
            Ok(ImportView { campaign, import, delimiter, columns })
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
            let headers = sheet_of(conn, &import)?.headers().map_err(unreadable)?;
            mapping.validate(&headers).map_err(AppError::Validation)?;
            if db::imports::queue(conn, import_id, &mapping.to_json(), mode)? == 0 {
                return Err(AppError::conflict("This import has already been started"));
            }
            let summary = format!(
                "Started importing {} ({} rows, duplicates: {})",
                import.file_name,
                import.total_rows,
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

/// The error report as CSV: row, column, reason.
pub async fn error_report(ctx: &Ctx, campaign_id: CampaignId, import_id: ImportId) -> Result<Vec<u8>, AppError> {
    ctx.db
        .run(move |conn| {
            import_of(conn, campaign_id, import_id)?;
            let mut writer = csv::Writer::from_writer(Vec::new());
            let failed = |e: csv::Error| AppError::Unexpected(anyhow::anyhow!(e).context("writing the error report"));
            writer.write_record(["row", "column", "reason"]).map_err(failed)?;
            for (row, column, reason) in db::imports::errors(conn, import_id)? {
                writer.write_record([row.to_string(), column, reason]).map_err(failed)?;
            }
            writer.into_inner().map_err(|e| AppError::Unexpected(anyhow::anyhow!(e.to_string())))
        })
        .await
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

/// The stored file of an import, decoded.
fn sheet_of(conn: &mut DbConnection, import: &LeadImport) -> Result<Sheet, AppError> {
    let bytes = db::imports::csv_data(conn, import.id)?;
    Sheet::stored(&bytes, delimiter_of(import)).map_err(unreadable)
}

fn stored_mapping(import: &LeadImport) -> Result<Mapping, AppError> {
    Mapping::from_json(&import.column_mapping).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))
}

/// A file that cannot be imported at all is the uploader's to fix.
fn refused(err: FileError) -> AppError {
    AppError::Validation(err.0)
}

/// A stored file was readable when it was uploaded; not any more is our fault.
fn unreadable(err: FileError) -> AppError {
    AppError::Unexpected(anyhow::anyhow!("stored import unreadable: {err}"))
}
