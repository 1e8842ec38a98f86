//! Interactions (calls). Every status change is one conditional UPDATE from the states it
//! may leave; zero rows changed means the event was a duplicate or came too late.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, interactions, leads, transcript_turns, voice_agents};
use crate::domain::interaction::CallStatus;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = interactions)]
pub struct Interaction {
    pub id: i64,
    pub kind: String,
    pub direction: String,
    pub origin: String,
    pub lead_id: i64,
    pub campaign_id: i64,
    pub voice_agent_id: Option<i64>,
    pub phone_number_id: Option<i64>,
    pub provider_connection_id: Option<i64>,
    pub contact_type: String,
    pub attempt_number: i32,
    pub counts_as_attempt: bool,
    pub template_version_id: Option<i64>,
    pub rendered_prompt: Option<String>,
    pub rendered_first_message: Option<String>,
    pub to_number: String,
    pub from_number: Option<String>,
    pub status: String,
    pub outcome: Option<String>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub provider_conversation_id: Option<String>,
    pub provider_call_sid: Option<String>,
    pub termination_reason: Option<String>,
    pub duration_secs: Option<i32>,
    pub call_successful: Option<String>,
    pub summary: Option<String>,
    pub provider_analysis: Option<String>,
    pub initiated_by: Option<i64>,
    pub started_at: Option<NaiveDateTime>,
    pub ended_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Interaction {
    pub fn status(&self) -> CallStatus {
        CallStatus::parse(&self.status).unwrap_or(CallStatus::Unknown)
    }
}

/// A new call row.
#[derive(Debug, Insertable)]
#[diesel(table_name = interactions)]
pub struct NewInteraction<'a> {
    pub direction: &'a str,
    pub origin: &'a str,
    pub lead_id: i64,
    pub campaign_id: i64,
    pub voice_agent_id: Option<i64>,
    pub phone_number_id: Option<i64>,
    pub provider_connection_id: Option<i64>,
    pub contact_type: &'a str,
    pub attempt_number: i32,
    pub counts_as_attempt: bool,
    pub template_version_id: Option<i64>,
    pub rendered_prompt: Option<&'a str>,
    pub rendered_first_message: Option<&'a str>,
    pub to_number: &'a str,
    pub from_number: Option<&'a str>,
    pub status: &'a str,
    pub outcome: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub initiated_by: Option<i64>,
    pub ended_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Inserts a call; a second live call for the lead fails with a unique violation.
pub fn insert(conn: &mut DbConnection, new: &NewInteraction<'_>) -> QueryResult<i64> {
    diesel::insert_into(interactions::table).values(new).returning(interactions::id).get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<Interaction> {
    interactions::table.find(id).select(Interaction::as_select()).get_result(conn)
}

pub fn find_by_conversation(
    conn: &mut DbConnection,
    connection_id: i64,
    conversation_id: &str,
) -> QueryResult<Option<Interaction>> {
    interactions::table
        .filter(interactions::provider_connection_id.eq(connection_id))
        .filter(interactions::provider_conversation_id.eq(conversation_id))
        .select(Interaction::as_select())
        .get_result(conn)
        .optional()
}

fn names(statuses: &[CallStatus]) -> Vec<&'static str> {
    CallStatus::names(statuses)
}

/// The provider took the call: dialing → in progress with its ids. When a webhook already
/// finished the call, only the ids it lacked are filled in.
pub fn mark_accepted(
    conn: &mut DbConnection,
    id: i64,
    conversation_id: Option<&str>,
    call_sid: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let moved =
        diesel::update(interactions::table.find(id).filter(interactions::status.eq(CallStatus::Dialing.as_str())))
            .set((
                interactions::status.eq(CallStatus::InProgress.as_str()),
                interactions::provider_conversation_id.eq(conversation_id),
                interactions::provider_call_sid.eq(call_sid),
                interactions::started_at.eq(now),
                interactions::updated_at.eq(now),
            ))
            .execute(conn)?;
    if moved == 0 {
        diesel::update(interactions::table.find(id).filter(interactions::provider_conversation_id.is_null()))
            .set(interactions::provider_conversation_id.eq(conversation_id))
            .execute(conn)?;
        diesel::update(interactions::table.find(id).filter(interactions::provider_call_sid.is_null()))
            .set(interactions::provider_call_sid.eq(call_sid))
            .execute(conn)?;
    }
    Ok(moved == 1)
}

/// Records the conversation id learnt from a webhook matched by voxdial's own id.
pub fn set_conversation_id(conn: &mut DbConnection, id: i64, conversation_id: &str) -> QueryResult<usize> {
    diesel::update(interactions::table.find(id).filter(interactions::provider_conversation_id.is_null()))
        .set(interactions::provider_conversation_id.eq(conversation_id))
        .execute(conn)
}

/// How a call ended.
#[derive(Debug, Clone, Default)]
pub struct Ending<'a> {
    pub outcome: Option<&'a str>,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub termination_reason: Option<&'a str>,
    pub duration_secs: Option<i32>,
    pub call_successful: Option<&'a str>,
    pub summary: Option<&'a str>,
    pub provider_analysis: Option<&'a str>,
    pub call_sid: Option<&'a str>,
}

/// Moves a call from one of `from` to the final `to`. Returns whether it moved. A call sid
/// in `ending` is recorded when the call had none yet.
pub fn end(
    conn: &mut DbConnection,
    call: &Interaction,
    from: &[CallStatus],
    to: CallStatus,
    ending: &Ending<'_>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let call_sid = ending.call_sid.filter(|_| call.provider_call_sid.is_none());
    let moved = diesel::update(interactions::table.find(call.id).filter(interactions::status.eq_any(names(from))))
        .set((
            interactions::status.eq(to.as_str()),
            interactions::outcome.eq(ending.outcome),
            interactions::error_code.eq(ending.error_code),
            interactions::error_message.eq(ending.error_message),
            interactions::termination_reason.eq(ending.termination_reason),
            interactions::duration_secs.eq(ending.duration_secs),
            interactions::call_successful.eq(ending.call_successful),
            interactions::summary.eq(ending.summary),
            interactions::provider_analysis.eq(ending.provider_analysis),
            interactions::ended_at.eq(now),
            interactions::updated_at.eq(now),
            call_sid.map(|sid| interactions::provider_call_sid.eq(sid)),
        ))
        .execute(conn)?;
    Ok(moved == 1)
}

/// Notes something about a call without changing its status (e.g. an unanswered dial).
pub fn note_error(conn: &mut DbConnection, id: i64, message: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(interactions::table.find(id))
        .set((interactions::error_message.eq(message), interactions::updated_at.eq(now)))
        .execute(conn)
}

/// A transcript turn to store.
pub struct NewTurn<'a> {
    pub role: &'a str,
    pub message: Option<&'a str>,
    pub time_in_call_secs: i32,
}

#[derive(Insertable)]
#[diesel(table_name = transcript_turns)]
struct TurnRow<'a> {
    interaction_id: i64,
    seq: i32,
    role: &'a str,
    message: Option<&'a str>,
    time_in_call_secs: i32,
}

/// Rows per INSERT, well inside SQLite's limit on bound parameters.
const TURNS_PER_INSERT: usize = 500;

pub fn insert_transcript(conn: &mut DbConnection, interaction_id: i64, turns: &[NewTurn<'_>]) -> QueryResult<()> {
    let rows: Vec<TurnRow<'_>> = turns
        .iter()
        .enumerate()
        .map(|(seq, turn)| TurnRow {
            interaction_id,
            seq: seq as i32,
            role: turn.role,
            message: turn.message,
            time_in_call_secs: turn.time_in_call_secs,
        })
        .collect();
    for chunk in rows.chunks(TURNS_PER_INSERT) {
        // Multi-row INSERT is not available through the multi-backend connection.
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(transcript_turns::table).values(chunk).execute(c),
            DbConnection::Pg(c) => diesel::insert_into(transcript_turns::table).values(chunk).execute(c),
        }?;
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = transcript_turns)]
pub struct TranscriptTurn {
    pub seq: i32,
    pub role: String,
    pub message: Option<String>,
    pub time_in_call_secs: i32,
}

pub fn transcript(conn: &mut DbConnection, interaction_id: i64) -> QueryResult<Vec<TranscriptTurn>> {
    transcript_turns::table
        .filter(transcript_turns::interaction_id.eq(interaction_id))
        .order(transcript_turns::seq.asc())
        .select(TranscriptTurn::as_select())
        .load(conn)
}

/// Live calls last touched before `before` (for the reconciler), oldest first.
pub fn stale_open(conn: &mut DbConnection, before: NaiveDateTime, limit: i64) -> QueryResult<Vec<Interaction>> {
    interactions::table
        .filter(interactions::status.eq_any(names(&CallStatus::LIVE)))
        .filter(interactions::updated_at.lt(before))
        .order(interactions::updated_at.asc())
        .limit(limit)
        .select(Interaction::as_select())
        .load(conn)
}

/// Marks a call nobody can account for; its lead waits for a person.
pub fn mark_unknown(
    conn: &mut DbConnection,
    call: &Interaction,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let ending = Ending { error_code: Some("OUTCOME_UNKNOWN"), error_message: Some(reason), ..Ending::default() };
    end(conn, call, &CallStatus::LIVE, CallStatus::Unknown, &ending, now)
}

/// Keeps the call's age for the reconciler fresh (e.g. after asking the provider).
pub fn touch(conn: &mut DbConnection, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(interactions::table.find(id)).set(interactions::updated_at.eq(now)).execute(conn)
}

/// A lead's calls, newest first.
#[derive(Debug, Clone, Queryable)]
pub struct TimelineEntry {
    pub id: i64,
    pub direction: String,
    pub status: String,
    pub outcome: Option<String>,
    pub error_code: Option<String>,
    pub duration_secs: Option<i32>,
    pub summary: Option<String>,
    pub created_at: NaiveDateTime,
}

pub fn timeline(conn: &mut DbConnection, lead_id: i64, limit: i64) -> QueryResult<Vec<TimelineEntry>> {
    interactions::table
        .filter(interactions::lead_id.eq(lead_id))
        .order(interactions::id.desc())
        .limit(limit)
        .select((
            interactions::id,
            interactions::direction,
            interactions::status,
            interactions::outcome,
            interactions::error_code,
            interactions::duration_secs,
            interactions::summary,
            interactions::created_at,
        ))
        .load(conn)
}

/// Filters for the call list.
#[derive(Debug, Clone, Default)]
pub struct CallFilter {
    pub campaign_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub outcome: Option<String>,
    pub status: Option<String>,
    pub direction: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub until: Option<NaiveDateTime>,
}

/// A row of the call list.
#[derive(Debug, Clone, Queryable)]
pub struct CallRow {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub direction: String,
    pub status: String,
    pub outcome: Option<String>,
    pub error_code: Option<String>,
    pub duration_secs: Option<i32>,
    pub lead_id: i64,
    pub lead_first_name: String,
    pub lead_last_name: String,
    pub to_number: String,
    pub campaign_id: i64,
    pub campaign_name: String,
    pub agent_name: Option<String>,
}

/// A page of calls, newest first, after `before` (keyset on id).
pub fn page(conn: &mut DbConnection, filter: &CallFilter, before: Option<i64>, size: i64) -> QueryResult<Vec<CallRow>> {
    let mut query = interactions::table
        .inner_join(leads::table)
        .inner_join(campaigns::table)
        .left_join(voice_agents::table)
        .select((
            interactions::id,
            interactions::created_at,
            interactions::direction,
            interactions::status,
            interactions::outcome,
            interactions::error_code,
            interactions::duration_secs,
            interactions::lead_id,
            leads::first_name,
            leads::last_name,
            interactions::to_number,
            interactions::campaign_id,
            campaigns::name,
            voice_agents::name.nullable(),
        ))
        .into_boxed();
    if let Some(id) = filter.campaign_id {
        query = query.filter(interactions::campaign_id.eq(id));
    }
    if let Some(id) = filter.agent_id {
        query = query.filter(interactions::voice_agent_id.eq(id));
    }
    if let Some(outcome) = &filter.outcome {
        query = query.filter(interactions::outcome.eq(outcome.clone()));
    }
    if let Some(status) = &filter.status {
        query = query.filter(interactions::status.eq(status.clone()));
    }
    if let Some(direction) = &filter.direction {
        query = query.filter(interactions::direction.eq(direction.clone()));
    }
    if let Some(from) = filter.from {
        query = query.filter(interactions::created_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(interactions::created_at.lt(until));
    }
    if let Some(before) = before {
        query = query.filter(interactions::id.lt(before));
    }
    query.order(interactions::id.desc()).limit(size).load(conn)
}
