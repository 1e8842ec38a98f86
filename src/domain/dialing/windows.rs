//! Weekly calling windows in the lead's local wall-clock time, and the short text that
//! sales-ops people type for them (`Mon-Fri 09:00-12:00, 13:30-19:00; Sat 10:00-14:00`).

use std::fmt;
use std::str::FromStr;

use chrono::Weekday;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Minutes in a day, which is also how `24:00` is stored as an end time.
pub const DAY_END: u16 = 24 * 60;

/// The days of the week in the order windows are stored and written, Monday first.
const WEEK: [Weekday; 7] =
    [Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri, Weekday::Sat, Weekday::Sun];

const DAY_NAMES: [(&str, Weekday); 18] = [
    ("mon", Weekday::Mon),
    ("monday", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("tues", Weekday::Tue),
    ("tuesday", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("weds", Weekday::Wed),
    ("wednesday", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("thur", Weekday::Thu),
    ("thurs", Weekday::Thu),
    ("thursday", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("friday", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("saturday", Weekday::Sat),
    ("sun", Weekday::Sun),
    ("sunday", Weekday::Sun),
];

/// A half-open stretch `[start, end)` of a local day in minutes since midnight, so that
/// `09:00-12:00` allows 11:59:59 but not 12:00:00. Valid when `start < end ≤ 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalRange {
    pub start: u16,
    pub end: u16,
}

impl LocalRange {
    /// A checked range; the message names the range as it would be written.
    pub fn new(start: u16, end: u16) -> Result<LocalRange, String> {
        let range = LocalRange { start, end };
        if end > DAY_END {
            Err(format!("the range {range} ends after 24:00"))
        } else if start == end {
            Err(format!("the range {range} is empty"))
        } else if start > end {
            Err(format!("the range {range} ends before it starts"))
        } else {
            Ok(range)
        }
    }

    /// Whether the minute of the day (0–1439) lies in the range.
    pub fn contains(&self, minute: u16) -> bool {
        self.start <= minute && minute < self.end
    }
}

impl fmt::Display for LocalRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", Clock(self.start), Clock(self.end))
    }
}

/// Formats minutes since midnight as `HH:MM`; 1440 is `24:00`.
pub(crate) struct Clock(pub(crate) u16);

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// For each weekday, sorted and disjoint local ranges: overlapping or touching ranges are merged
/// when built, so equal schedules compare equal and print the same text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct WeeklyWindows {
    days: [Vec<LocalRange>; 7],
}

impl WeeklyWindows {
    /// Builds from ranges per day, Monday first. Ends past 24:00 are cut to it and empty or
    /// inverted ranges are dropped, as they allow no minute.
    pub fn from_days(days: [Vec<LocalRange>; 7]) -> WeeklyWindows {
        WeeklyWindows { days: days.map(normalise) }
    }

    /// The same range on all seven days.
    pub fn every_day(range: LocalRange) -> WeeklyWindows {
        WeeklyWindows::from_days(std::array::from_fn(|_| vec![range]))
    }

    /// Mon–Fri 09:00–20:00 and Sat 10:00–18:00: a cautious start for a new campaign, inside every
    /// built-in profile's weekday evening limit and the 9 a.m. start suggested for unknown states.
    pub fn business_default() -> WeeklyWindows {
        let weekday = vec![LocalRange { start: 9 * 60, end: 20 * 60 }];
        let saturday = vec![LocalRange { start: 10 * 60, end: 18 * 60 }];
        let [mon, tue, wed, thu, fri] = std::array::from_fn(|_| weekday.clone());
        WeeklyWindows::from_days([mon, tue, wed, thu, fri, saturday, Vec::new()])
    }

    /// The ranges allowed on `day`, sorted.
    pub fn ranges(&self, day: Weekday) -> &[LocalRange] {
        &self.days[day.num_days_from_monday() as usize]
    }

    /// Whether the minute of the day (0–1439) on `day` is inside a range.
    pub fn contains(&self, day: Weekday, minute: u16) -> bool {
        self.ranges(day).iter().any(|range| range.contains(minute))
    }

    /// True when no minute of the week is allowed.
    pub fn is_empty(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// The minutes allowed by both, day by day.
    pub fn intersect(&self, other: &WeeklyWindows) -> WeeklyWindows {
        let days = std::array::from_fn(|day| {
            let (a, b) = (&self.days[day], &other.days[day]);
            let (mut i, mut j, mut both) = (0, 0, Vec::new());
            while let (Some(x), Some(y)) = (a.get(i), b.get(j)) {
                let (start, end) = (x.start.max(y.start), x.end.min(y.end));
                if start < end {
                    both.push(LocalRange { start, end });
                }
                // Both lists are sorted and disjoint: drop whichever range ends first.
                if x.end < y.end {
                    i += 1;
                } else {
                    j += 1;
                }
            }
            both
        });
        WeeklyWindows::from_days(days)
    }

    /// Reads the text a person types: day groups separated by `;` or new lines, each a set of
    /// days (`Mon-Fri`, `sat, sun`, `weekdays`, `daily`, `every day`…) then ranges separated by
    /// commas (`09:00-12:00, 13:30-19:00`; `9-17` and `24:00` are fine). A day named in several
    /// groups gets all their ranges. Empty text means no calling at all.
    pub fn parse(text: &str) -> Result<WeeklyWindows, String> {
        let mut days: [Vec<LocalRange>; 7] = Default::default();
        for group in text.split([';', '\n']).map(str::trim).filter(|group| !group.is_empty()) {
            let Some(split) = group.find(|c: char| c.is_ascii_digit()) else {
                return Err(format!("“{group}” has no times; write it like Mon-Fri 09:00-17:00"));
            };
            let (day_text, range_text) = group.split_at(split);
            let day_text = day_text.trim().trim_end_matches(':').trim_end();
            if day_text.is_empty() {
                return Err(format!("“{group}” has no days; start it with days such as Mon-Fri or daily"));
            }
            let chosen = parse_days(day_text)?;
            let ranges = tokens(range_text).iter().map(|token| parse_range(token)).collect::<Result<Vec<_>, _>>()?;
            for (day, ranges_of_day) in days.iter_mut().enumerate() {
                if chosen[day] {
                    ranges_of_day.extend(&ranges);
                }
            }
        }
        Ok(WeeklyWindows::from_days(days))
    }

    /// Canonical text that [`WeeklyWindows::parse`] reads back to the same windows: days with
    /// the same ranges are grouped (`Mon-Fri 09:00-12:00, 13:30-19:00; Sat 10:00-14:00`).
    pub fn to_text(&self) -> String {
        let mut groups: Vec<(&[LocalRange], [bool; 7])> = Vec::new();
        for (day, ranges) in self.days.iter().enumerate().filter(|(_, ranges)| !ranges.is_empty()) {
            match groups.iter_mut().find(|(same, _)| *same == ranges.as_slice()) {
                Some((_, chosen)) => chosen[day] = true,
                None => {
                    let mut chosen = [false; 7];
                    chosen[day] = true;
                    groups.push((ranges, chosen));
                }
            }
        }
        let groups = groups.iter().map(|(ranges, chosen)| {
            let ranges: Vec<String> = ranges.iter().map(LocalRange::to_string).collect();
            format!("{} {}", day_set_text(*chosen), ranges.join(", "))
        });
        groups.collect::<Vec<_>>().join("; ")
    }
}

impl fmt::Display for WeeklyWindows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

impl FromStr for WeeklyWindows {
    type Err = String;

    fn from_str(text: &str) -> Result<WeeklyWindows, String> {
        WeeklyWindows::parse(text)
    }
}

/// Stored as its canonical text, so settings files and JSON stay readable and editable.
impl Serialize for WeeklyWindows {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_text())
    }
}

impl<'de> Deserialize<'de> for WeeklyWindows {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<WeeklyWindows, D::Error> {
        let text = String::deserialize(deserializer)?;
        WeeklyWindows::parse(&text).map_err(serde::de::Error::custom)
    }
}

fn normalise(mut ranges: Vec<LocalRange>) -> Vec<LocalRange> {
    for range in &mut ranges {
        range.end = range.end.min(DAY_END);
    }
    ranges.retain(|range| range.start < range.end);
    ranges.sort_unstable();
    let mut merged: Vec<LocalRange> = Vec::with_capacity(ranges.len());
    for range in ranges {
        match merged.last_mut() {
            Some(last) if range.start <= last.end => last.end = last.end.max(range.end),
            _ => merged.push(range),
        }
    }
    merged
}

/// Splits on commas and white space, after turning typographic dashes into `-` and closing up
/// the space around dashes, so `Mon – Fri` and `9:00 - 12:00` read as one token each.
fn tokens(text: &str) -> Vec<String> {
    let text = text.replace(['–', '—'], "-");
    let closed: Vec<&str> = text.split('-').map(str::trim).collect();
    closed.join("-").split([',', ' ', '\t']).filter(|word| !word.is_empty()).map(str::to_string).collect()
}

fn parse_days(text: &str) -> Result<[bool; 7], String> {
    let mut chosen = [false; 7];
    let lowered = text.to_lowercase();
    let text = if ["every day", "everyday", "all days"].contains(&lowered.trim()) { "daily" } else { text };
    for token in tokens(text) {
        let set: Vec<usize> = match token.to_lowercase().as_str() {
            "daily" => (0..7).collect(),
            "weekdays" => (0..5).collect(),
            "weekend" | "weekends" => vec![5, 6],
            lowered => match lowered.split_once('-') {
                Some((first, last)) => {
                    let (first, last) = (day_index(first, &token)?, day_index(last, &token)?);
                    // A range may wrap past Sunday: Fri-Mon is Fri, Sat, Sun, Mon.
                    (0..7).map(|step| (first + step) % 7).take((last + 7 - first) % 7 + 1).collect()
                }
                None => vec![day_index(lowered, &token)?],
            },
        };
        for day in set {
            chosen[day] = true;
        }
    }
    Ok(chosen)
}

fn day_index(name: &str, token: &str) -> Result<usize, String> {
    DAY_NAMES.iter().find(|(known, _)| *known == name).map(|(_, day)| day.num_days_from_monday() as usize).ok_or_else(
        || format!("“{token}” is not a day; use Mon, Tue, Wed, Thu, Fri, Sat, Sun, a span like Mon-Fri, or daily"),
    )
}

fn parse_range(token: &str) -> Result<LocalRange, String> {
    if parse_days(token).is_ok() {
        return Err(format!("“{token}” comes after a time; put each group of days on its own line or after a ;"));
    }
    let Some((start, end)) = token.split_once('-').filter(|(start, end)| !start.is_empty() && !end.is_empty()) else {
        return Err(format!("“{token}” is not a range; write it like 09:00-12:00"));
    };
    LocalRange::new(parse_time(start)?, parse_time(end)?)
}

/// `H`, `HH`, `H:MM` or `HH:MM` on the 24-hour clock, up to `24:00`.
fn parse_time(text: &str) -> Result<u16, String> {
    let lowered = text.to_lowercase();
    if lowered.ends_with("am") || lowered.ends_with("pm") {
        return Err(format!("“{text}” is not a time; use the 24-hour clock, e.g. 21:00 for 9pm"));
    }
    let (hour_text, minute_text) = text.split_once(':').unwrap_or((text, "00"));
    let number = |part: &str, lengths: std::ops::RangeInclusive<usize>| {
        let digits_only = lengths.contains(&part.len()) && part.bytes().all(|b| b.is_ascii_digit());
        digits_only.then(|| part.parse::<u16>().ok()).flatten()
    };
    match (number(hour_text, 1..=2), number(minute_text, 2..=2)) {
        (Some(hour), Some(minute)) if minute < 60 && hour * 60 + minute <= DAY_END => Ok(hour * 60 + minute),
        _ => Err(format!("“{text}” is not a time; write it like 09:30 (00:00 to 24:00)")),
    }
}

/// `Daily`, or runs of consecutive days (`Mon-Fri`, `Sat-Sun`) and single days joined by commas.
fn day_set_text(chosen: [bool; 7]) -> String {
    if chosen.iter().all(|&on| on) {
        return "Daily".to_string();
    }
    let mut parts = Vec::new();
    let mut day = 0;
    while day < 7 {
        if !chosen[day] {
            day += 1;
            continue;
        }
        let first = day;
        while day + 1 < 7 && chosen[day + 1] {
            day += 1;
        }
        let name = |i: usize| WEEK[i].to_string();
        parts.push(if first == day { name(first) } else { format!("{}-{}", name(first), name(day)) });
        day += 1;
    }
    parts.join(", ")
}
