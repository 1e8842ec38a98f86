//! CSV exports of the lead and call lists with their filters (R-ANALYTICS), streamed: a
//! blocking task walks the list in keyset batches and hands each batch's CSV to the response
//! through a small channel, so a million-row export holds one batch in memory, and stops as
//! soon as the download is abandoned. Lead exports read back through the importer: its
//! columns are the importer's, the lead's custom fields follow by name, and voxdial's own
//! facts come last as `voxdial_…` columns the importer ignores.

use std::collections::BTreeSet;
use std::pin::Pin;

use bytes::Bytes;
use futures_util::Stream;

use super::Ctx;
use super::leads::{LeadQuery, filter_of};
use crate::db::call_lists::{CallCursor, CallFilter};
use crate::db::lead_lists::{Cursor, LeadFilter, LeadSort, PageAt};
use crate::db::{self, Db, DbConnection};
use crate::error::AppError;
use crate::ids::LeadId;

/// Rows per batch: each is one keyset query and one chunk of the download.
const BATCH: i64 = 1000;
/// Batches the channel holds ahead of a slow download.
const AHEAD: usize = 4;
/// Custom fields beyond this many become one more batch of work nobody reads.
const MAX_CUSTOM_COLUMNS: usize = 100;

pub type CsvStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// Which leads to export: a list's filters or a selection.
pub enum LeadSelection {
    List(LeadQuery),
    Ids(Vec<LeadId>),
}

pub fn leads_csv(ctx: &Ctx, selection: LeadSelection) -> CsvStream {
    stream(ctx.db.clone(), move |conn, send| {
        let filter = match selection {
            LeadSelection::List(query) => {
                let campaign = query.campaign_id.map(|id| db::campaigns::find(conn, id)).transpose()?;
                filter_of(conn, &query, campaign.as_ref())?.0
            }
            LeadSelection::Ids(ids) => LeadFilter { ids: Some(ids), ..LeadFilter::default() },
        };
        // The header names every custom field, so the rows are walked once to find them.
        let mut custom = BTreeSet::new();
        walk_leads(conn, &filter, |conn, ids| {
            for lead in db::lead_lists::full_rows(conn, ids)? {
                custom.extend(lead.custom_map().into_iter().map(|(key, _)| key).take(MAX_CUSTOM_COLUMNS));
            }
            Ok(true)
        })?;
        let custom: Vec<String> = custom.into_iter().take(MAX_CUSTOM_COLUMNS).collect();
        let mut header: Vec<String> = LEAD_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
        header.extend(custom.iter().cloned());
        header.extend(LEAD_FACTS.iter().map(|c| (*c).to_owned()));
        if !send(csv_chunk([header])?) {
            return Ok(());
        }
        walk_leads(conn, &filter, |conn, ids| {
            let outcomes = db::interactions::last_outcomes(conn, ids)?;
            let rows = db::lead_lists::full_rows(conn, ids)?.into_iter().map(|lead| {
                let values = lead.custom_map();
                let text = |v: Option<&serde_json::Value>| match v {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(other) => other.to_string(),
                    None => String::new(),
                };
                let time = |t: Option<chrono::NaiveDateTime>| t.map(iso).unwrap_or_default();
                let mut row = vec![
                    lead.first_name.clone(),
                    lead.last_name.clone(),
                    lead.phone.to_string(),
                    lead.email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(),
                    lead.company.clone().unwrap_or_default(),
                    lead.timezone.map(|z| z.name().to_owned()).unwrap_or_default(),
                    lead.status.as_str().to_owned(),
                    if lead.is_test { "yes" } else { "no" }.to_owned(),
                    lead.consent_source.clone().unwrap_or_default(),
                    time(lead.consent_at),
                ];
                row.extend(custom.iter().map(|key| text(values.get(key))));
                row.extend([
                    lead.id.to_string(),
                    lead.campaign_id.to_string(),
                    lead.attempt_count.to_string(),
                    outcomes.get(&lead.id).map(|o| o.as_str().to_owned()).unwrap_or_default(),
                    time(lead.last_attempt_at),
                    time(lead.next_call_at),
                    time(Some(lead.created_at)),
                ]);
                row
            });
            Ok(send(csv_chunk(rows)?))
        })
    })
}

/// The importer's own columns, in its names.
const LEAD_COLUMNS: [&str; 10] = [
    "first_name",
    "last_name",
    "phone",
    "email",
    "company",
    "timezone",
    "status",
    "is_test",
    "consent_source",
    "consent_at",
];
const LEAD_FACTS: [&str; 7] = [
    "voxdial_id",
    "voxdial_campaign_id",
    "voxdial_attempts",
    "voxdial_last_outcome",
    "voxdial_last_attempt_at",
    "voxdial_next_call_at",
    "voxdial_created_at",
];

/// Calls `batch` with the ids of each batch of the filter's leads, oldest first, until it
/// says stop.
fn walk_leads(
    conn: &mut DbConnection,
    filter: &LeadFilter,
    mut batch: impl FnMut(&mut DbConnection, &[LeadId]) -> Result<bool, AppError>,
) -> Result<(), AppError> {
    let mut at = PageAt::First;
    loop {
        let page = db::lead_lists::page(conn, filter, LeadSort::Oldest, &at, BATCH)?;
        let ids: Vec<LeadId> = page.rows.iter().map(|r| r.id).collect();
        if ids.is_empty() || !batch(conn, &ids)? {
            return Ok(());
        }
        match page.next.as_deref().and_then(Cursor::decode) {
            Some(next) => at = PageAt::After(next),
            None => return Ok(()),
        }
    }
}

const CALL_COLUMNS: [&str; 14] = [
    "id",
    "started_at",
    "direction",
    "status",
    "outcome",
    "duration_secs",
    "lead_name",
    "lead_phone",
    "campaign",
    "agent",
    "score",
    "summary",
    "extracted",
    "lead_id",
];

/// The call list with `filter`, newest first (or best score first).
pub fn calls_csv(ctx: &Ctx, filter: CallFilter) -> CsvStream {
    stream(ctx.db.clone(), move |conn, send| {
        if !send(csv_chunk([CALL_COLUMNS])?) {
            return Ok(());
        }
        let mut before: Option<CallCursor> = None;
        loop {
            let rows = db::call_lists::page(conn, &filter, before, BATCH)?;
            let Some(last) = rows.last() else { return Ok(()) };
            before = Some(CallCursor { score: last.score.filter(|_| filter.best_score_first), id: last.id });
            let full = rows.len() as i64 == BATCH;
            let lines = rows.into_iter().map(|c| {
                [
                    c.id.to_string(),
                    iso(c.created_at),
                    c.direction.as_str().to_owned(),
                    c.status.as_str().to_owned(),
                    c.outcome.map(|o| o.as_str().to_owned()).unwrap_or_default(),
                    c.duration_secs.map(|d| d.to_string()).unwrap_or_default(),
                    format!("{} {}", c.lead_first_name, c.lead_last_name).trim().to_owned(),
                    c.lead_phone.to_string(),
                    c.campaign_name,
                    c.agent_name.unwrap_or_default(),
                    c.score.map(|s| s.to_string()).unwrap_or_default(),
                    c.summary.unwrap_or_default(),
                    c.extracted.unwrap_or_default(),
                    c.lead_id.to_string(),
                ]
            });
            if !send(csv_chunk(lines)?) || !full {
                return Ok(());
            }
        }
    })
}

/// UTC times as ISO 8601.
fn iso(t: chrono::NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// CSV text of `rows`. A cell a spreadsheet would run as a formula is quoted with a leading
/// apostrophe (phone numbers, which start with `+`, are not formulas and stay as they are).
fn csv_chunk<R, C>(rows: impl IntoIterator<Item = R>) -> Result<Vec<u8>, AppError>
where
    R: IntoIterator<Item = C>,
    C: AsRef<str>,
{
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in rows {
        let cells: Vec<String> = row.into_iter().map(|cell| defuse(cell.as_ref())).collect();
        writer.write_record(&cells).map_err(|e| AppError::Unexpected(e.into()))?;
    }
    writer.into_inner().map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}")))
}

fn defuse(cell: &str) -> String {
    let formula = cell.starts_with(['=', '@', '\t', '\r'])
        || (cell.starts_with(['+', '-']) && !cell[1..].chars().all(|c| c.is_ascii_digit() || c == '.'));
    if formula { format!("'{cell}") } else { cell.to_owned() }
}

/// Runs `produce` on a blocking thread with a database connection; each chunk it sends
/// becomes part of the response. `send` answers `false` once the download is gone.
fn stream<F>(db: Db, produce: F) -> CsvStream
where
    F: FnOnce(&mut DbConnection, &mut dyn FnMut(Vec<u8>) -> bool) -> Result<(), AppError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(AHEAD);
    let span = tracing::Span::current();
    tokio::task::spawn_blocking(move || {
        let _entered = span.enter();
        let failed = tx.clone();
        let result = db.get().and_then(|mut conn| {
            let mut send = |chunk: Vec<u8>| tx.blocking_send(Ok(Bytes::from(chunk))).is_ok();
            produce(&mut conn, &mut send)
        });
        if let Err(error) = result {
            tracing::error!(error = %error.with_causes(), "an export stopped half way");
            // The download ends with an error instead of looking complete.
            let _ = failed.blocking_send(Err(std::io::Error::other("the export failed")));
        }
    });
    Box::pin(futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_defused_but_numbers_and_phones_are_not() {
        assert_eq!(defuse("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(defuse("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(defuse("-2+3"), "'-2+3");
        assert_eq!(defuse("+12125550123"), "+12125550123");
        assert_eq!(defuse("-12.5"), "-12.5");
        assert_eq!(defuse("Ana"), "Ana");
    }
}
