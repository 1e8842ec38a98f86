//! Interactions (calls). Every status change is one conditional UPDATE from the states it
//! may leave; zero rows changed means the event was a duplicate or came too late.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{interactions, transcript_turns};
use super::types::typed_row;
use crate::domain::interaction::{CallOrigin, CallStatus, ContactType, Direction};
use crate::domain::outcome::Outcome;
use crate::domain::phone::E164;
use crate::ids::{AgentId, CampaignId, ConnectionId, InteractionId, LeadId, PhoneNumberId, TemplateVersionId, UserId};

typed_row! {
    pub struct Interaction in interactions as InteractionRaw {
        pub id: InteractionId,
        pub direction: Direction,
        pub origin: CallOrigin,
        pub lead_id: LeadId,
        pub campaign_id: CampaignId,
        pub voice_agent_id: Option<AgentId>,
        pub phone_number_id: Option<PhoneNumberId>,
        pub provider_connection_id: Option<ConnectionId>,
        pub contact_type: ContactType,
        pub attempt_number: i32,
        pub counts_as_attempt: bool,
        pub template_version_id: Option<TemplateVersionId>,
        pub rendered_prompt: Option<String>,
        pub rendered_first_message: Option<String>,
        pub to_number: E164,
        pub from_number: Option<E164>,
        pub status: CallStatus,
        pub outcome: Option<Outcome>,
        pub error_code: Option<String>,
        pub error_message: Option<String>,
        pub provider_conversation_id: Option<String>,
        pub provider_call_sid: Option<String>,
        pub termination_reason: Option<String>,
        pub duration_secs: Option<i32>,
        pub call_successful: Option<String>,
        pub summary: Option<String>,
        pub provider_analysis: Option<String>,
        /// The status a late provider report found the call in (failed or unknown).
        pub settled_late_from: Option<CallStatus>,
        /// Failed reconciler checks so far.
        pub check_failures: i32,
        /// An inbound caller whose number is on a do-not-call list (answered, but flagged).
        pub caller_on_dnc: bool,
        /// The latest finished pipeline run's score, 0–100.
        pub score: Option<i32>,
        /// The lead's local weekday and hour when the call was created (0 = Monday 00h).
        pub lead_week_hour: Option<i32>,
        pub initiated_by: Option<UserId>,
        pub started_at: Option<NaiveDateTime>,
        pub ended_at: Option<NaiveDateTime>,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
    }
}

/// A new call row.
#[derive(Debug, Clone)]
pub struct NewInteraction<'a> {
    pub direction: Direction,
    pub origin: CallOrigin,
    pub lead_id: LeadId,
    pub campaign_id: CampaignId,
    pub voice_agent_id: Option<AgentId>,
    pub phone_number_id: Option<PhoneNumberId>,
    pub provider_connection_id: Option<ConnectionId>,
    pub contact_type: ContactType,
    pub attempt_number: i32,
    pub counts_as_attempt: bool,
    pub template_version_id: Option<TemplateVersionId>,
    pub rendered_prompt: Option<&'a str>,
    pub rendered_first_message: Option<&'a str>,
    pub to_number: &'a E164,
    pub from_number: Option<&'a E164>,
    pub status: CallStatus,
    pub outcome: Option<Outcome>,
    pub error_code: Option<&'a str>,
    pub error_message: Option<&'a str>,
    pub initiated_by: Option<UserId>,
    pub ended_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    /// The lead's local weekday and hour at `created_at` (`analytics::week_hour`), for the
    /// best-hours heat map.
    pub lead_week_hour: Option<i32>,
}

/// Inserts a call; a second live call for the lead fails with a unique violation.
pub fn insert(conn: &mut DbConnection, new: &NewInteraction<'_>) -> QueryResult<InteractionId> {
    diesel::insert_into(interactions::table)
        .values((
            interactions::direction.eq(new.direction.as_str()),
            interactions::origin.eq(new.origin.as_str()),
            interactions::lead_id.eq(new.lead_id),
            interactions::campaign_id.eq(new.campaign_id),
            interactions::voice_agent_id.eq(new.voice_agent_id),
            interactions::phone_number_id.eq(new.phone_number_id),
            interactions::provider_connection_id.eq(new.provider_connection_id),
            interactions::contact_type.eq(new.contact_type.as_str()),
            interactions::attempt_number.eq(new.attempt_number),
            interactions::counts_as_attempt.eq(new.counts_as_attempt),
            interactions::template_version_id.eq(new.template_version_id),
            interactions::rendered_prompt.eq(new.rendered_prompt),
            interactions::rendered_first_message.eq(new.rendered_first_message),
            interactions::to_number.eq(new.to_number.as_str()),
            interactions::from_number.eq(new.from_number.map(E164::as_str)),
            interactions::status.eq(new.status.as_str()),
            interactions::outcome.eq(new.outcome.map(Outcome::as_str)),
            interactions::error_code.eq(new.error_code),
            interactions::error_message.eq(new.error_message),
            interactions::initiated_by.eq(new.initiated_by),
            interactions::ended_at.eq(new.ended_at),
            interactions::created_at.eq(new.created_at),
            interactions::updated_at.eq(new.created_at),
            interactions::lead_week_hour.eq(new.lead_week_hour),
        ))
        .returning(interactions::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: InteractionId) -> QueryResult<Interaction> {
    interactions::table.find(id).select(Interaction::as_select()).get_result(conn)
}

pub fn find_by_conversation(
    conn: &mut DbConnection,
    connection_id: ConnectionId,
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
    id: InteractionId,
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
pub fn set_conversation_id(conn: &mut DbConnection, id: InteractionId, conversation_id: &str) -> QueryResult<usize> {
    diesel::update(interactions::table.find(id).filter(interactions::provider_conversation_id.is_null()))
        .set(interactions::provider_conversation_id.eq(conversation_id))
        .execute(conn)
}

/// How a call ended.
#[derive(Debug, Clone, Default)]
pub struct Ending<'a> {
    pub outcome: Option<Outcome>,
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
/// in `ending` is recorded when the call had none yet; a call found failed or unknown keeps
/// that status as `settled_late_from`.
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
            interactions::outcome.eq(ending.outcome.map(Outcome::as_str)),
            interactions::error_code.eq(ending.error_code),
            interactions::error_message.eq(ending.error_message),
            interactions::termination_reason.eq(ending.termination_reason),
            interactions::duration_secs.eq(ending.duration_secs),
            interactions::call_successful.eq(ending.call_successful),
            interactions::summary.eq(ending.summary),
            interactions::provider_analysis.eq(ending.provider_analysis),
            interactions::settled_late_from.eq(diesel::dsl::case_when(
                interactions::status.eq_any(names(&[CallStatus::Failed, CallStatus::Unknown])),
                interactions::status.nullable(),
            )),
            interactions::ended_at.eq(now),
            interactions::updated_at.eq(now),
            interactions::check_after.eq(None::<NaiveDateTime>),
            call_sid.map(|sid| interactions::provider_call_sid.eq(sid)),
        ))
        .execute(conn)?;
    Ok(moved == 1)
}

/// Ends a `dialing` call the provider was never asked about: failed, and not an attempt.
pub fn end_unsent(
    conn: &mut DbConnection,
    id: InteractionId,
    error_code: &str,
    message: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let moved =
        diesel::update(interactions::table.find(id).filter(interactions::status.eq(CallStatus::Dialing.as_str())))
            .set((
                interactions::status.eq(CallStatus::Failed.as_str()),
                interactions::counts_as_attempt.eq(false),
                interactions::error_code.eq(error_code),
                interactions::error_message.eq(message),
                interactions::ended_at.eq(now),
                interactions::updated_at.eq(now),
            ))
            .execute(conn)?;
    Ok(moved == 1)
}

/// Records the provider's call id (an inbound call's, known from the start) and whether the
/// caller is on a do-not-call list.
pub fn note_inbound(
    conn: &mut DbConnection,
    id: InteractionId,
    call_sid: Option<&str>,
    caller_on_dnc: bool,
) -> QueryResult<usize> {
    diesel::update(interactions::table.find(id))
        .set((interactions::provider_call_sid.eq(call_sid), interactions::caller_on_dnc.eq(caller_on_dnc)))
        .execute(conn)
}

/// Notes something about a call without changing its status (e.g. an unanswered dial).
pub fn note_error(conn: &mut DbConnection, id: InteractionId, message: &str, now: NaiveDateTime) -> QueryResult<usize> {
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
    interaction_id: InteractionId,
    seq: i32,
    role: &'a str,
    message: Option<&'a str>,
    time_in_call_secs: i32,
}

/// Rows per INSERT, well inside SQLite's limit on bound parameters.
const TURNS_PER_INSERT: usize = 500;

pub fn insert_transcript(
    conn: &mut DbConnection,
    interaction_id: InteractionId,
    turns: &[NewTurn<'_>],
) -> QueryResult<()> {
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

pub fn transcript(conn: &mut DbConnection, interaction_id: InteractionId) -> QueryResult<Vec<TranscriptTurn>> {
    transcript_turns::table
        .filter(transcript_turns::interaction_id.eq(interaction_id))
        .order(transcript_turns::seq.asc())
        .select(TranscriptTurn::as_select())
        .load(conn)
}

/// Live calls last changed before `stale_before` that the reconciler may look at now
/// (not claimed, not backing off), oldest first.
pub fn due_for_check(
    conn: &mut DbConnection,
    stale_before: NaiveDateTime,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Interaction>> {
    interactions::table
        .filter(interactions::status.eq_any(names(&CallStatus::LIVE)))
        .filter(interactions::updated_at.lt(stale_before))
        .filter(interactions::check_after.is_null().or(interactions::check_after.le(now)))
        .order(interactions::updated_at.asc())
        .limit(limit)
        .select(Interaction::as_select())
        .load(conn)
}

/// Claims a live call for one check until `until`; `false` when another instance has it.
pub fn claim_check(
    conn: &mut DbConnection,
    id: InteractionId,
    now: NaiveDateTime,
    until: NaiveDateTime,
) -> QueryResult<bool> {
    let taken = diesel::update(
        interactions::table
            .find(id)
            .filter(interactions::status.eq_any(names(&CallStatus::LIVE)))
            .filter(interactions::check_after.is_null().or(interactions::check_after.le(now))),
    )
    .set(interactions::check_after.eq(until))
    .execute(conn)?;
    Ok(taken == 1)
}

/// When the reconciler looks at a call again; a failed check also counts towards parking it.
pub fn schedule_check(
    conn: &mut DbConnection,
    id: InteractionId,
    at: NaiveDateTime,
    failed: bool,
) -> QueryResult<usize> {
    diesel::update(interactions::table.find(id))
        .set((
            interactions::check_after.eq(at),
            interactions::check_failures.eq(interactions::check_failures + i32::from(failed)),
        ))
        .execute(conn)
}

/// The outcome of each lead's latest call that has one, for a page of leads (the
/// `(lead_id, outcome)` index serves it).
pub fn last_outcomes(
    conn: &mut DbConnection,
    leads: &[LeadId],
) -> QueryResult<std::collections::HashMap<LeadId, Outcome>> {
    let rows: Vec<(LeadId, String)> = interactions::table
        .filter(interactions::lead_id.eq_any(leads))
        .filter(interactions::outcome.is_not_null())
        .order(interactions::id.desc())
        .select((interactions::lead_id, interactions::outcome.assume_not_null()))
        .load(conn)?;
    let mut latest = std::collections::HashMap::new();
    for (lead, code) in rows {
        if let std::collections::hash_map::Entry::Vacant(entry) = latest.entry(lead) {
            entry.insert(super::types::read_column::<Outcome>("interactions", "outcome", code)?);
        }
    }
    Ok(latest)
}
