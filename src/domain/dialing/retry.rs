//! How long to wait before calling a lead again after a call that reached no one. The delay only
//! says "not before"; the caller still asks [`super::schedule::next_open`] for a window.

use chrono::Duration;
use serde::{Deserialize, Serialize};

/// The longest delay before jitter: a week, so a lead never silently drops out of a campaign.
const MAX_DELAY_SECONDS: f64 = 7.0 * 24.0 * 3600.0;
/// Bounds of each base delay in minutes (one minute to two weeks).
const MINUTES: std::ops::RangeInclusive<u32> = 1..=20_160;
const FACTOR: std::ops::RangeInclusive<f64> = 1.0..=4.0;
const MAX_JITTER_PERCENT: u8 = 50;

/// Why the previous call needs a retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetryKind {
    Busy,
    NoAnswer,
    Voicemail,
    /// The call could not be placed or dropped on the carrier side.
    Failed,
}

/// Base delay per kind, growing by `backoff_factor` with each earlier retry of the same kind,
/// spread by ± `jitter_percent` so retries of a batch do not land in the same minute.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RetryPolicy {
    pub busy_minutes: u32,
    pub no_answer_minutes: u32,
    pub voicemail_minutes: u32,
    pub failed_minutes: u32,
    /// 1.0 (fixed delay) to 4.0.
    pub backoff_factor: f64,
    /// 0 to 50.
    pub jitter_percent: u8,
}

impl Default for RetryPolicy {
    fn default() -> RetryPolicy {
        RetryPolicy {
            busy_minutes: 30,
            no_answer_minutes: 240,
            voicemail_minutes: 240,
            failed_minutes: 60,
            backoff_factor: 1.5,
            jitter_percent: 10,
        }
    }
}

impl RetryPolicy {
    /// Checks every field, reporting the first problem in words a campaign owner understands.
    pub fn validate(&self) -> Result<(), String> {
        let delays = [
            ("busy", self.busy_minutes),
            ("no-answer", self.no_answer_minutes),
            ("voicemail", self.voicemail_minutes),
            ("failed-call", self.failed_minutes),
        ];
        for (label, minutes) in delays {
            if !MINUTES.contains(&minutes) {
                return Err(format!(
                    "the {label} retry delay must be between {} minute and {} minutes (14 days), not {minutes}",
                    MINUTES.start(),
                    MINUTES.end()
                ));
            }
        }
        if !FACTOR.contains(&self.backoff_factor) {
            return Err(format!(
                "the backoff factor must be between {:.1} and {:.1}, not {}",
                FACTOR.start(),
                FACTOR.end(),
                self.backoff_factor
            ));
        }
        if self.jitter_percent > MAX_JITTER_PERCENT {
            return Err(format!(
                "the jitter must be between 0% and {MAX_JITTER_PERCENT}%, not {}%",
                self.jitter_percent
            ));
        }
        Ok(())
    }

    fn base_minutes(&self, kind: RetryKind) -> u32 {
        match kind {
            RetryKind::Busy => self.busy_minutes,
            RetryKind::NoAnswer => self.no_answer_minutes,
            RetryKind::Voicemail => self.voicemail_minutes,
            RetryKind::Failed => self.failed_minutes,
        }
    }
}

/// The wait before the next attempt: base × factor^`earlier_retries_of_kind`, capped at 7 days,
/// then moved by up to ± `jitter_percent` (`jitter_sample` is uniform in [0, 1) from the caller:
/// 0.5 leaves the delay as is, 0 takes the full minus, values near 1 the full plus), rounded to
/// whole seconds and never under a minute. Out-of-range policy values are clamped into the
/// ranges [`RetryPolicy::validate`] enforces, so an unchecked policy cannot misbehave.
pub fn retry_delay(
    policy: &RetryPolicy,
    kind: RetryKind,
    earlier_retries_of_kind: u32,
    jitter_sample: f64,
) -> Duration {
    let base_minutes = policy.base_minutes(kind).clamp(*MINUTES.start(), *MINUTES.end());
    let factor = if policy.backoff_factor.is_nan() { 1.0 } else { policy.backoff_factor.clamp(1.0, 4.0) };
    let grown = f64::from(base_minutes) * 60.0 * factor.powf(f64::from(earlier_retries_of_kind));
    let capped = grown.min(MAX_DELAY_SECONDS);
    let sample = if jitter_sample.is_nan() { 0.5 } else { jitter_sample.clamp(0.0, 1.0) };
    let jitter = f64::from(policy.jitter_percent.min(MAX_JITTER_PERCENT)) / 100.0;
    let seconds = (capped * (1.0 + jitter * (2.0 * sample - 1.0))).round().max(60.0);
    // At most 7 days × 1.5, far inside i64.
    Duration::seconds(seconds as i64)
}
