use voxdial::domain::dialing::profiles::{FLOOR_SOURCE, all, by_code};
use voxdial::domain::dialing::{FLOOR, WeeklyWindows, profile_for_number};

use crate::profile;

#[test]
fn r_dial_rules_the_floor_is_8_to_21_every_day() {
    assert_eq!((FLOOR.start, FLOOR.end), (8 * 60, 21 * 60));
    assert!(FLOOR_SOURCE.contains("47 CFR § 64.1200(c)(1)"));
}

#[test]
fn r_dial_rules_every_profile_lies_inside_the_floor() {
    let floor = WeeklyWindows::every_day(FLOOR);
    for profile in all() {
        for (day, hours) in profile.hours.iter().enumerate() {
            for &(start, end) in *hours {
                assert!(FLOOR.start <= start && start < end && end <= FLOOR.end, "{} day {day}", profile.code);
            }
            assert!(hours.windows(2).all(|pair| pair[0].1 < pair[1].0), "{} day {day}: sorted", profile.code);
        }
        assert_eq!(profile.windows().intersect(&floor), profile.windows(), "{}", profile.code);
    }
}

#[test]
fn r_dial_rules_every_profile_is_named_and_cites_a_source() {
    assert!(all().len() > 40);
    for profile in all() {
        assert!(!profile.name.is_empty() && !profile.source.is_empty(), "{}", profile.code);
        assert_eq!(by_code(profile.code), Some(profile));
        assert_eq!(by_code(&profile.code.to_lowercase()), Some(profile), "codes match in any case");
    }
    assert_eq!(by_code("XX"), None);
}

#[test]
fn r_dial_rules_state_profiles_hold_the_sourced_hours() {
    let cases = [
        ("US", "Daily 08:00-21:00"),
        ("DEFAULT", "Daily 08:00-21:00"),
        ("US-FL", "Daily 08:00-20:00"),
        ("US-AL", "Mon-Sat 08:00-20:00"),
        ("US-LA", "Mon-Sat 08:00-20:00"),
        ("US-MS", "Mon-Sat 08:00-20:00"),
        ("US-MA", "Daily 08:00-20:00"),
        ("US-WY", "Daily 08:00-20:00"),
        ("US-IN", "Daily 09:00-20:00"),
        ("US-NV", "Daily 09:00-20:00"),
        ("US-UT", "Daily 09:00-20:00"),
        ("US-KY", "Daily 10:00-21:00"),
        ("US-RI", "Mon-Fri 09:00-18:00; Sat 10:00-17:00"),
        ("US-PA", "Mon-Sat 08:00-21:00; Sun 13:30-21:00"),
        ("US-TX", "Mon-Sat 08:00-21:00; Sun 12:00-21:00"),
        ("US-SD", "Mon-Sat 08:00-21:00"),
    ];
    for (code, hours) in cases {
        assert_eq!(profile(code).windows().to_text(), hours, "{code}");
    }
    let state_codes: Vec<&str> = all().iter().map(|p| p.code).filter(|code| code.starts_with("US-")).collect();
    assert_eq!(state_codes.len(), cases.len() - 2, "no state profile beyond the sourced ones: {state_codes:?}");
    assert!(profile("US-FL").source.contains("FTSA"));
    assert!(profile("US-TX").source.contains("VICIdial"));
}

#[test]
fn r_dial_rules_only_florida_caps_calls_per_rolling_day() {
    for profile in all() {
        let expected = if profile.code == "US-FL" { Some(3) } else { None };
        assert_eq!(profile.max_calls_per_24h, expected, "{}", profile.code);
    }
}

#[test]
fn r_dial_rules_country_profiles_are_the_floor_with_the_country_named() {
    for (code, name) in [("GB", "United Kingdom"), ("DE", "Germany"), ("CA", "Canada"), ("JM", "Jamaica")] {
        let country = profile(code);
        assert_eq!(country.name, name);
        assert_eq!(country.windows(), WeeklyWindows::every_day(FLOOR));
        assert_eq!(country.source, "voxdial default floor; no stricter rule known to voxdial");
    }
}

#[test]
fn r_dial_rules_profile_for_number_follows_area_and_calling_codes() {
    let cases = [
        ("+13055550123", "US-FL"), // Miami
        ("+12125550123", "US"),    // New York: no stricter state profile
        ("+14165550123", "CA"),    // Toronto
        ("+12055550123", "US-AL"),
        ("+14015550123", "US-RI"),
        ("+17135550123", "US-TX"),
        ("+12155550123", "US-PA"),
        ("+16055550123", "US-SD"),
        ("+18015550123", "US-UT"),
        ("+15025550123", "US-KY"),
        ("+16175550123", "US-MA"),
        ("+12025550123", "US"), // Washington D.C.
        ("+18765550123", "JM"),
        ("+17875550123", "PR"),
        ("+18095550123", "DO"),
        ("+442079460958", "GB"),
        ("+4930901820", "DE"),
        ("+33142685300", "FR"),
        ("+35312345678", "IE"),
        ("+351211234567", "PT"),
        ("+971501234567", "AE"),
        ("+61291234567", "AU"),
        ("+18005550123", "DEFAULT"), // toll-free: no place
        ("+5255123456", "MX"),
        ("+99912345678", "DEFAULT"),   // unassigned calling code
        ("+8613800138000", "DEFAULT"), // China: not in the small table
        ("13055550123", "DEFAULT"),    // not E.164
        ("+1305abc0123", "DEFAULT"),
        ("+1", "DEFAULT"),
        ("+", "DEFAULT"),
        ("", "DEFAULT"),
    ];
    for (number, code) in cases {
        assert_eq!(profile_for_number(number).code, code, "{number}");
    }
}
