use chrono::Weekday::{self, Fri, Mon, Sat, Sun, Thu, Tue, Wed};
use voxdial::domain::dialing::{LocalRange, WeeklyWindows};

use crate::windows;

fn r(start: &str, end: &str) -> LocalRange {
    let minutes = |t: &str| {
        let (h, m) = t.split_once(':').expect("HH:MM");
        h.parse::<u16>().expect("hour") * 60 + m.parse::<u16>().expect("minute")
    };
    LocalRange { start: minutes(start), end: minutes(end) }
}

#[test]
fn r_dial_rules_windows_parse_ranges_per_weekday() {
    let w = windows("Mon-Fri 09:00-12:00, 13:30-19:00; Sat 10:00-14:00");
    for day in [Mon, Tue, Wed, Thu, Fri] {
        assert_eq!(w.ranges(day), [r("09:00", "12:00"), r("13:30", "19:00")], "{day}");
    }
    assert_eq!(w.ranges(Sat), [r("10:00", "14:00")]);
    assert!(w.ranges(Sun).is_empty());
    assert!(!w.is_empty());
}

#[test]
fn r_dial_rules_windows_accept_day_names_in_any_case_and_form() {
    let only = |days: &[Weekday]| {
        let mut text = String::new();
        for day in days {
            text.push_str(&format!("{day} 09:00-10:00;"));
        }
        windows(&text)
    };
    let cases: [(&str, &[Weekday]); 14] = [
        ("MON 9-10", &[Mon]),
        ("monday 09:00-10:00", &[Mon]),
        ("Tues 9:00-10", &[Tue]),
        ("weds 09:00-10:00", &[Wed]),
        ("Thurs 09:00-10:00", &[Thu]),
        ("mon-fri 09:00-10:00", &[Mon, Tue, Wed, Thu, Fri]),
        ("SAT-SUN 09:00-10:00", &[Sat, Sun]),
        ("daily 09:00-10:00", &[Mon, Tue, Wed, Thu, Fri, Sat, Sun]),
        ("Every Day 09:00-10:00", &[Mon, Tue, Wed, Thu, Fri, Sat, Sun]),
        ("weekdays 09:00-10:00", &[Mon, Tue, Wed, Thu, Fri]),
        ("Weekends 09:00-10:00", &[Sat, Sun]),
        ("Fri-Mon 09:00-10:00", &[Fri, Sat, Sun, Mon]),
        ("mon, wed Friday 09:00-10:00", &[Mon, Wed, Fri]),
        ("Mon – Wed: 9:00 – 10:00", &[Mon, Tue, Wed]),
    ];
    for (text, days) in cases {
        assert_eq!(windows(text), only(days), "{text}");
    }
}

#[test]
fn r_dial_rules_windows_have_minute_precision() {
    let w = windows("Tue 09:07-09:08");
    assert_eq!(w.ranges(Tue), [LocalRange { start: 547, end: 548 }]);
    assert!(!w.contains(Tue, 546));
    assert!(w.contains(Tue, 547));
    assert!(!w.contains(Tue, 548), "ranges are half-open");
    assert!(!w.contains(Wed, 547));
}

#[test]
fn r_dial_rules_windows_24_00_is_the_end_of_the_day() {
    let w = windows("Sun 22:00-24:00; Mon 0:00-1:00");
    assert_eq!(w.ranges(Sun), [LocalRange { start: 1320, end: 1440 }]);
    assert!(w.contains(Sun, 1439));
    assert_eq!(w.to_text(), "Mon 00:00-01:00; Sun 22:00-24:00");
}

#[test]
fn r_dial_rules_windows_merge_overlapping_and_adjacent_ranges() {
    let w = windows("Mon 09:00-12:00, 11:00-13:00, 13:00-14:00, 16:00-17:00; Mon 08:00-09:00\nmon 16:30-16:45");
    assert_eq!(w.ranges(Mon), [r("08:00", "14:00"), r("16:00", "17:00")]);
    assert_eq!(w.to_text(), "Mon 08:00-14:00, 16:00-17:00");
}

#[test]
fn r_dial_rules_windows_groups_split_on_lines_or_semicolons() {
    assert_eq!(windows("Mon-Fri 09:00-17:00\n  Sat 10:00-14:00\n"), windows("Mon-Fri 09:00-17:00; Sat 10:00-14:00"));
    assert_eq!(windows("Mon 09:00-10:00;;\n;Tue 09:00-10:00"), windows("Mon-Tue 09:00-10:00"));
}

#[test]
fn r_dial_rules_windows_canonical_text_round_trips() {
    let cases = [
        ("Mon-Fri 09:00-12:00, 13:30-19:00; Sat 10:00-14:00", "Mon-Fri 09:00-12:00, 13:30-19:00; Sat 10:00-14:00"),
        ("sat 10-14; mon-fri 13:30-19, 9-12", "Mon-Fri 09:00-12:00, 13:30-19:00; Sat 10:00-14:00"),
        ("every day 8-21", "Daily 08:00-21:00"),
        ("mon,wed,thu,fri 9-12; sun 9-12", "Mon, Wed-Fri, Sun 09:00-12:00"),
        ("Fri-Mon 10:00-11:00; Tue 10:00-11:30", "Mon, Fri-Sun 10:00-11:00; Tue 10:00-11:30"),
        ("Mon 00:00-24:00", "Mon 00:00-24:00"),
        ("", ""),
    ];
    for (input, canonical) in cases {
        let parsed = windows(input);
        assert_eq!(parsed.to_text(), canonical, "{input}");
        assert_eq!(windows(canonical), parsed, "{canonical} reads back");
        assert_eq!(parsed.to_string(), canonical, "Display is the canonical text");
    }
    assert_eq!(WeeklyWindows::business_default().to_text(), "Mon-Fri 09:00-20:00; Sat 10:00-18:00");
}

#[test]
fn r_dial_rules_windows_any_schedule_round_trips_through_text() {
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    for _ in 0..500 {
        let days = std::array::from_fn(|_| {
            (0..next(4))
                .map(|_| {
                    let start = next(1440) as u16;
                    LocalRange { start, end: start + 1 + next(u64::from(1440 - start)) as u16 }
                })
                .collect()
        });
        let w = WeeklyWindows::from_days(days);
        assert_eq!(windows(&w.to_text()), w, "{}", w.to_text());
    }
}

#[test]
fn r_dial_rules_windows_empty_text_means_no_calling() {
    for text in ["", "   ", "\n ; \n"] {
        let w = windows(text);
        assert!(w.is_empty(), "{text:?}");
        assert_eq!(w, WeeklyWindows::default());
    }
    assert!(!WeeklyWindows::business_default().is_empty());
}

#[test]
fn r_dial_rules_windows_errors_name_the_bad_part() {
    let cases = [
        ("Mon 13:70-14:00", "“13:70” is not a time; write it like 09:30 (00:00 to 24:00)"),
        ("Mon 19:00-13:30", "the range 19:00-13:30 ends before it starts"),
        ("Mon-Fri 19-13:30", "the range 19:00-13:30 ends before it starts"),
        ("Mon 09:00-09:00", "the range 09:00-09:00 is empty"),
        (
            "Mnday 09:00-10:00",
            "“Mnday” is not a day; use Mon, Tue, Wed, Thu, Fri, Sat, Sun, a span like Mon-Fri, or daily",
        ),
        ("Mon-Fry 09:00-10:00", "“Mon-Fry” is not a day"),
        ("Sat", "“Sat” has no times; write it like Mon-Fri 09:00-17:00"),
        ("Mon 09:00-10:00; Sun closed", "“Sun closed” has no times"),
        ("09:00-12:00", "“09:00-12:00” has no days; start it with days such as Mon-Fri or daily"),
        ("Mon 09:00", "“09:00” is not a range; write it like 09:00-12:00"),
        ("Mon 09:00 - , 10:00-11:00", "“09:00-” is not a range"),
        ("Mon 9am-5pm", "“9am” is not a time; use the 24-hour clock, e.g. 21:00 for 9pm"),
        ("Mon 12:60-13:00", "“12:60” is not a time"),
        ("Mon 24:30-24:45", "“24:30” is not a time"),
        ("Mon 25-26", "“25” is not a time"),
        ("Mon 9:5-10:00", "“9:5” is not a time"),
        ("Mon 09:00-10:00:00", "“10:00:00” is not a time"),
        ("Mon 0900-1000", "“0900” is not a time"),
        (
            "Mon 09:00-10:00 Tue 10:00-11:00",
            "“Tue” comes after a time; put each group of days on its own line or after a ;",
        ),
    ];
    for (text, message) in cases {
        let error = WeeklyWindows::parse(text).expect_err(text);
        assert!(error.starts_with(message), "{text}: got “{error}”, wanted “{message}”");
    }
}

#[test]
fn r_dial_rules_windows_serialize_as_canonical_text() {
    let w = windows("sat 10-14; mon-fri 9-12");
    let json = serde_json::to_string(&w).expect("serialize");
    assert_eq!(json, r#""Mon-Fri 09:00-12:00; Sat 10:00-14:00""#);
    assert_eq!(serde_json::from_str::<WeeklyWindows>(&json).expect("deserialize"), w);
    let error = serde_json::from_str::<WeeklyWindows>(r#""Mon 13:70-14:00""#).expect_err("bad time");
    assert!(error.to_string().contains("“13:70” is not a time"), "{error}");
    assert_eq!("Mon 9-10".parse::<WeeklyWindows>(), Ok(windows("Mon 09:00-10:00")));
}

#[test]
fn r_dial_rules_windows_intersect_day_by_day() {
    let a = windows("Mon-Fri 09:00-12:00, 13:00-18:00; Sat 10:00-14:00");
    let b = windows("Mon 08:00-09:30, 11:00-13:30; Tue 12:00-13:00; Sat 14:00-15:00; Sun 00:00-24:00");
    assert_eq!(a.intersect(&b).to_text(), "Mon 09:00-09:30, 11:00-12:00, 13:00-13:30");
    assert_eq!(b.intersect(&a), a.intersect(&b));
    assert_eq!(a.intersect(&WeeklyWindows::default()), WeeklyWindows::default());
    assert_eq!(a.intersect(&a), a);
}

#[test]
fn r_dial_rules_local_ranges_are_checked_and_display_as_clock_times() {
    assert_eq!(LocalRange::new(540, 720).map(|range| range.to_string()), Ok("09:00-12:00".to_string()));
    assert_eq!(LocalRange::new(0, 1440).map(|range| range.to_string()), Ok("00:00-24:00".to_string()));
    assert_eq!(LocalRange::new(720, 540), Err("the range 12:00-09:00 ends before it starts".to_string()));
    assert_eq!(LocalRange::new(600, 600), Err("the range 10:00-10:00 is empty".to_string()));
    assert_eq!(LocalRange::new(0, 1441), Err("the range 00:00-24:01 ends after 24:00".to_string()));
    // Ranges built from the public fields are tidied: inverted dropped, ends cut at 24:00.
    let tidy = WeeklyWindows::from_days([
        vec![LocalRange { start: 700, end: 600 }],
        vec![LocalRange { start: 1400, end: 2000 }],
        vec![],
        vec![],
        vec![],
        vec![],
        vec![],
    ]);
    assert_eq!(tidy.to_text(), "Tue 23:20-24:00");
    assert_eq!(WeeklyWindows::every_day(r("08:00", "21:00")).to_text(), "Daily 08:00-21:00");
}
