//! Lead imports from CSV, shared by the web upload and `voxdial leads import`.
//!
//! A file is stored with its import row, mapped, queued, then worked through in batches.
//! Each batch — its leads, its errors and the import's progress — commits in one
//! transaction, so a crash loses at most the batch in flight, and the next worker (on any
//! instance, once the lease expires) resumes after the last committed row.

pub mod sheet;

use std::ops::ControlFlow;

use chrono::{Duration, NaiveDateTime};

use crate::db::imports::{BatchCounts, LeadImport, NewImport};
use crate::db::leads::Provided;
use crate::db::{self, Db, DbConnection, write_tx};
use crate::domain::lead::LeadInput;
use crate::domain::phone::Region;
use crate::error::AppError;
use sheet::{FileError, Mapping, Sheet, Target};

/// Rows per transaction.
pub const BATCH_ROWS: usize = 500;
/// How long a worker owns an import without renewing (each batch renews it).
const LEASE: Duration = Duration::seconds(60);

/// What to do with a row whose phone is already a lead of the campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateMode {
    Skip,
    Update,
}

impl DuplicateMode {
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicateMode::Skip => "skip",
            DuplicateMode::Update => "update",
        }
    }

    pub fn parse(input: &str) -> Result<DuplicateMode, String> {
        match input {
            "skip" => Ok(DuplicateMode::Skip),
            "update" => Ok(DuplicateMode::Update),
            other => Err(format!("Unknown duplicate handling “{other}”")),
        }
    }
}

/// Stores an uploaded file as a draft import with a guessed mapping.
pub fn create_draft(
    conn: &mut DbConnection,
    campaign_id: i64,
    created_by: Option<i64>,
    file_name: &str,
    bytes: &[u8],
) -> Result<Result<i64, FileError>, AppError> {
    let sheet = match Sheet::decode(bytes) {
        Ok(sheet) => sheet,
        Err(e) => return Ok(Err(e)),
    };
    let (headers, rows) = match sheet.headers().and_then(|h| Ok((h, sheet.count_rows()?))) {
        Ok(found) => found,
        Err(e) => return Ok(Err(e)),
    };
    let id = db::imports::insert(
        conn,
        &NewImport {
            campaign_id,
            created_by,
            file_name,
            delimiter: std::str::from_utf8(&[sheet.delimiter]).expect("ASCII delimiter"),
            csv_data: bytes,
            column_mapping: &Mapping::guess(&headers).to_json(),
            total_rows: rows as i32,
        },
    )?;
    Ok(Ok(id))
}

/// The stored file of an import, decoded.
pub fn sheet_of(conn: &mut DbConnection, import: &LeadImport) -> Result<Sheet, AppError> {
    let bytes = db::imports::csv_data(conn, import.id)?;
    let delimiter = import.delimiter.bytes().next().unwrap_or(b',');
    Sheet::stored(&bytes, delimiter).map_err(|e| AppError::Unexpected(anyhow::anyhow!("stored import unreadable: {e}")))
}

/// Validates the mapping against the file and queues the import.
pub fn queue(
    conn: &mut DbConnection,
    import: &LeadImport,
    mapping: &Mapping,
    mode: DuplicateMode,
) -> Result<Result<(), String>, AppError> {
    let headers = sheet_of(conn, import)?.headers().map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))?;
    if let Err(message) = mapping.validate(&headers) {
        return Ok(Err(message));
    }
    if db::imports::queue(conn, import.id, &mapping.to_json(), mode.as_str())? == 0 {
        return Ok(Err("This import has already been started".into()));
    }
    Ok(Ok(()))
}

/// One pass of the import worker: claims the oldest waiting import (if any) and works on
/// it until it is done or `keep_going` says stop (checked between batches; the lease then
/// lets another worker resume). Blocking; call it on a blocking thread. Returns the import
/// it worked on.
pub fn step(db: &Db, owner: &str, now: NaiveDateTime, keep_going: &dyn Fn() -> bool) -> Result<Option<i64>, AppError> {
    let mut conn = db.get()?;
    let Some(id) = db::imports::next_claimable(&mut conn, now)? else {
        return Ok(None);
    };
    let claimed = write_tx(&mut conn, |c| db::imports::claim(c, id, owner, now, now + LEASE))?;
    if claimed == 0 {
        return Ok(None);
    }
    run(&mut conn, id, owner, &mut |_| if keep_going() { ControlFlow::Continue(()) } else { ControlFlow::Break(()) })?;
    Ok(Some(id))
}

/// Works through a claimed import from where it stands, reporting progress after each
/// committed batch; `on_batch` may break off the run (the import then stays claimed until
/// its lease expires).
pub fn run(
    conn: &mut DbConnection,
    import_id: i64,
    owner: &str,
    on_batch: &mut dyn FnMut(&LeadImport) -> ControlFlow<()>,
) -> Result<(), AppError> {
    let import = db::imports::find(conn, import_id)?;
    let campaign = db::campaigns::find(conn, import.campaign_id)?;
    let region = Region::parse(&campaign.default_region).ok();
    let mapping = Mapping::from_json(&import.column_mapping).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    let mode = DuplicateMode::parse(&import.duplicate_mode).map_err(|e| AppError::Unexpected(anyhow::anyhow!(e)))?;
    let sheet = sheet_of(conn, &import)?;
    let headers = match sheet.headers() {
        Ok(headers) => headers,
        Err(e) => {
            db::imports::finish(conn, import_id, owner, Some(&e.0))?;
            return Ok(());
        }
    };
    let job = Job { import_id, campaign_id: campaign.id, region, mapping, mode, headers };
    let mut reader = sheet.reader();
    // Rows already committed by an earlier (interrupted) run are skipped.
    let mut records = reader.records().enumerate().skip(import.processed_rows as usize).peekable();
    while records.peek().is_some() {
        let batch: Vec<_> = records.by_ref().take(BATCH_ROWS).collect();
        let now = db::now();
        let committed = write_tx(conn, |c| {
            let counts = job.import_batch(c, &batch, now)?;
            // Losing the lease rolls the batch back: the new owner imports these rows.
            match db::imports::record_batch(c, import_id, owner, counts, now + LEASE)? {
                1 => Ok(()),
                _ => Err(BatchError::LeaseLost),
            }
        });
        match committed {
            Ok(()) => {}
            Err(BatchError::LeaseLost) => {
                tracing::warn!(import_id, "lost the import lease; leaving the rest to the new owner");
                return Ok(());
            }
            Err(BatchError::App(e)) => return Err(e),
        }
        if on_batch(&db::imports::find(conn, import_id)?).is_break() {
            return Ok(());
        }
    }
    write_tx(conn, |c| db::imports::finish(c, import_id, owner, None))?;
    let _ = on_batch(&db::imports::find(conn, import_id)?);
    Ok(())
}

/// Why a batch did not commit.
enum BatchError {
    LeaseLost,
    App(AppError),
}

impl From<AppError> for BatchError {
    fn from(e: AppError) -> Self {
        BatchError::App(e)
    }
}

impl From<diesel::result::Error> for BatchError {
    fn from(e: diesel::result::Error) -> Self {
        BatchError::App(e.into())
    }
}

/// An import being worked: what every row needs.
struct Job {
    import_id: i64,
    campaign_id: i64,
    region: Option<Region>,
    mapping: Mapping,
    mode: DuplicateMode,
    headers: Vec<String>,
}

impl Job {
    /// Imports one batch of rows inside the caller's transaction. Bad rows are recorded and
    /// never stop the good ones.
    fn import_batch(
        &self,
        conn: &mut DbConnection,
        batch: &[(usize, csv::Result<csv::StringRecord>)],
        now: NaiveDateTime,
    ) -> Result<BatchCounts, AppError> {
        let mut counts = BatchCounts { processed: batch.len() as i32, ..BatchCounts::default() };
        for (index, record) in batch {
            // Spreadsheet row numbers: the header is row 1.
            let row = *index as i32 + 2;
            let record = match record {
                Ok(record) => record,
                Err(e) => {
                    db::imports::add_error(conn, self.import_id, row, "", &format!("The row cannot be read: {e}"))?;
                    counts.failed += 1;
                    continue;
                }
            };
            let raw = self.mapping.raw_lead(&self.headers, record);
            let lead = match LeadInput::parse(&raw, self.region.as_ref()) {
                Ok(lead) => lead,
                Err(errors) => {
                    for error in errors {
                        let column = self.mapping.column_of(&self.headers, error.field);
                        db::imports::add_error(conn, self.import_id, row, &column, &error.message)?;
                    }
                    counts.failed += 1;
                    continue;
                }
            };
            match db::leads::find_live_by_phone(conn, self.campaign_id, lead.phone.as_str())? {
                None => {
                    db::leads::insert_uncounted(conn, self.campaign_id, &lead, now)?;
                    counts.inserted += 1;
                }
                Some(_) if self.mode == DuplicateMode::Skip => counts.skipped += 1,
                Some(existing) => {
                    db::leads::update(conn, &existing, &lead, self.provided(&raw), now)?;
                    counts.updated += 1;
                }
            }
        }
        db::campaigns::add_to_lead_count(conn, self.campaign_id, counts.inserted)?;
        Ok(counts)
    }

    /// The fields a row gives a value for; the others keep what the lead had.
    fn provided(&self, raw: &crate::domain::lead::RawLead) -> Provided {
        let given = |target: Target, value: &str| self.mapping.maps(&target) && !value.trim().is_empty();
        let names = given(Target::FullName, &raw.full_name);
        Provided {
            first_name: names || given(Target::FirstName, &raw.first_name),
            last_name: names || given(Target::LastName, &raw.last_name),
            email: given(Target::Email, &raw.email),
            company: given(Target::Company, &raw.company),
            timezone: given(Target::Timezone, &raw.timezone),
            status: given(Target::Status, &raw.status),
            is_test: given(Target::IsTest, &raw.is_test),
            consent: given(Target::ConsentSource, &raw.consent_source) || given(Target::ConsentAt, &raw.consent_at),
            replace_custom: false,
        }
    }
}

/// The error report as CSV: row, column, reason.
pub fn error_report(conn: &mut DbConnection, import_id: i64) -> Result<Vec<u8>, AppError> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let write_err = |e: csv::Error| AppError::Unexpected(anyhow::anyhow!(e).context("writing the error report"));
    writer.write_record(["row", "column", "reason"]).map_err(write_err)?;
    for (row, column, reason) in db::imports::errors(conn, import_id)? {
        writer.write_record([row.to_string(), column, reason]).map_err(write_err)?;
    }
    writer.into_inner().map_err(|e| AppError::Unexpected(anyhow::anyhow!(e.to_string())))
}
