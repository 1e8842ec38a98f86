//! Login throttling per account and per client address (ASVS 6.3.1; at most a handful of
//! failures per window, far under the 100/hour ceiling). The same answer is given whether or
//! not the account exists.

use chrono::{Duration, NaiveDateTime};

use crate::config::Settings;
use crate::db::{self, DbConnection};
use crate::error::AppError;

#[derive(Debug, Clone, Copy)]
pub struct LoginThrottle {
    pub max_failures_per_account: i64,
    pub max_failures_per_address: i64,
    pub window: Duration,
}

impl LoginThrottle {
    pub fn from_settings(settings: &Settings) -> Self {
        LoginThrottle {
            max_failures_per_account: settings.login_max_failures_per_account.into(),
            max_failures_per_address: settings.login_max_failures_per_address.into(),
            window: Duration::seconds(settings.login_throttle_window_secs as i64),
        }
    }

    /// Refuses the attempt when either limit is reached.
    pub fn check(
        &self,
        conn: &mut DbConnection,
        email: &str,
        client_ip: &str,
        now: NaiveDateTime,
    ) -> Result<(), AppError> {
        let since = now - self.window;
        let by_account = db::login_attempts::recent_failures_for_email(conn, email, since)?;
        let by_address = db::login_attempts::recent_failures_for_ip(conn, client_ip, since)?;
        if by_account >= self.max_failures_per_account || by_address >= self.max_failures_per_address {
            let minutes = self.window.num_minutes().max(1);
            return Err(AppError::TooManyRequests(format!(
                "Too many failed login attempts. Wait up to {minutes} minutes and try again."
            )));
        }
        Ok(())
    }
}
