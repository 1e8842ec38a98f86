//! Counts in words: "1 lead", "62 leads".

use std::fmt::Display;

/// `n` and the noun, plural unless `n` is one. Every noun voxdial counts (lead, call,
/// campaign, number, agent, row, error, second) takes an `s`.
pub fn counted(n: impl Display, noun: &str) -> String {
    let n = n.to_string();
    let s = if n == "1" { "" } else { "s" };
    format!("{n} {noun}{s}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_any_other_count_plural() {
        assert_eq!(counted(1, "lead"), "1 lead");
        assert_eq!(counted(62_i64, "lead"), "62 leads");
        assert_eq!(counted(0_usize, "row"), "0 rows");
        assert_eq!(counted(1_i32, "call"), "1 call");
    }
}
