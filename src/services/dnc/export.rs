//! Exporting do-not-call entries as CSV, streamed: the entries are read a batch at a time,
//! so a long list never sits in memory whole.

use std::borrow::Cow;

use bytes::Bytes;
use chrono::SecondsFormat;
use futures_util::stream::{self, BoxStream, StreamExt as _};

use crate::db;
use crate::db::paging::{Page, fetch_size};
use crate::db::suppression::{EntryFilter, ListScope, SuppressionRow};
use crate::domain::spreadsheet::neutralize_cell;
use crate::error::AppError;
use crate::ids::SuppressionId;
use crate::services::Ctx;

/// Entries read per database round trip.
const BATCH: i64 = 1000;

const HEADER: [&str; 6] = ["phone", "list", "reason", "source", "added_by", "added_at"];

/// A CSV file being written.
pub struct Export {
    pub file_name: String,
    /// The file in pieces, the header first.
    pub chunks: BoxStream<'static, Result<Bytes, AppError>>,
}

/// The entries `filter` lets through, newest first. Every cell is neutralised against
/// formula injection; the DNC import reads the result back unchanged.
pub fn export(ctx: &Ctx, filter: EntryFilter) -> Export {
    let list = match filter.list {
        None => "all".to_owned(),
        Some(ListScope::Global) => "global".to_owned(),
        Some(ListScope::Campaign(id)) => format!("campaign-{id}"),
    };
    let file_name = format!("do-not-call-{list}-{}.csv", ctx.clock.now().format("%Y-%m-%d"));
    let ctx = ctx.clone();
    // The state is where the next batch starts: `Some(None)` at the top, `None` when done.
    let chunks = stream::try_unfold(Some(None), move |next: Option<Option<SuppressionId>>| {
        let (ctx, filter) = (ctx.clone(), filter.clone());
        async move {
            let Some(before) = next else { return Ok(None) };
            let page = ctx
                .db
                .run(move |conn| {
                    let rows = db::suppression::page(conn, &filter, before, fetch_size(BATCH))?;
                    Ok(Page::from_overfetch(rows, BATCH, |e| e.id))
                })
                .await?;
            Ok(Some((csv_chunk(before.is_none(), &page.rows)?, page.next.map(Some))))
        }
    });
    Export { file_name, chunks: chunks.boxed() }
}

fn csv_chunk(with_header: bool, rows: &[SuppressionRow]) -> Result<Bytes, AppError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let failed = |e: csv::Error| AppError::Unexpected(anyhow::Error::new(e).context("writing CSV"));
    if with_header {
        out.write_record(HEADER).map_err(failed)?;
    }
    for row in rows {
        let cells = [
            row.phone.to_string(),
            row.list_name().to_owned(),
            row.reason.clone(),
            row.source.as_str().to_owned(),
            row.added_by().to_string(),
            row.created_at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true),
        ];
        let cells: Vec<Cow<'_, str>> = cells.iter().map(|cell| neutralize_cell(cell)).collect();
        out.write_record(cells.iter().map(|cell| cell.as_bytes())).map_err(failed)?;
    }
    let bytes = out.into_inner().map_err(|e| failed(e.into_error().into()))?;
    Ok(Bytes::from(bytes))
}
