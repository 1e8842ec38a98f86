//! Reading one data row of an import as a lead. The import and its preview both read rows
//! here, so the preview shows exactly the problems the import will report.

use super::sheet::Mapping;
use crate::domain::lead::{LeadInput, RawLead};
use crate::domain::phone::Region;

/// The spreadsheet row number of the `index`th data row (the header is row 1).
pub fn row_number(index: usize) -> i32 {
    index as i32 + 2
}

/// One problem with a row: the header of the column at fault (empty when the row as a
/// whole is unreadable) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub column: String,
    pub reason: String,
}

/// A row that does not make a lead.
#[derive(Debug, Clone)]
pub struct RowFailure {
    /// What the row held, when it could be read at all.
    pub raw: Option<Box<RawLead>>,
    pub errors: Vec<RowError>,
}

/// Reads rows of one file under one mapping, national numbers in the campaign's region.
pub struct RowReader {
    pub mapping: Mapping,
    pub headers: Vec<String>,
    pub region: Region,
}

impl RowReader {
    /// The row as loose input and as a validated lead, or every problem it has.
    pub fn read(&self, record: &csv::Result<csv::StringRecord>) -> Result<(RawLead, LeadInput), RowFailure> {
        let record = record.as_ref().map_err(|e| RowFailure {
            raw: None,
            errors: vec![RowError { column: String::new(), reason: format!("The row cannot be read: {e}") }],
        })?;
        let raw = self.mapping.raw_lead(&self.headers, record);
        match LeadInput::parse(&raw, Some(&self.region)) {
            Ok(lead) => Ok((raw, lead)),
            Err(errors) => {
                let errors = errors
                    .into_iter()
                    .map(|e| RowError { column: self.mapping.column_of(&self.headers, e.field), reason: e.message })
                    .collect();
                Err(RowFailure { raw: Some(Box::new(raw)), errors })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imports::sheet::{Sheet, Target};

    #[test]
    fn bad_fields_are_named_by_their_column_and_good_rows_become_leads() {
        let sheet =
            Sheet::decode(b"Name,Mobile,TZ\nAna Lima,(212) 555-0123,America/New_York\nBo,555,Mars/Base\n").unwrap();
        let reader = RowReader {
            mapping: Mapping(vec![Target::FullName, Target::Phone, Target::Timezone]),
            headers: sheet.headers().unwrap(),
            region: Region::parse("US").unwrap(),
        };
        let rows: Vec<_> = sheet.reader().records().collect();
        let (_, lead) = reader.read(&rows[0]).unwrap();
        assert_eq!((lead.first_name.as_str(), lead.phone.as_str()), ("Ana", "+12125550123"));
        let failure = reader.read(&rows[1]).unwrap_err();
        let columns: Vec<&str> = failure.errors.iter().map(|e| e.column.as_str()).collect();
        assert_eq!(columns, ["Mobile", "TZ"], "{failure:?}");
        assert_eq!(failure.raw.unwrap().full_name, "Bo");
        assert_eq!(row_number(0), 2);
    }
}
