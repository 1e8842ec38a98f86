//! Lead lists: keyset-paged, every order and filter served by an index, so a page costs
//! the same with a thousand leads or a million; searches look up a bounded set of candidate
//! ids first.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::paging::fetch_size;
use super::schema::{campaigns, leads};
use super::types::typed_row;
use crate::domain::lead::LeadStatus;
use crate::domain::phone::E164;
use crate::domain::user::Email;
use crate::ids::{CampaignId, LeadId};

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
    pub id: LeadId,
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
    pub campaign_id: Option<CampaignId>,
    pub status: Option<LeadStatus>,
    pub is_test: Option<bool>,
    /// Lead ids the search matched (see [`search_candidates`]); `None` means no search.
    pub ids: Option<Vec<LeadId>>,
}

typed_row! {
    /// A row of a lead list.
    pub struct LeadRow from "leads" as LeadRowRaw {
        pub id: LeadId,
        pub campaign_id: CampaignId,
        pub campaign_name: String,
        pub first_name: String,
        pub last_name: String,
        pub phone: E164,
        pub email: Option<Email>,
        pub company: Option<String>,
        pub status: LeadStatus,
        pub is_test: bool,
        pub attempt_count: i32,
        pub last_attempt_at: Option<NaiveDateTime>,
        pub next_call_at: Option<NaiveDateTime>,
        pub search_name: String,
    }
}

impl LeadRow {
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name).trim().to_owned()
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
    let mut rows: Vec<LeadRow> = query.limit(fetch_size(size)).load(conn)?;
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
    campaign_ids: &[CampaignId],
    term: &str,
    phone_prefix: Option<&str>,
) -> QueryResult<(Vec<LeadId>, bool)> {
    let mut ids: Vec<LeadId> = Vec::new();
    let mut truncated = false;
    let end = prefix_end(term);
    let mut collect = |found: Vec<LeadId>| {
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
                    .load::<LeadId>(conn)?
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
                .load::<LeadId>(conn)?,
        );
    }
    ids.sort_unstable();
    ids.dedup();
    Ok((ids, truncated))
}

/// The full rows of listed leads, in the order of `ids` (exports need every field).
pub fn full_rows(conn: &mut DbConnection, ids: &[LeadId]) -> QueryResult<Vec<super::leads::Lead>> {
    let mut rows: Vec<super::leads::Lead> =
        leads::table.filter(leads::id.eq_any(ids)).select(super::leads::Lead::as_select()).load(conn)?;
    let order: std::collections::HashMap<LeadId, usize> = ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    rows.sort_by_key(|lead| order.get(&lead.id).copied());
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_even_with_colons_in_names() {
        let c = Cursor { id: LeadId::new(42), name: Some("ana: lima".into()) };
        assert_eq!(Cursor::decode(&c.encode()), Some(c));
        assert_eq!(Cursor::decode("7"), Some(Cursor { id: LeadId::new(7), name: None }));
        assert_eq!(Cursor::decode("x"), None);
    }

    #[test]
    fn prefix_ranges_cover_every_continuation() {
        let end = prefix_end("smi");
        assert!(*"smith" < *end, "continuations are inside");
        assert!(*"smj" > *end, "the next prefix is outside");
    }
}
