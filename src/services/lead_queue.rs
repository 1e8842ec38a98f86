//! "Call selected now": the selected leads go to the front of their campaign's dialer queue
//! as soon as every dialer rule allows (R-DIAL-RULES). Nothing is dialed here: the lead's
//! next call is set to the earliest allowed instant from now (its window, the floor, caps,
//! DNC, attempts), and the dialer's claim re-checks it all as for any other lead.

use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use chrono::NaiveDateTime;

use super::Ctx;
use crate::audit::{self, Actor, Change};
use crate::db;
use crate::dialer::schedule;
use crate::error::AppError;
use crate::ids::LeadId;

/// Most leads one request may queue.
pub const QUEUE_LIMIT: usize = 1000;

/// What became of the selection.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueReport {
    /// Due now.
    pub now: usize,
    /// Due later (outside their window or a cap), with the earliest such time.
    pub later: usize,
    pub first_later: Option<NaiveDateTime>,
    /// Not callable, by reason.
    pub blocked: BTreeMap<&'static str, usize>,
    /// Campaigns of queued leads whose dialer is not running.
    pub dialer_off: Vec<String>,
}

impl QueueReport {
    /// The report as one sentence for people.
    pub fn message(&self) -> String {
        let counted = crate::domain::plural::counted;
        let mut parts = vec![format!("{} queued to call now", counted(self.now, "lead"))];
        if self.later > 0 {
            let at = self.first_later.map(|t| format!(" (the first at {} UTC)", t.format("%Y-%m-%d %H:%M")));
            parts.push(format!(
                "{} {} for their calling window{}",
                counted(self.later, "lead"),
                if self.later == 1 { "waits" } else { "wait" },
                at.unwrap_or_default()
            ));
        }
        if !self.blocked.is_empty() {
            let reasons: Vec<String> = self.blocked.iter().map(|(why, n)| format!("{why} ({n})")).collect();
            parts.push(format!("not callable: {}", reasons.join(", ")));
        }
        let mut message = parts.join("; ") + ".";
        if !self.dialer_off.is_empty() {
            message.push_str(&format!(
                " The dialer of {} is not running: start it on the campaign's Dialer tab.",
                self.dialer_off.iter().map(|n| format!("“{n}”")).collect::<Vec<_>>().join(", ")
            ));
        }
        message
    }
}

pub async fn call_now(ctx: &Ctx, actor: Actor, ids: Vec<LeadId>) -> Result<QueueReport, AppError> {
    if ids.len() > QUEUE_LIMIT {
        return Err(AppError::validation(format!("Queue at most {QUEUE_LIMIT} leads at a time")));
    }
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let running = db::dialer::running_campaigns(conn)?;
            let mut report = QueueReport::default();
            let mut campaigns = BTreeMap::new();
            for id in &ids {
                let lead = db::leads::find(conn, *id)?;
                if lead.deleted_at.is_some() {
                    continue;
                }
                let campaign = match campaigns.entry(lead.campaign_id) {
                    Entry::Occupied(known) => known.into_mut(),
                    Entry::Vacant(new) => new.insert(db::campaigns::find(conn, lead.campaign_id)?),
                };
                let rules = schedule::rules_for(conn, campaign)?;
                match schedule::next_call(conn, &rules, campaign, &lead, lead.status, now.and_utc())? {
                    Ok(at) => {
                        let at = at.naive_utc();
                        db::dial_queue::reschedule(conn, lead.id, at, now)?;
                        if at <= now {
                            report.now += 1;
                        } else {
                            report.later += 1;
                            report.first_later = Some(report.first_later.map_or(at, |first| first.min(at)));
                        }
                        if !running.contains(&campaign.id) && !report.dialer_off.contains(&campaign.name) {
                            report.dialer_off.push(campaign.name.clone());
                        }
                    }
                    Err(block) => {
                        db::dial_queue::block(conn, &lead, block, now)?;
                        *report.blocked.entry(block.label()).or_default() += 1;
                    }
                }
            }
            let summary = format!(
                "Call now for {} selected: {}",
                crate::domain::plural::counted(ids.len(), "lead"),
                report.message()
            );
            let change =
                Change { action: "lead.bulk.call_now", object_kind: "lead", object_id: None, summary: &summary };
            audit::record(conn, &actor, change, now)?;
            Ok(report)
        })
        .await
}
