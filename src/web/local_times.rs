//! Times as the reader reads them, for templates: `ctx.time(at)` on every page, and on the
//! partials htmx fetches alone (which carry a `LocalTimes` named `ctx`).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};
use chrono::NaiveDateTime;
use chrono_tz::Tz;

use crate::auth::CurrentUser;
use crate::domain::local_time;
use crate::error::AppError;

/// A stored (UTC) time, however a template holds it.
pub trait StoredTime {
    fn utc(&self) -> NaiveDateTime;
}

impl StoredTime for NaiveDateTime {
    fn utc(&self) -> NaiveDateTime {
        *self
    }
}

impl<T: StoredTime + ?Sized> StoredTime for &T {
    fn utc(&self) -> NaiveDateTime {
        (**self).utc()
    }
}

/// The reader's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalTimes(pub Tz);

impl LocalTimes {
    pub fn zone_name(&self) -> &'static str {
        self.0.name()
    }

    /// "2026-11-29 08:05 CST".
    pub fn time(&self, at: impl StoredTime) -> String {
        local_time::labelled(at.utc(), self.0)
    }

    pub fn time_s(&self, at: impl StoredTime) -> String {
        local_time::labelled_secs(at.utc(), self.0)
    }

    /// Without the zone, for columns whose heading names it.
    pub fn clock(&self, at: impl StoredTime) -> String {
        local_time::plain(at.utc(), self.0)
    }

    pub fn clock_s(&self, at: impl StoredTime) -> String {
        local_time::plain_secs(at.utc(), self.0)
    }

    /// The reader's local date of a stored time.
    pub fn day(&self, at: impl StoredTime) -> chrono::NaiveDate {
        local_time::day(at.utc(), self.0)
    }
}

/// The logged-in user's zone (UTC for visitors).
impl FromRequest for LocalTimes {
    type Error = AppError;
    type Future = std::future::Ready<Result<LocalTimes, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let zone = req.extensions().get::<CurrentUser>().map_or(chrono_tz::UTC, |user| user.zone);
        std::future::ready(Ok(LocalTimes(zone)))
    }
}
