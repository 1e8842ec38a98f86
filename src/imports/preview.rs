//! The mapping step's check of the first rows: what the import would make of each one,
//! read by the import's own rules ([`super::rows`]) and matched against the campaign's
//! leads as the import matches them, before anything is imported.

use std::collections::HashMap;

use super::rows::{RowError, RowReader, row_number};
use super::sheet::{Mapping, Sheet};
use super::{DuplicateMode, ImportStatus, SAMPLE_ROWS, import_of, sheet_of, unreadable};
use crate::db::campaigns::Campaign;
use crate::db::{self, DbConnection};
use crate::domain::lead::RawLead;
use crate::domain::phone::E164;
use crate::error::AppError;
use crate::ids::{CampaignId, ImportId};
use crate::services::Ctx;

/// What the import would do with a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    NewLead,
    /// The phone is already a lead of the campaign.
    AlreadyALead,
    /// The phone is on an earlier row of the file (its number), which makes the lead.
    RepeatOf(i32),
    /// Not imported, for these reasons.
    Invalid(Vec<RowError>),
}

/// One previewed row.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    /// The spreadsheet row number.
    pub row: i32,
    pub name: String,
    /// As the lead will have it, or as the file has it when it is not a number.
    pub phone: String,
    pub verdict: Verdict,
}

impl PreviewRow {
    /// Anything short of a new lead is worth a look before importing.
    pub fn has_problem(&self) -> bool {
        self.verdict != Verdict::NewLead
    }
}

/// The check of the first rows under a mapping.
#[derive(Debug, Clone)]
pub struct ImportPreview {
    /// Why the rows cannot be checked under this mapping (no phone column, say).
    pub mapping_error: Option<String>,
    pub rows: Vec<PreviewRow>,
    /// Decides what becomes of rows whose phone is already a lead.
    pub mode: DuplicateMode,
}

impl ImportPreview {
    pub fn problems(&self) -> usize {
        self.rows.iter().filter(|r| r.has_problem()).count()
    }
}

/// The check of a draft's first rows under the mapping and duplicate handling being chosen.
pub async fn preview(
    ctx: &Ctx,
    campaign_id: CampaignId,
    import_id: ImportId,
    mapping: Mapping,
    mode: DuplicateMode,
) -> Result<ImportPreview, AppError> {
    ctx.db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, campaign_id)?;
            let import = import_of(conn, campaign_id, import_id)?;
            if import.status != ImportStatus::Draft || import.file_purged_at.is_some() {
                return Err(AppError::conflict("This import is no longer waiting for its mapping"));
            }
            let sheet = sheet_of(conn, &import)?;
            check(conn, &campaign, &sheet, mapping, mode)
        })
        .await
}

/// Reads the first rows as the import would and looks their phones up among the campaign's
/// leads, as the import does row by row (a row it imported is a lead for the rows after it).
pub(super) fn check(
    conn: &mut DbConnection,
    campaign: &Campaign,
    sheet: &Sheet,
    mapping: Mapping,
    mode: DuplicateMode,
) -> Result<ImportPreview, AppError> {
    let headers = sheet.headers().map_err(unreadable)?;
    if let Err(problem) = mapping.validate(&headers) {
        return Ok(ImportPreview { mapping_error: Some(problem), rows: Vec::new(), mode });
    }
    let reader = RowReader { mapping, headers, region: campaign.default_region };
    let mut new_leads: HashMap<E164, i32> = HashMap::new();
    let mut rows = Vec::new();
    for (index, record) in sheet.reader().records().take(SAMPLE_ROWS).enumerate() {
        let row = row_number(index);
        rows.push(match reader.read(&record) {
            Err(failure) => {
                let raw = failure.raw.unwrap_or_default();
                PreviewRow {
                    row,
                    name: name_of(&raw),
                    phone: raw.phone.trim().to_owned(),
                    verdict: Verdict::Invalid(failure.errors),
                }
            }
            Ok((raw, lead)) => {
                let verdict = if db::leads::find_live_by_phone(conn, campaign.id, &lead.phone)?.is_some() {
                    Verdict::AlreadyALead
                } else if let Some(first) = new_leads.get(&lead.phone) {
                    Verdict::RepeatOf(*first)
                } else {
                    new_leads.insert(lead.phone.clone(), row);
                    Verdict::NewLead
                };
                PreviewRow { row, name: name_of(&raw), phone: lead.phone.as_str().to_owned(), verdict }
            }
        });
    }
    Ok(ImportPreview { mapping_error: None, rows, mode })
}

fn name_of(raw: &RawLead) -> String {
    let parts = format!("{} {}", raw.first_name.trim(), raw.last_name.trim());
    match parts.trim() {
        "" => raw.full_name.trim().to_owned(),
        name => name.to_owned(),
    }
}
