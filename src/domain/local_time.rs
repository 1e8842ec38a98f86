//! Times as a person reads them: stored in UTC, shown in the reader's zone with the zone's
//! abbreviation (DST-correct through chrono-tz), dates in ISO form.

use chrono::{NaiveDate, NaiveDateTime, TimeZone as _};
use chrono_tz::Tz;

/// "2026-11-29 08:05 CST".
pub fn labelled(at: NaiveDateTime, zone: Tz) -> String {
    zone.from_utc_datetime(&at).format("%Y-%m-%d %H:%M %Z").to_string()
}

/// "2026-11-29 08:05:09 CST".
pub fn labelled_secs(at: NaiveDateTime, zone: Tz) -> String {
    zone.from_utc_datetime(&at).format("%Y-%m-%d %H:%M:%S %Z").to_string()
}

/// "2026-11-29 08:05", for a column whose heading names the zone.
pub fn plain(at: NaiveDateTime, zone: Tz) -> String {
    zone.from_utc_datetime(&at).format("%Y-%m-%d %H:%M").to_string()
}

pub fn plain_secs(at: NaiveDateTime, zone: Tz) -> String {
    zone.from_utc_datetime(&at).format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The local date of a UTC time.
pub fn day(at: NaiveDateTime, zone: Tz) -> NaiveDate {
    zone.from_utc_datetime(&at).date_naive()
}

/// The UTC instant a local day starts (the first instant that exists, on days that begin
/// inside a DST gap).
pub fn start_of_day(date: NaiveDate, zone: Tz) -> NaiveDateTime {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight");
    (0..=3)
        .find_map(|hours| zone.from_local_datetime(&(midnight + chrono::Duration::hours(hours))).earliest())
        .map_or(midnight, |t| t.naive_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn times_follow_the_readers_zone_across_a_dst_change() {
        let new_york: Tz = "America/New_York".parse().unwrap();
        // The same UTC hour reads an hour apart either side of the spring change.
        assert_eq!(labelled(utc("2026-03-08 06:30"), new_york), "2026-03-08 01:30 EST");
        assert_eq!(labelled(utc("2026-03-08 07:30"), new_york), "2026-03-08 03:30 EDT");
        assert_eq!(plain(utc("2026-11-01 05:30"), new_york), "2026-11-01 01:30");
        assert_eq!(plain(utc("2026-11-01 06:30"), new_york), "2026-11-01 01:30", "the repeated hour");
        assert_eq!(labelled(utc("2026-11-29 14:05"), chrono_tz::UTC), "2026-11-29 14:05 UTC");
    }

    #[test]
    fn a_local_day_starts_at_its_own_midnight() {
        let chicago: Tz = "America/Chicago".parse().unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        assert_eq!(start_of_day(date, chicago), utc("2026-11-29 06:00"));
        assert_eq!(day(utc("2026-11-30 05:59"), chicago), date, "still the 29th in Chicago");
        // Santiago skips midnight when DST starts: the day begins at 01:00.
        let santiago: Tz = "America/Santiago".parse().unwrap();
        let gap = NaiveDate::from_ymd_opt(2026, 9, 6).unwrap();
        assert_eq!(start_of_day(gap, santiago), utc("2026-09-06 04:00"));
    }
}
