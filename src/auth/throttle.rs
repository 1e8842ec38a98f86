//! Login throttling per client address and per account (ASVS 6.3.1; far under the
//! 100/hour ceiling). The same answer is given whether or not the account exists.
//!
//! An address over its limit is refused before any password is hashed. An account over its
//! limit is slowed down, not locked: every further attempt waits, longer with each failure
//! (up to a cap), and then the right password still gets in — an attacker who fails on
//! purpose cannot lock its owner out, while guessing that account becomes slow.

use std::time::Duration as Wait;

use chrono::{Duration, NaiveDateTime};

use crate::config::Settings;
use crate::db::{self, DbConnection};

#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    pub max_failures_per_account: i64,
    pub max_failures_per_address: i64,
    pub window: Duration,
    /// The longest an attempt on an account over its limit waits.
    pub max_slowdown: Wait,
}

/// Whether an attempt may go on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// After waiting this long (zero unless the account is over its limit).
    Proceed(Wait),
    /// Too many failures from this address; the message says for how long.
    Refused(String),
}

/// The first wait once an account is over its limit; it doubles with each further failure.
const FIRST_SLOWDOWN: Wait = Wait::from_millis(500);

impl LoginThrottle {
    pub fn from_settings(settings: &Settings) -> Self {
        LoginThrottle {
            max_failures_per_account: settings.login_max_failures_per_account.into(),
            max_failures_per_address: settings.login_max_failures_per_address.into(),
            window: Duration::seconds(settings.login_throttle_window_secs as i64),
            max_slowdown: Wait::from_millis(settings.login_slowdown_max_ms),
        }
    }

    /// Decides on an attempt from the failures recorded before it; run it under
    /// [`db::login_attempts::lock_for_counting`] and record the attempt in the same
    /// transaction, so that a burst of parallel guesses counts every one.
    pub fn admit(
        &self,
        conn: &mut DbConnection,
        email: &str,
        client_ip: &str,
        now: NaiveDateTime,
    ) -> diesel::QueryResult<Admission> {
        let since = now - self.window;
        if db::login_attempts::recent_failures_for_ip(conn, client_ip, since)? >= self.max_failures_per_address {
            let minutes = self.window.num_minutes().max(1);
            return Ok(Admission::Refused(format!(
                "Too many failed login attempts from your address. Wait up to {minutes} minutes and try again."
            )));
        }
        let failures = db::login_attempts::recent_failures_for_email(conn, email, since)?;
        Ok(Admission::Proceed(self.slowdown(failures)))
    }

    /// How long an attempt waits after `failures` recent failures on its account.
    pub fn slowdown(&self, failures: i64) -> Wait {
        let over = failures - self.max_failures_per_account;
        if over < 0 {
            return Wait::ZERO;
        }
        let doublings = over.min(20) as u32;
        FIRST_SLOWDOWN.saturating_mul(1 << doublings).min(self.max_slowdown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_auth_an_account_over_its_limit_waits_longer_with_each_failure_up_to_the_cap() {
        let throttle = LoginThrottle {
            max_failures_per_account: 3,
            max_failures_per_address: 50,
            window: Duration::minutes(15),
            max_slowdown: Wait::from_secs(8),
        };
        let waits: Vec<u64> = (0..9).map(|failures| throttle.slowdown(failures).as_millis() as u64).collect();
        assert_eq!(waits, [0, 0, 0, 500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(throttle.slowdown(10_000), Wait::from_secs(8));
    }
}
