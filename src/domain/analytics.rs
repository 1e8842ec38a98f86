//! Analytics arithmetic (R-ANALYTICS): the period a reader asks for, the figures summed from
//! the database's grouped counts (reach, conversion, averages), and the best-hours heat map.
//! The database groups; this module only adds groups up and divides, so it stays pure.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, TimeZone as _, Timelike};
use chrono_tz::Tz;

use super::lead::LeadStatus;
use super::outcome::Outcome;

/// The longest custom period, in days: the chart keeps a bar per day and the day query a
/// `CASE` branch per day.
pub const MAX_DAYS: usize = 92;

/// The period's days in the reader's zone, first to last inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    /// `today`, `7d`, `30d` or `custom`, for the form and the links.
    pub key: &'static str,
    pub first: NaiveDate,
    pub last: NaiveDate,
}

impl Period {
    /// From the query string: `period` (today, 7d, 30d, custom; 7 days when absent) and, for
    /// custom, `from` and `to` as `YYYY-MM-DD`.
    pub fn parse(
        period: Option<&str>,
        from: Option<&str>,
        to: Option<&str>,
        today: NaiveDate,
    ) -> Result<Period, String> {
        let last_days = |key, n: u64| Period { key, first: today - Days::new(n - 1), last: today };
        match period.unwrap_or("7d") {
            "today" => Ok(last_days("today", 1)),
            "7d" => Ok(last_days("7d", 7)),
            "30d" => Ok(last_days("30d", 30)),
            "custom" => {
                let date = |text: Option<&str>, name: &str| {
                    let text = text.map(str::trim).unwrap_or_default();
                    NaiveDate::parse_from_str(text, "%Y-%m-%d")
                        .map_err(|_| format!("{name} must be a date like 2026-11-29, not “{text}”"))
                };
                let (first, last) = (date(from, "From")?, date(to, "To")?);
                if last < first {
                    return Err("To must not be before From".into());
                }
                let period = Period { key: "custom", first, last };
                if period.days() > MAX_DAYS {
                    return Err(format!("A period can span at most {MAX_DAYS} days"));
                }
                Ok(period)
            }
            other => Err(format!("Unknown period “{other}”; choose today, 7d, 30d or custom")),
        }
    }

    pub fn days(&self) -> usize {
        (self.last - self.first).num_days() as usize + 1
    }
}

/// Calls summed over some grouping, with what the rates and averages need.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub calls: i64,
    /// Calls where a person was reached (`Outcome::reached_person`).
    pub reached: i64,
    pub interested: i64,
    pub duration_secs: i64,
    /// Calls with a duration, which the average divides by.
    pub timed: i64,
    pub score_sum: i64,
    pub scored: i64,
}

impl Tally {
    /// One group of calls sharing an outcome, as the database counted it.
    pub fn of(outcome: Option<Outcome>, calls: i64, duration: (i64, i64), score: (i64, i64)) -> Tally {
        let reached = outcome.is_some_and(Outcome::reached_person);
        Tally {
            calls,
            reached: if reached { calls } else { 0 },
            interested: if outcome == Some(Outcome::Interested) { calls } else { 0 },
            duration_secs: duration.0,
            timed: duration.1,
            score_sum: score.0,
            scored: score.1,
        }
    }

    pub fn add(&mut self, other: &Tally) {
        self.calls += other.calls;
        self.reached += other.reached;
        self.interested += other.interested;
        self.duration_secs += other.duration_secs;
        self.timed += other.timed;
        self.score_sum += other.score_sum;
        self.scored += other.scored;
    }

    /// "40%", or "–" with no calls.
    pub fn reach_rate(&self) -> String {
        percent(self.reached, self.calls)
    }

    pub fn conversion(&self) -> String {
        percent(self.interested, self.calls)
    }

    /// "2:05" (minutes:seconds), or "–" when no call has a duration.
    pub fn average_duration(&self) -> String {
        if self.timed == 0 {
            return "–".into();
        }
        let secs = (self.duration_secs as f64 / self.timed as f64).round() as i64;
        format!("{}:{:02}", secs / 60, secs % 60)
    }

    /// "72.5", or "–" when no call was scored.
    pub fn average_score(&self) -> String {
        if self.scored == 0 {
            return "–".into();
        }
        format!("{:.1}", self.score_sum as f64 / self.scored as f64)
    }
}

/// `part` of `whole` as a whole percentage; "–" when there is no whole.
pub fn percent(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "–".into();
    }
    format!("{}%", (part as f64 * 100.0 / whole as f64).round() as i64)
}

/// The hour of the week at UTC instant `at` in `zone`: Monday 00:00–01:00 is 0, Sunday
/// 23:00–24:00 is 167. A call stores its lead's, so the heat map needs no zone lookups.
pub fn week_hour(zone: Tz, at: NaiveDateTime) -> i32 {
    let local = zone.from_utc_datetime(&at);
    (local.weekday().num_days_from_monday() * 24 + local.hour()) as i32
}

/// Reach rate by lead-local weekday (Monday first) and hour.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeatMap {
    /// `cells[weekday][hour]` = (calls, reached).
    pub cells: [[(i64, i64); 24]; 7],
}

pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

impl HeatMap {
    /// Counts `calls` (of which `reached`) made in the lead's hour of the week `week_hour`;
    /// a value out of range (which the database's check forbids) is ignored.
    pub fn add(&mut self, week_hour: i32, calls: i64, reached: i64) {
        let Ok(slot) = usize::try_from(week_hour) else { return };
        if let Some(cell) = self.cells.get_mut(slot / 24).map(|day| &mut day[slot % 24]) {
            cell.0 += calls;
            cell.1 += reached;
        }
    }

    /// The hours any call was made in, so the table skips the night nobody dials.
    pub fn hours(&self) -> Vec<usize> {
        (0..24).filter(|&hour| self.cells.iter().any(|day| day[hour].0 > 0)).collect()
    }
}

/// The live leads by how far they got, as they stand now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Funnel {
    pub leads: i64,
    /// On a call at least once (called, or calling in).
    pub attempted: i64,
    /// A person talked on some call.
    pub reached: i64,
    /// Reached and now `qualified` (an interested outcome leads there).
    pub qualified: i64,
    /// Leads whose status ends calling, by status; every final status, zeros included.
    pub finished: Vec<(LeadStatus, i64)>,
}

impl Funnel {
    /// Sums the database's groups of (status, called?, reached?, leads).
    pub fn of(groups: &[(LeadStatus, bool, bool, i64)]) -> Funnel {
        let mut funnel = Funnel {
            finished: LeadStatus::ALL.iter().filter(|s| s.is_final()).map(|s| (*s, 0)).collect(),
            ..Funnel::default()
        };
        for &(status, attempted, reached, leads) in groups {
            // Each stage within the one before: a lead reached only by calling in was on a
            // call, and one imported as qualified was never talked to.
            let qualified = reached && status == LeadStatus::Qualified;
            funnel.leads += leads;
            funnel.attempted += if attempted || reached { leads } else { 0 };
            funnel.reached += if reached { leads } else { 0 };
            funnel.qualified += if qualified { leads } else { 0 };
            if let Some(entry) = funnel.finished.iter_mut().find(|(s, _)| *s == status) {
                entry.1 += leads;
            }
        }
        funnel
    }

    /// The stages, each with its count: every lead, called, reached, qualified.
    pub fn stages(&self) -> [(&'static str, i64); 4] {
        [
            ("Leads", self.leads),
            ("On a call at least once", self.attempted),
            ("Reached a person", self.reached),
            ("Interested / qualified", self.qualified),
        ]
    }
}

/// A cell's CSS class: five steps of reach rate, and one for no calls (no inline styles: the
/// CSP forbids them, and the number in the cell carries the meaning anyway).
pub fn shade((calls, reached): (i64, i64)) -> &'static str {
    if calls == 0 {
        return "heat-none";
    }
    match reached * 100 / calls {
        0..20 => "heat-0",
        20..40 => "heat-1",
        40..60 => "heat-2",
        60..80 => "heat-3",
        _ => "heat-4",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn periods_count_back_from_today_or_take_the_readers_dates() {
        let today = date("2026-11-29");
        let week = Period::parse(None, None, None, today).unwrap();
        assert_eq!((week.key, week.first, week.last, week.days()), ("7d", date("2026-11-23"), today, 7));
        assert_eq!(Period::parse(Some("today"), None, None, today).unwrap().days(), 1);
        assert_eq!(Period::parse(Some("30d"), None, None, today).unwrap().first, date("2026-10-31"));
        let custom = Period::parse(Some("custom"), Some("2026-02-27"), Some(" 2026-03-02"), today).unwrap();
        assert_eq!((custom.first, custom.days()), (date("2026-02-27"), 4));
        assert!(Period::parse(Some("custom"), Some("2026-03-02"), Some("2026-03-01"), today).is_err());
        assert!(Period::parse(Some("custom"), Some("2026-01-01"), Some("2026-12-31"), today).is_err());
        assert!(Period::parse(Some("custom"), Some("29/11/2026"), Some("2026-12-01"), today).is_err());
        assert!(Period::parse(Some("year"), None, None, today).is_err());
    }

    #[test]
    fn tallies_sum_groups_into_rates_and_averages() {
        let mut total = Tally::default();
        total.add(&Tally::of(Some(Outcome::Interested), 2, (300, 2), (170, 2)));
        total.add(&Tally::of(Some(Outcome::NotInterested), 1, (65, 1), (0, 0)));
        total.add(&Tally::of(Some(Outcome::NoAnswer), 4, (0, 0), (0, 0)));
        total.add(&Tally::of(None, 1, (0, 0), (0, 0)));
        assert_eq!((total.calls, total.reached, total.interested), (8, 3, 2));
        assert_eq!(total.reach_rate(), "38%", "3 of 8, rounded");
        assert_eq!(total.conversion(), "25%");
        assert_eq!(total.average_duration(), "2:02", "365 s over 3 timed calls");
        assert_eq!(total.average_score(), "85.0");
        let empty = Tally::default();
        assert_eq!(
            (empty.reach_rate(), empty.average_duration(), empty.average_score()),
            ("–".into(), "–".into(), "–".into())
        );
    }

    #[test]
    fn the_heat_map_buckets_by_local_weekday_and_hour_and_shades_by_reach() {
        let mut heat = HeatMap::default();
        heat.add(9, 4, 1); // Monday 09h
        heat.add(9, 1, 1);
        heat.add(6 * 24 + 17, 2, 2); // Sunday 17h
        heat.add(168, 9, 9); // out of range: ignored
        assert_eq!(heat.cells[0][9], (5, 2));
        assert_eq!(heat.cells[6][17], (2, 2));
        assert_eq!(heat.hours(), [9, 17]);
        assert_eq!(shade(heat.cells[0][9]), "heat-2", "40%");
        assert_eq!(shade(heat.cells[6][17]), "heat-4");
        assert_eq!((shade((0, 0)), shade((5, 0)), shade((3, 1))), ("heat-none", "heat-0", "heat-1"));
    }

    #[test]
    fn week_hours_are_the_leads_local_weekday_and_hour_across_dst() {
        let at = |text| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        let chicago = chrono_tz::America::Chicago;
        // Monday 2026-11-30 15:30 UTC is 09:30 in Chicago (CST, UTC−6).
        assert_eq!(week_hour(chicago, at("2026-11-30 15:30")), 9);
        // Sunday 2026-03-08 15:30 UTC is 10:30 CDT (UTC−5), after the spring change.
        assert_eq!(week_hour(chicago, at("2026-03-08 15:30")), 6 * 24 + 10);
        // Monday 02:00 UTC is still Sunday evening in Chicago.
        assert_eq!(week_hour(chicago, at("2026-11-30 02:00")), 6 * 24 + 20);
        // Half-hour zones fall in the local hour: 09:45 in Kolkata.
        assert_eq!(week_hour(chrono_tz::Asia::Kolkata, at("2026-11-30 04:15")), 9);
    }

    #[test]
    fn the_funnel_sums_groups_into_stages_and_finished_reasons() {
        let funnel = Funnel::of(&[
            (LeadStatus::New, false, false, 10),
            (LeadStatus::Contacted, true, true, 4),
            (LeadStatus::Unreachable, true, false, 3),
            (LeadStatus::Qualified, true, true, 2),
            (LeadStatus::DoNotCall, true, true, 1),
            (LeadStatus::DoNotCall, false, false, 5),
            (LeadStatus::Qualified, false, false, 6),
            (LeadStatus::Contacted, false, true, 1),
        ]);
        // Imported as qualified counts as finished but not as converted; reached by calling
        // in counts as on a call: every stage stays within the one before.
        assert_eq!(funnel.stages().map(|(_, n)| n), [32, 11, 8, 2]);
        let finished = |status| funnel.finished.iter().find(|(s, _)| *s == status).map(|(_, n)| *n);
        assert_eq!(finished(LeadStatus::Unreachable), Some(3));
        assert_eq!(finished(LeadStatus::Qualified), Some(8));
        assert_eq!(finished(LeadStatus::DoNotCall), Some(6), "imported as do-not-call counts too");
        assert_eq!(finished(LeadStatus::NotInterested), Some(0), "every reason is listed");
        assert_eq!(finished(LeadStatus::New), None, "new is not a finished status");
    }
}
