//! Time as services see it: the system clock in production, a clock the test (or the
//! dialer simulation) moves by hand elsewhere. Times are UTC with microsecond precision,
//! the precision PostgreSQL stores, so a value read back equals the value written.

use std::sync::Mutex;

use chrono::{DateTime, Duration, NaiveDateTime, SubsecRound, Utc};

pub trait Clock: Send + Sync {
    fn now_utc(&self) -> DateTime<Utc>;

    /// Now as stored in the database.
    fn now(&self) -> NaiveDateTime {
        self.now_utc().naive_utc()
    }
}

/// The real time.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_utc(&self) -> DateTime<Utc> {
        Utc::now().trunc_subsecs(6)
    }
}

/// A clock that stands still until it is set or advanced.
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock { now: Mutex::new(start.trunc_subsecs(6)) }
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.lock() = at.trunc_subsecs(6);
    }

    pub fn advance(&self, by: Duration) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A panic elsewhere cannot leave a timestamp half-written.
        self.now.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clock for ManualClock {
    fn now_utc(&self) -> DateTime<Utc> {
        *self.lock()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = DateTime::parse_from_rfc3339("2026-03-08T06:59:59.1234567Z").unwrap().with_timezone(&Utc);
        let clock = ManualClock::new(start);
        assert_eq!(clock.now().to_string(), "2026-03-08 06:59:59.123456");
        clock.advance(Duration::seconds(1));
        assert_eq!(clock.now().to_string(), "2026-03-08 07:00:00.123456");
        assert_eq!(SystemClock.now().and_utc().timestamp_subsec_nanos() % 1000, 0);
    }
}
