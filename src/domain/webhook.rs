//! Where a stored provider webhook stands.

use super::codes::codes;

codes! {
    pub enum ProcessingState {
        /// Stored, not yet applied (waiting for its call, or failed transiently).
        Pending => "pending", "Pending";
        Processed => "processed", "Processed";
        /// Authentic but not acted on (unknown type, duplicate of a finished call…).
        Ignored => "ignored", "Ignored";
        /// The signature was refused.
        Rejected => "rejected", "Rejected";
        /// Authentic but unreadable.
        Invalid => "invalid", "Invalid";
        /// Kept failing; set aside for an admin to look at.
        Failed => "failed", "Parked (kept failing)";
    }
}
