//! Calls per day by outcome over a run of the reader's days (the dashboard's last week, the
//! analytics period), for the chart and its table.
//! Days are the reader's local days: the database counts calls between the UTC instants those
//! days start, because local days are 23 to 25 hours long around DST changes and some zones
//! are off UTC by half or three quarters of an hour, so whole UTC hours would not fit them.

use chrono::{Days, NaiveDate, NaiveDateTime};
use chrono_tz::Tz;

use super::local_time::start_of_day;
use super::outcome::Outcome;

/// How many days the dashboard's chart shows, today included.
pub const DAYS: usize = 7;

/// The first of the dashboard's days.
pub fn week_start(today: NaiveDate) -> NaiveDate {
    today - Days::new(DAYS as u64 - 1)
}

/// The UTC instants each of `days` local days from `first` starts, oldest first, then the
/// start of the day after: `days + 1` edges, day `i` running from edge `i` to edge `i + 1`.
pub fn day_edges(first: NaiveDate, days: usize, zone: Tz) -> Vec<NaiveDateTime> {
    (0..=days as u64).map(|i| start_of_day(first + Days::new(i), zone)).collect()
}

/// The counts by day and outcome, for the days `day_edges` gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyCalls {
    /// Oldest first.
    pub days: Vec<NaiveDate>,
    /// The outcomes counted on any of the days, in `Outcome::ALL` order; `None` (calls
    /// without an outcome yet: live, or ended unknown) comes last.
    pub outcomes: Vec<Option<Outcome>>,
    /// `counts[day][column]`, a column per entry of `outcomes`.
    pub counts: Vec<Vec<i64>>,
}

impl DailyCalls {
    /// From the database's `(day index, outcome, calls)` rows for `days` days from `first`.
    pub fn new(first: NaiveDate, days: usize, counted: &[(usize, Option<Outcome>, i64)]) -> DailyCalls {
        let count = days;
        let days = (0..count as u64).map(|i| first + Days::new(i)).collect();
        let mut outcomes: Vec<Option<Outcome>> = Vec::new();
        for (_, outcome, _) in counted {
            if !outcomes.contains(outcome) {
                outcomes.push(*outcome);
            }
        }
        // Outcomes in `Outcome::ALL` order, then the calls without one.
        outcomes.sort_by_key(|o| (o.is_none(), o.and_then(|o| Outcome::ALL.iter().position(|x| *x == o))));
        let mut counts = vec![vec![0; outcomes.len()]; count];
        for (day, outcome, calls) in counted {
            let column = outcomes.iter().position(|o| o == outcome).expect("collected above");
            counts[*day][column] += calls;
        }
        DailyCalls { days, outcomes, counts }
    }

    pub fn total(&self, day: usize) -> i64 {
        self.counts[day].iter().sum()
    }

    /// The busiest day's calls, which the chart's scale must reach.
    pub fn busiest(&self) -> i64 {
        (0..self.days.len()).map(|day| self.total(day)).max().unwrap_or(0)
    }

    /// Each day with its counts (in `outcomes` order) and its total, oldest first.
    pub fn rows(&self) -> impl Iterator<Item = (NaiveDate, &[i64], i64)> + '_ {
        self.days.iter().enumerate().map(|(i, day)| (*day, self.counts[i].as_slice(), self.total(i)))
    }
}

/// A column's heading.
pub fn outcome_label(outcome: &Option<Outcome>) -> &'static str {
    outcome.map_or("No outcome yet", Outcome::label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn the_edges_are_local_midnights_even_across_a_dst_change() {
        let new_york: Tz = "America/New_York".parse().unwrap();
        let edges = day_edges(week_start(date("2026-03-10")), DAYS, new_york);
        assert_eq!(edges.len(), DAYS + 1);
        assert_eq!(edges[0].to_string(), "2026-03-04 05:00:00", "EST");
        assert_eq!(edges[5].to_string(), "2026-03-09 04:00:00", "EDT after the 8th, a 23-hour day");
        assert_eq!(edges[7].to_string(), "2026-03-11 04:00:00", "tomorrow");
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        assert_eq!(day_edges(date("2026-03-04"), DAYS, kolkata)[6].to_string(), "2026-03-09 18:30:00");
    }

    #[test]
    fn counts_land_in_their_day_and_outcome_in_a_stable_order() {
        let counted = [
            (6, None, 2),
            (6, Some(Outcome::NoAnswer), 3),
            (0, Some(Outcome::Interested), 1),
            (5, Some(Outcome::NoAnswer), 4),
        ];
        let calls = DailyCalls::new(week_start(date("2026-03-10")), DAYS, &counted);
        assert_eq!(calls.days.first(), Some(&date("2026-03-04")));
        assert_eq!(calls.days.last(), Some(&date("2026-03-10")));
        assert_eq!(calls.outcomes, [Some(Outcome::Interested), Some(Outcome::NoAnswer), None]);
        assert_eq!(calls.counts[6], [0, 3, 2]);
        assert_eq!((calls.total(6), calls.total(1), calls.busiest()), (5, 0, 5));
        assert_eq!(outcome_label(&None), "No outcome yet");
    }
}
