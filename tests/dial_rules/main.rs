//! The dialing rules, each test named after the rule it proves. One binary: every file here is a
//! module of it.

mod dst;
mod profiles;
mod properties;
mod retry;
mod schedule;
mod windows;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use voxdial::domain::dialing::profiles::by_code;
use voxdial::domain::dialing::{Profile, WeeklyWindows};

/// An instant written in RFC 3339 (`2026-03-08T07:00:00Z`).
pub fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap_or_else(|e| panic!("test instant {text}: {e}"))
}

/// A wall time (`2026-06-01 07:59:59`) in `zone` that occurs exactly once.
pub fn local(zone: Tz, text: &str) -> DateTime<Utc> {
    let wall = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").expect("test wall time");
    zone.from_local_datetime(&wall).single().expect("an unambiguous wall time").with_timezone(&Utc)
}

pub fn windows(text: &str) -> WeeklyWindows {
    WeeklyWindows::parse(text).unwrap_or_else(|e| panic!("test windows {text}: {e}"))
}

pub fn profile(code: &str) -> &'static Profile {
    by_code(code).unwrap_or_else(|| panic!("no profile {code}"))
}
