//! The auto-dialer (R-DIAL-RULES, R-DIAL-SAFE): a tokio task calls [`step`] every few
//! seconds; tests and the dry run call it with their own clock.
//!
//! Each step, for every campaign whose dialer runs: take the campaign's lease, then in one
//! transaction re-check the due leads against every rule at this instant and claim those
//! that may be called (a conditional update plus the `dialing` call row, so the
//! one-live-call-per-lead index makes a second claim impossible, even from another
//! instance), commit, and only then ask the provider — outside any transaction. A crash at
//! any point leaves rows the reconciler settles; nothing is ever dialed twice for one attempt.

pub mod claim;
pub mod schedule;
pub mod simulate;

use chrono::{DateTime, Utc};
use futures_util::future::join_all;

use crate::calls::{self, CallStart};
use crate::db;
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::Ctx;

/// What one step did, over all campaigns.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StepReport {
    /// Calls the provider was asked to place.
    pub dialed: usize,
    /// Of those, calls it did not take (definite refusal or not sent).
    pub failed: usize,
    /// Leads moved to their next allowed time.
    pub rescheduled: usize,
    /// Leads the dialer cannot call, with the reason stored.
    pub blocked: usize,
    /// Campaigns that could not be stepped (logged), retried next step.
    pub errors: usize,
}

/// One step of the dialer over every campaign it drives.
pub async fn step(ctx: &Ctx, now: DateTime<Utc>) -> Result<StepReport, AppError> {
    let campaigns = ctx.db.run(|conn| Ok(db::dialer::running_campaigns(conn)?)).await?;
    let mut report = StepReport::default();
    for campaign_id in campaigns {
        if let Err(err) = step_campaign(ctx, campaign_id, now, &mut report).await {
            tracing::warn!(%campaign_id, error = ?err, "dialer step failed for a campaign");
            report.errors += 1;
        }
    }
    Ok(report)
}

async fn step_campaign(
    ctx: &Ctx,
    campaign_id: CampaignId,
    now: DateTime<Utc>,
    report: &mut StepReport,
) -> Result<(), AppError> {
    let holder = ctx.instance_id.clone();
    let claimed = ctx.db.write(move |conn| claim::claim_batch(conn, campaign_id, &holder, now)).await?;
    #[cfg(feature = "failpoints")]
    fail::fail_point!("dialer-after-claim");
    report.rescheduled += claimed.rescheduled;
    report.blocked += claimed.blocked;
    report.dialed += claimed.prepared.len();
    ctx.metrics.dialer_claimed(campaign_id, claimed.prepared.len());
    let answers = join_all(claimed.prepared.into_iter().map(|prepared| calls::dial(ctx, prepared))).await;
    for answer in answers {
        ctx.metrics.dialer_dispatched(campaign_id, &answer);
        match answer {
            Ok(CallStart::ProviderError { .. } | CallStart::NotSent { .. }) => report.failed += 1,
            Ok(_) => {}
            // The call row is committed: a webhook or the reconciler settles it.
            Err(err) => tracing::warn!(%campaign_id, error = ?err, "recording the provider's answer failed"),
        }
    }
    Ok(())
}
