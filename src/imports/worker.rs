//! The import worker: claims a queued import under a lease and imports it batch by batch.
//! Blocking; it runs on a blocking thread (the background loop) or in the command line.

use std::ops::ControlFlow;

use chrono::{Duration, NaiveDateTime};

use super::rows::{RowReader, row_number};
use super::sheet::Target;
use super::{DuplicateMode, sheet_of, stored_mapping};
use crate::db::imports::{BatchCounts, LeadImport};
use crate::db::leads::Provided;
use crate::db::{self, DbConnection, write_tx};
use crate::domain::lead::{LeadSource, RawLead};
use crate::error::AppError;
use crate::ids::{CampaignId, ImportId};
use crate::services::Ctx;

/// Rows per transaction.
pub const BATCH_ROWS: usize = 500;
/// How long a worker owns an import without renewing (each batch renews it).
const LEASE: Duration = Duration::seconds(60);

/// One pass of the import worker: claims the oldest waiting import (if any) for this
/// instance and works on it until it is done or `keep_going` says stop (checked between
/// batches; the lease then lets another worker resume). Returns the import it worked on.
pub fn step(ctx: &Ctx, now: NaiveDateTime, keep_going: &dyn Fn() -> bool) -> Result<Option<ImportId>, AppError> {
    let mut conn = ctx.db.get()?;
    let Some(id) = db::imports::next_claimable(&mut conn, now)? else {
        return Ok(None);
    };
    let mut on_batch = |_: &LeadImport| if keep_going() { ControlFlow::Continue(()) } else { ControlFlow::Break(()) };
    let claimed = claim_and_run(ctx, &mut conn, id, now, &mut on_batch)?;
    Ok(claimed.then_some(id))
}

/// Claims one import for this instance and works through it from where it stands,
/// reporting progress after each committed batch; `on_batch` may break off the run (the
/// import then stays claimed until its lease expires). `false` when another worker holds
/// the import or it is not queued.
pub fn work(
    ctx: &Ctx,
    import_id: ImportId,
    now: NaiveDateTime,
    on_batch: &mut dyn FnMut(&LeadImport) -> ControlFlow<()>,
) -> Result<bool, AppError> {
    let mut conn = ctx.db.get()?;
    claim_and_run(ctx, &mut conn, import_id, now, on_batch)
}

fn claim_and_run(
    ctx: &Ctx,
    conn: &mut DbConnection,
    import_id: ImportId,
    now: NaiveDateTime,
    on_batch: &mut dyn FnMut(&LeadImport) -> ControlFlow<()>,
) -> Result<bool, AppError> {
    let owner = ctx.instance_id.as_str();
    if write_tx(conn, |c| db::imports::claim(c, import_id, owner, now, now + LEASE))? == 0 {
        return Ok(false);
    }
    run(ctx, conn, import_id, on_batch)?;
    Ok(true)
}

fn run(
    ctx: &Ctx,
    conn: &mut DbConnection,
    import_id: ImportId,
    on_batch: &mut dyn FnMut(&LeadImport) -> ControlFlow<()>,
) -> Result<(), AppError> {
    let owner = ctx.instance_id.as_str();
    let import = db::imports::find(conn, import_id)?;
    let campaign = db::campaigns::find(conn, import.campaign_id)?;
    let sheet = sheet_of(conn, &import)?;
    let headers = match sheet.headers() {
        Ok(headers) => headers,
        Err(e) => {
            db::imports::finish(conn, import_id, owner, Some(&e.0), ctx.clock.now())?;
            return Ok(());
        }
    };
    let job = Job {
        import_id,
        campaign_id: campaign.id,
        rows: RowReader { mapping: stored_mapping(&import)?, headers, region: campaign.default_region },
        mode: import.duplicate_mode,
    };
    let mut reader = sheet.reader();
    // Rows already committed by an earlier (interrupted) run are skipped.
    let mut records = reader.records().enumerate().skip(import.processed_rows as usize).peekable();
    while records.peek().is_some() {
        let batch: Vec<_> = records.by_ref().take(BATCH_ROWS).collect();
        let now = ctx.clock.now();
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
                tracing::warn!(%import_id, "lost the import lease; leaving the rest to the new owner");
                return Ok(());
            }
            Err(BatchError::App(e)) => return Err(e),
        }
        if on_batch(&db::imports::find(conn, import_id)?).is_break() {
            return Ok(());
        }
    }
    write_tx(conn, |c| db::imports::finish(c, import_id, owner, None, ctx.clock.now()))?;
    let _ = on_batch(&db::imports::find(conn, import_id)?);
    Ok(())
}

/// Why a batch did not commit.
enum BatchError {
    LeaseLost,
    App(AppError),
}

impl From<diesel::result::Error> for BatchError {
    fn from(e: diesel::result::Error) -> Self {
        BatchError::App(e.into())
    }
}

/// An import being worked: what every row needs.
struct Job {
    import_id: ImportId,
    campaign_id: CampaignId,
    rows: RowReader,
    mode: DuplicateMode,
}

impl Job {
    /// Imports one batch of rows inside the caller's transaction. Bad rows are recorded and
    /// never stop the good ones.
    fn import_batch(
        &self,
        conn: &mut DbConnection,
        batch: &[(usize, csv::Result<csv::StringRecord>)],
        now: NaiveDateTime,
    ) -> diesel::QueryResult<BatchCounts> {
        let mut counts = BatchCounts { processed: batch.len() as i32, ..BatchCounts::default() };
        for (index, record) in batch {
            let (raw, lead) = match self.rows.read(record) {
                Ok(read) => read,
                Err(failure) => {
                    let row = row_number(*index);
                    for error in failure.errors {
                        db::imports::add_error(conn, self.import_id, row, &error.column, &error.reason)?;
                    }
                    counts.failed += 1;
                    continue;
                }
            };
            match db::leads::find_live_by_phone(conn, self.campaign_id, &lead.phone)? {
                None => {
                    db::leads::insert_uncounted(conn, self.campaign_id, &lead, LeadSource::Import, now)?;
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
    fn provided(&self, raw: &RawLead) -> Provided {
        let given = |target: Target, value: &str| self.rows.mapping.maps(&target) && !value.trim().is_empty();
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
