//! One campaign's share of a dialer step, in one transaction: the lease, the circuit
//! breaker, rescheduling after a rules change, pacing, and the claim of due leads — each
//! re-checked against every rule at this instant, and either committed as a `dialing` call
//! (the claim), moved to its next allowed time, or blocked with its reason.

use chrono::{DateTime, Duration, Utc};

use super::schedule::next_call;
use crate::calls::{self, CallStart, Prepared, Refusal, Requester};
use crate::db::campaigns::Campaign;
use crate::db::dialer::DialerRow;
use crate::db::leads::Lead;
use crate::db::{self, DbConnection};
use crate::domain::campaign::CampaignStatus;
use crate::domain::dialing::rules::{DialBlock, DialerRules};
use crate::domain::interaction::CallStatus;
use crate::error::AppError;
use crate::ids::{CampaignId, LeadId};
use crate::services::InstanceId;

/// How long one instance drives a campaign without renewing (each step renews it).
pub const LEASE: Duration = Duration::seconds(30);
/// Due leads looked at per step (dialed, rescheduled or blocked): a few per free line, as
/// some turn out to be outside their window or blocked, within these bounds.
const CANDIDATES_PER_LINE: i64 = 4;
const MIN_CANDIDATES: i64 = 20;
const MAX_CANDIDATES: i64 = 200;
/// Waiting leads rescheduled per step after a rules change.
const RESCHEDULE_BATCH: i64 = 500;
/// How many seconds of pacing a campaign may bank (a step's worth).
const BURST_SECONDS: f64 = 2.0;

/// What one step did for a campaign.
#[derive(Debug, Default)]
pub struct Claimed {
    pub prepared: Vec<Prepared>,
    pub rescheduled: usize,
    pub blocked: usize,
    /// Why nothing was claimed, when nothing could be.
    pub idle: Option<String>,
}

pub fn lease_name(campaign_id: CampaignId) -> String {
    format!("dialer:{campaign_id}")
}

/// The campaign's step: everything before the provider is asked, committed together.
pub fn claim_batch(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    holder: &InstanceId,
    now: DateTime<Utc>,
) -> Result<Claimed, AppError> {
    let stored_now = now.naive_utc();
    if !db::leases::try_acquire(conn, &lease_name(campaign_id), holder.as_str(), stored_now, stored_now + LEASE)? {
        return Ok(idle("another instance drives this campaign"));
    }
    let campaign = db::campaigns::find(conn, campaign_id)?;
    let Some(settings) = db::dialer::find(conn, campaign_id)? else { return Ok(idle("no dialer rules")) };
    if let Some(reason) = stopped(&campaign, &settings) {
        return Ok(idle(&reason));
    }
    let rules = settings.rules();
    if let Some(reason) = breaker_trips(conn, &campaign, &settings, &rules)? {
        db::dialer::pause(conn, campaign_id, &reason, stored_now)?;
        tracing::warn!(%campaign_id, reason, "dialer paused by the circuit breaker");
        return Ok(idle(&reason));
    }
    let mut claimed = Claimed::default();
    if let Some(after) = settings.reschedule_after_id {
        reschedule_batch(conn, &campaign, &rules, after, now, &mut claimed)?;
    }
    let tokens = refill(&settings, &rules, now);
    let live = db::dialer::live_calls(conn, campaign_id)?;
    let mut slots = (i64::from(rules.max_concurrent_calls) - live).max(0).min(tokens.floor() as i64);
    // With no free line nothing can be claimed, and a deep backlog costs a check per lead:
    // look at a few candidates per free line only.
    let due = match slots {
        0 => Vec::new(),
        _ => {
            let candidates = (slots * CANDIDATES_PER_LINE).clamp(MIN_CANDIDATES, MAX_CANDIDATES);
            db::dial_queue::due(conn, campaign_id, rules.order, stored_now, candidates)?
        }
    };
    for lead in due {
        if slots == 0 {
            break;
        }
        match next_call(conn, &rules, &campaign, &lead, lead.status, now)? {
            Ok(at) if at <= now => match take(conn, &lead, now)? {
                Taken::Call(prepared) => {
                    claimed.prepared.push(*prepared);
                    slots -= 1;
                }
                Taken::Blocked => claimed.blocked += 1,
                Taken::Skipped => {}
                Taken::CampaignBlocked(reason) => {
                    claimed.idle = Some(reason);
                    break;
                }
            },
            Ok(at) => {
                db::dial_queue::reschedule(conn, lead.id, at.naive_utc(), stored_now)?;
                claimed.rescheduled += 1;
            }
            Err(block) => {
                db::dial_queue::block(conn, &lead, block, stored_now)?;
                claimed.blocked += 1;
            }
        }
    }
    db::dialer::save_tokens(conn, campaign_id, tokens - claimed.prepared.len() as f64, stored_now)?;
    Ok(claimed)
}

fn idle(reason: &str) -> Claimed {
    Claimed { idle: Some(reason.to_owned()), ..Claimed::default() }
}

/// Why the dialer does not drive this campaign now, if it does not.
pub fn stopped(campaign: &Campaign, settings: &DialerRow) -> Option<String> {
    if !settings.enabled {
        return Some("the dialer is switched off".into());
    }
    if let Some(reason) = &settings.paused_reason {
        return Some(format!("paused: {reason}"));
    }
    if campaign.status != CampaignStatus::Active {
        return Some(format!("the campaign is {}", campaign.status.label().to_lowercase()));
    }
    campaign.blocking_error_message.as_ref().map(|message| format!("a configuration problem stops calling: {message}"))
}

/// The breaker's reason to pause, when enough of the last calls failed.
fn breaker_trips(
    conn: &mut DbConnection,
    campaign: &Campaign,
    settings: &DialerRow,
    rules: &DialerRules,
) -> Result<Option<String>, AppError> {
    let window = rules.breaker.window_calls;
    let endings = db::dialer::recent_endings(conn, campaign.id, settings.breaker_reset_at, i64::from(window))?;
    let failed = endings.iter().filter(|s| **s == CallStatus::Failed).count() as u32;
    Ok(rules.breaker.trips(failed, endings.len() as u32).then(|| {
        format!("circuit breaker: {failed} of the last {} calls failed; check the provider, then resume", endings.len())
    }))
}

/// Tokens available now: the bank refilled at the campaign's calls per minute.
fn refill(settings: &DialerRow, rules: &DialerRules, now: DateTime<Utc>) -> f64 {
    let per_second = f64::from(rules.max_calls_per_minute) / 60.0;
    let capacity = (per_second * BURST_SECONDS).max(1.0);
    match settings.pace_at {
        None => capacity,
        Some(at) => {
            let elapsed = (now.naive_utc() - at).num_milliseconds().max(0) as f64 / 1000.0;
            (settings.pace_tokens + elapsed * per_second).min(capacity)
        }
    }
}

enum Taken {
    Call(Box<Prepared>),
    Blocked,
    /// Another dialer took the lead first, or it has a live call already.
    Skipped,
    /// A configuration problem stops the whole campaign (R-CONFIG-ERR).
    CampaignBlocked(String),
}

/// Claims a lead that may be called now and commits its `dialing` call.
fn take(conn: &mut DbConnection, lead: &Lead, now: DateTime<Utc>) -> Result<Taken, AppError> {
    let stored_now = now.naive_utc();
    if !db::dial_queue::claim(conn, lead.id, stored_now)? {
        return Ok(Taken::Skipped);
    }
    Ok(match calls::prepare(conn, lead.id, &Requester::Dialer, now)? {
        Ok(prepared) => Taken::Call(Box::new(prepared)),
        Err(CallStart::ConfigError { error, .. }) => {
            // Not an attempt: the lead stays due for when the campaign is fixed.
            restore(conn, lead.id, now)?;
            Taken::CampaignBlocked(error.message())
        }
        Err(CallStart::Refused(refusal)) => match blocking(&refusal) {
            Some(block) => {
                db::dial_queue::block(conn, lead, block, stored_now)?;
                Taken::Blocked
            }
            None => Taken::Skipped,
        },
        Err(other) => return Err(AppError::Unexpected(anyhow::anyhow!("unexpected outcome of a claim: {other:?}"))),
    })
}

fn restore(conn: &mut DbConnection, lead_id: LeadId, now: DateTime<Utc>) -> Result<(), AppError> {
    db::dial_queue::reschedule(conn, lead_id, now.naive_utc(), now.naive_utc())?;
    Ok(())
}

/// The block a refusal amounts to; `None` for a lead that simply has a live call (its outcome
/// reschedules it).
fn blocking(refusal: &Refusal) -> Option<DialBlock> {
    match refusal {
        Refusal::CallInProgress | Refusal::LeadDeleted | Refusal::CampaignArchived => None,
        Refusal::OptedOut(_) | Refusal::OnDoNotCallList { .. } => Some(DialBlock::DoNotCall),
        Refusal::NeedsReview => Some(DialBlock::NeedsReview),
        Refusal::OutsideCallingHours { .. } => Some(DialBlock::NoWindow),
    }
}

/// After a rules change: the next batch of waiting leads gets its time under the new rules.
fn reschedule_batch(
    conn: &mut DbConnection,
    campaign: &Campaign,
    rules: &DialerRules,
    after: LeadId,
    now: DateTime<Utc>,
    claimed: &mut Claimed,
) -> Result<(), AppError> {
    let batch = db::dial_queue::waiting_after(conn, campaign.id, after, RESCHEDULE_BATCH)?;
    let cursor = if (batch.len() as i64) < RESCHEDULE_BATCH { None } else { batch.last().map(|l| l.id) };
    let stored_now = now.naive_utc();
    for lead in &batch {
        let from = lead.retry_at.map_or(now, |at| at.and_utc().max(now));
        match next_call(conn, rules, campaign, lead, lead.status, from)? {
            Ok(at) => {
                db::dial_queue::reschedule(conn, lead.id, at.naive_utc(), stored_now)?;
                claimed.rescheduled += 1;
            }
            Err(block) => {
                db::dial_queue::block(conn, lead, block, stored_now)?;
                claimed.blocked += 1;
            }
        }
    }
    db::dialer::set_reschedule_cursor(conn, campaign.id, cursor)?;
    Ok(())
}
