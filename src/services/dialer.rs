//! The campaign's dialer as people see and steer it (R-DIAL-RULES, R-DIAL-VIEW): its rules,
//! starting and pausing it, and what it is doing — in flight, due, next, blocked and why.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::audit::{self, Actor, Change};
use crate::db::call_lists::TimelineEntry;
use crate::db::campaigns::Campaign;
use crate::db::dialer::DialerRow;
use crate::db::leads::Lead;
use crate::db::{self, DbConnection};
use crate::dialer::claim::stopped;
use crate::dialer::simulate::{Dial, SimSummary};
use crate::domain::dialing::Profile;
use crate::domain::dialing::profiles::profile_for_number;
use crate::domain::dialing::rules::{DialBlock, DialerRules};
use crate::domain::lead::lead_zone;
use crate::domain::plural::counted;
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::Ctx;

/// Counts on the tab stop here ("10,000+").
pub const COUNT_CAP: i64 = 10_000;
/// Leads whose phone numbers tell which regional rules apply.
const PROFILE_SAMPLE: i64 = 20_000;

/// Where the dialer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialerState {
    /// Switched off (never started, or stopped by a person).
    Off,
    Running,
    /// Paused or blocked, and why.
    Stopped(String),
}

/// A lead waiting for its next call, with its local time then.
pub struct Scheduled {
    pub lead: Lead,
    pub at: DateTime<Utc>,
    /// The lead's zone (by the zone rule and the campaign's fallback).
    pub zone: Option<Tz>,
}

impl Scheduled {
    /// `Tue 09:00 America/Chicago`, or the UTC time when the zone is unknown.
    pub fn local(&self) -> String {
        match self.zone {
            Some(zone) => format!("{} {}", self.at.with_timezone(&zone).format("%a %H:%M"), zone.name()),
            None => format!("{} UTC", self.at.format("%a %H:%M")),
        }
    }
}

/// Everything the Dialer tab shows.
pub struct DialerView {
    pub campaign: Campaign,
    /// Saved rules, or the defaults offered for a first save.
    pub rules: DialerRules,
    pub saved: bool,
    pub state: DialerState,
    pub in_flight: i64,
    /// Due now (capped at [`COUNT_CAP`] + 1).
    pub due_now: i64,
    pub next: Vec<Scheduled>,
    /// Blocked leads per reason (capped counts), only reasons that occur.
    pub blocked: Vec<(DialBlock, i64)>,
    pub blocked_sample: Vec<Lead>,
    pub recent: Vec<TimelineEntry>,
}

pub async fn view(ctx: &Ctx, campaign_id: CampaignId) -> Result<DialerView, AppError> {
    let now = ctx.clock.now_utc();
    ctx.db.run(move |conn| load_view(conn, campaign_id, now)).await
}

fn load_view(conn: &mut DbConnection, campaign_id: CampaignId, now: DateTime<Utc>) -> Result<DialerView, AppError> {
    let campaign = db::campaigns::find(conn, campaign_id)?;
    let row = db::dialer::find(conn, campaign_id)?;
    let rules = row.as_ref().map(DialerRow::rules).unwrap_or_default();
    let state = match &row {
        None => DialerState::Off,
        Some(row) if !row.enabled => DialerState::Off,
        Some(row) => stopped(&campaign, row).map_or(DialerState::Running, DialerState::Stopped),
    };
    let stored_now = now.naive_utc();
    let fallback = rules.campaign_zone_fallback.then_some(campaign.timezone);
    let next = db::dial_queue::scheduled(conn, campaign_id, stored_now, 20)?
        .into_iter()
        .filter_map(|lead| {
            let at = lead.next_call_at?.and_utc();
            let zone = lead_zone(lead.timezone, &lead.phone, fallback).map(|z| z.zone);
            Some(Scheduled { lead, at, zone })
        })
        .collect();
    let mut blocked = Vec::new();
    for &reason in DialBlock::ALL {
        let count = db::dial_queue::count_blocked(conn, campaign_id, reason, COUNT_CAP)?;
        if count > 0 {
            blocked.push((reason, count));
        }
    }
    Ok(DialerView {
        in_flight: db::dialer::live_calls(conn, campaign_id)?,
        due_now: db::dial_queue::count_due(conn, campaign_id, stored_now, COUNT_CAP)?,
        blocked_sample: db::dial_queue::blocked(conn, campaign_id, 20)?,
        recent: db::call_lists::campaign_recent(conn, campaign_id, 20)?,
        saved: row.is_some(),
        campaign,
        rules,
        state,
        next,
        blocked,
    })
}

/// The regional profiles that apply to the campaign's leads (from a sample of their
/// numbers), with how many of the sampled leads each covers, strictest first.
pub async fn profiles(ctx: &Ctx, campaign_id: CampaignId) -> Result<Vec<(&'static Profile, usize)>, AppError> {
    let phones = ctx.db.run(move |conn| Ok(db::dial_queue::sample_phones(conn, campaign_id, PROFILE_SAMPLE)?)).await?;
    let mut counts: Vec<(&'static Profile, usize)> = Vec::new();
    for phone in &phones {
        let profile = profile_for_number(phone.as_str());
        match counts.iter_mut().find(|(p, _)| p.code == profile.code) {
            Some((_, n)) => *n += 1,
            None => counts.push((profile, 1)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.code.cmp(b.0.code)));
    Ok(counts)
}

/// Saves validated rules; waiting leads are rescheduled under them in the background.
pub async fn save_rules(ctx: &Ctx, actor: Actor, campaign_id: CampaignId, rules: DialerRules) -> Result<(), AppError> {
    rules.validate().map_err(|problems| AppError::Validation(problems.join("\n")))?;
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let campaign = db::campaigns::find(conn, campaign_id)?;
            db::dialer::save_rules(conn, campaign_id, &rules, now)?;
            let summary = format!(
                "Set the dialer rules of “{}”: windows {}; {} ({} a day); {} at once, {} a minute",
                campaign.name,
                rules.windows.to_text(),
                counted(rules.max_attempts_total, "attempt"),
                rules.max_attempts_per_day,
                counted(rules.max_concurrent_calls, "call"),
                rules.max_calls_per_minute
            );
            record(conn, &actor, "dialer.rules", campaign_id, &summary, now)
        })
        .await
}

/// Starts (or resumes) the dialer; a pause by the breaker is cleared and it starts afresh.
pub async fn start(ctx: &Ctx, actor: Actor, campaign_id: CampaignId) -> Result<(), AppError> {
    switch(ctx, actor, campaign_id, true).await
}

/// Stops the dialer; calls in flight finish.
pub async fn stop(ctx: &Ctx, actor: Actor, campaign_id: CampaignId) -> Result<(), AppError> {
    switch(ctx, actor, campaign_id, false).await
}

async fn switch(ctx: &Ctx, actor: Actor, campaign_id: CampaignId, on: bool) -> Result<(), AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let campaign = db::campaigns::find(conn, campaign_id)?;
            if db::dialer::set_enabled(conn, campaign_id, on, now)? == 0 {
                return Err(AppError::validation("Save the dialer rules first"));
            }
            let (action, summary) = if on {
                ("dialer.start", format!("Started the dialer of “{}”", campaign.name))
            } else {
                ("dialer.stop", format!("Stopped the dialer of “{}”", campaign.name))
            };
            record(conn, &actor, action, campaign_id, &summary, now)
        })
        .await
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    campaign_id: CampaignId,
    summary: &str,
    now: chrono::NaiveDateTime,
) -> Result<(), AppError> {
    let change = Change { action, object_kind: "campaign", object_id: Some(campaign_id.get()), summary };
    Ok(audit::record(conn, actor, change, now)?)
}

/// How far the Dialer tab's preview looks ahead.
pub const PREVIEW_HOURS: u32 = 24;

/// What the dialer would do over the next [`PREVIEW_HOURS`] under the saved rules: the dry
/// run on a scratch copy of the campaign (R-DIAL-SIM); nothing is called or changed.
pub async fn preview(ctx: &Ctx, campaign_id: CampaignId) -> Result<(Vec<Dial>, SimSummary), AppError> {
    crate::dialer::simulate::preview(ctx, campaign_id, PREVIEW_HOURS).await
}
