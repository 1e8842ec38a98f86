//! Property-style checks over many pseudo-random instants, zones, profiles and windows, against
//! an oracle that reads the lead's wall clock directly. Plain loops and a fixed-seed generator,
//! so failures reproduce.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use chrono_tz::Tz;
use voxdial::domain::dialing::profiles::all;
use voxdial::domain::dialing::schedule::{in_windows, next_in_windows};
use voxdial::domain::dialing::{
    CallingRules, ClosedReason, FLOOR, LocalRange, Verdict, WeeklyWindows, next_open, verdict,
};

use crate::{utc, windows};

/// Includes half-hour DST (Lord Howe), a midnight transition that turns the date back
/// (Santiago), no DST (Phoenix, Kolkata) and extreme offsets (Kiritimati, Pago Pago).
const ZONES: [Tz; 12] = [
    chrono_tz::America::New_York,
    chrono_tz::America::Los_Angeles,
    chrono_tz::America::Phoenix,
    chrono_tz::America::St_Johns,
    chrono_tz::America::Santiago,
    chrono_tz::Europe::Berlin,
    chrono_tz::Europe::London,
    chrono_tz::Australia::Sydney,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Pacific::Kiritimati,
    chrono_tz::Pacific::Pago_Pago,
];

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// An instant in 2026, half of them within two days of a DST change somewhere.
    fn instant(&mut self) -> DateTime<Utc> {
        // United States, European Union, Australia, Chile.
        let transitions = [
            "2026-03-08T07:00:00Z",
            "2026-11-01T06:00:00Z",
            "2026-03-29T01:00:00Z",
            "2026-10-25T01:00:00Z",
            "2026-04-04T16:00:00Z",
            "2026-10-03T16:00:00Z",
            "2026-04-05T03:00:00Z",
            "2026-09-06T04:00:00Z",
        ];
        if self.below(2) == 0 {
            utc("2026-01-01T00:00:00Z") + Duration::seconds(self.below(365 * 86_400) as i64)
        } else {
            let &near = self.pick(&transitions);
            let near = utc(near);
            near + Duration::seconds(self.below(4 * 86_400) as i64 - 2 * 86_400)
        }
    }

    /// Up to three ranges a day with arbitrary minute boundaries, often in the small hours.
    fn windows(&mut self) -> WeeklyWindows {
        let days = std::array::from_fn(|_| {
            (0..self.below(4))
                .map(|_| {
                    let start = if self.below(2) == 0 { self.below(240) } else { self.below(1439) } as u16;
                    LocalRange { start, end: start + 1 + self.below(u64::from(1440 - start).min(300)) as u16 }
                })
                .collect()
        });
        WeeklyWindows::from_days(days)
    }
}

/// The oracle: is the lead's wall-clock time inside `windows`?
fn wall_open(windows: &WeeklyWindows, zone: Tz, at: DateTime<Utc>) -> bool {
    let wall = at.with_timezone(&zone);
    windows.contains(wall.weekday(), (wall.hour() * 60 + wall.minute()) as u16)
}

/// No instant in `[from, until)` is open: every minute near both ends, every 7 minutes between.
fn assert_closed_between(windows: &WeeklyWindows, zone: Tz, from: DateTime<Utc>, until: DateTime<Utc>) {
    let mut at = from;
    while at < until {
        assert!(!wall_open(windows, zone, at), "{zone}: open at {at}, between {from} and {until}");
        let near_end = until - at < Duration::hours(3);
        let near_start = at - from < Duration::hours(3);
        at += if near_start || near_end { Duration::minutes(1) } else { Duration::minutes(7) };
    }
    if until > from {
        assert!(!wall_open(windows, zone, until - Duration::seconds(1)), "{zone}: open just before {until}");
    }
}

fn check_next(windows: &WeeklyWindows, zone: Tz, from: DateTime<Utc>, next: Option<DateTime<Utc>>) {
    match next {
        Some(next) => {
            assert!(next >= from, "{zone}: next {next} before {from}");
            assert!(wall_open(windows, zone, next), "{zone}: next {next} from {from} is not open");
            assert_closed_between(windows, zone, from, next);
        }
        None => assert_closed_between(windows, zone, from, from + Duration::days(14)),
    }
}

#[test]
fn r_dial_rules_verdict_agrees_with_the_wall_clock_everywhere() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let campaigns = [
        WeeklyWindows::business_default(),
        windows("Daily 00:00-24:00"),
        windows("Mon-Fri 08:00-08:01, 12:00-12:30, 20:59-21:00; Sun 13:00-21:00"),
        windows("Sat-Sun 00:30-03:15, 23:00-24:00; Wed 01:00-02:30, 07:59-08:02"),
        windows(""),
    ];
    let floor = WeeklyWindows::every_day(FLOOR);
    for _ in 0..1500 {
        let (zone, campaign, profile) = (*rng.pick(&ZONES), rng.pick(&campaigns), rng.pick(all()));
        let campaign = if rng.below(4) == 0 { &rng.windows() } else { campaign };
        let rules = CallingRules { campaign, profile };
        let effective = campaign.intersect(&profile.windows()).intersect(&floor);
        let at = rng.instant();
        let wall = at.with_timezone(&zone);
        let minute = (wall.hour() * 60 + wall.minute()) as u16;
        match verdict(&rules, zone, at) {
            Verdict::Open { closes_at } => {
                assert!(wall_open(&effective, zone, at), "{zone} {at}: open outside the windows");
                assert!(closes_at > at);
                let mut open = at;
                while open < closes_at {
                    assert!(wall_open(&effective, zone, open), "{zone}: closed at {open} before {closes_at}");
                    open += Duration::minutes(1);
                }
                assert!(wall_open(&effective, zone, closes_at - Duration::seconds(1)));
                assert!(!wall_open(&effective, zone, closes_at), "{zone}: still open at {closes_at}");
            }
            Verdict::Closed { reason, opens_at } => {
                assert!(!wall_open(&effective, zone, at), "{zone} {at}: closed inside the windows");
                let expected_floor = match minute {
                    m if m < FLOOR.start => Some(ClosedReason::BeforeFloor),
                    m if m >= FLOOR.end => Some(ClosedReason::AfterFloor),
                    _ => None,
                };
                match expected_floor {
                    Some(expected) => assert_eq!(reason, expected, "{zone} {at}"),
                    None => assert!(!matches!(reason, ClosedReason::BeforeFloor | ClosedReason::AfterFloor)),
                }
                assert_eq!(opens_at, next_open(&rules, zone, at));
                if let Some(opens_at) = opens_at {
                    assert!(verdict(&rules, zone, opens_at).is_open(), "{zone}: not open at {opens_at}");
                }
                check_next(&effective, zone, at, opens_at);
            }
        }
    }
}

#[test]
fn r_dial_rules_next_open_is_exact_across_dst_for_any_windows() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..1500 {
        let (zone, windows, from) = (*rng.pick(&ZONES), rng.windows(), rng.instant());
        assert_eq!(in_windows(&windows, zone, from), wall_open(&windows, zone, from));
        let next = next_in_windows(&windows, zone, from);
        if windows.is_empty() {
            assert_eq!(next, None);
            continue;
        }
        check_next(&windows, zone, from, next);
        if let Some(next) = next {
            assert_eq!(next_in_windows(&windows, zone, next), Some(next), "an open instant is its own next");
        }
    }
}
