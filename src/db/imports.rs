//! Lead imports: the uploaded file, its mapping, its progress and its per-row errors.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{lead_import_errors, lead_imports};
use super::types::typed_row;
use crate::ids::{CampaignId, ImportId, UserId};
use crate::imports::{DuplicateMode, ImportStatus};

typed_row! {
    pub struct LeadImport in lead_imports as LeadImportRaw {
        pub id: ImportId,
        pub campaign_id: CampaignId,
        pub created_by: Option<UserId>,
        pub file_name: String,
        pub delimiter: String,
        pub column_mapping: String,
        pub duplicate_mode: DuplicateMode,
        pub status: ImportStatus,
        pub total_rows: i32,
        pub processed_rows: i32,
        pub inserted_rows: i32,
        pub updated_rows: i32,
        pub skipped_rows: i32,
        pub failed_rows: i32,
        pub lease_owner: Option<String>,
        pub lease_until: Option<NaiveDateTime>,
        pub error_message: Option<String>,
        pub created_at: NaiveDateTime,
        pub started_at: Option<NaiveDateTime>,
        pub finished_at: Option<NaiveDateTime>,
        /// The encoding the uploaded file came in (encoding_rs's name); the stored file is
        /// its UTF-8 text.
        pub encoding: String,
        /// When the stored file was emptied, its retention being over.
        pub file_purged_at: Option<NaiveDateTime>,
    }
}

impl LeadImport {
    pub fn percent(&self) -> i32 {
        if self.total_rows == 0 { 0 } else { (self.processed_rows as i64 * 100 / self.total_rows as i64) as i32 }
    }

    pub fn is_finished(&self) -> bool {
        self.status.is_finished()
    }
}

pub struct NewImport<'a> {
    pub campaign_id: CampaignId,
    pub created_by: Option<UserId>,
    pub file_name: &'a str,
    pub delimiter: &'a str,
    pub encoding: &'a str,
    /// The file as UTF-8 text.
    pub csv_data: &'a [u8],
    pub column_mapping: &'a str,
    pub total_rows: i32,
}

pub fn insert(conn: &mut DbConnection, new: &NewImport<'_>, now: NaiveDateTime) -> QueryResult<ImportId> {
    diesel::insert_into(lead_imports::table)
        .values((
            lead_imports::campaign_id.eq(new.campaign_id),
            lead_imports::created_by.eq(new.created_by),
            lead_imports::file_name.eq(new.file_name),
            lead_imports::delimiter.eq(new.delimiter),
            lead_imports::encoding.eq(new.encoding),
            lead_imports::csv_data.eq(new.csv_data),
            lead_imports::column_mapping.eq(new.column_mapping),
            lead_imports::duplicate_mode.eq(DuplicateMode::Skip.as_str()),
            lead_imports::status.eq(ImportStatus::Draft.as_str()),
            lead_imports::total_rows.eq(new.total_rows),
            lead_imports::created_at.eq(now),
        ))
        .returning(lead_imports::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: ImportId) -> QueryResult<LeadImport> {
    lead_imports::table.find(id).select(LeadImport::as_select()).get_result(conn)
}

pub fn csv_data(conn: &mut DbConnection, id: ImportId) -> QueryResult<Vec<u8>> {
    lead_imports::table.find(id).select(lead_imports::csv_data).get_result(conn)
}

pub fn recent_for_campaign(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    limit: i64,
) -> QueryResult<Vec<LeadImport>> {
    lead_imports::table
        .filter(lead_imports::campaign_id.eq(campaign_id))
        .order(lead_imports::id.desc())
        .limit(limit)
        .select(LeadImport::as_select())
        .load(conn)
}

/// Moves a draft to pending with its final mapping; 0 rows if it was not a draft or its
/// file was purged.
pub fn queue(
    conn: &mut DbConnection,
    id: ImportId,
    mapping: &str,
    duplicate_mode: DuplicateMode,
) -> QueryResult<usize> {
    diesel::update(
        lead_imports::table
            .find(id)
            .filter(lead_imports::status.eq(ImportStatus::Draft.as_str()))
            .filter(lead_imports::file_purged_at.is_null()),
    )
    .set((
        lead_imports::column_mapping.eq(mapping),
        lead_imports::duplicate_mode.eq(duplicate_mode.as_str()),
        lead_imports::status.eq(ImportStatus::Pending.as_str()),
    ))
    .execute(conn)
}

/// The oldest import waiting for a worker: pending, or running under an expired lease.
pub fn next_claimable(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<Option<ImportId>> {
    lead_imports::table
        .filter(
            lead_imports::status
                .eq(ImportStatus::Pending.as_str())
                .or(lead_imports::status.eq(ImportStatus::Running.as_str()).and(lead_imports::lease_until.lt(now))),
        )
        .order(lead_imports::id.asc())
        .select(lead_imports::id)
        .first(conn)
        .optional()
}

/// Empties the stored file of imports that finished before `finished_before` and of drafts
/// uploaded before `drafts_before` (never started), marking them purged at `now`; the
/// imports, their counts and their error reports stay. Returns how many were purged.
pub fn purge_files(
    conn: &mut DbConnection,
    finished_before: NaiveDateTime,
    drafts_before: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let finished = [ImportStatus::Completed.as_str(), ImportStatus::Failed.as_str()];
    diesel::update(
        lead_imports::table.filter(lead_imports::file_purged_at.is_null()).filter(
            lead_imports::status.eq_any(finished).and(lead_imports::finished_at.lt(finished_before)).or(
                lead_imports::status
                    .eq(ImportStatus::Draft.as_str())
                    .and(lead_imports::created_at.lt(drafts_before).nullable()),
            ),
        ),
    )
    .set((lead_imports::csv_data.eq(Vec::<u8>::new()), lead_imports::file_purged_at.eq(now)))
    .execute(conn)
}

/// Takes the import for `owner` until `until`, if it is still claimable (1 row) or was
/// taken by someone else first (0 rows).
pub fn claim(
    conn: &mut DbConnection,
    id: ImportId,
    owner: &str,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        lead_imports::table.find(id).filter(
            lead_imports::status
                .eq(ImportStatus::Pending.as_str())
                .or(lead_imports::status.eq(ImportStatus::Running.as_str()).and(lead_imports::lease_until.lt(now))),
        ),
    )
    .set((
        lead_imports::status.eq(ImportStatus::Running.as_str()),
        lead_imports::lease_owner.eq(owner),
        lead_imports::lease_until.eq(until),
        lead_imports::started_at
            .eq(diesel::dsl::case_when(lead_imports::started_at.is_null(), Some(now))
                .otherwise(lead_imports::started_at)),
    ))
    .execute(conn)
}

/// What one batch did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchCounts {
    pub processed: i32,
    pub inserted: i32,
    pub updated: i32,
    pub skipped: i32,
    pub failed: i32,
}

/// Adds a batch's counts and renews the lease, only while `owner` still holds it.
pub fn record_batch(
    conn: &mut DbConnection,
    id: ImportId,
    owner: &str,
    counts: BatchCounts,
    until: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(lead_imports::table.find(id).filter(lead_imports::lease_owner.eq(owner)))
        .set((
            lead_imports::processed_rows.eq(lead_imports::processed_rows + counts.processed),
            lead_imports::inserted_rows.eq(lead_imports::inserted_rows + counts.inserted),
            lead_imports::updated_rows.eq(lead_imports::updated_rows + counts.updated),
            lead_imports::skipped_rows.eq(lead_imports::skipped_rows + counts.skipped),
            lead_imports::failed_rows.eq(lead_imports::failed_rows + counts.failed),
            lead_imports::lease_until.eq(until),
        ))
        .execute(conn)
}

pub fn finish(
    conn: &mut DbConnection,
    id: ImportId,
    owner: &str,
    error: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let status = if error.is_some() { ImportStatus::Failed } else { ImportStatus::Completed };
    diesel::update(lead_imports::table.find(id).filter(lead_imports::lease_owner.eq(owner)))
        .set((
            lead_imports::status.eq(status.as_str()),
            lead_imports::error_message.eq(error),
            lead_imports::lease_owner.eq(None::<String>),
            lead_imports::lease_until.eq(None::<NaiveDateTime>),
            lead_imports::finished_at.eq(now),
        ))
        .execute(conn)
}

pub fn add_error(
    conn: &mut DbConnection,
    import_id: ImportId,
    row: i32,
    column: &str,
    reason: &str,
) -> QueryResult<usize> {
    diesel::insert_into(lead_import_errors::table)
        .values((
            lead_import_errors::lead_import_id.eq(import_id),
            lead_import_errors::row_number.eq(row),
            lead_import_errors::column_name.eq(column),
            lead_import_errors::reason.eq(reason),
        ))
        .execute(conn)
}

/// Every error of an import in row order: (row, column, reason).
pub fn errors(conn: &mut DbConnection, import_id: ImportId) -> QueryResult<Vec<(i32, String, String)>> {
    lead_import_errors::table
        .filter(lead_import_errors::lead_import_id.eq(import_id))
        .order((lead_import_errors::row_number.asc(), lead_import_errors::id.asc()))
        .select((lead_import_errors::row_number, lead_import_errors::column_name, lead_import_errors::reason))
        .load(conn)
}
