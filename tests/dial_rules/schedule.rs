use chrono::{Duration, NaiveDate};
use chrono_tz::America::{Chicago, Los_Angeles, New_York};
use chrono_tz::Australia::Sydney;
use chrono_tz::Europe::Berlin;
use voxdial::domain::dialing::profiles::{default_profile, us_profile};
use voxdial::domain::dialing::{
    CallingRules, ClosedReason, FLOOR, Profile, Verdict, WeeklyWindows, local_date, local_day_bounds, next_dial_time,
    next_open, profile_for_number, rolling_cap_allows, rolling_cap_next_free, verdict,
};

use crate::{local, profile, utc, windows};

fn open_until(closes_at: chrono::DateTime<chrono::Utc>) -> Verdict {
    Verdict::Open { closes_at }
}

fn closed(reason: ClosedReason, opens_at: chrono::DateTime<chrono::Utc>) -> Verdict {
    Verdict::Closed { reason, opens_at: Some(opens_at) }
}

#[test]
fn r_dial_rules_floor_boundaries_are_exact() {
    let campaign = windows("Daily 00:00-24:00");
    let rules = CallingRules { campaign: &campaign, profile: us_profile() };
    let at = |wall: &str| local(New_York, wall);
    assert_eq!(
        verdict(&rules, New_York, at("2026-06-01 07:59:59")),
        closed(ClosedReason::BeforeFloor, at("2026-06-01 08:00:00"))
    );
    assert_eq!(verdict(&rules, New_York, at("2026-06-01 08:00:00")), open_until(at("2026-06-01 21:00:00")));
    assert_eq!(verdict(&rules, New_York, at("2026-06-01 20:59:59")), open_until(at("2026-06-01 21:00:00")));
    assert_eq!(
        verdict(&rules, New_York, at("2026-06-01 21:00:00")),
        closed(ClosedReason::AfterFloor, at("2026-06-02 08:00:00"))
    );
    assert_eq!(next_open(&rules, New_York, at("2026-06-01 07:59:59")), Some(at("2026-06-01 08:00:00")));
    assert_eq!(next_open(&rules, New_York, at("2026-06-01 12:34:56")), Some(at("2026-06-01 12:34:56")));
}

#[test]
fn r_dial_rules_no_setting_can_break_the_floor() {
    let campaign = windows("Daily 06:00-23:00");
    // Even a hand-built profile allowing the whole day cannot widen the floor.
    let lax = Profile { code: "LAX", name: "Lax", hours: [&[(0, 1440)]; 7], max_calls_per_24h: None, source: "test" };
    for profile in [us_profile(), default_profile(), &lax] {
        let rules = CallingRules { campaign: &campaign, profile };
        assert_eq!(rules.effective_windows(), WeeklyWindows::every_day(FLOOR), "{}", profile.code);
        let at = |wall: &str| local(Chicago, wall);
        assert_eq!(
            verdict(&rules, Chicago, at("2026-06-01 06:30:00")),
            closed(ClosedReason::BeforeFloor, at("2026-06-01 08:00:00"))
        );
        assert_eq!(verdict(&rules, Chicago, at("2026-06-01 08:00:00")), open_until(at("2026-06-01 21:00:00")));
        assert_eq!(
            verdict(&rules, Chicago, at("2026-06-01 22:00:00")),
            closed(ClosedReason::AfterFloor, at("2026-06-02 08:00:00"))
        );
    }
}

#[test]
fn r_dial_rules_closed_reasons_follow_floor_then_profile_then_campaign() {
    let alabama = profile("US-AL");
    let weekdays = windows("Mon-Fri 09:00-17:00");
    let at = |wall: &str| local(Chicago, wall);
    let rules = CallingRules { campaign: &weekdays, profile: alabama };
    let reason = |wall: &str| match verdict(&rules, Chicago, at(wall)) {
        Verdict::Closed { reason, .. } => Some(reason),
        Verdict::Open { .. } => None,
    };
    // 2026-06-07 is a Sunday: floor, profile and campaign all say no; the floor is named first.
    assert_eq!(reason("2026-06-07 07:00:00"), Some(ClosedReason::BeforeFloor));
    assert_eq!(reason("2026-06-07 21:30:00"), Some(ClosedReason::AfterFloor));
    assert_eq!(reason("2026-06-07 10:00:00"), Some(ClosedReason::ProfileClosed { profile: "Alabama" }));
    // Monday 18:00: the profile allows until 20:00, the campaign only until 17:00.
    assert_eq!(reason("2026-06-08 18:00:00"), Some(ClosedReason::CampaignClosed));
    assert_eq!(reason("2026-06-08 20:30:00"), Some(ClosedReason::ProfileClosed { profile: "Alabama" }));
    assert_eq!(reason("2026-06-08 09:00:00"), None);
}

#[test]
fn r_dial_rules_verdicts_describe_themselves_in_words() {
    assert_eq!(ClosedReason::BeforeFloor.describe(), "before 08:00 in the lead's time (legal floor)");
    assert_eq!(ClosedReason::AfterFloor.describe(), "21:00 or later in the lead's time (legal floor)");
    assert_eq!(
        ClosedReason::ProfileClosed { profile: "Alabama" }.describe(),
        "outside the calling hours for Alabama (regional rule)"
    );
    assert_eq!(ClosedReason::CampaignClosed.describe(), "outside the campaign's calling windows");
    let campaign = WeeklyWindows::business_default();
    let rules = CallingRules { campaign: &campaign, profile: us_profile() };
    assert_eq!(
        verdict(&rules, New_York, utc("2026-06-01T11:00:00Z")).describe(),
        "closed: before 08:00 in the lead's time (legal floor); opens 2026-06-01 13:00:00 UTC"
    );
    assert_eq!(verdict(&rules, New_York, utc("2026-06-01T14:00:00Z")).describe(), "open until 2026-06-02 00:00:00 UTC");
    let never = WeeklyWindows::default();
    let rules = CallingRules { campaign: &never, profile: us_profile() };
    assert_eq!(
        verdict(&rules, New_York, utc("2026-06-01T14:00:00Z")).describe(),
        "closed: outside the campaign's calling windows; no opening in the next 14 days"
    );
}

#[test]
fn r_dial_rules_empty_campaign_windows_never_open() {
    let never = windows("");
    let rules = CallingRules { campaign: &never, profile: us_profile() };
    let at = utc("2026-06-01T15:00:00Z");
    assert_eq!(verdict(&rules, New_York, at), Verdict::Closed { reason: ClosedReason::CampaignClosed, opens_at: None });
    assert_eq!(next_open(&rules, New_York, at), None);
    // A window that exists only outside the floor is as good as none.
    let night = windows("Daily 22:00-24:00");
    assert_eq!(next_open(&CallingRules { campaign: &night, profile: us_profile() }, New_York, at), None);
}

#[test]
fn r_dial_rules_leads_in_several_zones_are_judged_at_one_instant() {
    let campaign = WeeklyWindows::business_default();
    let at = utc("2026-06-01T14:00:00Z"); // a Monday
    let us = CallingRules { campaign: &campaign, profile: us_profile() };
    let elsewhere = CallingRules { campaign: &campaign, profile: default_profile() };
    // New York 10:00: open until the campaign's 20:00 EDT.
    assert_eq!(verdict(&us, New_York, at), open_until(utc("2026-06-02T00:00:00Z")));
    // Los Angeles 07:00: before the floor, opens at the campaign's 09:00 PDT.
    assert_eq!(verdict(&us, Los_Angeles, at), closed(ClosedReason::BeforeFloor, utc("2026-06-01T16:00:00Z")));
    // Berlin 16:00: open until 20:00 CEST.
    assert_eq!(verdict(&elsewhere, Berlin, at), open_until(utc("2026-06-01T18:00:00Z")));
    // Sydney: already Tuesday 00:00; opens Tuesday 09:00 AEST.
    assert_eq!(verdict(&elsewhere, Sydney, at), closed(ClosedReason::BeforeFloor, utc("2026-06-01T23:00:00Z")));
}

#[test]
fn r_dial_rules_per_day_caps_follow_the_leads_local_midnight() {
    let at = utc("2026-06-02T03:00:00Z"); // 20:00 on June 1 in Los Angeles
    assert_eq!(at.date_naive(), NaiveDate::from_ymd_opt(2026, 6, 2).expect("date"));
    let june_1 = NaiveDate::from_ymd_opt(2026, 6, 1).expect("date");
    assert_eq!(local_date(Los_Angeles, at), june_1);
    let (start, end) = local_day_bounds(Los_Angeles, june_1);
    assert_eq!((start, end), (utc("2026-06-01T07:00:00Z"), utc("2026-06-02T07:00:00Z")));
    let calls = [utc("2026-06-01T06:59:59Z"), utc("2026-06-01T16:00:00Z"), utc("2026-06-02T02:30:00Z"), at];
    let today: Vec<_> = calls.iter().filter(|&&call| start <= call && call < end).collect();
    assert_eq!(today.len(), 3, "the first call was on May 31 in Los Angeles");
    assert_eq!(local_date(Los_Angeles, utc("2026-06-02T07:00:00Z")), june_1.succ_opt().expect("date"));
}

#[test]
fn r_dial_rules_florida_closes_at_20_and_caps_three_calls_per_rolling_24h() {
    let florida = profile_for_number("+13055550123");
    assert_eq!(florida.code, "US-FL");
    let campaign = windows("Daily 08:00-21:00");
    let rules = CallingRules { campaign: &campaign, profile: florida };
    let at = |wall: &str| local(New_York, wall);
    assert_eq!(verdict(&rules, New_York, at("2026-06-01 19:59:59")), open_until(at("2026-06-01 20:00:00")));
    assert_eq!(
        verdict(&rules, New_York, at("2026-06-01 20:00:00")),
        closed(ClosedReason::ProfileClosed { profile: "Florida" }, at("2026-06-02 08:00:00"))
    );

    let calls = [at("2026-06-01 10:00:00"), at("2026-06-01 12:00:00"), at("2026-06-01 14:00:00")];
    assert!(rolling_cap_allows(florida, &calls[..2], at("2026-06-01 15:00:00")));
    assert!(!rolling_cap_allows(florida, &calls, at("2026-06-01 15:00:00")));
    assert!(!rolling_cap_allows(florida, &calls, at("2026-06-02 09:59:59")));
    assert!(rolling_cap_allows(florida, &calls, at("2026-06-02 10:00:00")), "the oldest call has aged out");
    assert_eq!(rolling_cap_next_free(florida, &calls, at("2026-06-01 15:00:00")), Some(at("2026-06-02 10:00:00")));
    assert_eq!(rolling_cap_next_free(florida, &calls, at("2026-06-02 11:00:00")), Some(at("2026-06-02 11:00:00")));
    // Calls after the instant asked about do not count.
    assert!(rolling_cap_allows(florida, &calls, at("2026-06-01 13:00:00")));
    // Without a cap, any number of calls is allowed.
    let many = [at("2026-06-01 09:00:00"); 10];
    assert!(rolling_cap_allows(us_profile(), &many, at("2026-06-01 10:00:00")));

    // The cap and the window together: free again at 10:00 the next day, inside the window.
    assert_eq!(next_dial_time(&rules, New_York, &calls, at("2026-06-01 15:00:00")), Some(at("2026-06-02 10:00:00")));
    // Free again at 21:30, after Florida's 20:00: the next morning.
    let late = [at("2026-05-31 21:30:00"), at("2026-06-01 10:00:00"), at("2026-06-01 12:00:00")];
    assert_eq!(next_dial_time(&rules, New_York, &late, at("2026-06-01 13:00:00")), Some(at("2026-06-02 08:00:00")));
}

#[test]
fn r_dial_rules_rolling_cap_counts_the_calls_that_must_age_out() {
    let capped = |cap| Profile { max_calls_per_24h: Some(cap), ..*profile("US-FL") };
    let at = utc("2026-06-01T20:00:00Z");
    let calls: Vec<_> = (1..=5).map(|hour| at - Duration::hours(hour)).collect();
    // Five calls against a cap of 3: the window must shed three, so the third oldest decides.
    assert_eq!(rolling_cap_next_free(&capped(3), &calls, at), Some(at - Duration::hours(3) + Duration::hours(24)));
    assert_eq!(rolling_cap_next_free(&capped(5), &calls, at), Some(at - Duration::hours(5) + Duration::hours(24)));
    assert_eq!(rolling_cap_next_free(&capped(6), &calls, at), Some(at));
    assert_eq!(rolling_cap_next_free(&capped(0), &[], at), None, "a cap of zero never frees");
    // A call exactly 24 hours old no longer counts.
    assert!(rolling_cap_allows(&capped(1), &[at - Duration::hours(24)], at));
    assert!(!rolling_cap_allows(&capped(1), &[at - Duration::hours(24) + Duration::seconds(1)], at));
}

#[test]
fn r_dial_rules_alabama_is_closed_all_sunday() {
    let alabama = profile_for_number("+12055550123");
    assert_eq!(alabama.code, "US-AL");
    let campaign = windows("Daily 08:00-21:00");
    let rules = CallingRules { campaign: &campaign, profile: alabama };
    let monday_8 = local(Chicago, "2026-06-08 08:00:00");
    let sunday = local(Chicago, "2026-06-07 00:00:00");
    for quarter in 0..96 {
        let at = sunday + Duration::minutes(15 * quarter);
        let Verdict::Closed { reason, opens_at } = verdict(&rules, Chicago, at) else {
            panic!("open on a Sunday in Alabama at {at}");
        };
        assert_eq!(opens_at, Some(monday_8), "{at}");
        let expected = match quarter {
            0..32 => ClosedReason::BeforeFloor,
            32..84 => ClosedReason::ProfileClosed { profile: "Alabama" },
            _ => ClosedReason::AfterFloor,
        };
        assert_eq!(reason, expected, "{at}");
    }
    assert_eq!(next_open(&rules, Chicago, sunday), Some(monday_8));
    assert_eq!(
        verdict(&rules, Chicago, local(Chicago, "2026-06-06 19:59:59")),
        open_until(local(Chicago, "2026-06-06 20:00:00"))
    );
}

#[test]
fn r_dial_rules_rhode_island_saturday_is_10_to_17() {
    let campaign = windows("Daily 08:00-21:00");
    let rules = CallingRules { campaign: &campaign, profile: profile_for_number("+14015550123") };
    let at = |wall: &str| local(New_York, wall);
    let ri = ClosedReason::ProfileClosed { profile: "Rhode Island" };
    // 2026-06-06 is a Saturday.
    assert_eq!(verdict(&rules, New_York, at("2026-06-06 09:59:59")), closed(ri, at("2026-06-06 10:00:00")));
    assert_eq!(verdict(&rules, New_York, at("2026-06-06 10:00:00")), open_until(at("2026-06-06 17:00:00")));
    assert_eq!(verdict(&rules, New_York, at("2026-06-06 16:59:59")), open_until(at("2026-06-06 17:00:00")));
    // Saturday 17:00 to Monday 09:00: Sunday is closed.
    assert_eq!(verdict(&rules, New_York, at("2026-06-06 17:00:00")), closed(ri, at("2026-06-08 09:00:00")));
    assert_eq!(verdict(&rules, New_York, at("2026-06-08 18:00:00")), closed(ri, at("2026-06-09 09:00:00")));
}

#[test]
fn r_dial_rules_texas_sunday_opens_at_noon() {
    let campaign = windows("Daily 08:00-21:00");
    let texas = profile_for_number("+17135550123");
    let rules = CallingRules { campaign: &campaign, profile: texas };
    let at = |wall: &str| local(Chicago, wall);
    let tx = ClosedReason::ProfileClosed { profile: "Texas" };
    assert_eq!(verdict(&rules, Chicago, at("2026-06-07 08:00:00")), closed(tx, at("2026-06-07 12:00:00")));
    assert_eq!(verdict(&rules, Chicago, at("2026-06-07 11:59:59")), closed(tx, at("2026-06-07 12:00:00")));
    assert_eq!(verdict(&rules, Chicago, at("2026-06-07 12:00:00")), open_until(at("2026-06-07 21:00:00")));
    assert_eq!(verdict(&rules, Chicago, at("2026-06-08 08:00:00")), open_until(at("2026-06-08 21:00:00")));
}

#[test]
fn r_dial_rules_campaign_can_tighten_a_profile_but_never_loosen_it() {
    let ri = profile("US-RI");
    let wide = windows("Daily 07:00-22:00");
    assert_eq!(CallingRules { campaign: &wide, profile: ri }.effective_windows(), ri.windows());
    let narrow = windows("Mon-Fri 10:00-12:00; Sun 10:00-12:00");
    let rules = CallingRules { campaign: &narrow, profile: ri };
    assert_eq!(rules.effective_windows().to_text(), "Mon-Fri 10:00-12:00");
    let sunday_11 = local(New_York, "2026-06-07 11:00:00");
    assert_eq!(
        verdict(&rules, New_York, sunday_11),
        closed(ClosedReason::ProfileClosed { profile: "Rhode Island" }, local(New_York, "2026-06-08 10:00:00"))
    );
    let florida = CallingRules { campaign: &wide, profile: profile("US-FL") };
    assert!(!verdict(&florida, New_York, local(New_York, "2026-06-01 20:30:00")).is_open());
    assert!(verdict(&florida, New_York, local(New_York, "2026-06-01 19:30:00")).is_open());
}
