//! Line diffs between two texts (prompt template versions), grouped into hunks with a few
//! unchanged lines of context, for pages to show as added and removed lines.

use std::time::Duration;

use similar::{ChangeTag, TextDiff};

/// Unchanged lines shown around each change.
const CONTEXT: usize = 3;
/// Past this, the diff is coarser but still correct (user-written text can be large).
const TIMEOUT: Duration = Duration::from_millis(200);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Same,
    Added,
    Removed,
}

impl LineKind {
    pub fn is_added(self) -> bool {
        self == LineKind::Added
    }

    pub fn is_removed(self) -> bool {
        self == LineKind::Removed
    }

    /// The sign a unified diff gives the line.
    pub fn sign(self) -> &'static str {
        match self {
            LineKind::Same => " ",
            LineKind::Added => "+",
            LineKind::Removed => "−",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: LineKind,
    /// The line's number in the new text (in the old one for a removed line).
    pub number: usize,
    /// The line without its line break.
    pub text: String,
}

/// A run of changes with its context; hunks are separated by unchanged lines left out.
pub type Hunk = Vec<DiffLine>;

/// The changes from `old` to `new`; empty when they have the same lines.
pub fn line_diff(old: &str, new: &str) -> Vec<Hunk> {
    // A line is the same whichever line break ends it, or none at the end.
    let (old, new) = (normalised(old), normalised(new));
    let diff = TextDiff::configure().timeout(TIMEOUT).diff_lines(&old, &new);
    diff.grouped_ops(CONTEXT)
        .iter()
        .map(|group| {
            group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|change| {
                    let (kind, index) = match change.tag() {
                        ChangeTag::Equal => (LineKind::Same, change.new_index()),
                        ChangeTag::Insert => (LineKind::Added, change.new_index()),
                        ChangeTag::Delete => (LineKind::Removed, change.old_index()),
                    };
                    let text = change.value().trim_end_matches(['\n', '\r']).to_owned();
                    DiffLine { kind, number: index.unwrap_or_default() + 1, text }
                })
                .collect()
        })
        .collect()
}

fn normalised(text: &str) -> String {
    let mut text = text.replace("\r\n", "\n");
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(hunks: &[Hunk]) -> Vec<String> {
        hunks
            .iter()
            .map(|h| {
                h.iter().map(|l| format!("{}{} {}", l.kind.sign(), l.number, l.text)).collect::<Vec<_>>().join("|")
            })
            .collect()
    }

    #[test]
    fn changed_lines_show_as_removed_then_added_with_context() {
        let old = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten";
        let new = "one\ntwo\nthree\nfour\nfive\nSIX\nseven\neight\nnine\nten\neleven";
        assert_eq!(
            render(&line_diff(old, new)),
            [" 3 three| 4 four| 5 five|−6 six|+6 SIX| 7 seven| 8 eight| 9 nine| 10 ten|+11 eleven"]
        );
    }

    #[test]
    fn distant_changes_are_separate_hunks_and_equal_texts_have_none() {
        let old: String = (1..=20).map(|n| format!("line {n}\n")).collect();
        let new = old.replace("line 2\n", "").replace("line 19\n", "line nineteen\n");
        let hunks = line_diff(&old, &new);
        assert_eq!(hunks.len(), 2);
        assert_eq!(hunks[0].iter().filter(|l| l.kind == LineKind::Removed).count(), 1);
        assert!(hunks[1].iter().any(|l| l.kind == LineKind::Added && l.text == "line nineteen"));
        assert!(line_diff(&old, &old).is_empty());
        assert!(line_diff("", "").is_empty());
        assert!(line_diff("a\r\nb", "a\nb\n").is_empty(), "line breaks do not count");
    }

    #[test]
    fn a_first_text_is_all_added() {
        let hunks = line_diff("", "Hello {{ lead.first_name }}\nBye");
        assert_eq!(render(&hunks), ["+1 Hello {{ lead.first_name }}|+2 Bye"]);
    }
}
