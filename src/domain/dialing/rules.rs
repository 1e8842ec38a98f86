//! A campaign's dialer rules (R-DIAL-RULES): validated, with sensible defaults.

use super::retry::RetryPolicy;
use super::windows::WeeklyWindows;
use crate::domain::codes::codes;
use crate::domain::lead::LeadStatus;

codes! {
    /// Which due leads the dialer takes first.
    pub enum LeadOrder {
        NextCall => "next_call", "Earliest next-call time first";
        Oldest => "oldest", "Oldest leads first";
        Newest => "newest", "Newest leads first";
        FewestAttempts => "fewest_attempts", "Fewest attempts first";
    }
}

codes! {
    /// Why the dialer cannot call a lead at all (until something changes).
    pub enum DialBlock {
        NoTimezone => "no_timezone", "Timezone unknown";
        DoNotCall => "do_not_call", "On a do-not-call list";
        MaxAttempts => "max_attempts", "All attempts used";
        NeedsReview => "needs_review", "A call's outcome is unknown";
        NoConsent => "no_consent", "No consent on record";
        Status => "status", "Status not dialable";
        NoWindow => "no_window", "No calling time in the next two weeks";
    }
}

/// The failure-rate circuit breaker: when at least `failure_percent` of the last
/// `window_calls` finished calls failed, the dialer pauses the campaign until a person
/// resumes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Breaker {
    pub window_calls: u32,
    pub failure_percent: u32,
}

impl Breaker {
    /// Whether `failed` of the last `finished` calls trip the breaker (only once the window
    /// is full, so the first failures of a fresh campaign do not pause it).
    pub fn trips(&self, failed: u32, finished: u32) -> bool {
        finished >= self.window_calls && failed * 100 >= self.failure_percent * finished
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DialerRules {
    pub windows: WeeklyWindows,
    pub dialable: Vec<LeadStatus>,
    pub order: LeadOrder,
    pub max_attempts_total: u32,
    pub max_attempts_per_day: u32,
    pub retry: RetryPolicy,
    pub max_concurrent_calls: u32,
    pub max_calls_per_minute: u32,
    pub breaker: Breaker,
    /// Leads without a consent record are not dialed.
    pub require_consent: bool,
    /// Leads whose own zone is unknown are timed in the campaign's zone.
    pub campaign_zone_fallback: bool,
}

impl Default for DialerRules {
    fn default() -> Self {
        DialerRules {
            windows: WeeklyWindows::business_default(),
            dialable: vec![LeadStatus::New, LeadStatus::Contacted, LeadStatus::Callback],
            order: LeadOrder::NextCall,
            max_attempts_total: 6,
            max_attempts_per_day: 2,
            retry: RetryPolicy::default(),
            max_concurrent_calls: 5,
            max_calls_per_minute: 30,
            breaker: Breaker { window_calls: 20, failure_percent: 50 },
            require_consent: false,
            campaign_zone_fallback: false,
        }
    }
}

impl DialerRules {
    /// Every problem at once, worded for the person editing the rules.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let mut within = |value: u32, low: u32, high: u32, what: &str| {
            if !(low..=high).contains(&value) {
                problems.push(format!("{what} must be between {low} and {high}"));
            }
        };
        within(self.max_attempts_total, 1, 100, "Attempts per lead");
        within(self.max_attempts_per_day, 1, 24, "Attempts per lead per day");
        within(self.max_concurrent_calls, 1, 1000, "Calls at once");
        within(self.max_calls_per_minute, 1, 10_000, "New calls per minute");
        within(self.breaker.window_calls, 5, 1000, "Calls the circuit breaker looks back on");
        within(self.breaker.failure_percent, 1, 100, "The failure rate that pauses the campaign");
        if let Err(message) = self.retry.validate() {
            problems.push(message);
        }
        if self.dialable.is_empty() {
            problems.push("Choose at least one lead status to dial".into());
        }
        if let Some(status) = self.dialable.iter().find(|s| s.is_final()) {
            problems.push(format!("“{}” ends calling and cannot be dialed", status.label()));
        }
        if self.windows.is_empty() {
            problems.push("Give at least one calling window".into());
        }
        if self.max_attempts_per_day > self.max_attempts_total {
            problems.push("Attempts per day cannot exceed the attempts per lead".into());
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    pub fn dials(&self, status: LeadStatus) -> bool {
        self.dialable.contains(&status)
    }

    /// The dialable statuses as stored (`new,contacted`).
    pub fn statuses_text(&self) -> String {
        self.dialable.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
    }

    pub fn parse_statuses(text: &str) -> Result<Vec<LeadStatus>, String> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|code| LeadStatus::from_code(code).ok_or_else(|| format!("unknown lead status “{code}”")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_dial_rules_defaults_are_valid_and_mistakes_are_explained() {
        assert_eq!(DialerRules::default().validate(), Ok(()));
        let broken = DialerRules {
            dialable: vec![LeadStatus::Qualified],
            max_attempts_total: 0,
            max_attempts_per_day: 3,
            windows: WeeklyWindows::default(),
            ..DialerRules::default()
        };
        let problems = broken.validate().unwrap_err();
        assert!(problems.iter().any(|p| p.contains("Attempts per lead must be")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("“Qualified” ends calling")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("calling window")), "{problems:?}");
        assert!(problems.iter().any(|p| p.contains("cannot exceed")), "{problems:?}");
    }

    #[test]
    fn r_dial_rules_the_breaker_waits_for_a_full_window() {
        let breaker = Breaker { window_calls: 20, failure_percent: 50 };
        assert!(!breaker.trips(10, 19), "not enough calls yet");
        assert!(breaker.trips(10, 20));
        assert!(!breaker.trips(9, 20));
    }

    #[test]
    fn r_dial_rules_statuses_round_trip() {
        let rules = DialerRules::default();
        assert_eq!(DialerRules::parse_statuses(&rules.statuses_text()).unwrap(), rules.dialable);
        assert!(DialerRules::parse_statuses("new,hot").is_err());
    }
}
