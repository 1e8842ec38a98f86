//! Validated domain types and pure rules. No I/O, no diesel, no actix.

pub mod user;
