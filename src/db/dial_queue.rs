//! The dialer's queue: the leads of a campaign that are due, read through the partial
//! indexes in the campaign's lead order so the cost follows the batch, not the table; the
//! conditional claim; and rescheduling or blocking a lead with its reason.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::leads::Lead;
use super::schema::{interactions, leads};
use super::types::read_column;
use crate::domain::dialing::rules::{DialBlock, LeadOrder};
use crate::domain::lead::LeadStatus;
use crate::domain::outcome::Outcome;
use crate::domain::phone::E164;
use crate::ids::{CampaignId, LeadId};

/// Up to `limit` live leads of the campaign due at `now`, in the campaign's order.
pub fn due(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    order: LeadOrder,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Lead>> {
    let query = leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::next_call_at.is_not_null())
        .filter(leads::next_call_at.le(now))
        .filter(leads::deleted_at.is_null())
        .select(Lead::as_select())
        .limit(limit)
        .into_boxed();
    let query = match order {
        LeadOrder::NextCall => query.order((leads::next_call_at.asc(), leads::id.asc())),
        LeadOrder::Oldest => query.order(leads::id.asc()),
        LeadOrder::Newest => query.order(leads::id.desc()),
        LeadOrder::FewestAttempts => query.order((leads::attempt_count.asc(), leads::id.asc())),
    };
    query.load(conn)
}

/// Takes a due lead for one attempt: a conditional update, so of two dialers racing for it
/// exactly one gets it. The attempt itself is counted when its call row is written.
pub fn claim(conn: &mut DbConnection, lead_id: LeadId, now: NaiveDateTime) -> QueryResult<bool> {
    let taken = diesel::update(
        leads::table
            .find(lead_id)
            .filter(leads::next_call_at.is_not_null())
            .filter(leads::next_call_at.le(now))
            .filter(leads::deleted_at.is_null()),
    )
    .set((leads::next_call_at.eq(None::<NaiveDateTime>), leads::dial_block.eq(None::<String>)))
    .execute(conn)?;
    Ok(taken == 1)
}

/// The lead is next due at `at` (a window, a cap); any earlier block is cleared.
pub fn reschedule(
    conn: &mut DbConnection,
    lead_id: LeadId,
    at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(leads::table.find(lead_id).filter(leads::deleted_at.is_null()))
        .set((leads::next_call_at.eq(at), leads::dial_block.eq(None::<String>), leads::updated_at.eq(now)))
        .execute(conn)
}

/// The dialer cannot call the lead until something changes; a lead whose attempts are used
/// up also ends as unreachable.
pub fn block(conn: &mut DbConnection, lead: &Lead, block: DialBlock, now: NaiveDateTime) -> QueryResult<usize> {
    let status = if block == DialBlock::MaxAttempts { LeadStatus::Unreachable } else { lead.status };
    diesel::update(leads::table.find(lead.id))
        .set((
            leads::next_call_at.eq(None::<NaiveDateTime>),
            leads::dial_block.eq(block.as_str()),
            leads::status.eq(status.as_str()),
            leads::updated_at.eq(now),
        ))
        .execute(conn)
}

/// When the lead's attempts since `since` were made.
pub fn attempts_since(
    conn: &mut DbConnection,
    lead_id: LeadId,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    interactions::table
        .filter(interactions::lead_id.eq(lead_id))
        .filter(interactions::counts_as_attempt.eq(true))
        .filter(interactions::created_at.ge(since))
        .select(interactions::created_at)
        .load(conn)
}

/// How many of the lead's earlier calls ended with `outcome` (the retry backoff grows with them).
pub fn earlier_outcomes(conn: &mut DbConnection, lead_id: LeadId, outcome: Outcome) -> QueryResult<i64> {
    interactions::table
        .filter(interactions::lead_id.eq(lead_id))
        .filter(interactions::outcome.eq(outcome.as_str()))
        .count()
        .get_result(conn)
}

/// The next batch of the campaign's leads above `after` that wait for the dialer (due or
/// blocked), for rescheduling after a rules change.
pub fn waiting_after(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    after: LeadId,
    limit: i64,
) -> QueryResult<Vec<Lead>> {
    leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::id.gt(after))
        .filter(leads::deleted_at.is_null())
        .filter(leads::next_call_at.is_not_null().or(leads::dial_block.is_not_null()))
        .order(leads::id.asc())
        .limit(limit)
        .select(Lead::as_select())
        .load(conn)
}

/// Counts at most `cap` + 1 rows of a query, so a view can say "10,000+" without counting a
/// million.
macro_rules! capped_count {
    ($query:expr, $cap:expr, $conn:expr) => {{
        let ids: Vec<LeadId> = $query.select(leads::id).limit($cap + 1).load($conn)?;
        ids.len() as i64
    }};
}

/// How many leads of the campaign are due now (at most `cap` + 1 are counted).
pub fn count_due(conn: &mut DbConnection, campaign_id: CampaignId, now: NaiveDateTime, cap: i64) -> QueryResult<i64> {
    let query = leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::next_call_at.is_not_null())
        .filter(leads::next_call_at.le(now))
        .filter(leads::deleted_at.is_null());
    Ok(capped_count!(query, cap, conn))
}

/// How many of the campaign's leads the dialer cannot call for `reason` (at most `cap` + 1).
pub fn count_blocked(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    reason: DialBlock,
    cap: i64,
) -> QueryResult<i64> {
    let query = leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::dial_block.is_not_null())
        .filter(leads::dial_block.eq(reason.as_str()))
        .filter(leads::deleted_at.is_null());
    Ok(capped_count!(query, cap, conn))
}

/// The next `limit` leads scheduled after `now`, soonest first.
pub fn scheduled(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Lead>> {
    leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::next_call_at.is_not_null())
        .filter(leads::next_call_at.gt(now))
        .filter(leads::deleted_at.is_null())
        .order((leads::next_call_at.asc(), leads::id.asc()))
        .limit(limit)
        .select(Lead::as_select())
        .load(conn)
}

/// Some of the campaign's blocked leads, newest first.
pub fn blocked(conn: &mut DbConnection, campaign_id: CampaignId, limit: i64) -> QueryResult<Vec<Lead>> {
    leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::dial_block.is_not_null())
        .filter(leads::deleted_at.is_null())
        .order(leads::id.desc())
        .limit(limit)
        .select(Lead::as_select())
        .load(conn)
}

/// The phone numbers of up to `limit` of the campaign's leads (to tell which regional rules
/// apply to them).
pub fn sample_phones(conn: &mut DbConnection, campaign_id: CampaignId, limit: i64) -> QueryResult<Vec<E164>> {
    let phones: Vec<String> = leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::deleted_at.is_null())
        .select(leads::phone)
        .limit(limit)
        .load(conn)?;
    phones.into_iter().map(|phone| read_column("leads", "phone", phone)).collect()
}
