//! Where a prompt template fails to render: the part, line and column, and for a variable
//! that does not exist, its name, placed where the variable is written.

use std::fmt;

/// A render failure with its position, for the editor and for `TEMPLATE_ERROR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    pub part: &'static str,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The variable that does not exist, for an undefined-variable error.
    pub variable: Option<String>,
    pub message: String,
}

impl fmt::Display for TemplateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.part)?;
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, ", line {line}, column {column}")?,
            (Some(line), None) => write!(f, ", line {line}")?,
            _ => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// The failure of rendering `source` (the template's `part`) as the editor shows it.
pub(super) fn locate(part: &'static str, source: &str, err: &minijinja::Error) -> TemplateError {
    let variable = undefined_variable(err);
    // minijinja points at the operation that failed (a filter, a later attribute); the
    // variable's own place on that line is where the fix goes.
    let start = err.range().map(|range| {
        let reported = range.start.min(source.len());
        variable.as_deref().and_then(|name| occurrence_before(source, reported, name)).unwrap_or(reported)
    });
    let column = start.map(|start| source[..start].chars().rev().take_while(|c| *c != '\n').count() + 1);
    let message = match (&variable, err.detail()) {
        (Some(name), _) => format!("undefined variable `{name}`"),
        (None, Some(detail)) => format!("{}: {detail}", err.kind()),
        (None, None) => err.kind().to_string(),
    };
    TemplateError { part, line: err.line(), column, variable, message }
}

/// The expression an undefined-value error is about, from minijinja's detail
/// ("`lead.plan` is undefined").
fn undefined_variable(err: &minijinja::Error) -> Option<String> {
    if err.kind() != minijinja::ErrorKind::UndefinedError {
        return None;
    }
    let detail = err.detail()?;
    let start = detail.find('`')? + 1;
    let len = detail[start..].find('`')?;
    Some(detail[start..start + len].to_owned()).filter(|name| !name.is_empty())
}

/// Where `name` last starts at or before `at` on the line holding `at`.
fn occurrence_before(source: &str, at: usize, name: &str) -> Option<usize> {
    let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[at..].find('\n').map_or(source.len(), |i| at + i);
    let line = &source[line_start..line_end];
    let found = line.match_indices(name).map(|(i, _)| line_start + i).take_while(|i| *i <= at).last();
    found.or_else(|| line.find(name).map(|i| line_start + i))
}
