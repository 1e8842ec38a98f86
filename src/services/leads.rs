//! Leads: the keyset-paged lists with filters and search, the lead page with its call
//! timeline and zone, adding and editing a lead by hand, and bulk actions.

use std::collections::HashMap;

use chrono::NaiveDateTime;

use crate::audit::{self, Actor, Change};
use crate::db::call_lists::TimelineEntry;
use crate::db::campaigns::Campaign;
use crate::db::lead_lists::{LeadFilter, LeadPage, LeadSort, PageAt};
use crate::db::leads::{Lead, Provided};
use crate::db::{self, DbConnection};
use crate::domain::lead::{FieldError, LeadInput, LeadSource, LeadStatus, LeadZone, RawLead, lead_zone, search_key};
use crate::domain::outcome::Outcome;
use crate::domain::phone::{E164, Region};
use crate::domain::resolution;
use crate::error::AppError;
use crate::ids::{CampaignId, LeadId};
use crate::services::Ctx;

/// Leads per page of a list.
pub const PAGE_SIZE: i64 = 50;
/// Calls shown on the lead page.
const TIMELINE_CALLS: i64 = 100;
/// The most leads one bulk action touches.
pub const BULK_LIMIT: usize = 500;

/// Why a lead was not saved.
#[derive(Debug)]
pub enum LeadError {
    /// Input the user can fix, per field; the form is shown again beside it.
    Invalid(Vec<FieldError>),
    Failed(AppError),
}

impl From<AppError> for LeadError {
    fn from(err: AppError) -> Self {
        LeadError::Failed(err)
    }
}

impl From<diesel::result::Error> for LeadError {
    fn from(err: diesel::result::Error) -> Self {
        LeadError::Failed(err.into())
    }
}

/// What a list shows: one campaign's leads or every campaign's.
#[derive(Debug, Clone)]
pub struct LeadQuery {
    pub campaign_id: Option<CampaignId>,
    pub status: Option<LeadStatus>,
    pub is_test: Option<bool>,
    /// Words of a name, email or company, or (part of) a phone number.
    pub search: String,
    pub sort: LeadSort,
    pub at: PageAt,
}

pub struct LeadList {
    /// The campaign, for lists of one campaign.
    pub campaign: Option<Campaign>,
    pub page: LeadPage,
    /// The search matched more leads than it looks at: more words would narrow it.
    pub truncated_search: bool,
    /// The outcome of each listed lead's latest call that has one.
    pub last_outcomes: HashMap<LeadId, Outcome>,
}

/// One page of a lead list: search candidates first (bounded), then one keyset page.
pub async fn list(ctx: &Ctx, query: LeadQuery) -> Result<LeadList, AppError> {
    ctx.db
        .run(move |conn| {
            let campaign = query.campaign_id.map(|id| db::campaigns::find(conn, id)).transpose()?;
            let (filter, truncated_search) = filter_of(conn, &query, campaign.as_ref())?;
            let page = db::lead_lists::page(conn, &filter, query.sort, &query.at, PAGE_SIZE)?;
            let ids: Vec<LeadId> = page.rows.iter().map(|row| row.id).collect();
            let last_outcomes = db::interactions::last_outcomes(conn, &ids)?;
            Ok(LeadList { campaign, page, truncated_search, last_outcomes })
        })
        .await
}

/// The list filter a query stands for, its search resolved to candidate ids; the flag says
/// whether the search matched more leads than it looks at.
pub fn filter_of(
    conn: &mut DbConnection,
    query: &LeadQuery,
    campaign: Option<&Campaign>,
) -> Result<(LeadFilter, bool), AppError> {
    let mut filter =
        LeadFilter { campaign_id: query.campaign_id, status: query.status, is_test: query.is_test, ids: None };
    let term = search_key(&query.search);
    if term.is_empty() {
        return Ok((filter, false));
    }
    let campaign_ids = match campaign {
        Some(c) => vec![c.id],
        None => db::campaigns::all_ids(conn)?,
    };
    let phone = phone_prefix(&query.search, campaign.map(|c| c.default_region));
    let (ids, cut) = db::lead_lists::search_candidates(conn, &campaign_ids, &term, phone.as_deref())?;
    filter.ids = Some(ids);
    Ok((filter, cut))
}

/// A search that looks like a phone number also matches phones: the full number when it
/// parses, else the digits as an international prefix.
fn phone_prefix(q: &str, region: Option<Region>) -> Option<String> {
    let digits: String = q.chars().filter(char::is_ascii_digit).collect();
    let phone_like = q.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    if digits.len() < 3 || !phone_like {
        return None;
    }
    Some(match E164::parse(q, region.as_ref()) {
        Ok(number) => number.to_string(),
        Err(_) => format!("+{digits}"),
    })
}

/// Everything the lead page shows.
pub struct LeadDetail {
    pub lead: Lead,
    pub campaign: Campaign,
    /// Newest first.
    pub timeline: Vec<TimelineEntry>,
    /// The zone the lead's calls are timed in, and where it comes from.
    pub zone: Option<LeadZone>,
    /// Why "Call now" cannot work for this lead, shown before anyone clicks.
    pub call_block: Option<CallBlock>,
    /// The lead's own wall-clock time now ("Sun 14:05"), when its zone is known.
    pub local_now: Option<String>,
}

/// Why a manual call cannot work, and where to fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallBlock {
    pub reason: String,
    /// A page that fixes it, with the link's text.
    pub fix: Option<(String, &'static str)>,
}

pub async fn detail(ctx: &Ctx, id: LeadId) -> Result<LeadDetail, AppError> {
    let now = ctx.clock.now_utc();
    ctx.db
        .run(move |conn| {
            let lead = db::leads::find(conn, id)?;
            let campaign = db::campaigns::find(conn, lead.campaign_id)?;
            let timeline = db::call_lists::timeline(conn, lead.id, TIMELINE_CALLS)?;
            let zone = lead_zone(lead.timezone, &lead.phone, Some(campaign.timezone));
            let call_block = call_block(conn, &lead, &campaign)?;
            let local_now = zone.map(|z| now.with_timezone(&z.zone).format("%a %H:%M").to_string());
            Ok(LeadDetail { lead, campaign, timeline, zone, call_block, local_now })
        })
        .await
}

/// What stops a manual call before it is placed: the do-not-call lists, a call whose outcome
/// is unknown, and an AI Agents setup that cannot place this lead's call (the call service
/// refuses all three; the page says so up front).
fn call_block(conn: &mut DbConnection, lead: &Lead, campaign: &Campaign) -> Result<Option<CallBlock>, AppError> {
    if let Some((reason, list)) = db::suppression::blocking_entry(conn, &lead.phone, campaign.id)? {
        let list = if list.is_some() { "this campaign's do-not-call list" } else { "the do-not-call list" };
        let reason = format!("This number is on {list} ({reason}).");
        let prefix: String = url::form_urlencoded::byte_serialize(lead.phone.as_str().as_bytes()).collect();
        return Ok(Some(CallBlock { reason, fix: Some((format!("/dnc?prefix={prefix}"), "Open DNC")) }));
    }
    if lead.needs_review {
        let reason = "A call's outcome is unknown: settle it on its call page (below) first.".into();
        return Ok(Some(CallBlock { reason, fix: None }));
    }
    let production = db::agents::find_optional(conn, campaign.production_agent_id)?.map(|a| a.candidate());
    let test = db::agents::find_optional(conn, campaign.test_agent_id)?.map(|a| a.candidate());
    let setup = resolution::resolve(lead.is_test, production.as_ref(), test.as_ref(), campaign.phone_number_id);
    Ok(setup.err().map(|error| CallBlock {
        reason: error.message(),
        fix: Some((format!("/campaigns/{}/ai-agents", campaign.id), "Open AI Agents")),
    }))
}

/// The campaign a lead is added to by hand (the form's header and number region).
pub async fn campaign_for_new_lead(ctx: &Ctx, campaign_id: CampaignId) -> Result<Campaign, AppError> {
    ctx.db.run(move |conn| Ok(db::campaigns::find(conn, campaign_id)?)).await
}

/// Adds a lead by hand; national numbers are read in the campaign's region.
pub async fn create(ctx: &Ctx, actor: &Actor, campaign_id: CampaignId, raw: RawLead) -> Result<LeadId, LeadError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    // The field errors roll the transaction back like any other error.
    ctx.db.run(move |conn| Ok(db::write_tx(conn, |conn| insert_lead(conn, &actor, campaign_id, &raw, now)))).await?
}

fn insert_lead(
    conn: &mut DbConnection,
    actor: &Actor,
    campaign_id: CampaignId,
    raw: &RawLead,
    now: NaiveDateTime,
) -> Result<LeadId, LeadError> {
    let campaign = db::campaigns::find(conn, campaign_id)?;
    let input = LeadInput::parse(raw, Some(&campaign.default_region)).map_err(LeadError::Invalid)?;
    let Some(id) = db::unless_duplicate(conn, |c| db::leads::insert(c, campaign_id, &input, LeadSource::Form, now))?
    else {
        return Err(phone_taken(format!("{} is already a lead of this campaign", input.phone)));
    };
    let summary =
        format!("Added the lead {} {} ({}) to “{}”", input.first_name, input.last_name, input.phone, campaign.name);
    let change = Change { action: "lead.create", object_kind: "lead", object_id: Some(id.get()), summary: &summary };
    audit::record(conn, actor, change, now)?;
    Ok(id)
}

/// Saves the lead form: every field is replaced, and the due time follows the status.
pub async fn update(ctx: &Ctx, actor: &Actor, id: LeadId, raw: RawLead) -> Result<(), LeadError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db.run(move |conn| Ok(db::write_tx(conn, |conn| update_lead(conn, &actor, id, &raw, now)))).await?
}

fn update_lead(
    conn: &mut DbConnection,
    actor: &Actor,
    id: LeadId,
    raw: &RawLead,
    now: NaiveDateTime,
) -> Result<(), LeadError> {
    let lead = db::leads::find(conn, id)?;
    if lead.deleted_at.is_some() {
        return Err(AppError::conflict("This lead was deleted; it can no longer be edited.").into());
    }
    let campaign = db::campaigns::find(conn, lead.campaign_id)?;
    let input = LeadInput::parse(raw, Some(&campaign.default_region)).map_err(LeadError::Invalid)?;
    if db::unless_duplicate(conn, |c| db::leads::update(c, &lead, &input, Provided::ALL, now))?.is_none() {
        return Err(phone_taken(format!("Another lead of this campaign has the number {}", input.phone)));
    }
    let summary = format!("Edited the lead {} ({})", input.first_name, input.phone);
    let change = Change { action: "lead.update", object_kind: "lead", object_id: Some(id.get()), summary: &summary };
    audit::record(conn, actor, change, now)?;
    Ok(())
}

/// Another live lead of the campaign has the number (the unique index said so).
fn phone_taken(message: String) -> LeadError {
    LeadError::Invalid(vec![FieldError { field: "phone", message }])
}

/// What a bulk action does to the selected leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Delete,
    MarkTest(bool),
    SetStatus(LeadStatus),
}

impl BulkAction {
    /// The list form's `action` value: `delete`, `test_on`, `test_off` or `status:<code>`.
    pub fn parse(input: &str) -> Option<BulkAction> {
        match input {
            "delete" => Some(BulkAction::Delete),
            "test_on" => Some(BulkAction::MarkTest(true)),
            "test_off" => Some(BulkAction::MarkTest(false)),
            other => {
                other.strip_prefix("status:").and_then(|code| LeadStatus::parse(code).ok()).map(BulkAction::SetStatus)
            }
        }
    }

    /// What was done, for people: "Deleted", "Set to Callback"…
    pub fn done(self) -> String {
        match self {
            BulkAction::Delete => "Deleted".into(),
            BulkAction::MarkTest(true) => "Marked as test".into(),
            BulkAction::MarkTest(false) => "Unmarked as test".into(),
            BulkAction::SetStatus(status) => format!("Set to {}", status.label()),
        }
    }

    fn audit_action(self) -> String {
        match self {
            BulkAction::Delete => "lead.bulk.delete".into(),
            BulkAction::MarkTest(true) => "lead.bulk.test_on".into(),
            BulkAction::MarkTest(false) => "lead.bulk.test_off".into(),
            BulkAction::SetStatus(status) => format!("lead.bulk.status.{}", status.as_str()),
        }
    }
}

fn check_bulk_size(ids: &[LeadId]) -> Result<(), AppError> {
    if ids.len() > BULK_LIMIT {
        return Err(AppError::validation(format!("Act on at most {BULK_LIMIT} leads at a time")));
    }
    Ok(())
}

/// The selected leads, for confirming a bulk action.
pub async fn selected(ctx: &Ctx, ids: Vec<LeadId>) -> Result<Vec<Lead>, AppError> {
    check_bulk_size(&ids)?;
    ctx.db.run(move |conn| ids.iter().map(|id| Ok(db::leads::find(conn, *id)?)).collect()).await
}

/// Applies a bulk action to the selected live leads; returns how many it changed.
pub async fn bulk(ctx: &Ctx, actor: &Actor, ids: Vec<LeadId>, action: BulkAction) -> Result<usize, AppError> {
    check_bulk_size(&ids)?;
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let changed = apply(conn, &ids, action, now)?;
            let summary = format!(
                "{}: {} (ids {})",
                action.done(),
                crate::domain::plural::counted(changed, "lead"),
                join_ids(&ids)
            );
            let action = action.audit_action();
            audit::record(
                conn,
                &actor,
                Change { action: &action, object_kind: "lead", object_id: None, summary: &summary },
                now,
            )?;
            Ok(changed)
        })
        .await
}

fn apply(
    conn: &mut DbConnection,
    ids: &[LeadId],
    action: BulkAction,
    now: NaiveDateTime,
) -> diesel::QueryResult<usize> {
    match action {
        BulkAction::Delete => db::leads::soft_delete(conn, ids, now),
        BulkAction::MarkTest(is_test) => db::leads::set_test(conn, ids, is_test, now),
        BulkAction::SetStatus(status) => db::leads::set_status(conn, ids, status, now),
    }
}

/// The first ids of a selection, for the audit log.
fn join_ids(ids: &[LeadId]) -> String {
    let mut shown: Vec<String> = ids.iter().take(20).map(LeadId::to_string).collect();
    if ids.len() > 20 {
        shown.push(format!("and {} more", ids.len() - 20));
    }
    shown.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_like_searches_become_phone_prefixes() {
        let us = Region::parse("US").ok();
        assert_eq!(phone_prefix("(212) 555-0123", us).as_deref(), Some("+12125550123"));
        assert_eq!(phone_prefix("+4930", None).as_deref(), Some("+4930"));
        assert_eq!(phone_prefix("ana", us), None);
        assert_eq!(phone_prefix("12", us), None);
    }

    #[test]
    fn bulk_actions_round_trip_their_form_values() {
        assert_eq!(BulkAction::parse("status:callback"), Some(BulkAction::SetStatus(LeadStatus::Callback)));
        assert_eq!(BulkAction::parse("test_off"), Some(BulkAction::MarkTest(false)));
        assert_eq!(BulkAction::parse("status:hot"), None);
        assert_eq!(BulkAction::parse(""), None);
        assert_eq!(BulkAction::SetStatus(LeadStatus::NotInterested).done(), "Set to Not interested");
        assert_eq!(BulkAction::SetStatus(LeadStatus::Callback).audit_action(), "lead.bulk.status.callback");
    }

    #[test]
    fn long_selections_are_summarised() {
        let ids: Vec<LeadId> = (1..=22).map(LeadId::new).collect();
        assert!(join_ids(&ids).ends_with("20, and 2 more"));
        assert_eq!(join_ids(&ids[..2]), "1, 2");
    }
}
