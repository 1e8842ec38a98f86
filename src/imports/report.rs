//! The error report of an import: one line per problem with the row's own values beside
//! it, so the rows can be fixed in the spreadsheet and imported again.

use super::sheet::Sheet;
use super::{import_of, sheet_of};
use crate::db;
use crate::domain::spreadsheet::neutralize_cell;
use crate::error::AppError;
use crate::ids::{CampaignId, ImportId};
use crate::services::Ctx;

/// The error report as CSV: row, column, reason, then every column of the file with the
/// row's values. Once the uploaded file is deleted (its retention is over) the values go
/// with it and the report keeps row, column and reason. Values, column names and reasons
/// all come from the uploaded file, so every cell is neutralised against formula injection.
pub async fn error_report(ctx: &Ctx, campaign_id: CampaignId, import_id: ImportId) -> Result<Vec<u8>, AppError> {
    ctx.db
        .run(move |conn| {
            let import = import_of(conn, campaign_id, import_id)?;
            let errors = db::imports::errors(conn, import_id)?;
            let sheet = match import.file_purged_at {
                None => Some(sheet_of(conn, &import)?),
                Some(_) => None,
            };
            write(sheet.as_ref(), &errors)
                .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e).context("writing the error report")))
        })
        .await
}

/// `errors` are (row, column, reason) in row order, as stored.
fn write(sheet: Option<&Sheet>, errors: &[(i32, String, String)]) -> Result<Vec<u8>, String> {
    let headers = match sheet {
        Some(sheet) => sheet.headers().map_err(|e| e.to_string())?,
        None => Vec::new(),
    };
    // The file's rows are read once, alongside the errors, in row order.
    let mut records = sheet.map(|s| s.reader().into_records().enumerate());
    let mut current: Option<(i32, Vec<String>)> = None;
    let mut writer = csv::Writer::from_writer(Vec::new());
    let fixed = ["row", "column", "reason"].map(String::from);
    write_line(&mut writer, fixed.iter().chain(&headers))?;
    for (row, column, reason) in errors {
        if let Some(records) = records.as_mut() {
            while current.as_ref().is_none_or(|(at, _)| at < row) {
                let Some((index, record)) = records.next() else { break };
                let mut values: Vec<String> = record.map(|r| r.iter().map(str::to_owned).collect()).unwrap_or_default();
                values.resize(headers.len(), String::new());
                current = Some((super::rows::row_number(index), values));
            }
        }
        let blank = vec![String::new(); headers.len()];
        let values = match &current {
            Some((at, values)) if at == row => values,
            _ => &blank,
        };
        let cells = [row.to_string(), column.clone(), reason.clone()];
        write_line(&mut writer, cells.iter().chain(values))?;
    }
    writer.into_inner().map_err(|e| e.to_string())
}

fn write_line<'a>(writer: &mut csv::Writer<Vec<u8>>, cells: impl Iterator<Item = &'a String>) -> Result<(), String> {
    writer.write_record(cells.map(|cell| neutralize_cell(cell).into_owned())).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(report: Vec<u8>) -> Vec<String> {
        String::from_utf8(report).unwrap().lines().map(str::to_owned).collect()
    }

    #[test]
    fn each_problem_carries_its_rows_values_and_short_rows_are_padded() {
        let sheet = Sheet::decode(b"name,phone,plan\nAna,+12125550101,gold\nBo,555\n\"Cy\nCo\",12,=1+1\n").unwrap();
        let errors = [
            (3, "phone".to_owned(), "“555” is not a phone number".to_owned()),
            (4, "phone".to_owned(), "“12” is not a phone number".to_owned()),
            (4, "plan".to_owned(), "made up".to_owned()),
        ];
        let report = lines(write(Some(&sheet), &errors).unwrap());
        assert_eq!(report[0], "row,column,reason,name,phone,plan");
        assert_eq!(report[1], "3,phone,“555” is not a phone number,Bo,555,");
        assert_eq!(report[2], "4,phone,“12” is not a phone number,\"Cy");
        assert_eq!(report[3], "Co\",12,'=1+1", "a quoted line break stays inside its cell; formulas are neutralised");
        assert!(report[4].starts_with("4,plan,made up,\"Cy"));
    }

    #[test]
    fn without_the_file_the_report_keeps_row_column_and_reason() {
        let report = lines(write(None, &[(2, "phone".into(), "missing".into())]).unwrap());
        assert_eq!(report, ["row,column,reason", "2,phone,missing"]);
    }
}
