//! When a voxdial lead may be called: weekly calling windows in the lead's local time, the hard
//! legal floor of 08:00–21:00, regional compliance profiles, rolling caps and retry delays.
//! Pure: no I/O, no clock reads (every function takes the instant it decides about).

pub mod plan;
pub mod profiles;
pub mod retry;
pub mod rules;
pub mod schedule;
mod us_area_codes;
pub mod windows;

pub use profiles::{FLOOR, Profile, profile_for_number};
pub use retry::{RetryKind, RetryPolicy, retry_delay};
pub use schedule::{
    CallingRules, ClosedReason, Verdict, local_date, local_day_bounds, next_dial_time, next_open, rolling_cap_allows,
    rolling_cap_next_free, verdict,
};
pub use windows::{LocalRange, WeeklyWindows};
