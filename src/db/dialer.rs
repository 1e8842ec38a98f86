//! A campaign's dialer: its rules and the state it keeps between steps (paused, pacing,
//! rescheduling after a rules change).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaign_dialer_rules, campaigns, interactions};
use super::types::{read_column, typed_row};
use crate::domain::campaign::CampaignStatus;
use crate::domain::dialing::RetryPolicy;
use crate::domain::dialing::rules::{Breaker, DialerRules, LeadOrder};
use crate::domain::dialing::windows::WeeklyWindows;
use crate::domain::interaction::CallStatus;
use crate::domain::lead::LeadStatus;
use crate::ids::{CampaignId, LeadId};

typed_row! {
    pub struct DialerRow in campaign_dialer_rules keyed by campaign_id as DialerRowRaw {
        pub campaign_id: CampaignId,
        pub enabled: bool,
        pub calling_windows: WeeklyWindows,
        pub dialable_statuses: Vec<LeadStatus>,
        pub lead_order: LeadOrder,
        pub max_attempts_total: i32,
        pub max_attempts_per_day: i32,
        pub retry_busy_minutes: i32,
        pub retry_no_answer_minutes: i32,
        pub retry_voicemail_minutes: i32,
        pub retry_failed_minutes: i32,
        pub retry_backoff_factor: f64,
        pub retry_jitter_percent: i32,
        pub max_concurrent_calls: i32,
        pub max_calls_per_minute: i32,
        pub breaker_window_calls: i32,
        pub breaker_failure_percent: i32,
        pub require_consent: bool,
        pub campaign_zone_fallback: bool,
        pub paused_reason: Option<String>,
        pub paused_at: Option<NaiveDateTime>,
        pub breaker_reset_at: Option<NaiveDateTime>,
        pub pace_tokens: f64,
        pub pace_at: Option<NaiveDateTime>,
        pub reschedule_after_id: Option<LeadId>,
        pub updated_at: NaiveDateTime,
    }
}

/// Stored integers are validated rules, so they are never negative.
fn count(value: i32) -> u32 {
    value.max(0) as u32
}

impl DialerRow {
    pub fn rules(&self) -> DialerRules {
        DialerRules {
            windows: self.calling_windows.clone(),
            dialable: self.dialable_statuses.clone(),
            order: self.lead_order,
            max_attempts_total: count(self.max_attempts_total),
            max_attempts_per_day: count(self.max_attempts_per_day),
            retry: RetryPolicy {
                busy_minutes: count(self.retry_busy_minutes),
                no_answer_minutes: count(self.retry_no_answer_minutes),
                voicemail_minutes: count(self.retry_voicemail_minutes),
                failed_minutes: count(self.retry_failed_minutes),
                backoff_factor: self.retry_backoff_factor,
                jitter_percent: count(self.retry_jitter_percent).min(u8::MAX.into()) as u8,
            },
            max_concurrent_calls: count(self.max_concurrent_calls),
            max_calls_per_minute: count(self.max_calls_per_minute),
            breaker: Breaker {
                window_calls: count(self.breaker_window_calls),
                failure_percent: count(self.breaker_failure_percent),
            },
            require_consent: self.require_consent,
            campaign_zone_fallback: self.campaign_zone_fallback,
        }
    }
}

pub fn find(conn: &mut DbConnection, campaign_id: CampaignId) -> QueryResult<Option<DialerRow>> {
    campaign_dialer_rules::table.find(campaign_id).select(DialerRow::as_select()).get_result(conn).optional()
}

/// Saves the rules (creating the row, switched off, the first time). Waiting leads are
/// rescheduled under the new rules in batches from the lowest id.
pub fn save_rules(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    rules: &DialerRules,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let columns = (
        campaign_dialer_rules::calling_windows.eq(rules.windows.to_text()),
        campaign_dialer_rules::dialable_statuses.eq(rules.statuses_text()),
        campaign_dialer_rules::lead_order.eq(rules.order.as_str()),
        campaign_dialer_rules::max_attempts_total.eq(rules.max_attempts_total as i32),
        campaign_dialer_rules::max_attempts_per_day.eq(rules.max_attempts_per_day as i32),
        campaign_dialer_rules::retry_busy_minutes.eq(rules.retry.busy_minutes as i32),
        campaign_dialer_rules::retry_no_answer_minutes.eq(rules.retry.no_answer_minutes as i32),
        campaign_dialer_rules::retry_voicemail_minutes.eq(rules.retry.voicemail_minutes as i32),
        campaign_dialer_rules::retry_failed_minutes.eq(rules.retry.failed_minutes as i32),
        campaign_dialer_rules::retry_backoff_factor.eq(rules.retry.backoff_factor),
        campaign_dialer_rules::retry_jitter_percent.eq(i32::from(rules.retry.jitter_percent)),
        campaign_dialer_rules::max_concurrent_calls.eq(rules.max_concurrent_calls as i32),
        campaign_dialer_rules::max_calls_per_minute.eq(rules.max_calls_per_minute as i32),
        campaign_dialer_rules::breaker_window_calls.eq(rules.breaker.window_calls as i32),
        campaign_dialer_rules::breaker_failure_percent.eq(rules.breaker.failure_percent as i32),
        campaign_dialer_rules::require_consent.eq(rules.require_consent),
        campaign_dialer_rules::campaign_zone_fallback.eq(rules.campaign_zone_fallback),
        campaign_dialer_rules::reschedule_after_id.eq(Some(LeadId::new(0))),
        campaign_dialer_rules::updated_at.eq(now),
    );
    let updated = diesel::update(campaign_dialer_rules::table.find(campaign_id)).set(columns.clone()).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(campaign_dialer_rules::table)
            .values((
                campaign_dialer_rules::campaign_id.eq(campaign_id),
                campaign_dialer_rules::enabled.eq(false),
                columns,
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Starts or stops the dialer; starting clears a pause and starts the breaker afresh.
pub fn set_enabled(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    enabled: bool,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let target = campaign_dialer_rules::table.find(campaign_id);
    if enabled {
        diesel::update(target)
            .set((
                campaign_dialer_rules::enabled.eq(true),
                campaign_dialer_rules::paused_reason.eq(None::<String>),
                campaign_dialer_rules::paused_at.eq(None::<NaiveDateTime>),
                campaign_dialer_rules::breaker_reset_at.eq(now),
                campaign_dialer_rules::updated_at.eq(now),
            ))
            .execute(conn)
    } else {
        diesel::update(target)
            .set((campaign_dialer_rules::enabled.eq(false), campaign_dialer_rules::updated_at.eq(now)))
            .execute(conn)
    }
}

/// The dialer pauses itself (circuit breaker) and says why; a person resumes it.
pub fn pause(conn: &mut DbConnection, campaign_id: CampaignId, reason: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(campaign_dialer_rules::table.find(campaign_id))
        .set((campaign_dialer_rules::paused_reason.eq(reason), campaign_dialer_rules::paused_at.eq(now)))
        .execute(conn)
}

pub fn save_tokens(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    tokens: f64,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(campaign_dialer_rules::table.find(campaign_id))
        .set((campaign_dialer_rules::pace_tokens.eq(tokens), campaign_dialer_rules::pace_at.eq(at)))
        .execute(conn)
}

/// Moves the rescheduling cursor after a batch; `None` when the campaign is done.
pub fn set_reschedule_cursor(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    after: Option<LeadId>,
) -> QueryResult<usize> {
    diesel::update(campaign_dialer_rules::table.find(campaign_id))
        .set(campaign_dialer_rules::reschedule_after_id.eq(after))
        .execute(conn)
}

/// Campaigns the dialer should drive: active, dialer on, not paused, no configuration error.
pub fn running_campaigns(conn: &mut DbConnection) -> QueryResult<Vec<CampaignId>> {
    campaign_dialer_rules::table
        .inner_join(campaigns::table)
        .filter(campaign_dialer_rules::enabled.eq(true))
        .filter(campaign_dialer_rules::paused_reason.is_null())
        .filter(campaigns::status.eq(CampaignStatus::Active.as_str()))
        .filter(campaigns::blocking_error_code.is_null())
        .select(campaign_dialer_rules::campaign_id)
        .order(campaign_dialer_rules::campaign_id.asc())
        .load(conn)
}

/// Calls in flight for the campaign.
pub fn live_calls(conn: &mut DbConnection, campaign_id: CampaignId) -> QueryResult<i64> {
    interactions::table
        .filter(interactions::campaign_id.eq(campaign_id))
        .filter(interactions::status.eq_any(CallStatus::names(&CallStatus::LIVE)))
        .count()
        .get_result(conn)
}

/// How the campaign's last `limit` finished attempts ended, newest first, counting only
/// calls made since `since` (the breaker starts afresh when a person resumes).
pub fn recent_endings(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    since: Option<NaiveDateTime>,
    limit: i64,
) -> QueryResult<Vec<CallStatus>> {
    let mut query = interactions::table
        .filter(interactions::campaign_id.eq(campaign_id))
        .filter(interactions::counts_as_attempt.eq(true))
        .filter(interactions::status.ne_all(CallStatus::names(&CallStatus::LIVE)))
        .select(interactions::status)
        .order(interactions::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(interactions::created_at.ge(since));
    }
    let codes: Vec<String> = query.load(conn)?;
    codes.into_iter().map(|code| read_column("interactions", "status", code)).collect()
}
