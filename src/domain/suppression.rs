//! The do-not-call list's vocabulary.

use super::codes::codes;

codes! {
    /// How a number came onto a do-not-call list.
    pub enum SuppressionSource {
        Manual => "manual", "Added by hand";
        OptOut => "opt_out", "Asked on a call";
        Import => "import", "Imported";
    }
}
