//! What a dry run hands back: every dial with the lead's local time, the CSV those dials are
//! written to, and the summary printed after a run.

use std::fmt;
use std::io;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;

use crate::domain::dialing::rules::DialBlock;
use crate::domain::lead::LeadStatus;
use crate::domain::outcome::Outcome;
use crate::domain::phone::E164;
use crate::domain::plural::counted;
use crate::domain::spreadsheet::neutralize_cell;
use crate::ids::LeadId;

/// One call the dialer placed in the simulation.
#[derive(Debug, Clone, PartialEq)]
pub struct Dial {
    pub lead_id: LeadId,
    pub phone: E164,
    pub at: DateTime<Utc>,
    /// The zone the dialer timed the lead in (by the zone rule); `None` would be a bug, as
    /// the dialer never calls a lead whose zone is unknown.
    pub zone: Option<Tz>,
    /// The lead's attempt this call was (1 for the first).
    pub attempt_number: i32,
    /// How the simulation ended the call.
    pub outcome: Outcome,
}

impl Dial {
    /// The lead's wall-clock time when the call was placed.
    pub fn local_time(&self) -> Option<DateTime<Tz>> {
        self.zone.map(|zone| self.at.with_timezone(&zone))
    }
}

/// The CSV columns, in order.
pub const CSV_COLUMNS: [&str; 7] =
    ["lead_id", "phone", "utc_time", "lead_local_time", "zone", "attempt_number", "outcome"];

/// Writes dials as CSV rows under a header of [`CSV_COLUMNS`]; times are RFC 3339, the local
/// one with the lead's offset that day (`2026-11-02T09:00:00-05:00`).
pub struct DialCsv<W: io::Write> {
    writer: csv::Writer<W>,
}

impl<W: io::Write> DialCsv<W> {
    pub fn new(out: W) -> csv::Result<DialCsv<W>> {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(CSV_COLUMNS)?;
        Ok(DialCsv { writer })
    }

    /// Every cell but the phone goes through the spreadsheet neutraliser. The phone is a
    /// validated E.164 number, `+` and digits only: a spreadsheet reads it as a number, never
    /// as a formula that does something, and it stays comparable with the lead's phone.
    pub fn write(&mut self, dial: &Dial) -> csv::Result<()> {
        // The offset even when it is zero: `Z` would read as UTC, not as London in winter.
        let local = dial.local_time().map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, false)).unwrap_or_default();
        let cell = |text: &str| neutralize_cell(text).into_owned();
        self.writer.write_record([
            cell(&dial.lead_id.to_string()),
            dial.phone.as_str().to_owned(),
            cell(&dial.at.to_rfc3339_opts(SecondsFormat::Secs, true)),
            cell(&local),
            cell(dial.zone.map_or("", |zone| zone.name())),
            cell(&dial.attempt_number.to_string()),
            cell(dial.outcome.as_str()),
        ])
    }

    /// Flushes the rows and hands back the output.
    pub fn finish(self) -> io::Result<W> {
        self.writer.into_inner().map_err(|e| e.into_error())
    }
}

/// What a dry run did.
#[derive(Debug, Clone)]
pub struct SimSummary {
    pub campaign: String,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
    /// Leads copied into the scratch database.
    pub leads: usize,
    pub dials: usize,
    /// Days are the campaign's own.
    pub campaign_zone: Tz,
    pub dials_per_day: Vec<(NaiveDate, usize)>,
    /// Every lead's status at the end, in the order of [`LeadStatus::ALL`].
    pub statuses: Vec<(LeadStatus, usize)>,
    /// Leads the dialer cannot call at the end, per reason.
    pub blocked: Vec<(DialBlock, usize)>,
    /// What the run assumed or where it stopped early, worded for people.
    pub notes: Vec<String>,
    pub wall_time: std::time::Duration,
}

impl fmt::Display for SimSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let utc = |at: &DateTime<Utc>| at.format("%Y-%m-%d %H:%M UTC");
        writeln!(f, "Dry run of “{}” from {} to {}", self.campaign, utc(&self.start), utc(&self.end))?;
        writeln!(f, "{}, {}", counted(self.leads, "lead"), counted(self.dials, "dial"))?;
        for note in &self.notes {
            writeln!(f, "Note: {note}")?;
        }
        writeln!(f, "\nDials per day ({}):", self.campaign_zone.name())?;
        for (day, dials) in &self.dials_per_day {
            writeln!(f, "  {}  {dials:>8}", day.format("%a %Y-%m-%d"))?;
        }
        let (finished, open): (Vec<_>, Vec<_>) = self.statuses.iter().partition(|(status, _)| status.is_final());
        for (title, group) in [("Leads finished, by status:", finished), ("Leads still open, by status:", open)] {
            writeln!(f, "\n{title}")?;
            for (status, count) in group {
                writeln!(f, "  {:<28}{count:>8}", status.label())?;
            }
        }
        writeln!(f, "\nLeads blocked, by reason:")?;
        if self.blocked.is_empty() {
            writeln!(f, "  none")?;
        }
        for (reason, count) in &self.blocked {
            writeln!(f, "  {:<40}{count:>8}", reason.label())?;
        }
        write!(f, "\nWall time: {:.1} s", self.wall_time.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_dial_sim_a_dial_row_carries_both_clocks() {
        let dial = Dial {
            lead_id: LeadId::new(7),
            phone: E164::parse("+12125550123", None).unwrap(),
            at: "2026-11-02T14:00:00Z".parse().unwrap(),
            zone: Some(chrono_tz::America::New_York),
            attempt_number: 2,
            outcome: Outcome::NoAnswer,
        };
        let london = Dial { zone: Some(chrono_tz::Europe::London), ..dial.clone() };
        let mut csv = DialCsv::new(Vec::new()).unwrap();
        csv.write(&dial).unwrap();
        csv.write(&london).unwrap();
        let text = String::from_utf8(csv.finish().unwrap()).unwrap();
        assert_eq!(
            text,
            "lead_id,phone,utc_time,lead_local_time,zone,attempt_number,outcome\n\
             7,+12125550123,2026-11-02T14:00:00Z,2026-11-02T09:00:00-05:00,America/New_York,2,no_answer\n\
             7,+12125550123,2026-11-02T14:00:00Z,2026-11-02T14:00:00+00:00,Europe/London,2,no_answer\n"
        );
    }
}
