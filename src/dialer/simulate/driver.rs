//! The dry run's clock work: ticks, the dialer steps inside them, and the endings of the
//! calls it placed.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Tz;
use rand::rngs::StdRng;

use super::mix::OutcomeMix;
use super::queries::{self, State};
use super::report::Dial;
use super::scratch::Copied;
use crate::calls::settle;
use crate::clock::ManualClock;
use crate::db::DbConnection;
use crate::db::interactions::Interaction;
use crate::domain::lead::lead_zone;
use crate::domain::outcome::Outcome;
use crate::error::AppError;
use crate::ids::{CampaignId, InteractionId};
use crate::provider::scripted::{ScriptedProvider, ScriptedProviders};
use crate::provider::{CallReport, ConversationState, FailureReason};
use crate::services::Ctx;

/// A provider that takes every call. A fresh one per step: it keeps the calls it was asked
/// to place, and a week of them would only fill memory.
pub fn fresh_provider() -> Arc<ScriptedProviders> {
    Arc::new(ScriptedProviders(ScriptedProvider::accepting()))
}

/// Simulated time between the ends of calls.
pub const TICK: Duration = Duration::minutes(1);
/// How often the server's dialer loop steps with the default `dialer_interval_ms`.
const STEP: Duration = Duration::seconds(2);

pub struct Simulation {
    ctx: Ctx,
    clock: Arc<ManualClock>,
    campaign_id: CampaignId,
    /// The campaign's zone for leads without one, when the rules allow it.
    fallback: Option<Tz>,
    max_concurrent: usize,
    per_second: f64,
    mix: OutcomeMix,
    rng: StdRng,
    /// Calls up to this id have been seen.
    last_seen: InteractionId,
    /// Live calls and how they will end.
    pending: Vec<(Interaction, Outcome)>,
    dials: usize,
    /// Dials per day of the campaign's zone.
    per_day: BTreeMap<NaiveDate, usize>,
    zone: Tz,
}

impl Simulation {
    /// A run over the copy, on the scratch context `ctx` whose clock is `clock`; `days` are
    /// the campaign's days in the period, listed even when nothing is dialed on them.
    pub fn new(
        ctx: Ctx,
        clock: Arc<ManualClock>,
        copied: &Copied,
        mix: OutcomeMix,
        seed: u64,
        days: &[NaiveDate],
    ) -> Simulation {
        let zone = copied.campaign.timezone;
        Simulation {
            ctx,
            clock,
            campaign_id: copied.campaign.id,
            fallback: copied.rules.campaign_zone_fallback.then_some(zone),
            max_concurrent: copied.rules.max_concurrent_calls as usize,
            per_second: f64::from(copied.rules.max_calls_per_minute) / 60.0,
            mix,
            rng: super::mix::seeded(seed),
            last_seen: InteractionId::new(0),
            pending: Vec::new(),
            dials: 0,
            per_day: days.iter().map(|day| (*day, 0)).collect(),
            zone,
        }
    }

    pub fn ctx(&self) -> &Ctx {
        &self.ctx
    }

    pub fn dials(&self) -> usize {
        self.dials
    }

    pub fn dials_per_day(&self) -> Vec<(NaiveDate, usize)> {
        self.per_day.iter().map(|(day, dials)| (*day, *dials)).collect()
    }

    /// Calls live in the copy end in the first tick, as they soon would; they are not dials
    /// of the dry run.
    pub async fn take_over_live_calls(&mut self) -> Result<(), AppError> {
        let campaign_id = self.campaign_id;
        let (calls, _) =
            self.ctx.db.run(move |conn| queries::calls_after(conn, campaign_id, InteractionId::new(0))).await?;
        self.last_seen = calls.last().map_or(self.last_seen, |call| call.id);
        for call in calls.into_iter().filter(|call| call.status.is_live()) {
            let outcome = self.mix.draw(&mut self.rng);
            self.pending.push((call, outcome));
        }
        Ok(())
    }

    /// Ticks from `start` to `end`; a note when the dialer stopped on its own before the end.
    pub async fn drive(
        &mut self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        sink: &mut (dyn FnMut(Dial) + Send),
    ) -> Result<Option<String>, AppError> {
        let mut tick = start;
        while tick < end {
            let tick_end = (tick + TICK).min(end);
            let mut at = tick;
            while at < tick_end {
                let moved = self.step(at, sink).await?;
                let state = self.state(at).await?;
                if !moved || !state.due_now || self.pending.len() >= self.max_concurrent {
                    break;
                }
                at += self.until_next_token(state.tokens);
            }
            self.end_calls(tick_end).await?;
            let state = self.state(tick_end).await?;
            if let Some(reason) = state.stopped {
                return Ok(Some(format!("the dialer stopped at {}: {reason}", tick_end.format("%Y-%m-%d %H:%M UTC"))));
            }
            tick = match state.next_due {
                _ if state.due_now || state.rescheduling => tick_end,
                Some(next) => next.max(tick_end),
                None => break,
            };
        }
        Ok(None)
    }

    /// One dialer step at `at`, its new calls handed to `sink`; whether it changed anything.
    async fn step(&mut self, at: DateTime<Utc>, sink: &mut (dyn FnMut(Dial) + Send)) -> Result<bool, AppError> {
        self.clock.set(at);
        self.ctx.providers = fresh_provider();
        let report = crate::dialer::step(&self.ctx, at).await?;
        if report.errors > 0 {
            let at = at.format("%Y-%m-%d %H:%M:%S UTC");
            return Err(AppError::Unexpected(anyhow::anyhow!("the dialer step at {at} failed; the log says why")));
        }
        let (campaign_id, after) = (self.campaign_id, self.last_seen);
        let (calls, leads) = self.ctx.db.run(move |conn| queries::calls_after(conn, campaign_id, after)).await?;
        for call in calls {
            self.last_seen = call.id;
            let Some(lead) = leads.get(&call.lead_id).filter(|_| call.counts_as_attempt) else { continue };
            let outcome = match call.status.is_live() {
                true => self.mix.draw(&mut self.rng),
                // The provider's answer already ended it.
                false => call.outcome.unwrap_or(Outcome::Failed),
            };
            let dial = Dial {
                lead_id: lead.id,
                phone: call.to_number.clone(),
                at: call.created_at.and_utc(),
                zone: lead_zone(lead.timezone, &lead.phone, self.fallback).map(|z| z.zone),
                attempt_number: call.attempt_number,
                outcome,
            };
            self.dials += 1;
            *self.per_day.entry(dial.at.with_timezone(&self.zone).date_naive()).or_default() += 1;
            sink(dial);
            if call.status.is_live() {
                self.pending.push((call, outcome));
            }
        }
        Ok(report.dialed + report.rescheduled + report.blocked > 0)
    }

    /// How long until the pacing bank holds a call again, in whole steps.
    fn until_next_token(&self, tokens: f64) -> Duration {
        if tokens >= 1.0 {
            return STEP;
        }
        let seconds = (1.0 - tokens) / self.per_second;
        STEP * (seconds / STEP.num_seconds() as f64).ceil().max(1.0) as i32
    }

    /// Ends the live calls with their drawn outcomes through the normal call-ending code, in
    /// one transaction.
    async fn end_calls(&mut self, at: DateTime<Utc>) -> Result<(), AppError> {
        self.clock.set(at);
        let pending = std::mem::take(&mut self.pending);
        if pending.is_empty() {
            return Ok(());
        }
        let now = at.naive_utc();
        self.ctx
            .db
            .write(move |conn| pending.iter().try_for_each(|(call, outcome)| end_call(conn, call, *outcome, now)))
            .await
    }

    async fn state(&self, at: DateTime<Utc>) -> Result<State, AppError> {
        let campaign_id = self.campaign_id;
        self.ctx.db.run(move |conn| queries::campaign_state(conn, campaign_id, at.naive_utc())).await
    }
}

/// Ends one call as the provider would report it: busy, no answer and failed as calls that
/// never connected, everything else as a finished conversation whose collected data names the
/// outcome.
fn end_call(conn: &mut DbConnection, call: &Interaction, outcome: Outcome, now: NaiveDateTime) -> Result<(), AppError> {
    let failure = match outcome {
        Outcome::Busy => Some(FailureReason::Busy),
        Outcome::NoAnswer => Some(FailureReason::NoAnswer),
        Outcome::Failed => Some(FailureReason::Other("simulated carrier failure".into())),
        _ => None,
    };
    match failure {
        Some(reason) => settle::fail(conn, call, &reason, None, now)?,
        None => settle::complete(
            conn,
            call,
            &conversation(call.id, call.provider_conversation_id.as_deref(), outcome),
            now,
        )?,
    };
    Ok(())
}

fn conversation(id: InteractionId, conversation_id: Option<&str>, outcome: Outcome) -> CallReport {
    CallReport {
        conversation_id: conversation_id.map_or_else(|| format!("dry_run_{id}"), str::to_owned),
        state: ConversationState::Done,
        transcript: Vec::new(),
        duration_secs: None,
        termination_reason: None,
        call_sid: None,
        call_successful: None,
        summary: None,
        collected: BTreeMap::from([("outcome".to_owned(), serde_json::Value::from(outcome.as_str()))]),
        analysis: None,
        interaction_ref: Some(id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::outcome::{AnalysisFacts, classify};

    #[test]
    fn r_dial_sim_a_conversation_ends_with_the_drawn_outcome() {
        for &outcome in Outcome::ALL {
            let report = conversation(InteractionId::new(1), Some("conv_1"), outcome);
            let facts = AnalysisFacts { collected: report.collected, ..AnalysisFacts::default() };
            assert_eq!(classify(&facts), outcome);
        }
    }
}
