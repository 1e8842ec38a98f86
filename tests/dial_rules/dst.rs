//! Daylight-saving days, where wall-clock time skips or repeats an hour.
//! New York: 2026-03-08 02:00 EST → 03:00 EDT (07:00 UTC); 2026-11-01 02:00 EDT → 01:00 EST (06:00 UTC).
//! Berlin: 2026-03-29 02:00 CET → 03:00 CEST (01:00 UTC); 2026-10-25 03:00 CEST → 02:00 CET (01:00 UTC).
//! Sydney: 2026-04-05 03:00 AEDT → 02:00 AEST (16:00 UTC the day before);
//!         2026-10-04 02:00 AEST → 03:00 AEDT (16:00 UTC the day before).

use chrono::{Duration, NaiveDate};
use chrono_tz::America::{New_York, Phoenix};
use chrono_tz::Australia::{Lord_Howe, Sydney};
use chrono_tz::Europe::Berlin;
use chrono_tz::Tz;
use voxdial::domain::dialing::profiles::us_profile;
use voxdial::domain::dialing::schedule::{in_windows, next_in_windows};
use voxdial::domain::dialing::{CallingRules, ClosedReason, Verdict, local_day_bounds, next_open, verdict};

use crate::{utc, windows};

fn date(text: &str) -> NaiveDate {
    text.parse().expect("test date")
}

fn day_length(zone: Tz, day: &str) -> Duration {
    let (start, end) = local_day_bounds(zone, date(day));
    end - start
}

#[test]
fn r_dial_rules_local_days_last_23_or_25_hours_on_dst_days() {
    let cases = [
        (New_York, "2026-03-08", 23 * 60),
        (New_York, "2026-11-01", 25 * 60),
        (New_York, "2026-06-01", 24 * 60),
        (Berlin, "2026-03-29", 23 * 60),
        (Berlin, "2026-10-25", 25 * 60),
        (Sydney, "2026-04-05", 25 * 60),
        (Sydney, "2026-10-04", 23 * 60),
        // Lord Howe Island shifts by half an hour.
        (Lord_Howe, "2026-04-05", 24 * 60 + 30),
        (Lord_Howe, "2026-10-04", 23 * 60 + 30),
        // Arizona keeps standard time while New York changes.
        (Phoenix, "2026-03-08", 24 * 60),
    ];
    for (zone, day, minutes) in cases {
        assert_eq!(day_length(zone, day), Duration::minutes(minutes), "{zone} {day}");
    }
    assert_eq!(
        local_day_bounds(New_York, date("2026-03-08")),
        (utc("2026-03-08T05:00:00Z"), utc("2026-03-09T04:00:00Z"))
    );
    assert_eq!(
        local_day_bounds(Sydney, date("2026-04-05")),
        (utc("2026-04-04T13:00:00Z"), utc("2026-04-05T14:00:00Z"))
    );
    // Consecutive days tile the timeline.
    for zone in [New_York, Berlin, Sydney, Lord_Howe] {
        for day in date("2026-01-01").iter_days().take(365) {
            assert_eq!(local_day_bounds(zone, day).1, local_day_bounds(zone, day.succ_opt().expect("date")).0);
        }
    }
}

#[test]
fn r_dial_rules_spring_forward_start_in_the_gap_opens_after_the_gap() {
    // Berlin: 02:30 does not exist on 2026-03-29; the range opens at 03:00 CEST = 01:00 UTC.
    let berlin = windows("Sun 02:30-04:00");
    assert_eq!(next_in_windows(&berlin, Berlin, utc("2026-03-29T00:00:00Z")), Some(utc("2026-03-29T01:00:00Z")));
    assert!(!in_windows(&berlin, Berlin, utc("2026-03-29T00:59:59Z")), "01:59:59 CET");
    assert!(in_windows(&berlin, Berlin, utc("2026-03-29T01:00:00Z")), "03:00 CEST");
    assert!(!in_windows(&berlin, Berlin, utc("2026-03-29T02:00:00Z")), "04:00 CEST");
    // New York: opens at 03:00 EDT = 07:00 UTC.
    let new_york = windows("Sun 02:30-04:00");
    assert_eq!(next_in_windows(&new_york, New_York, utc("2026-03-08T05:00:00Z")), Some(utc("2026-03-08T07:00:00Z")));
    // Sydney: 02:15 does not exist on 2026-10-04; opens at 03:00 AEDT = 16:00 UTC on the 3rd.
    let sydney = windows("Sun 02:15-03:30");
    assert_eq!(next_in_windows(&sydney, Sydney, utc("2026-10-03T15:00:00Z")), Some(utc("2026-10-03T16:00:00Z")));
    assert!(in_windows(&sydney, Sydney, utc("2026-10-03T16:29:59Z")));
    assert!(!in_windows(&sydney, Sydney, utc("2026-10-03T16:30:00Z")));
}

#[test]
fn r_dial_rules_range_wholly_inside_the_gap_is_skipped() {
    let berlin = windows("Sun 02:10-02:50");
    // Next Sunday, 02:10 CEST.
    assert_eq!(next_in_windows(&berlin, Berlin, utc("2026-03-29T00:00:00Z")), Some(utc("2026-04-05T00:10:00Z")));
    let new_york = windows("Sun 02:00-03:00");
    assert_eq!(next_in_windows(&new_york, New_York, utc("2026-03-08T00:00:00Z")), Some(utc("2026-03-15T06:00:00Z")));
    let sydney = windows("Sun 02:00-03:00");
    assert_eq!(next_in_windows(&sydney, Sydney, utc("2026-10-03T14:00:00Z")), Some(utc("2026-10-10T15:00:00Z")));
}

#[test]
fn r_dial_rules_range_across_the_gap_ends_with_it() {
    // 01:00–02:30 on the spring-forward day: 01:00–01:59:59 EST exists, then the clock reads 03:00.
    let w = windows("Sun 01:00-02:30");
    assert_eq!(next_in_windows(&w, New_York, utc("2026-03-08T05:00:00Z")), Some(utc("2026-03-08T06:00:00Z")));
    assert!(in_windows(&w, New_York, utc("2026-03-08T06:59:59Z")));
    assert!(!in_windows(&w, New_York, utc("2026-03-08T07:00:00Z")));
    assert_eq!(next_in_windows(&w, New_York, utc("2026-03-08T07:00:00Z")), Some(utc("2026-03-15T05:00:00Z")));
}

#[test]
fn r_dial_rules_repeated_hour_is_open_on_both_passes() {
    // New York 01:00–01:30 on 2026-11-01: 05:00–05:30 UTC (EDT) and 06:00–06:30 UTC (EST).
    let w = windows("Sun 01:00-01:30");
    let open = |at: &str| in_windows(&w, New_York, utc(at));
    assert!(!open("2026-11-01T04:59:59Z"));
    assert!(open("2026-11-01T05:00:00Z") && open("2026-11-01T05:29:59Z"));
    assert!(!open("2026-11-01T05:30:00Z") && !open("2026-11-01T05:59:59Z"));
    assert!(open("2026-11-01T06:00:00Z") && open("2026-11-01T06:29:59Z"));
    assert!(!open("2026-11-01T06:30:00Z"));
    assert_eq!(next_in_windows(&w, New_York, utc("2026-11-01T04:00:00Z")), Some(utc("2026-11-01T05:00:00Z")));
    assert_eq!(next_in_windows(&w, New_York, utc("2026-11-01T05:30:00Z")), Some(utc("2026-11-01T06:00:00Z")));
    assert_eq!(next_in_windows(&w, New_York, utc("2026-11-01T06:30:00Z")), Some(utc("2026-11-08T06:00:00Z")));

    // Berlin 02:00–02:30 on 2026-10-25: 00:00–00:30 UTC (CEST) and 01:00–01:30 UTC (CET).
    let w = windows("Sun 02:00-02:30");
    assert_eq!(next_in_windows(&w, Berlin, utc("2026-10-24T23:00:00Z")), Some(utc("2026-10-25T00:00:00Z")));
    assert_eq!(next_in_windows(&w, Berlin, utc("2026-10-25T00:30:00Z")), Some(utc("2026-10-25T01:00:00Z")));
    assert!(!in_windows(&w, Berlin, utc("2026-10-25T01:30:00Z")));

    // Sydney 02:00–02:30 on 2026-04-05: 15:00–15:30 UTC (AEDT) and 16:00–16:30 UTC (AEST) on the 4th.
    let w = windows("Sun 02:00-02:30");
    assert_eq!(next_in_windows(&w, Sydney, utc("2026-04-04T14:00:00Z")), Some(utc("2026-04-04T15:00:00Z")));
    assert_eq!(next_in_windows(&w, Sydney, utc("2026-04-04T15:30:00Z")), Some(utc("2026-04-04T16:00:00Z")));
    assert!(in_windows(&w, Sydney, utc("2026-04-04T16:29:59Z")));
}

#[test]
fn r_dial_rules_range_around_the_repeat_stays_open_through_it() {
    // 00:30–01:30: first pass 00:30–01:30 EDT, then the repeated 01:00–01:30 EST.
    let w = windows("Sun 00:30-01:30");
    assert!(in_windows(&w, New_York, utc("2026-11-01T04:30:00Z")));
    assert!(!in_windows(&w, New_York, utc("2026-11-01T05:30:00Z")), "01:30 EDT");
    assert_eq!(next_in_windows(&w, New_York, utc("2026-11-01T05:30:00Z")), Some(utc("2026-11-01T06:00:00Z")));
    // 01:00–03:00 covers the whole repeat: open without a break from 01:00 EDT to 03:00 EST.
    let w = windows("Sun 01:00-03:00");
    for minutes in 0..180 {
        let at = utc("2026-11-01T05:00:00Z") + Duration::minutes(minutes);
        assert!(in_windows(&w, New_York, at), "{at}");
    }
    assert!(!in_windows(&w, New_York, utc("2026-11-01T08:00:00Z")));
}

#[test]
fn r_dial_rules_floor_uses_the_wall_clock_on_dst_days() {
    let campaign = windows("Daily 00:00-24:00");
    let rules = CallingRules { campaign: &campaign, profile: us_profile() };
    let before = ClosedReason::BeforeFloor;
    // Spring forward: 08:00 EDT = 12:00 UTC; 21:00 EDT = 01:00 UTC.
    assert_eq!(
        verdict(&rules, New_York, utc("2026-03-08T11:59:59Z")),
        Verdict::Closed { reason: before, opens_at: Some(utc("2026-03-08T12:00:00Z")) }
    );
    assert_eq!(
        verdict(&rules, New_York, utc("2026-03-08T12:00:00Z")),
        Verdict::Open { closes_at: utc("2026-03-09T01:00:00Z") }
    );
    // Fall back: 08:00 EST = 13:00 UTC; 21:00 EST = 02:00 UTC.
    assert_eq!(next_open(&rules, New_York, utc("2026-11-01T05:30:00Z")), Some(utc("2026-11-01T13:00:00Z")));
    assert_eq!(
        verdict(&rules, New_York, utc("2026-11-01T13:00:00Z")),
        Verdict::Open { closes_at: utc("2026-11-02T02:00:00Z") }
    );
    // Berlin 08:00 CEST = 06:00 UTC; Sydney 08:00 AEST = 22:00 UTC the day before.
    let elsewhere =
        CallingRules { campaign: &campaign, profile: voxdial::domain::dialing::profiles::default_profile() };
    assert_eq!(next_open(&elsewhere, Berlin, utc("2026-03-29T00:00:00Z")), Some(utc("2026-03-29T06:00:00Z")));
    assert_eq!(next_open(&elsewhere, Sydney, utc("2026-04-04T12:00:00Z")), Some(utc("2026-04-04T22:00:00Z")));
    assert_eq!(next_open(&elsewhere, Sydney, utc("2026-10-03T12:00:00Z")), Some(utc("2026-10-03T21:00:00Z")));
}

#[test]
fn r_dial_rules_next_open_crosses_the_transition_night() {
    let campaign = windows("Daily 08:00-21:00");
    let rules = CallingRules { campaign: &campaign, profile: us_profile() };
    // Saturday 22:00 EST → Sunday 08:00 EDT: ten hours on the clock, nine real ones.
    let from = utc("2026-03-08T03:00:00Z");
    assert_eq!(next_open(&rules, New_York, from), Some(utc("2026-03-08T12:00:00Z")));
    // Saturday 22:00 EDT → Sunday 08:00 EST: ten hours on the clock, eleven real ones.
    let from = utc("2026-11-01T02:00:00Z");
    assert_eq!(next_open(&rules, New_York, from), Some(utc("2026-11-01T13:00:00Z")));
}

#[test]
fn r_dial_rules_fall_back_past_midnight_reopens_yesterdays_window() {
    // Until 2011 St. John's fell back at 00:01: on 2010-11-07, 00:01 NDT (02:31 UTC) became
    // 23:01 NST on Saturday, so Saturday's late window came round again after Sunday had begun.
    let zone = chrono_tz::America::St_Johns;
    let late = windows("Sat 23:30-24:00");
    assert!(!in_windows(&late, zone, utc("2010-11-07T02:30:30Z")), "Sunday 00:00:30 NDT");
    assert_eq!(next_in_windows(&late, zone, utc("2010-11-07T02:30:30Z")), Some(utc("2010-11-07T03:00:00Z")));
    assert!(in_windows(&late, zone, utc("2010-11-07T03:29:59Z")), "Saturday 23:59:59 NST");
}

#[test]
fn r_dial_rules_offset_change_inside_the_day_keeps_one_open_span() {
    // Khartoum moved from UTC+2 to UTC+3 at noon on Saturday 2000-01-15: 11:59:59 was followed
    // by 13:00. The floor window 08:00–21:00 stays one span, closing at 21:00 UTC+3.
    let zone = chrono_tz::Africa::Khartoum;
    let campaign = windows("Daily 00:00-24:00");
    let rules = CallingRules { campaign: &campaign, profile: voxdial::domain::dialing::profiles::default_profile() };
    assert_eq!(
        verdict(&rules, zone, utc("2000-01-15T09:00:00Z")),
        Verdict::Open { closes_at: utc("2000-01-15T18:00:00Z") }
    );
    assert_eq!(
        local_day_bounds(zone, date("2000-01-15")).1 - local_day_bounds(zone, date("2000-01-15")).0,
        Duration::hours(23)
    );
}
