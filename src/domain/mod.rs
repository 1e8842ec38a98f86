//! Validated domain types and pure rules. No I/O, no diesel, no actix.

pub mod analytics;
pub mod campaign;
pub mod codes;
pub mod daily_calls;
pub mod dialing;
pub mod interaction;
pub mod lead;
pub mod local_time;
pub mod outcome;
pub mod phone;
mod phone_zones;
pub mod pipeline;
pub mod plural;
pub mod prompt;
mod prompt_error;
pub mod resolution;
pub mod spreadsheet;
pub mod suppression;
pub mod text_diff;
pub mod user;
pub mod webhook;
