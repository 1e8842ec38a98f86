//! Cells of CSV files that people open in spreadsheets.
//!
//! A spreadsheet reads a cell starting with `=`, `+`, `-` or `@` as a formula, and Excel
//! also one starting with a tab or a carriage return, so a value someone typed into voxdial
//! (a reason such as `=HYPERLINK(…)`) could run as a formula on an export's reader. Every
//! exported cell is neutralised the OWASP way: such a cell gets a leading `'`, which
//! spreadsheets show as text and do not display.

use std::borrow::Cow;

/// First characters a spreadsheet may read as the start of a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// The cell as written to an export: prefixed with `'` when a spreadsheet could take it for
/// a formula. E.164 numbers start with `+` and are prefixed too; spreadsheets show
/// `'+12125550100` as the text `+12125550100`, which keeps its `+`.
pub fn neutralize_cell(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) { Cow::Owned(format!("'{cell}")) } else { Cow::Borrowed(cell) }
}

/// The cell as it was before [`neutralize_cell`]: one leading `'` goes when a formula
/// start follows it, so an export imports back unchanged; any other `'` is the user's own.
pub fn restore_cell(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_could_run_get_a_leading_quote() {
        for cell in ["=HYPERLINK(\"http://x\",\"y\")", "+12125550100", "-2+3", "@SUM(A1)", "\tx", "\r=1"] {
            assert_eq!(neutralize_cell(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn other_cells_are_left_alone() {
        for cell in ["", "asked by email", "12125550100", " =1", "'=1", "x=1", "Ana-Maria", "\n=1"] {
            assert!(matches!(neutralize_cell(cell), Cow::Borrowed(c) if c == cell), "{cell:?}");
        }
    }

    #[test]
    fn restoring_undoes_neutralizing_and_keeps_the_users_own_quotes() {
        for cell in ["=HYPERLINK(\"http://x\",\"y\")", "+12125550100", "-1", "@a", "\tx", "\rx", "plain", "'quoted'"] {
            assert_eq!(restore_cell(&neutralize_cell(cell)), cell, "{cell:?}");
        }
        assert_eq!(restore_cell("'plain"), "'plain");
        assert_eq!(restore_cell("''+1"), "''+1", "only one quote, and only before a formula start");
    }
}
