//! Leads: writes that keep the campaign's lead count, and keyset-paged lists whose cost
//! follows the page, not the table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, interactions, leads};
use super::types::typed_row;
use crate::domain::dialing::rules::DialBlock;
use crate::domain::interaction::CallStatus;
use crate::domain::lead::{LeadInput, LeadSource, LeadStatus, search_keys};
use crate::domain::outcome::Outcome;
use crate::domain::phone::E164;
use crate::domain::user::Email;
use crate::ids::{CampaignId, LeadId};
use chrono_tz::Tz;

typed_row! {
    pub struct Lead in leads as LeadRaw {
        pub id: LeadId,
        pub campaign_id: CampaignId,
        pub first_name: String,
        pub last_name: String,
        pub phone: E164,
        pub email: Option<Email>,
        pub company: Option<String>,
        pub timezone: Option<Tz>,
        pub status: LeadStatus,
        pub is_test: bool,
        pub custom_fields: String,
        pub consent_source: Option<String>,
        pub consent_at: Option<NaiveDateTime>,
        pub attempt_count: i32,
        pub last_attempt_at: Option<NaiveDateTime>,
        pub last_contacted_at: Option<NaiveDateTime>,
        pub next_call_at: Option<NaiveDateTime>,
        pub needs_review: bool,
        pub deleted_at: Option<NaiveDateTime>,
        /// Not before this time (a retry delay, a callback); `next_call_at` is it moved into
        /// the lead's calling windows.
        pub retry_at: Option<NaiveDateTime>,
        /// Why the dialer cannot call the lead, if it cannot.
        pub dial_block: Option<DialBlock>,
        /// How the lead came in (unknown for leads from before voxdial recorded it).
        pub source: Option<LeadSource>,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
    }
}

impl Lead {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).trim().to_owned()
    }

    /// Custom fields as a JSON object (an unreadable value counts as none).
    pub fn custom_map(&self) -> serde_json::Map<String, serde_json::Value> {
        match serde_json::from_str(&self.custom_fields) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        }
    }
}

/// When a lead with this status becomes due: now, unless the status ends calling.
fn due_at(status: LeadStatus, now: NaiveDateTime) -> Option<NaiveDateTime> {
    (!status.is_final()).then_some(now)
}

/// Inserts a lead and counts it on its campaign. A live lead with the same phone in the
/// campaign makes this fail with a unique violation.
pub fn insert(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    lead: &LeadInput,
    source: LeadSource,
    now: NaiveDateTime,
) -> QueryResult<LeadId> {
    let id = insert_uncounted(conn, campaign_id, lead, source, now)?;
    super::campaigns::add_to_lead_count(conn, campaign_id, 1)?;
    Ok(id)
}

/// Inserts a lead without touching the campaign's lead count: for batches, whose caller adds
/// the batch's count once, in the same transaction.
pub fn insert_uncounted(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    lead: &LeadInput,
    source: LeadSource,
    now: NaiveDateTime,
) -> QueryResult<LeadId> {
    let [search_name, search_last_name, search_email, search_company] =
        search_keys(&lead.first_name, &lead.last_name, lead.email.as_ref().map(Email::as_str), lead.company.as_deref());
    diesel::insert_into(leads::table)
        .values((
            leads::campaign_id.eq(campaign_id),
            leads::first_name.eq(&lead.first_name),
            leads::last_name.eq(&lead.last_name),
            leads::phone.eq(lead.phone.as_str()),
            leads::email.eq(lead.email.as_ref().map(Email::as_str)),
            leads::company.eq(&lead.company),
            leads::timezone.eq(lead.timezone.map(|tz| tz.name().to_owned())),
            leads::status.eq(lead.status.as_str()),
            leads::is_test.eq(lead.is_test),
            leads::custom_fields.eq(serde_json::Value::Object(lead.custom_fields.clone()).to_string()),
            leads::consent_source.eq(&lead.consent_source),
            leads::consent_at.eq(lead.consent_at),
            leads::search_name.eq(search_name),
            leads::search_last_name.eq(search_last_name),
            leads::search_email.eq(search_email),
            leads::search_company.eq(search_company),
            leads::next_call_at.eq(due_at(lead.status, now)),
            leads::source.eq(source.as_str()),
            leads::created_at.eq(now),
            leads::updated_at.eq(now),
        ))
        .returning(leads::id)
        .get_result(conn)
}

/// Which fields of an input replace the stored ones (all for the edit form; the non-empty
/// mapped columns for an import that updates duplicates).
#[derive(Debug, Clone, Copy)]
pub struct Provided {
    pub first_name: bool,
    pub last_name: bool,
    pub email: bool,
    pub company: bool,
    pub timezone: bool,
    pub status: bool,
    pub is_test: bool,
    pub consent: bool,
    /// Replace the custom fields (true) or merge the given ones into them (false).
    pub replace_custom: bool,
}

impl Provided {
    pub const ALL: Provided = Provided {
        first_name: true,
        last_name: true,
        email: true,
        company: true,
        timezone: true,
        status: true,
        is_test: true,
        consent: true,
        replace_custom: true,
    };
}

/// Updates a lead from validated input, keeping its due time consistent with its status.
pub fn update(
    conn: &mut DbConnection,
    current: &Lead,
    input: &LeadInput,
    provided: Provided,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    fn pick<T: Clone>(given: bool, new: &Option<T>, old: &Option<T>) -> Option<T> {
        if given { new.clone() } else { old.clone() }
    }
    let first_name = if provided.first_name { input.first_name.clone() } else { current.first_name.clone() };
    let last_name = if provided.last_name { input.last_name.clone() } else { current.last_name.clone() };
    let email = pick(provided.email, &input.email, &current.email);
    let company = pick(provided.company, &input.company, &current.company);
    let timezone = pick(provided.timezone, &input.timezone, &current.timezone);
    let status = if provided.status { input.status } else { current.status };
    let mut custom = if provided.replace_custom { serde_json::Map::new() } else { current.custom_map() };
    custom.extend(input.custom_fields.clone());
    let next_call_at = match (status.is_final(), current.status.is_final()) {
        (true, _) => None,
        (false, true) => Some(now),
        (false, false) => current.next_call_at,
    };
    let [search_name, search_last_name, search_email, search_company] =
        search_keys(&first_name, &last_name, email.as_ref().map(Email::as_str), company.as_deref());
    diesel::update(leads::table.find(current.id))
        .set((
            leads::first_name.eq(first_name),
            leads::last_name.eq(last_name),
            leads::phone.eq(input.phone.as_str()),
            leads::email.eq(email.as_ref().map(Email::as_str)),
            leads::company.eq(company),
            leads::timezone.eq(timezone.map(|tz| tz.name())),
            leads::status.eq(status.as_str()),
            leads::is_test.eq(if provided.is_test { input.is_test } else { current.is_test }),
            leads::custom_fields.eq(serde_json::Value::Object(custom).to_string()),
            leads::consent_source.eq(pick(provided.consent, &input.consent_source, &current.consent_source)),
            leads::consent_at.eq(if provided.consent { input.consent_at } else { current.consent_at }),
            leads::search_name.eq(search_name),
            leads::search_last_name.eq(search_last_name),
            leads::search_email.eq(search_email),
            leads::search_company.eq(search_company),
            leads::next_call_at.eq(next_call_at),
            leads::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn find(conn: &mut DbConnection, id: LeadId) -> QueryResult<Lead> {
    leads::table.find(id).select(Lead::as_select()).get_result(conn)
}

/// A live lead of the campaign by phone.
pub fn find_live_by_phone(conn: &mut DbConnection, campaign_id: CampaignId, phone: &E164) -> QueryResult<Option<Lead>> {
    leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::phone.eq(phone.as_str()))
        .filter(leads::deleted_at.is_null())
        .select(Lead::as_select())
        .get_result(conn)
        .optional()
}

/// Live leads among `ids`, grouped by campaign: (campaign, count).
fn live_counts_by_campaign(conn: &mut DbConnection, ids: &[LeadId]) -> QueryResult<Vec<(CampaignId, i64)>> {
    leads::table
        .filter(leads::id.eq_any(ids))
        .filter(leads::deleted_at.is_null())
        .group_by(leads::campaign_id)
        .select((leads::campaign_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Soft-deletes leads: they leave lists, the dialer and the phone-uniqueness rule, while
/// their calls stay readable. Returns how many were deleted.
pub fn soft_delete(conn: &mut DbConnection, ids: &[LeadId], now: NaiveDateTime) -> QueryResult<usize> {
    for (campaign_id, count) in live_counts_by_campaign(conn, ids)? {
        super::campaigns::add_to_lead_count(conn, campaign_id, -(count as i32))?;
    }
    diesel::update(leads::table.filter(leads::id.eq_any(ids)).filter(leads::deleted_at.is_null()))
        .set((leads::deleted_at.eq(now), leads::next_call_at.eq(None::<NaiveDateTime>), leads::updated_at.eq(now)))
        .execute(conn)
}

/// Sets the status of live leads, clearing or restoring their due time to match.
pub fn set_status(
    conn: &mut DbConnection,
    ids: &[LeadId],
    status: LeadStatus,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let live = leads::table.filter(leads::id.eq_any(ids)).filter(leads::deleted_at.is_null());
    if status.is_final() {
        diesel::update(live)
            .set((
                leads::status.eq(status.as_str()),
                leads::next_call_at.eq(None::<NaiveDateTime>),
                leads::updated_at.eq(now),
            ))
            .execute(conn)
    } else {
        diesel::update(live)
            .set(
                (
                    leads::status.eq(status.as_str()),
                    leads::next_call_at
                        .eq(diesel::dsl::case_when(leads::next_call_at.is_null(), Some(now))
                            .otherwise(leads::next_call_at)),
                    leads::updated_at.eq(now),
                ),
            )
            .execute(conn)
    }
}

/// Counts a call attempt that is starting: the lead is not due while the call is live.
pub fn record_attempt(conn: &mut DbConnection, id: LeadId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(leads::table.find(id))
        .set((
            leads::attempt_count.eq(leads::attempt_count + 1),
            leads::last_attempt_at.eq(now),
            leads::next_call_at.eq(None::<NaiveDateTime>),
            leads::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Takes back the attempt of a call that was never sent: the lead is due again at once
/// (unless its status ends calling).
pub fn undo_attempt(conn: &mut DbConnection, lead: &Lead, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(leads::table.find(lead.id).filter(leads::attempt_count.gt(0)))
        .set((
            leads::attempt_count.eq(leads::attempt_count - 1),
            leads::next_call_at.eq(due_at(lead.status, now).filter(|_| lead.deleted_at.is_none())),
            leads::updated_at.eq(now),
        ))
        .execute(conn)
}

/// What a finished call does to its lead (R-OUTCOME).
pub struct CallResult {
    /// The new status, or `None` to keep it.
    pub status: Option<LeadStatus>,
    /// Not before when it may be called again (retry delay, callback).
    pub retry_at: Option<NaiveDateTime>,
    /// When the dialer may call it next: `retry_at` moved into its windows.
    pub next_call_at: Option<NaiveDateTime>,
    /// Why the dialer may not call it at all, if so.
    pub dial_block: Option<DialBlock>,
    pub reached: bool,
    /// The outcome could not be established: a person must look before it is called again.
    pub needs_review: bool,
}

pub fn record_call_result(
    conn: &mut DbConnection,
    lead: &Lead,
    result: &CallResult,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let status = result.status.unwrap_or(lead.status);
    // Deleted leads and final statuses are never due again.
    let next_call_at = if lead.deleted_at.is_some() || status.is_final() { None } else { result.next_call_at };
    diesel::update(leads::table.find(lead.id))
        .set((
            leads::status.eq(status.as_str()),
            leads::retry_at.eq(result.retry_at),
            leads::next_call_at.eq(next_call_at),
            leads::dial_block.eq(result.dial_block.map(DialBlock::as_str)),
            leads::last_contacted_at.eq(if result.reached { Some(now) } else { lead.last_contacted_at }),
            leads::needs_review.eq(result.needs_review),
            leads::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_test(conn: &mut DbConnection, ids: &[LeadId], is_test: bool, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(leads::table.filter(leads::id.eq_any(ids)).filter(leads::deleted_at.is_null()))
        .set((leads::is_test.eq(is_test), leads::updated_at.eq(now)))
        .execute(conn)
}

/// The most recently added live leads with their campaign's name, for pickers.
pub fn recent_with_campaign(conn: &mut DbConnection, limit: i64) -> QueryResult<Vec<(Lead, String)>> {
    leads::table
        .inner_join(campaigns::table)
        .filter(leads::deleted_at.is_null())
        .order(leads::id.desc())
        .limit(limit)
        .select((Lead::as_select(), campaigns::name))
        .load(conn)
}

/// The newest live lead of a campaign, if any.
pub fn newest_in_campaign(conn: &mut DbConnection, campaign_id: CampaignId) -> QueryResult<Option<LeadId>> {
    leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::deleted_at.is_null())
        .order(leads::id.desc())
        .select(leads::id)
        .first(conn)
        .optional()
}

typed_row! {
    /// An earlier completed call: when, its outcome, its summary.
    pub struct PreviousCall from "interactions" as PreviousCallRaw {
        pub id: crate::ids::InteractionId,
        pub created_at: NaiveDateTime,
        pub outcome: Option<Outcome>,
        pub summary: Option<String>,
    }
}

/// Earlier completed calls of a lead, newest first.
pub fn previous_calls(conn: &mut DbConnection, lead_id: LeadId, limit: i64) -> QueryResult<Vec<PreviousCall>> {
    interactions::table
        .filter(interactions::lead_id.eq(lead_id))
        .filter(interactions::status.eq(CallStatus::Completed.as_str()))
        .order(interactions::id.desc())
        .limit(limit)
        .select((interactions::id, interactions::created_at, interactions::outcome, interactions::summary))
        .load(conn)
}

/// Completed conversations the lead had (for the contact type).
pub fn completed_conversations(conn: &mut DbConnection, lead_id: LeadId) -> QueryResult<i64> {
    interactions::table
        .filter(interactions::lead_id.eq(lead_id))
        .filter(interactions::status.eq(CallStatus::Completed.as_str()))
        .count()
        .get_result(conn)
}
