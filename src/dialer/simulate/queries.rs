//! What the dry run reads back from its scratch database between steps.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;

use crate::db::interactions::Interaction;
use crate::db::leads::Lead;
use crate::db::schema::{interactions, leads};
use crate::db::types::{Stored, read_column};
use crate::db::{self, DbConnection};
use crate::dialer::claim::stopped;
use crate::domain::dialing::rules::DialBlock;
use crate::domain::lead::LeadStatus;
use crate::error::AppError;
use crate::ids::{CampaignId, InteractionId, LeadId};

/// Where the campaign stands after a step or at the end of a tick.
pub struct State {
    pub due_now: bool,
    /// The next lead's time, when none is due now.
    pub next_due: Option<DateTime<Utc>>,
    pub tokens: f64,
    /// Leads are being rescheduled after a rules change, a batch per step.
    pub rescheduling: bool,
    /// Why the dialer no longer drives the campaign, if it does not.
    pub stopped: Option<String>,
}

pub fn campaign_state(conn: &mut DbConnection, campaign_id: CampaignId, now: NaiveDateTime) -> Result<State, AppError> {
    let due_now = db::dial_queue::count_due(conn, campaign_id, now, 0)? > 0;
    let next_due = match due_now {
        true => None,
        false => db::dial_queue::scheduled(conn, campaign_id, now, 1)?.first().and_then(|lead| lead.next_call_at),
    };
    let campaign = db::campaigns::find(conn, campaign_id)?;
    // The copy always has rules (the defaults when the campaign had none).
    let row = db::dialer::find(conn, campaign_id)?.ok_or(AppError::NotFound)?;
    Ok(State {
        due_now,
        next_due: next_due.map(|at| at.and_utc()),
        tokens: row.pace_tokens,
        rescheduling: row.reschedule_after_id.is_some(),
        stopped: stopped(&campaign, &row),
    })
}

/// The campaign's calls after `after`, oldest first, with their leads.
pub fn calls_after(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    after: InteractionId,
) -> Result<(Vec<Interaction>, HashMap<LeadId, Lead>), AppError> {
    let calls: Vec<Interaction> = interactions::table
        .filter(interactions::campaign_id.eq(campaign_id))
        .filter(interactions::id.gt(after))
        .order(interactions::id.asc())
        .select(Interaction::as_select())
        .load(conn)?;
    let ids: Vec<LeadId> = calls.iter().map(|call| call.lead_id).collect();
    let leads: Vec<Lead> = leads::table.filter(leads::id.eq_any(&ids)).select(Lead::as_select()).load(conn)?;
    Ok((calls, leads.into_iter().map(|lead| (lead.id, lead)).collect()))
}

pub type Counts = (Vec<(LeadStatus, usize)>, Vec<(DialBlock, usize)>);

/// The campaign's leads by status, and the blocked ones by reason.
pub fn final_counts(conn: &mut DbConnection, campaign_id: CampaignId) -> Result<Counts, AppError> {
    let live = || leads::table.filter(leads::campaign_id.eq(campaign_id)).filter(leads::deleted_at.is_null());
    let by_status = live().group_by(leads::status).select((leads::status, count_star())).load(conn)?;
    let by_block = live()
        .filter(leads::dial_block.is_not_null())
        .group_by(leads::dial_block)
        .select((leads::dial_block.assume_not_null(), count_star()))
        .load(conn)?;
    Ok((typed("status", by_status)?, typed("dial_block", by_block)?))
}

/// Counts per stored code, read as the column's type and in its order.
fn typed<T: Stored<Raw = String> + Ord>(
    column: &'static str,
    rows: Vec<(String, i64)>,
) -> QueryResult<Vec<(T, usize)>> {
    let mut counts = rows
        .into_iter()
        .map(|(code, count)| Ok((read_column::<T>("leads", column, code)?, count as usize)))
        .collect::<QueryResult<Vec<_>>>()?;
    counts.sort();
    Ok(counts)
}
