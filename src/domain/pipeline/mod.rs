//! The post-call pipeline's pure rules (R-PIPELINE): its configuration, the structured
//! answer it asks an LLM for, and what a result changes.

pub mod answer;
pub mod config;
pub mod copy;

use super::codes::codes;

codes! {
    /// Where a pipeline run stands.
    pub enum RunStatus {
        Pending => "pending", "Waiting";
        Running => "running", "Running";
        Done => "done", "Done";
        Failed => "failed", "Failed";
    }
}
