//! When the dialer may call a lead next, from everything that limits it: the lead's own
//! state (status, consent, do-not-call, a call needing review), the campaign's rules
//! (attempts, windows), the legal floor and the lead's regional profile, in the lead's zone.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use super::profiles::profile_for_number;
use super::retry::{RetryKind, retry_delay};
use super::rules::{DialBlock, DialerRules};
use super::schedule::{CallingRules, local_date, local_day_bounds, next_dial_time};
use crate::domain::lead::LeadStatus;
use crate::domain::outcome::Outcome;
use crate::domain::phone::E164;

/// What the dialer knows about one lead when it decides.
#[derive(Debug, Clone, Copy)]
pub struct LeadFacts<'a> {
    pub status: LeadStatus,
    pub phone: &'a E164,
    /// The lead's zone by the zone rule (with the campaign fallback when the rules allow it).
    pub zone: Option<Tz>,
    pub consented: bool,
    pub needs_review: bool,
    pub on_do_not_call_list: bool,
    /// Attempts so far.
    pub attempts: u32,
    /// When the recent attempts were made (at least the last 48 hours).
    pub recent_attempts: &'a [DateTime<Utc>],
}

/// The earliest instant at or after `from` at which the dialer may call the lead, or why it
/// may not call it at all.
pub fn next_call(rules: &DialerRules, lead: &LeadFacts<'_>, from: DateTime<Utc>) -> Result<DateTime<Utc>, DialBlock> {
    if lead.on_do_not_call_list {
        return Err(DialBlock::DoNotCall);
    }
    if lead.needs_review {
        return Err(DialBlock::NeedsReview);
    }
    if !rules.dials(lead.status) {
        return Err(DialBlock::Status);
    }
    if rules.require_consent && !lead.consented {
        return Err(DialBlock::NoConsent);
    }
    if lead.attempts >= rules.max_attempts_total {
        return Err(DialBlock::MaxAttempts);
    }
    let zone = lead.zone.ok_or(DialBlock::NoTimezone)?;
    let calling = CallingRules { campaign: &rules.windows, profile: profile_for_number(lead.phone.as_str()) };
    let mut at = from;
    // Each pass moves `at` forward past a full day or into a window; a few passes settle it.
    for _ in 0..64 {
        let day = local_date(zone, at);
        let (day_start, next_day) = local_day_bounds(zone, day);
        let today = lead.recent_attempts.iter().filter(|t| **t >= day_start && **t < next_day).count() as u32;
        if today >= rules.max_attempts_per_day {
            at = next_day;
            continue;
        }
        let open = next_dial_time(&calling, zone, lead.recent_attempts, at).ok_or(DialBlock::NoWindow)?;
        if open == at {
            return Ok(at);
        }
        at = open;
    }
    Err(DialBlock::NoWindow)
}

/// The retry kind of an outcome that reached no one, if it is one.
pub fn retry_kind(outcome: Outcome) -> Option<RetryKind> {
    match outcome {
        Outcome::Busy => Some(RetryKind::Busy),
        Outcome::NoAnswer => Some(RetryKind::NoAnswer),
        Outcome::Voicemail => Some(RetryKind::Voicemail),
        Outcome::Failed => Some(RetryKind::Failed),
        _ => None,
    }
}

/// Not before when a lead may be called again after a call with `outcome` ended at `now`:
/// the rules' retry delay (with backoff over the earlier retries of the same kind and a
/// jitter), a callback the lead asked for, or `None` when the outcome ends calling.
pub fn retry_after(
    rules: &DialerRules,
    outcome: Outcome,
    now: DateTime<Utc>,
    callback_at: Option<DateTime<Utc>>,
    earlier_retries_of_kind: u32,
    jitter_sample: f64,
) -> Option<DateTime<Utc>> {
    if let Some(kind) = retry_kind(outcome) {
        return Some(now + retry_delay(&rules.retry, kind, earlier_retries_of_kind, jitter_sample));
    }
    match outcome {
        Outcome::Callback => Some(callback_at.filter(|at| *at > now).unwrap_or(now + Duration::hours(24))),
        // They talked but nothing came of it: try again in a couple of days.
        Outcome::Completed => Some(now + Duration::days(2)),
        _ => None,
    }
}

/// A uniform sample in [0, 1) fixed by the lead and its attempt, so the same history always
/// gives the same jitter (reproducible dry runs, no random source needed).
pub fn jitter_sample(lead_id: i64, attempt: i32) -> f64 {
    // SplitMix64 over the two numbers.
    let mut x = (lead_id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (attempt as u64).rotate_left(32);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn facts<'a>(phone: &'a E164, zone: Option<Tz>, recent: &'a [DateTime<Utc>]) -> LeadFacts<'a> {
        LeadFacts {
            status: LeadStatus::New,
            phone,
            zone,
            consented: true,
            needs_review: false,
            on_do_not_call_list: false,
            attempts: 0,
            recent_attempts: recent,
        }
    }

    fn new_york() -> E164 {
        E164::parse("+12125550123", None).unwrap()
    }

    #[test]
    fn r_dial_rules_blocks_come_before_any_time() {
        let rules = DialerRules { require_consent: true, ..DialerRules::default() };
        let phone = new_york();
        let at = utc("2026-11-30T15:00:00Z");
        let base = facts(&phone, Some(chrono_tz::America::New_York), &[]);
        let cases = [
            (LeadFacts { on_do_not_call_list: true, ..base }, DialBlock::DoNotCall),
            (LeadFacts { needs_review: true, ..base }, DialBlock::NeedsReview),
            (LeadFacts { status: LeadStatus::Qualified, ..base }, DialBlock::Status),
            (LeadFacts { consented: false, ..base }, DialBlock::NoConsent),
            (LeadFacts { attempts: 6, ..base }, DialBlock::MaxAttempts),
            (LeadFacts { zone: None, ..base }, DialBlock::NoTimezone),
        ];
        for (lead, block) in cases {
            assert_eq!(next_call(&rules, &lead, at), Err(block));
        }
        assert_eq!(next_call(&rules, &base, at), Ok(at), "Monday 10:00 in New York is open");
    }

    #[test]
    fn r_dial_rules_a_closed_window_moves_the_call_to_the_next_opening() {
        let rules = DialerRules::default();
        let phone = new_york();
        // Sunday 06:04 in New York: the business default opens Monday 09:00.
        let lead = facts(&phone, Some(chrono_tz::America::New_York), &[]);
        let next = next_call(&rules, &lead, utc("2026-11-29T11:04:00Z")).unwrap();
        assert_eq!(next, utc("2026-11-30T14:00:00Z"));
    }

    #[test]
    fn r_dial_rules_the_daily_cap_counts_the_leads_own_day() {
        let rules = DialerRules { max_attempts_per_day: 2, ..DialerRules::default() };
        let phone = E164::parse("+14155550123", None).unwrap();
        // Two calls on Monday in Los Angeles; Monday 23:30 UTC is still Monday 15:30 there.
        let recent = [utc("2026-11-30T17:00:00Z"), utc("2026-11-30T21:00:00Z")];
        let lead = LeadFacts { attempts: 2, ..facts(&phone, Some(chrono_tz::America::Los_Angeles), &recent) };
        let next = next_call(&rules, &lead, utc("2026-11-30T23:30:00Z")).unwrap();
        assert_eq!(next, utc("2026-12-01T17:00:00Z"), "Tuesday 09:00 in Los Angeles");
    }

    #[test]
    fn r_dial_rules_retries_follow_the_outcome_with_backoff() {
        let rules = DialerRules::default();
        let now = utc("2026-11-30T15:00:00Z");
        assert_eq!(retry_after(&rules, Outcome::Busy, now, None, 0, 0.5), Some(now + Duration::minutes(30)));
        assert_eq!(retry_after(&rules, Outcome::Busy, now, None, 1, 0.5), Some(now + Duration::minutes(45)));
        assert_eq!(retry_after(&rules, Outcome::NoAnswer, now, None, 0, 0.5), Some(now + Duration::hours(4)));
        let asked = now + Duration::days(3);
        assert_eq!(retry_after(&rules, Outcome::Callback, now, Some(asked), 0, 0.5), Some(asked));
        assert_eq!(retry_after(&rules, Outcome::Interested, now, None, 0, 0.5), None);
        assert_eq!(retry_after(&rules, Outcome::DoNotCall, now, None, 0, 0.5), None);
    }

    #[test]
    fn jitter_samples_are_fixed_and_spread() {
        assert_eq!(jitter_sample(42, 3), jitter_sample(42, 3));
        let samples: Vec<f64> = (0..1000).map(|n| jitter_sample(n, 1)).collect();
        assert!(samples.iter().all(|s| (0.0..1.0).contains(s)));
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        assert!((0.4..0.6).contains(&mean), "{mean}");
    }
}
