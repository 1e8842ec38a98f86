//! The dry run (R-DIAL-SIM): the real dialer [`step`](super::step) over a simulated period, on
//! a scratch copy of one campaign, with a clock moved by hand and a provider that takes every
//! call in process. What the dialer decides there is what it would decide in production; only
//! how the calls end is invented — drawn from an outcome mix with a seeded random source — and
//! those endings go through the normal call-ending code, so retry delays, caps, the status map
//! and opt-outs apply as they do for real calls. Production data is only read.
//!
//! Time moves in one-minute ticks. Within a tick the dialer steps every two seconds, as the
//! server's loop does, for as long as it can still place calls (leads due, lines free, pacing
//! allows); the calls of a tick end when it ends, so a call lasts up to a minute and the
//! concurrency limit caps the calls per minute. Stretches with nothing due are skipped up to
//! the next lead's time.

mod driver;
mod mix;
mod queries;
mod report;
mod rows;
mod scratch;

use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::clock::ManualClock;
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::{Ctx, InstanceId};
use driver::{Simulation, TICK, fresh_provider};
pub use mix::{DEFAULT_MIX, OutcomeMix};
pub use report::{CSV_COLUMNS, Dial, DialCsv, SimSummary};
use scratch::{Plan, Scratch};

/// Leads a preview looks at, so that the Dialer tab stays quick.
pub const PREVIEW_LEADS: i64 = 5_000;
/// The seed of a run unless another is given.
pub const DEFAULT_SEED: u64 = 1;

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub campaign_id: CampaignId,
    pub start: DateTime<Utc>,
    pub period: Duration,
    pub outcomes: OutcomeMix,
    pub seed: u64,
    /// Only this many leads, those due soonest; `None` for every live lead.
    pub lead_limit: Option<i64>,
}

impl SimOptions {
    /// Every live lead, the default outcome mix and seed.
    pub fn new(campaign_id: CampaignId, start: DateTime<Utc>, period: Duration) -> SimOptions {
        SimOptions { campaign_id, start, period, outcomes: OutcomeMix::default(), seed: DEFAULT_SEED, lead_limit: None }
    }
}

/// Runs the dry run and hands every dial to `sink` as it happens. `source` is the
/// installation's context: its database is only read, and its key opens the copied
/// connection's secrets.
pub async fn run(
    source: &Ctx,
    options: SimOptions,
    sink: &mut (dyn FnMut(Dial) + Send),
) -> Result<SimSummary, AppError> {
    let began = Instant::now();
    if options.period < TICK {
        return Err(AppError::validation("a dry run needs a period of at least a minute"));
    }
    let scratch = Scratch::create()?;
    let plan = Plan { campaign_id: options.campaign_id, start: options.start, lead_limit: options.lead_limit };
    let scratch_db = scratch.db.clone();
    let copied = source.db.run(move |src| scratch::copy(src, &scratch_db, &plan)).await?;
    let clock = Arc::new(ManualClock::new(options.start));
    let ctx = Ctx {
        db: scratch.db.clone(),
        clock: clock.clone(),
        providers: fresh_provider(),
        instance_id: InstanceId("dry-run".into()),
        // A dry run's dials are not the installation's.
        metrics: crate::monitoring::Metrics::new(),
        ..source.clone()
    };
    let end = options.start + options.period;
    let days = days_between(copied.campaign.timezone, options.start, end);
    let mut sim = Simulation::new(ctx, clock, &copied, options.outcomes, options.seed, &days);
    sim.take_over_live_calls().await?;
    let mut notes = copied.notes;
    notes.extend(sim.drive(options.start, end, sink).await?);
    let campaign_id = options.campaign_id;
    let (statuses, blocked) = sim.ctx().db.run(move |conn| queries::final_counts(conn, campaign_id)).await?;
    Ok(SimSummary {
        campaign: copied.campaign.name,
        start: options.start,
        end,
        leads: copied.leads,
        dials: sim.dials(),
        campaign_zone: copied.campaign.timezone,
        dials_per_day: sim.dials_per_day(),
        statuses,
        blocked,
        notes,
        wall_time: began.elapsed(),
    })
}

/// The dialer's next `hours` for a campaign, for its Dialer tab: the dry run from now with
/// the default outcome mix, over at most [`PREVIEW_LEADS`] leads — those due soonest — so the
/// page stays quick. A campaign that could dial more leads than that in the period shows only
/// those leads and their retries.
pub async fn preview(ctx: &Ctx, campaign_id: CampaignId, hours: u32) -> Result<(Vec<Dial>, SimSummary), AppError> {
    let mut options = SimOptions::new(campaign_id, ctx.clock.now_utc(), Duration::hours(i64::from(hours)));
    options.lead_limit = Some(PREVIEW_LEADS);
    let mut dials = Vec::new();
    let summary = run(ctx, options, &mut |dial| dials.push(dial)).await?;
    Ok((dials, summary))
}

/// The campaign's calendar days from `start` to `end`.
fn days_between(zone: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<NaiveDate> {
    let (first, last) = (start.with_timezone(&zone).date_naive(), end.with_timezone(&zone).date_naive());
    first.iter_days().take_while(|day| *day <= last).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_dial_sim_days_are_the_campaigns_own() {
        let start = "2026-10-29T00:00:00Z".parse().unwrap();
        let end = "2026-10-30T12:00:00Z".parse().unwrap();
        let days = days_between(chrono_tz::America::New_York, start, end);
        let names: Vec<String> = days.iter().map(ToString::to_string).collect();
        assert_eq!(names, ["2026-10-28", "2026-10-29", "2026-10-30"]);
    }
}
