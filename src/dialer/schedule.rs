//! Deciding "when" for one lead, in the caller's transaction: gathering the facts the pure
//! rules need (zone, do-not-call, recent attempts), and setting the lead's next call after a
//! call ends or whenever its rules may have changed.

use chrono::{DateTime, Duration, NaiveDateTime, Utc};

use crate::db::campaigns::Campaign;
use crate::db::leads::{CallResult, Lead};
use crate::db::{self, DbConnection};
use crate::domain::dialing::plan::{self, LeadFacts};
use crate::domain::dialing::rules::{DialBlock, DialerRules};
use crate::domain::lead::{LeadStatus, lead_zone};
use crate::domain::outcome::Outcome;
use crate::error::AppError;

/// How far back attempts count for the per-day and rolling caps (two local days at most).
const CAP_LOOKBACK: Duration = Duration::hours(50);

/// The campaign's dialer rules, or the defaults while it has none.
pub fn rules_for(conn: &mut DbConnection, campaign: &Campaign) -> Result<DialerRules, AppError> {
    Ok(db::dialer::find(conn, campaign.id)?.map(|row| row.rules()).unwrap_or_default())
}

/// When the dialer may call `lead` at or after `from`, or why it may not.
pub fn next_call(
    conn: &mut DbConnection,
    rules: &DialerRules,
    campaign: &Campaign,
    lead: &Lead,
    status: LeadStatus,
    from: DateTime<Utc>,
) -> Result<Result<DateTime<Utc>, DialBlock>, AppError> {
    let on_list = db::suppression::blocking_entry(conn, &lead.phone, campaign.id)?.is_some();
    let since = (from - CAP_LOOKBACK).naive_utc();
    let recent: Vec<DateTime<Utc>> =
        db::dial_queue::attempts_since(conn, lead.id, since)?.into_iter().map(|t| t.and_utc()).collect();
    let fallback = rules.campaign_zone_fallback.then_some(campaign.timezone);
    let facts = LeadFacts {
        status,
        phone: &lead.phone,
        zone: lead_zone(lead.timezone, &lead.phone, fallback).map(|z| z.zone),
        consented: lead.consent_at.is_some() || lead.consent_source.is_some(),
        needs_review: lead.needs_review,
        on_do_not_call_list: on_list,
        attempts: lead.attempt_count.max(0) as u32,
        recent_attempts: &recent,
    };
    Ok(plan::next_call(rules, &facts, from))
}

/// What a call's outcome does to its lead's schedule (R-OUTCOME, R-DIAL-RULES): the retry
/// delay or callback from the rules, moved into the lead's windows; a terminal outcome or
/// status ends dialing; attempts used up make the lead unreachable.
pub fn after_outcome(
    conn: &mut DbConnection,
    campaign: &Campaign,
    lead: &Lead,
    new_status: LeadStatus,
    outcome: Outcome,
    callback_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Result<CallResult, AppError> {
    let mut result = CallResult {
        status: Some(new_status),
        retry_at: None,
        next_call_at: None,
        dial_block: None,
        reached: outcome.reached_person(),
        needs_review: false,
    };
    if new_status.is_final() || lead.deleted_at.is_some() {
        return Ok(result);
    }
    let rules = rules_for(conn, campaign)?;
    let earlier = db::dial_queue::earlier_outcomes(conn, lead.id, outcome)?;
    let retry_at = plan::retry_after(
        &rules,
        outcome,
        now.and_utc(),
        callback_at.map(|at| at.and_utc()),
        earlier.saturating_sub(1).max(0) as u32,
        plan::jitter_sample(lead.id.get(), lead.attempt_count),
    );
    let Some(retry_at) = retry_at else { return Ok(result) };
    result.retry_at = Some(retry_at.naive_utc());
    // The ended call settles any review the lead was waiting for.
    let settled = Lead { needs_review: false, ..lead.clone() };
    match next_call(conn, &rules, campaign, &settled, new_status, retry_at)? {
        Ok(at) => result.next_call_at = Some(at.naive_utc()),
        Err(DialBlock::MaxAttempts) => {
            result.status = Some(LeadStatus::Unreachable);
            result.dial_block = Some(DialBlock::MaxAttempts);
        }
        Err(block) => result.dial_block = Some(block),
    }
    Ok(result)
}
