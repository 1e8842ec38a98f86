//! Leads: writes that keep the campaign's lead count, and keyset-paged lists whose cost
//! follows the page, not the table.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, interactions, leads};
use crate::domain::lead::{LeadInput, LeadStatus, search_keys};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = leads)]
pub struct Lead {
    pub id: i64,
    pub campaign_id: i64,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub company: Option<String>,
    pub timezone: Option<String>,
    pub status: String,
    pub is_test: bool,
    pub custom_fields: String,
    pub consent_source: Option<String>,
    pub consent_at: Option<NaiveDateTime>,
    pub search_name: String,
    pub search_last_name: String,
    pub search_email: String,
    pub search_company: String,
    pub attempt_count: i32,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub last_contacted_at: Option<NaiveDateTime>,
    pub next_call_at: Option<NaiveDateTime>,
    pub needs_review: bool,
    pub deleted_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
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

    pub fn status(&self) -> LeadStatus {
        LeadStatus::parse(&self.status).unwrap_or(LeadStatus::New)
    }
}

/// When a lead with this status becomes due: now, unless the status ends calling.
fn due_at(status: LeadStatus, now: NaiveDateTime) -> Option<NaiveDateTime> {
    (!status.is_final()).then_some(now)
}

/// Inserts a lead and counts it on its campaign. A live lead with the same phone in the
/// campaign makes this fail with a unique violation.
pub fn insert(conn: &mut DbConnection, campaign_id: i64, lead: &LeadInput, now: NaiveDateTime) -> QueryResult<i64> {
    let id = insert_uncounted(conn, campaign_id, lead, now)?;
    super::campaigns::add_to_lead_count(conn, campaign_id, 1)?;
    Ok(id)
}

/// Inserts a lead without touching the campaign's lead count: for batches, whose caller adds
/// the batch's count once, in the same transaction.
pub fn insert_uncounted(
    conn: &mut DbConnection,
    campaign_id: i64,
    lead: &LeadInput,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let [search_name, search_last_name, search_email, search_company] =
        search_keys(&lead.first_name, &lead.last_name, lead.email.as_deref(), lead.company.as_deref());
    diesel::insert_into(leads::table)
        .values((
            leads::campaign_id.eq(campaign_id),
            leads::first_name.eq(&lead.first_name),
            leads::last_name.eq(&lead.last_name),
            leads::phone.eq(lead.phone.as_str()),
            leads::email.eq(&lead.email),
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
    let pick = |given: bool, new: Option<String>, old: &Option<String>| if given { new } else { old.clone() };
    let first_name = if provided.first_name { input.first_name.clone() } else { current.first_name.clone() };
    let last_name = if provided.last_name { input.last_name.clone() } else { current.last_name.clone() };
    let email = pick(provided.email, input.email.clone(), &current.email);
    let company = pick(provided.company, input.company.clone(), &current.company);
    let timezone = pick(provided.timezone, input.timezone.map(|tz| tz.name().to_owned()), &current.timezone);
    let status = if provided.status { input.status } else { current.status() };
    let mut custom = if provided.replace_custom { serde_json::Map::new() } else { current.custom_map() };
    custom.extend(input.custom_fields.clone());
    let next_call_at = match (status.is_final(), current.status().is_final()) {
        (true, _) => None,
        (false, true) => Some(now),
        (false, false) => current.next_call_at,
    };
    let [search_name, search_last_name, search_email, search_company] =
        search_keys(&first_name, &last_name, email.as_deref(), company.as_deref());
    diesel::update(leads::table.find(current.id))
        .set((
            leads::first_name.eq(first_name),
            leads::last_name.eq(last_name),
            leads::phone.eq(input.phone.as_str()),
            leads::email.eq(email),
            leads::company.eq(company),
            leads::timezone.eq(timezone),
            leads::status.eq(status.as_str()),
            leads::is_test.eq(if provided.is_test { input.is_test } else { current.is_test }),
            leads::custom_fields.eq(serde_json::Value::Object(custom).to_string()),
            leads::consent_source.eq(pick(provided.consent, input.consent_source.clone(), &current.consent_source)),
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

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Lead> {
    leads::table.find(id).select(Lead::as_select()).get_result(conn)
}

/// A live lead of the campaign by phone.
pub fn find_live_by_phone(conn: &mut DbConnection, campaign_id: i64, phone: &str) -> QueryResult<Option<Lead>> {
    leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::phone.eq(phone))
        .filter(leads::deleted_at.is_null())
        .select(Lead::as_select())
        .get_result(conn)
        .optional()
}

/// Live leads among `ids`, grouped by campaign: (campaign, count).
fn live_counts_by_campaign(conn: &mut DbConnection, ids: &[i64]) -> QueryResult<Vec<(i64, i64)>> {
    leads::table
        .filter(leads::id.eq_any(ids))
        .filter(leads::deleted_at.is_null())
        .group_by(leads::campaign_id)
        .select((leads::campaign_id, diesel::dsl::count_star()))
        .load(conn)
}

/// Soft-deletes leads: they leave lists, the dialer and the phone-uniqueness rule, while
/// their calls stay readable. Returns how many were deleted.
pub fn soft_delete(conn: &mut DbConnection, ids: &[i64], now: NaiveDateTime) -> QueryResult<usize> {
    for (campaign_id, count) in live_counts_by_campaign(conn, ids)? {
        super::campaigns::add_to_lead_count(conn, campaign_id, -(count as i32))?;
    }
    diesel::update(leads::table.filter(leads::id.eq_any(ids)).filter(leads::deleted_at.is_null()))
        .set((leads::deleted_at.eq(now), leads::next_call_at.eq(None::<NaiveDateTime>), leads::updated_at.eq(now)))
        .execute(conn)
}

/// Sets the status of live leads, clearing or restoring their due time to match.
pub fn set_status(conn: &mut DbConnection, ids: &[i64], status: LeadStatus, now: NaiveDateTime) -> QueryResult<usize> {
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
pub fn record_attempt(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(leads::table.find(id))
        .set((
            leads::attempt_count.eq(leads::attempt_count + 1),
            leads::last_attempt_at.eq(now),
            leads::next_call_at.eq(None::<NaiveDateTime>),
            leads::updated_at.eq(now),
        ))
        .execute(conn)
}

/// What a finished call does to its lead (R-OUTCOME).
pub struct CallResult {
    /// The new status, or `None` to keep it.
    pub status: Option<LeadStatus>,
    pub next_call_at: Option<NaiveDateTime>,
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
    let status = result.status.unwrap_or_else(|| lead.status());
    // Deleted leads and final statuses are never due again.
    let next_call_at = if lead.deleted_at.is_some() || status.is_final() { None } else { result.next_call_at };
    diesel::update(leads::table.find(lead.id))
        .set((
            leads::status.eq(status.as_str()),
            leads::next_call_at.eq(next_call_at),
            leads::last_contacted_at.eq(if result.reached { Some(now) } else { lead.last_contacted_at }),
            leads::needs_review.eq(result.needs_review),
            leads::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn set_test(conn: &mut DbConnection, ids: &[i64], is_test: bool, now: NaiveDateTime) -> QueryResult<usize> {
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
pub fn newest_in_campaign(conn: &mut DbConnection, campaign_id: i64) -> QueryResult<Option<i64>> {
    leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .filter(leads::deleted_at.is_null())
        .order(leads::id.desc())
        .select(leads::id)
        .first(conn)
        .optional()
}

/// An earlier completed call: when, its outcome, its summary.
pub type PreviousCall = (NaiveDateTime, Option<String>, Option<String>);

/// Earlier completed calls of a lead, newest first.
pub fn previous_calls(conn: &mut DbConnection, lead_id: i64, limit: i64) -> QueryResult<Vec<PreviousCall>> {
    interactions::table
        .filter(interactions::lead_id.eq(lead_id))
        .filter(interactions::status.eq("completed"))
        .order(interactions::id.desc())
        .limit(limit)
        .select((interactions::created_at, interactions::outcome, interactions::summary))
        .load(conn)
}

/// Completed conversations the lead had (for the contact type).
pub fn completed_conversations(conn: &mut DbConnection, lead_id: i64) -> QueryResult<i64> {
    interactions::table
        .filter(interactions::lead_id.eq(lead_id))
        .filter(interactions::status.eq("completed"))
        .count()
        .get_result(conn)
}

// ---- Lists -------------------------------------------------------------------------

/// How a lead list is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeadSort {
    Newest,
    Oldest,
    NameAsc,
    NameDesc,
}

impl LeadSort {
    pub const ALL: [LeadSort; 4] = [LeadSort::Newest, LeadSort::Oldest, LeadSort::NameAsc, LeadSort::NameDesc];

    pub fn as_str(self) -> &'static str {
        match self {
            LeadSort::Newest => "newest",
            LeadSort::Oldest => "oldest",
            LeadSort::NameAsc => "name",
            LeadSort::NameDesc => "name_desc",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LeadSort::Newest => "Newest first",
            LeadSort::Oldest => "Oldest first",
            LeadSort::NameAsc => "Name A–Z",
            LeadSort::NameDesc => "Name Z–A",
        }
    }

    pub fn parse(input: &str) -> LeadSort {
        LeadSort::ALL.into_iter().find(|s| s.as_str() == input).unwrap_or(LeadSort::Newest)
    }

    fn by_name(self) -> bool {
        matches!(self, LeadSort::NameAsc | LeadSort::NameDesc)
    }

    /// Whether the list runs towards larger keys.
    fn ascending(self) -> bool {
        matches!(self, LeadSort::Oldest | LeadSort::NameAsc)
    }
}

/// A position in a list: the last (or first) row seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub id: i64,
    /// The row's `search_name` for name orders.
    pub name: Option<String>,
}

impl Cursor {
    /// `id` or `id:name`, for query strings.
    pub fn encode(&self) -> String {
        match &self.name {
            Some(name) => format!("{}:{name}", self.id),
            None => self.id.to_string(),
        }
    }

    pub fn decode(input: &str) -> Option<Cursor> {
        match input.split_once(':') {
            Some((id, name)) => Some(Cursor { id: id.parse().ok()?, name: Some(name.to_owned()) }),
            None => Some(Cursor { id: input.parse().ok()?, name: None }),
        }
    }
}

/// Which page: the first, the one after a cursor, or the one before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageAt {
    First,
    After(Cursor),
    Before(Cursor),
}

#[derive(Debug, Clone, Default)]
pub struct LeadFilter {
    pub campaign_id: Option<i64>,
    pub status: Option<LeadStatus>,
    pub is_test: Option<bool>,
    /// Lead ids the search matched (see [`search_candidates`]); `None` means no search.
    pub ids: Option<Vec<i64>>,
}

/// A row of a lead list.
#[derive(Debug, Clone, Queryable)]
pub struct LeadRow {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub company: Option<String>,
    pub status: String,
    pub is_test: bool,
    pub attempt_count: i32,
    pub last_attempt_at: Option<NaiveDateTime>,
    pub next_call_at: Option<NaiveDateTime>,
    pub search_name: String,
}

impl LeadRow {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).trim().to_owned()
    }

    pub fn status_label(&self) -> &'static str {
        LeadStatus::parse(&self.status).map_or("Unknown", LeadStatus::label)
    }

    fn cursor(&self, sort: LeadSort) -> Cursor {
        Cursor { id: self.id, name: sort.by_name().then(|| self.search_name.clone()) }
    }
}

pub struct LeadPage {
    pub rows: Vec<LeadRow>,
    /// Cursor for the next page, when there is one.
    pub next: Option<String>,
    /// Cursor for the previous page, when this is not the first.
    pub prev: Option<String>,
}

/// One page of leads. Every combination is served by an index: the id order by the primary
/// key (or the campaign/status indexes), name orders by the name indexes, and searches by
/// looking up at most a few thousand candidate ids first.
pub fn page(
    conn: &mut DbConnection,
    filter: &LeadFilter,
    sort: LeadSort,
    at: &PageAt,
    size: i64,
) -> QueryResult<LeadPage> {
    let mut query = leads::table
        .inner_join(campaigns::table)
        .filter(leads::deleted_at.is_null())
        .select((
            leads::id,
            leads::campaign_id,
            campaigns::name,
            leads::first_name,
            leads::last_name,
            leads::phone,
            leads::email,
            leads::company,
            leads::status,
            leads::is_test,
            leads::attempt_count,
            leads::last_attempt_at,
            leads::next_call_at,
            leads::search_name,
        ))
        .into_boxed();
    if let Some(campaign_id) = filter.campaign_id {
        query = query.filter(leads::campaign_id.eq(campaign_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(leads::status.eq(status.as_str()));
    }
    if let Some(is_test) = filter.is_test {
        query = query.filter(leads::is_test.eq(is_test));
    }
    if let Some(ids) = &filter.ids {
        query = query.filter(leads::id.eq_any(ids.clone()));
    }
    // Walking backwards: flip the order, then flip the rows back.
    let (cursor, backwards) = match at {
        PageAt::First => (None, false),
        PageAt::After(c) => (Some(c), false),
        PageAt::Before(c) => (Some(c), true),
    };
    let ascending = sort.ascending() != backwards;
    if let Some(cursor) = cursor {
        match (sort.by_name(), cursor.name.as_deref(), ascending) {
            (true, Some(name), true) => {
                query = query
                    .filter(leads::search_name.ge(name.to_owned()))
                    .filter(leads::search_name.gt(name.to_owned()).or(leads::id.gt(cursor.id)))
            }
            (true, Some(name), false) => {
                query = query
                    .filter(leads::search_name.le(name.to_owned()))
                    .filter(leads::search_name.lt(name.to_owned()).or(leads::id.lt(cursor.id)))
            }
            (_, _, true) => query = query.filter(leads::id.gt(cursor.id)),
            (_, _, false) => query = query.filter(leads::id.lt(cursor.id)),
        }
    }
    query = match (sort.by_name(), ascending) {
        (true, true) => query.order((leads::search_name.asc(), leads::id.asc())),
        (true, false) => query.order((leads::search_name.desc(), leads::id.desc())),
        (false, true) => query.order(leads::id.asc()),
        (false, false) => query.order(leads::id.desc()),
    };
    let mut rows: Vec<LeadRow> = query.limit(size + 1).load(conn)?;
    let more = rows.len() as i64 > size;
    rows.truncate(size as usize);
    if backwards {
        rows.reverse();
    }
    let first = rows.first().map(|r| r.cursor(sort).encode());
    let last = rows.last().map(|r| r.cursor(sort).encode());
    let (next, prev) = match at {
        PageAt::First => (if more { last } else { None }, None),
        PageAt::After(_) => (if more { last } else { None }, first),
        PageAt::Before(_) => (last, if more { first } else { None }),
    };
    Ok(LeadPage { rows, next, prev })
}

/// How many ids one search column may contribute; beyond it the search asks for more words.
pub const SEARCH_CANDIDATE_LIMIT: i64 = 2000;

/// The upper bound of a prefix range: the prefix with its last character moved one up.
fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.to_owned();
    end.push(char::MAX);
    end
}

/// Ids of live leads whose name, last name, email, company or phone starts with the term,
/// found through the per-campaign indexes. The flag says whether a column hit the limit.
pub fn search_candidates(
    conn: &mut DbConnection,
    campaign_ids: &[i64],
    term: &str,
    phone_prefix: Option<&str>,
) -> QueryResult<(Vec<i64>, bool)> {
    let mut ids: Vec<i64> = Vec::new();
    let mut truncated = false;
    let end = prefix_end(term);
    let mut collect = |found: Vec<i64>| {
        truncated |= found.len() as i64 >= SEARCH_CANDIDATE_LIMIT;
        ids.extend(found);
    };
    if !term.is_empty() {
        macro_rules! by_prefix {
            ($column:expr) => {
                leads::table
                    .filter(leads::campaign_id.eq_any(campaign_ids))
                    .filter($column.ge(term))
                    .filter($column.lt(&end))
                    .filter(leads::deleted_at.is_null())
                    .select(leads::id)
                    .limit(SEARCH_CANDIDATE_LIMIT)
                    .load::<i64>(conn)?
            };
        }
        collect(by_prefix!(leads::search_name));
        collect(by_prefix!(leads::search_last_name));
        collect(by_prefix!(leads::search_email));
        collect(by_prefix!(leads::search_company));
    }
    if let Some(prefix) = phone_prefix {
        let end = prefix_end(prefix);
        collect(
            leads::table
                .filter(leads::campaign_id.eq_any(campaign_ids))
                .filter(leads::phone.ge(prefix))
                .filter(leads::phone.lt(&end))
                .filter(leads::deleted_at.is_null())
                .select(leads::id)
                .limit(SEARCH_CANDIDATE_LIMIT)
                .load::<i64>(conn)?,
        );
    }
    ids.sort_unstable();
    ids.dedup();
    Ok((ids, truncated))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_even_with_colons_in_names() {
        let c = Cursor { id: 42, name: Some("ana: lima".into()) };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("7"), Some(Cursor { id: 7, name: None }));
        assert_eq!(Cursor::decode("x"), None);
    }

    #[test]
    fn prefix_ranges_cover_every_continuation() {
        let end = prefix_end("smi");
        assert!(*"smith" < *end, "continuations are inside");
        assert!(*"smj" > *end, "the next prefix is outside");
    }
}
