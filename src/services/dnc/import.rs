//! Importing numbers into a do-not-call list from a CSV file.

use std::collections::HashSet;

use chrono::NaiveDateTime;

use super::{MAX_REASON, checked_reason, list_title};
use crate::audit::{self, Actor, Change};
use crate::db::suppression::{ListScope, NewEntry};
use crate::db::{self, DbConnection};
use crate::domain::phone::{E164, Region};
use crate::domain::spreadsheet::restore_cell;
use crate::domain::suppression::SuppressionSource;
use crate::error::AppError;
use crate::ids::UserId;
use crate::imports::sheet::{FileError, MAX_ROWS, Sheet, Target};
use crate::services::Ctx;

/// Numbers stored per transaction: each commits quickly, so calls and webhooks writing
/// meanwhile are not held up by a large file.
const BATCH: usize = 2000;
/// Invalid rows listed on the result page; the rest are only counted.
const INVALID_SHOWN: usize = 500;

/// An uploaded CSV file of numbers for one list.
pub struct DncFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub list: ListScope,
    /// National numbers are read as numbers of this region.
    pub region: Region,
}

/// A row that was not imported, and why.
#[derive(Debug, Clone)]
pub struct InvalidRow {
    /// The file's row number, the first row being 1.
    pub row: usize,
    pub problem: String,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportCounts {
    /// Rows read, blank ones aside.
    pub rows: usize,
    pub added: usize,
    /// Skipped: already on the list.
    pub already_listed: usize,
    /// Skipped: an earlier row of the file has the number.
    pub repeated: usize,
    pub invalid: usize,
}

impl ImportCounts {
    pub fn skipped(&self) -> usize {
        self.already_listed + self.repeated
    }

    /// After storing `batch` numbers of which `added` were new.
    fn stored(self, batch: usize, added: usize) -> ImportCounts {
        ImportCounts { added: self.added + added, already_listed: self.already_listed + batch - added, ..self }
    }
}

/// What an import did.
#[derive(Debug)]
pub struct ImportReport {
    pub file_name: String,
    /// "the global list", "the Spring list".
    pub list_title: String,
    pub list: ListScope,
    pub counts: ImportCounts,
    /// The first [`INVALID_SHOWN`] invalid rows.
    pub invalid: Vec<InvalidRow>,
}

impl ImportReport {
    fn summary(&self, counts: ImportCounts) -> String {
        format!(
            "Imported {} into {}: {} added, {} already listed, {} repeated in the file, {} invalid",
            self.file_name, self.list_title, counts.added, counts.already_listed, counts.repeated, counts.invalid
        )
    }
}

/// Imports a file's numbers into a list with source `import`. Every row is checked before
/// anything is stored: invalid rows are reported, numbers already on the list or repeated
/// in the file are skipped. The numbers are stored [`BATCH`] per transaction; the last one
/// records the audit entry with the counts.
pub async fn import(ctx: &Ctx, actor: &Actor, file: DncFile) -> Result<ImportReport, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .run(move |conn| {
            let refused = |e: FileError| AppError::Validation(e.0);
            let sheet = Sheet::decode(&file.bytes).map_err(refused)?;
            let default_reason: String = format!("Imported from {}", file.file_name).chars().take(MAX_REASON).collect();
            let read = read_rows(&sheet, &file.region, &default_reason).map_err(refused)?;
            let mut report = ImportReport {
                list_title: list_title(conn, file.list)?,
                file_name: file.file_name,
                list: file.list,
                counts: read.counts,
                invalid: read.invalid,
            };
            // A file of invalid rows still gets its audit entry, in one empty batch.
            let batches: Vec<&[(E164, String)]> =
                if read.numbers.is_empty() { vec![&[]] } else { read.numbers.chunks(BATCH).collect() };
            for (index, batch) in batches.iter().enumerate() {
                let last = index + 1 == batches.len();
                let stored = db::write_tx(conn, |conn| {
                    let added = store_batch(conn, file.list, actor.user_id, batch, now)?;
                    if last {
                        record_import(conn, &actor, &report.summary(report.counts.stored(batch.len(), added)), now)?;
                    }
                    Ok::<_, AppError>(added)
                });
                match stored {
                    Ok(added) => report.counts = report.counts.stored(batch.len(), added),
                    Err(e) => {
                        // The batches stored before stay: the audit log says so.
                        if report.counts.added > 0 {
                            let summary = format!("{} (stopped by an error)", report.summary(report.counts));
                            db::write_tx(conn, |conn| record_import(conn, &actor, &summary, now))?;
                        }
                        return Err(e);
                    }
                }
            }
            Ok(report)
        })
        .await
}

fn record_import(conn: &mut DbConnection, actor: &Actor, summary: &str, now: NaiveDateTime) -> Result<(), AppError> {
    let change = Change { action: "dnc.import", object_kind: "suppression", object_id: None, summary };
    Ok(audit::record(conn, actor, change, now)?)
}

/// Stores the numbers of `batch` not yet on `list`; returns how many.
fn store_batch(
    conn: &mut DbConnection,
    list: ListScope,
    created_by: Option<UserId>,
    batch: &[(E164, String)],
    now: NaiveDateTime,
) -> diesel::QueryResult<usize> {
    let phones: Vec<&str> = batch.iter().map(|(phone, _)| phone.as_str()).collect();
    let listed: HashSet<String> = db::suppression::listed_among(conn, list, &phones)?.into_iter().collect();
    let entries: Vec<NewEntry<'_>> = batch
        .iter()
        .filter(|(phone, _)| !listed.contains(phone.as_str()))
        .map(|(phone, reason)| NewEntry {
            phone,
            campaign_id: list.campaign_id(),
            reason,
            source: SuppressionSource::Import,
            created_by,
            interaction_id: None,
        })
        .collect();
    if entries.is_empty() {
        return Ok(0);
    }
    match db::unless_duplicate(conn, |conn| db::suppression::insert_many(conn, &entries, now))? {
        Some(added) => Ok(added),
        // Listed since the check (an opt-out arriving meanwhile): number by number.
        None => {
            entries.iter().try_fold(0, |added, entry| Ok(added + usize::from(db::suppression::add(conn, entry, now)?)))
        }
    }
}

/// A file's rows, checked.
#[derive(Default)]
struct ReadRows {
    /// The valid numbers, each once, with their reasons, in file order.
    numbers: Vec<(E164, String)>,
    counts: ImportCounts,
    invalid: Vec<InvalidRow>,
}

/// Reads every row: the number normalised to E.164 (national ones in `region`), the reason
/// or `default_reason`. Refuses a file without numbers or with more than [`MAX_ROWS`] rows.
fn read_rows(sheet: &Sheet, region: &Region, default_reason: &str) -> Result<ReadRows, FileError> {
    let mut reader = sheet.reader();
    let first = reader.headers().map_err(|e| FileError(format!("The first row cannot be read: {e}")))?.clone();
    let columns = Columns::find(&first, region);
    let rows = std::iter::once(Ok(first)).chain(reader.into_records());
    let mut read = ReadRows::default();
    let mut seen = HashSet::new();
    for (index, record) in rows.enumerate().skip(usize::from(columns.has_header)) {
        let entry = record.map_err(|e| format!("The row cannot be read: {e}")).and_then(|r| columns.entry(&r, region));
        match entry {
            Ok(None) => continue,
            Ok(Some((phone, reason))) if seen.insert(phone.clone()) => {
                read.numbers.push((phone, reason.unwrap_or_else(|| default_reason.to_owned())));
            }
            Ok(Some(_)) => read.counts.repeated += 1,
            Err(problem) => {
                read.counts.invalid += 1;
                if read.invalid.len() < INVALID_SHOWN {
                    read.invalid.push(InvalidRow { row: index + 1, problem });
                }
            }
        }
        read.counts.rows += 1;
        if read.counts.rows > MAX_ROWS {
            return Err(FileError(format!(
                "The file has more than {MAX_ROWS} rows; import at most {MAX_ROWS} at a time."
            )));
        }
    }
    if read.counts.rows == 0 {
        return Err(FileError("The file has no numbers.".into()));
    }
    Ok(read)
}

/// Where a file keeps its numbers and reasons.
struct Columns {
    phone: usize,
    reason: Option<usize>,
    has_header: bool,
}

impl Columns {
    /// Read from the first row: a header may name the phone column (`phone`, `number`,
    /// `phone_number`… as lead imports read them) and a `reason` column. Otherwise the
    /// numbers are in the first column, and the first row is a header unless it holds one.
    fn find(first: &csv::StringRecord, region: &Region) -> Columns {
        let phone = first.iter().position(|cell| Target::guess(cell) == Target::Phone);
        let reason = first.iter().position(|cell| cell.eq_ignore_ascii_case("reason"));
        let named = phone.is_some() || reason.is_some();
        let has_header = named || parse_phone(first.get(0).unwrap_or_default(), region).is_err();
        Columns { phone: phone.unwrap_or(0), reason, has_header }
    }

    /// A row's number and reason (`None` when empty); `None` for a blank row.
    fn entry(&self, record: &csv::StringRecord, region: &Region) -> Result<Option<(E164, Option<String>)>, String> {
        if record.iter().all(str::is_empty) {
            return Ok(None);
        }
        let phone = parse_phone(record.get(self.phone).unwrap_or_default(), region)?;
        let reason = checked_reason(restore_cell(self.reason.and_then(|i| record.get(i)).unwrap_or_default()))?;
        Ok(Some((phone, Some(reason).filter(|r| !r.is_empty()))))
    }
}

/// Spreadsheets keep a cell as text with a leading `'` (`'+1…` in voxdial's exports, `'0…`
/// typed to keep a zero); it is never part of the number.
fn parse_phone(cell: &str, region: &Region) -> Result<E164, String> {
    E164::parse(cell.strip_prefix('\'').unwrap_or(cell), Some(region))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<ReadRows, FileError> {
        let sheet = Sheet::decode(text.as_bytes()).unwrap();
        read_rows(&sheet, &Region::parse("US").unwrap(), "default")
    }

    fn numbers(read: &ReadRows) -> Vec<(&str, &str)> {
        read.numbers.iter().map(|(phone, reason)| (phone.as_str(), reason.as_str())).collect()
    }

    #[test]
    fn a_header_names_the_columns_and_rows_are_numbered_as_in_the_file() {
        let read = read("name;Phone Number;Reason\nAna;(212) 555-0100;wrote in\nBo;12;x\n;+12125550100;again\n\nCy;'+12125550101;\n").unwrap();
        assert_eq!(numbers(&read), [("+12125550100", "wrote in"), ("+12125550101", "default")]);
        let c = read.counts;
        assert_eq!((c.rows, c.repeated, c.invalid), (4, 1, 1));
        assert_eq!(read.invalid[0].row, 3);
        assert!(read.invalid[0].problem.contains("“12”"), "{:?}", read.invalid);
    }

    #[test]
    fn without_a_header_the_numbers_are_in_the_first_column() {
        let read = read("+12125550100,first\n+12125550101\n").unwrap();
        assert_eq!(numbers(&read), [("+12125550100", "default"), ("+12125550101", "default")]);
        let unnamed = read_rows(&Sheet::decode(b"whatever\n2125550100\n").unwrap(), &Region::parse("US").unwrap(), "d");
        assert_eq!(numbers(&unnamed.unwrap()), [("+12125550100", "d")]);
    }

    #[test]
    fn neutralised_reasons_come_back_and_long_ones_are_refused() {
        let long = "x".repeat(MAX_REASON + 1);
        let read = read(&format!(
            "phone,reason\n+12125550100,\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"\n+12125550101,{long}\n"
        ))
        .unwrap();
        assert_eq!(numbers(&read), [("+12125550100", "=HYPERLINK(\"http://x\",\"y\")")]);
        assert_eq!((read.invalid[0].row, read.invalid[0].problem.contains("longer than")), (3, true));
    }

    #[test]
    fn a_file_without_numbers_is_refused() {
        assert!(read("phone\n").err().unwrap().0.contains("no numbers"));
    }
}
