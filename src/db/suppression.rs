//! The do-not-call list: numbers that must never be dialed, globally or for one campaign.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, suppression_entries, users};
use super::types::typed_row;
use crate::domain::phone::E164;
use crate::domain::suppression::SuppressionSource;
use crate::ids::{CampaignId, InteractionId, SuppressionId, UserId};

typed_row! {
    pub struct SuppressionRow from "suppression_entries" as SuppressionRowRaw {
        pub id: SuppressionId,
        pub phone: E164,
        pub campaign_id: Option<CampaignId>,
        pub campaign_name: Option<String>,
        pub reason: String,
        pub source: SuppressionSource,
        pub interaction_id: Option<InteractionId>,
        /// The name of the member who added it (`None` for opt-outs and system entries).
        pub created_by_name: Option<String>,
        pub created_at: NaiveDateTime,
    }
}

/// One do-not-call list: the global one, which every campaign honours, or a campaign's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListScope {
    Global,
    Campaign(CampaignId),
}

impl ListScope {
    pub fn campaign_id(self) -> Option<CampaignId> {
        match self {
            ListScope::Global => None,
            ListScope::Campaign(id) => Some(id),
        }
    }
}

/// Which entries a page or an export shows.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    /// `None` for every list.
    pub list: Option<ListScope>,
    /// Numbers starting with this (`+1212`).
    pub phone_prefix: Option<String>,
}

/// Who put a number on a list, as people read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddedBy {
    /// The lead asked on this call.
    Lead(InteractionId),
    /// A file import, by the member named if known.
    Import(Option<String>),
    Member(String),
    /// Nobody on record: a member since deleted, or voxdial itself.
    Unknown,
}

impl std::fmt::Display for AddedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AddedBy::Lead(call) => write!(f, "the lead, on call #{call}"),
            AddedBy::Import(Some(name)) => write!(f, "import by {name}"),
            AddedBy::Import(None) => f.write_str("import"),
            AddedBy::Member(name) => f.write_str(name),
            AddedBy::Unknown => f.write_str("unknown"),
        }
    }
}

impl SuppressionRow {
    pub fn added_by(&self) -> AddedBy {
        match (self.source, self.interaction_id, &self.created_by_name) {
            (SuppressionSource::OptOut, Some(call), _) => AddedBy::Lead(call),
            (SuppressionSource::Import, _, name) => AddedBy::Import(name.clone()),
            (_, _, Some(name)) => AddedBy::Member(name.clone()),
            _ => AddedBy::Unknown,
        }
    }

    /// The list's name: "Global" or the campaign's.
    pub fn list_name(&self) -> &str {
        self.campaign_name.as_deref().unwrap_or("Global")
    }

    pub fn list_title(&self) -> String {
        list_title(self.campaign_name.as_deref())
    }
}

/// A list as a sentence names it: "the global list", "the Spring list".
pub fn list_title(campaign_name: Option<&str>) -> String {
    match campaign_name {
        None => "the global list".into(),
        Some(name) => format!("the {name} list"),
    }
}

pub struct NewEntry<'a> {
    pub phone: &'a E164,
    /// `None` for the global list.
    pub campaign_id: Option<CampaignId>,
    pub reason: &'a str,
    pub source: SuppressionSource,
    pub created_by: Option<UserId>,
    pub interaction_id: Option<InteractionId>,
}

/// An entry as inserted; `None` is NULL (not DEFAULT), which batch inserts on SQLite need.
#[derive(Insertable)]
#[diesel(table_name = suppression_entries, treat_none_as_null = true)]
struct Insertion<'a> {
    phone: &'a str,
    campaign_id: Option<CampaignId>,
    reason: &'a str,
    source: &'static str,
    created_by: Option<UserId>,
    interaction_id: Option<InteractionId>,
    created_at: NaiveDateTime,
}

impl<'a> Insertion<'a> {
    fn new(entry: &NewEntry<'a>, now: NaiveDateTime) -> Insertion<'a> {
        Insertion {
            phone: entry.phone.as_str(),
            campaign_id: entry.campaign_id,
            reason: entry.reason,
            source: entry.source.as_str(),
            created_by: entry.created_by,
            interaction_id: entry.interaction_id,
            created_at: now,
        }
    }
}

/// Adds an entry; `false` when the number was already listed for that scope.
pub fn add(conn: &mut DbConnection, entry: &NewEntry<'_>, now: NaiveDateTime) -> QueryResult<bool> {
    Ok(insert(conn, entry, now)?.is_some())
}

/// Adds an entry; `None` when the number was already listed for that scope.
pub fn insert(conn: &mut DbConnection, entry: &NewEntry<'_>, now: NaiveDateTime) -> QueryResult<Option<SuppressionId>> {
    // One entry per number and scope (unique index): already listed.
    super::unless_duplicate(conn, |conn| {
        diesel::insert_into(suppression_entries::table)
            .values(Insertion::new(entry, now))
            .returning(suppression_entries::id)
            .get_result(conn)
    })
}

/// Adds entries in one statement; the caller has left out numbers already on their list.
/// A number listed meanwhile by someone else makes the whole statement fail as a unique
/// violation (see [`super::unless_duplicate`]).
pub fn insert_many(conn: &mut DbConnection, entries: &[NewEntry<'_>], now: NaiveDateTime) -> QueryResult<usize> {
    let rows: Vec<Insertion<'_>> = entries.iter().map(|entry| Insertion::new(entry, now)).collect();
    let insert = diesel::insert_into(suppression_entries::table).values(rows);
    // diesel builds multi-row inserts per backend; the combined connection has none for SQLite.
    match conn {
        DbConnection::Sqlite(conn) => insert.execute(conn),
        DbConnection::Pg(conn) => insert.execute(conn),
    }
}

/// Which of `phones` are already on `list`.
pub fn listed_among(conn: &mut DbConnection, list: ListScope, phones: &[&str]) -> QueryResult<Vec<String>> {
    let query = suppression_entries::table
        .filter(suppression_entries::phone.eq_any(phones))
        .select(suppression_entries::phone)
        .into_boxed();
    match list.campaign_id() {
        None => query.filter(suppression_entries::campaign_id.is_null()).load(conn),
        Some(id) => query.filter(suppression_entries::campaign_id.eq(id)).load(conn),
    }
}

/// The entry that bars calling `phone` for `campaign_id`, global ones first.
pub fn blocking_entry(
    conn: &mut DbConnection,
    phone: &E164,
    campaign_id: CampaignId,
) -> QueryResult<Option<(String, Option<CampaignId>)>> {
    suppression_entries::table
        .filter(suppression_entries::phone.eq(phone.as_str()))
        .filter(suppression_entries::campaign_id.is_null().or(suppression_entries::campaign_id.eq(campaign_id)))
        .order(suppression_entries::campaign_id.asc())
        .select((suppression_entries::reason, suppression_entries::campaign_id))
        .first(conn)
        .optional()
}

/// Entries with their campaign's and adder's names.
macro_rules! rows {
    () => {
        suppression_entries::table
            .left_join(campaigns::table)
            .left_join(users::table.on(users::id.nullable().eq(suppression_entries::created_by)))
            .select((
                suppression_entries::id,
                suppression_entries::phone,
                suppression_entries::campaign_id,
                campaigns::name.nullable(),
                suppression_entries::reason,
                suppression_entries::source,
                suppression_entries::interaction_id,
                users::name.nullable(),
                suppression_entries::created_at,
            ))
    };
}

/// A page of entries, newest first, narrowed by `filter`.
pub fn page(
    conn: &mut DbConnection,
    filter: &EntryFilter,
    before: Option<SuppressionId>,
    limit: i64,
) -> QueryResult<Vec<SuppressionRow>> {
    let mut query = rows!().into_boxed();
    // Separate conditions for the two kinds of list, so the campaign index serves both.
    query = match filter.list {
        None => query,
        Some(ListScope::Global) => query.filter(suppression_entries::campaign_id.is_null()),
        Some(ListScope::Campaign(id)) => query.filter(suppression_entries::campaign_id.eq(id)),
    };
    if let Some(prefix) = &filter.phone_prefix {
        query = query
            .filter(suppression_entries::phone.like(format!("{}%", super::agents::escape_like(prefix))).escape('\\'));
    }
    if let Some(before) = before {
        query = query.filter(suppression_entries::id.lt(before));
    }
    query.order(suppression_entries::id.desc()).limit(limit).load(conn)
}

pub fn find(conn: &mut DbConnection, id: SuppressionId) -> QueryResult<SuppressionRow> {
    rows!().filter(suppression_entries::id.eq(id)).get_result(conn)
}

pub fn delete(conn: &mut DbConnection, id: SuppressionId) -> QueryResult<usize> {
    diesel::delete(suppression_entries::table.find(id)).execute(conn)
}
