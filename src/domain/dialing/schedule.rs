//! The core decision: may a lead be called at an instant, and if not, from when.
//!
//! Windows are wall-clock times in the lead's zone, and an instant is inside them when the
//! lead's wall clock reads a time inside them. That settles the daylight-saving days:
//! - spring forward: wall times in the gap never occur, so a range starting in the gap opens at
//!   the first instant after it (Berlin 2026-03-29: 02:30 opens at 03:00 CEST = 01:00 UTC), and a
//!   range wholly inside the gap does not open that day;
//! - fall back: repeated wall times occur twice, and a range holding them is open both times
//!   (01:00–01:30 on New York's 2026-11-01 is open 05:00–05:30 and 06:00–06:30 UTC).
//!
//! The legal floor is wall-clock time too: 08:00 to 21:00 as the lead's clock reads.

use chrono::{
    DateTime, Datelike, Days, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;

use super::profiles::{FLOOR, Profile};
use super::windows::{Clock, DAY_END, LocalRange, WeeklyWindows};

/// How many local days after today [`next_open`] looks ahead.
pub const SEARCH_DAYS: u64 = 14;

/// The rolling window of caps such as Florida's 3 calls per 24 hours.
const ROLLING_WINDOW: Duration = Duration::hours(24);

/// What limits calls to one lead: the campaign's own windows and the region's profile. The
/// allowed local windows are campaign ∩ profile ∩ [`FLOOR`], so neither can loosen the others.
#[derive(Debug, Clone, Copy)]
pub struct CallingRules<'a> {
    pub campaign: &'a WeeklyWindows,
    pub profile: &'a Profile,
}

impl CallingRules<'_> {
    /// The local windows in which the lead may be called.
    pub fn effective_windows(&self) -> WeeklyWindows {
        self.campaign.intersect(&self.profile.windows()).intersect(&WeeklyWindows::every_day(FLOOR))
    }
}

/// Why a lead may not be called now. When several apply, the first in this order is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedReason {
    /// Before 08:00 on the lead's clock.
    BeforeFloor,
    /// 21:00 or later on the lead's clock.
    AfterFloor,
    /// Outside the regional profile's hours (e.g. Sunday in Alabama); holds the profile's name.
    ProfileClosed { profile: &'static str },
    /// Outside the campaign's own windows.
    CampaignClosed,
}

impl ClosedReason {
    /// A sentence fragment for people: "before 08:00 in the lead's time (legal floor)".
    pub fn describe(&self) -> String {
        match self {
            ClosedReason::BeforeFloor => format!("before {} in the lead's time (legal floor)", Clock(FLOOR.start)),
            ClosedReason::AfterFloor => format!("{} or later in the lead's time (legal floor)", Clock(FLOOR.end)),
            ClosedReason::ProfileClosed { profile } => {
                format!("outside the calling hours for {profile} (regional rule)")
            }
            ClosedReason::CampaignClosed => "outside the campaign's calling windows".to_string(),
        }
    }
}

/// The answer for one lead at one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Calling is allowed until `closes_at` (exclusive).
    Open { closes_at: DateTime<Utc> },
    /// Calling is not allowed; it next is at `opens_at`, or not within [`SEARCH_DAYS`] days.
    Closed { reason: ClosedReason, opens_at: Option<DateTime<Utc>> },
}

impl Verdict {
    pub fn is_open(&self) -> bool {
        matches!(self, Verdict::Open { .. })
    }

    /// `open until …` or `closed: (reason); opens …`, with instants in UTC.
    pub fn describe(&self) -> String {
        let utc = |at: &DateTime<Utc>| at.format("%Y-%m-%d %H:%M:%S UTC").to_string();
        match self {
            Verdict::Open { closes_at } => format!("open until {}", utc(closes_at)),
            Verdict::Closed { reason, opens_at: Some(opens_at) } => {
                format!("closed: {}; opens {}", reason.describe(), utc(opens_at))
            }
            Verdict::Closed { reason, opens_at: None } => {
                format!("closed: {}; no opening in the next {SEARCH_DAYS} days", reason.describe())
            }
        }
    }
}

/// Whether the lead in `zone` may be called at `at`, and until or from when.
pub fn verdict(rules: &CallingRules<'_>, zone: Tz, at: DateTime<Utc>) -> Verdict {
    let wall = at.with_timezone(&zone).naive_local();
    let (day, minute) = (wall.weekday(), minute_of_day(wall));
    let reason = if minute < FLOOR.start {
        Some(ClosedReason::BeforeFloor)
    } else if minute >= FLOOR.end {
        Some(ClosedReason::AfterFloor)
    } else if !rules.profile.windows().contains(day, minute) {
        Some(ClosedReason::ProfileClosed { profile: rules.profile.name })
    } else if !rules.campaign.contains(day, minute) {
        Some(ClosedReason::CampaignClosed)
    } else {
        None
    };
    let effective = rules.effective_windows();
    match reason {
        None => Verdict::Open { closes_at: closes_at(&effective, zone, at) },
        Some(reason) => Verdict::Closed { reason, opens_at: next_in_windows(&effective, zone, at) },
    }
}

/// The earliest instant ≥ `from` at which the lead may be called, looking up to [`SEARCH_DAYS`]
/// local days ahead; `None` when the windows allow nothing in that time.
pub fn next_open(rules: &CallingRules<'_>, zone: Tz, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    next_in_windows(&rules.effective_windows(), zone, from)
}

/// The earliest instant ≥ `from` inside the lead's windows and under the profile's rolling cap,
/// given the calls already placed to the number before `from`.
pub fn next_dial_time(
    rules: &CallingRules<'_>,
    zone: Tz,
    earlier_calls: &[DateTime<Utc>],
    from: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    // The cap only loosens as earlier calls age, so once free it stays free.
    let free = rolling_cap_next_free(rules.profile, earlier_calls, from)?;
    next_open(rules, zone, free)
}

/// Whether the wall-clock time at `at` in `zone` is inside `windows`. Applies neither the floor
/// nor a profile: dialing decisions go through [`verdict`] and [`next_open`].
pub fn in_windows(windows: &WeeklyWindows, zone: Tz, at: DateTime<Utc>) -> bool {
    let wall = at.with_timezone(&zone).naive_local();
    windows.contains(wall.weekday(), minute_of_day(wall))
}

/// The earliest instant ≥ `from` whose wall-clock time in `zone` is inside `windows`, up to
/// [`SEARCH_DAYS`] local days ahead. Like [`in_windows`], it applies neither floor nor profile.
pub fn next_in_windows(windows: &WeeklyWindows, zone: Tz, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if windows.is_empty() {
        return None;
    }
    let today = local_date(zone, from);
    // Yesterday too: after a fall-back across midnight a later instant can read as yesterday.
    let near = (today.pred_opt()?, today.succ_opt()?);
    let far = (today.checked_add_days(Days::new(2))?, today.checked_add_days(Days::new(SEARCH_DAYS))?);
    let from = from.naive_utc();
    [near, far].into_iter().find_map(|(first, last)| {
        let spans = spans(windows, zone, first, last);
        spans.into_iter().find(|&(_, end)| end > from).map(|(start, _)| start.max(from).and_utc())
    })
}

/// The lead's calendar date at `at`, for caps per local day.
pub fn local_date(zone: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&zone).date_naive()
}

/// The instants `[start, end)` of the local calendar day `date`: from its first instant to the
/// first instant of the next day, so 23 or 25 hours on daylight-saving days.
pub fn local_day_bounds(zone: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let end = date.succ_opt().map_or(DateTime::<Utc>::MAX_UTC, |next| first_instant(zone, next));
    (first_instant(zone, date), end)
}

/// Whether the profile's rolling cap allows one more call at `at`. A call counts while it is
/// less than 24 hours old; calls after `at` are ignored. Profiles without a cap always allow.
pub fn rolling_cap_allows(profile: &Profile, earlier_calls: &[DateTime<Utc>], at: DateTime<Utc>) -> bool {
    rolling_cap_next_free(profile, earlier_calls, at) == Some(at)
}

/// The earliest instant ≥ `at` at which the rolling cap allows a call: `at` itself when it
/// already does, else when enough of the counted calls have left the 24-hour window (the oldest
/// one, when exactly the cap was reached). `None` only for a cap of zero.
pub fn rolling_cap_next_free(
    profile: &Profile,
    earlier_calls: &[DateTime<Utc>],
    at: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let Some(cap) = profile.max_calls_per_24h.map(|cap| cap as usize) else {
        return Some(at);
    };
    let mut counted: Vec<DateTime<Utc>> =
        earlier_calls.iter().copied().filter(|&call| call <= at && at - call < ROLLING_WINDOW).collect();
    if counted.len() < cap {
        return Some(at);
    }
    if cap == 0 {
        return None;
    }
    counted.sort_unstable();
    // Leaving `cap - 1` calls in the window means the (len - cap + 1) oldest must age out.
    Some(counted[counted.len() - cap] + ROLLING_WINDOW)
}

fn minute_of_day(wall: NaiveDateTime) -> u16 {
    // At most 23 * 60 + 59, which fits.
    (wall.hour() * 60 + wall.minute()) as u16
}

/// When the open span containing `at` ends. Looks at the lead's yesterday, today and tomorrow,
/// which always suffices under the floor (it keeps windows away from midnight).
fn closes_at(windows: &WeeklyWindows, zone: Tz, at: DateTime<Utc>) -> DateTime<Utc> {
    let today = local_date(zone, at);
    let (first, last) = (today.pred_opt().unwrap_or(today), today.succ_opt().unwrap_or(today));
    let at = at.naive_utc();
    let containing = spans(windows, zone, first, last).into_iter().find(|&(start, end)| start <= at && at < end);
    // Without a containing span (impossible unless a zone changed offset twice within an hour)
    // the answer is "now", the safe side.
    containing.map_or(at, |(_, end)| end).and_utc()
}

/// The first instant whose wall-clock date is `date` or later.
fn first_instant(zone: Tz, date: NaiveDate) -> DateTime<Utc> {
    let whole_day = WeeklyWindows::every_day(LocalRange { start: 0, end: DAY_END });
    let first = date.succ_opt().and_then(|next| spans(&whole_day, zone, date, next).first().map(|&(start, _)| start));
    // Only at the edge of chrono's calendar is there no span; midnight read as UTC will do there.
    first.unwrap_or_else(|| date.and_time(NaiveTime::MIN)).and_utc()
}

/// A stretch of UTC time over which the zone's offset is constant: wall time = UTC + `offset`.
/// Instants are naive UTC inside this module and become `DateTime<Utc>` at its edges.
struct Segment {
    start: NaiveDateTime,
    end: NaiveDateTime,
    offset: Duration,
}

fn offset_at(zone: Tz, utc: NaiveDateTime) -> Duration {
    Duration::seconds(i64::from(zone.offset_from_utc_datetime(&utc).fix().local_minus_utc()))
}

/// The zone's constant-offset segments covering `[from, to)`. The offset is sampled hourly and
/// each change narrowed to the second; no zone changes its offset twice within an hour.
fn segments(zone: Tz, from: NaiveDateTime, to: NaiveDateTime) -> Vec<Segment> {
    let mut segments = Vec::new();
    let (mut start, mut offset, mut probe) = (from, offset_at(zone, from), from);
    while probe < to {
        let next = (probe + Duration::hours(1)).min(to);
        let next_offset = offset_at(zone, next);
        if next_offset != offset {
            let (mut before, mut after) = (probe, next);
            while after - before > Duration::seconds(1) {
                let middle = before + Duration::seconds((after - before).num_seconds() / 2);
                if offset_at(zone, middle) == offset {
                    before = middle;
                } else {
                    after = middle;
                }
            }
            segments.push(Segment { start, end: after, offset });
            (start, offset) = (after, next_offset);
        }
        probe = next;
    }
    segments.push(Segment { start, end: to, offset });
    segments
}

/// The UTC spans, half-open, sorted and merged, whose wall-clock time in `zone` lies in
/// `windows` on the local dates `first..=last`. Each range of each date is cut against each
/// constant-offset segment, which yields the DST behaviour described at the top of this module.
fn spans(windows: &WeeklyWindows, zone: Tz, first: NaiveDate, last: NaiveDate) -> Vec<(NaiveDateTime, NaiveDateTime)> {
    let midnight = |date: NaiveDate| date.and_time(NaiveTime::MIN);
    // UTC offsets lie within −12 h and +14 h, so the instants showing these dates lie within
    // this margin of their midnights.
    let margin = Duration::hours(18);
    let timeline = segments(zone, midnight(first) - margin, midnight(last) + Duration::days(1) + margin);
    let mut spans = Vec::new();
    for date in first.iter_days().take_while(|date| *date <= last) {
        for range in windows.ranges(date.weekday()) {
            let wall_start = midnight(date) + Duration::minutes(i64::from(range.start));
            let wall_end = midnight(date) + Duration::minutes(i64::from(range.end));
            for segment in &timeline {
                let start = (wall_start - segment.offset).max(segment.start);
                let end = (wall_end - segment.offset).min(segment.end);
                if start < end {
                    spans.push((start, end));
                }
            }
        }
    }
    spans.sort_unstable();
    let mut merged: Vec<(NaiveDateTime, NaiveDateTime)> = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match merged.last_mut() {
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    merged
}
