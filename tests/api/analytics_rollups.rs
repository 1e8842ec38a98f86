//! The analytics rollups (R-ANALYTICS) the database's triggers keep: whatever path writes a
//! call or a lead, the rollups hold exactly what grouping the calls and leads themselves
//! gives (computed here in Rust, with `Outcome::reached_person` and chrono's quarter hours);
//! and the lead funnel on the analytics page, against hand-computed figures.

use std::collections::BTreeMap;

use chrono::{Datelike as _, NaiveDateTime, Timelike as _};
use diesel::prelude::*;
use voxdial::db::schema::{agent_rollups, call_rollups, interactions, lead_funnel, leads, reach_rollups};
use voxdial::db::{self, DbConnection};
use voxdial::domain::dialing::rules::DialBlock;
use voxdial::domain::interaction::CallStatus;
use voxdial::domain::lead::LeadStatus;
use voxdial::domain::outcome::Outcome;
use voxdial::ids::{InteractionId, LeadId};

use crate::call_setup::{
    CallSetup, add_lead, call_now, call_setup, dialing_call, interaction, post_webhook, transcription,
};
use crate::dashboard_chart::table_rows;
use crate::helpers::TestApp;

/// A rollup as a map from its key to its sums, rows summing to zero left out.
type Rollup<K, const N: usize> = BTreeMap<K, [i64; N]>;

fn add<K: Ord, const N: usize>(rollup: &mut Rollup<K, N>, key: K, values: [i64; N]) {
    let sums = rollup.entry(key).or_insert([0; N]);
    sums.iter_mut().zip(values).for_each(|(sum, n)| *sum += n);
}

/// Rows summed by key (a rollup keeps a row per writing connection), zero sums left out.
fn nonzero<K: Ord, const N: usize>(rows: impl IntoIterator<Item = (K, [i64; N])>) -> Rollup<K, N> {
    let mut rollup = BTreeMap::new();
    for (key, values) in rows {
        add(&mut rollup, key, values);
    }
    rollup.retain(|_, sums| sums != &[0; N]);
    rollup
}

/// (campaign, quarter hours since 1970-01-01 UTC).
type Quarter = (i64, i64);

/// The three call rollups as grouping the calls gives them: by outcome (calls, seconds, timed,
/// score sum, scored), by agent and version (calls, reached, interested, score sum, scored),
/// and by the lead's week hour (calls, reached).
#[allow(clippy::type_complexity)]
fn calls_grouped(
    conn: &mut DbConnection,
) -> (Rollup<(Quarter, String), 5>, Rollup<(Quarter, i64, i64), 5>, Rollup<(Quarter, i32), 2>) {
    type Row = (i64, NaiveDateTime, Option<i64>, Option<i64>, Option<String>, Option<i32>, Option<i32>, Option<i32>);
    let rows: Vec<Row> = interactions::table
        .select((
            interactions::campaign_id,
            interactions::created_at,
            interactions::voice_agent_id,
            interactions::template_version_id,
            interactions::outcome,
            interactions::duration_secs,
            interactions::score,
            interactions::lead_week_hour,
        ))
        .load(conn)
        .unwrap();
    let (mut by_outcome, mut by_agent, mut by_week_hour) = (BTreeMap::new(), BTreeMap::new(), BTreeMap::new());
    for (campaign, created, agent, version, outcome, duration, score, week_hour) in rows {
        let quarter = (campaign, created.and_utc().timestamp().div_euclid(900));
        let parsed = outcome.as_deref().map(|code| Outcome::from_code(code).unwrap());
        let reached = i64::from(parsed.is_some_and(Outcome::reached_person));
        let interested = i64::from(parsed == Some(Outcome::Interested));
        let (seconds, timed) = (duration.unwrap_or(0).into(), duration.is_some().into());
        let (points, scored) = (score.unwrap_or(0).into(), score.is_some().into());
        add(&mut by_outcome, (quarter, outcome.unwrap_or_default()), [1, seconds, timed, points, scored]);
        add(
            &mut by_agent,
            (quarter, agent.unwrap_or(0), version.unwrap_or(0)),
            [1, reached, interested, points, scored],
        );
        if let Some(week_hour) = week_hour {
            add(&mut by_week_hour, (quarter, week_hour), [1, reached]);
        }
    }
    (nonzero(by_outcome), nonzero(by_agent), nonzero(by_week_hour))
}

#[allow(clippy::type_complexity)]
fn call_rollups(
    conn: &mut DbConnection,
) -> (Rollup<(Quarter, String), 5>, Rollup<(Quarter, i64, i64), 5>, Rollup<(Quarter, i32), 2>) {
    // The last column of each is the writing connection's shard, summed over.
    let by_outcome: Vec<(i64, i64, String, i32, i32, i32, i32, i32, i32)> = call_rollups::table.load(conn).unwrap();
    let by_agent: Vec<(i64, i64, i64, i64, i32, i32, i32, i32, i32, i32)> = agent_rollups::table.load(conn).unwrap();
    let by_week_hour: Vec<(i64, i64, i32, i32, i32, i32)> = reach_rollups::table.load(conn).unwrap();
    (
        nonzero(
            by_outcome.into_iter().map(|(c, q, o, a, b, d, e, f, _)| (((c, q), o), [a, b, d, e, f].map(i64::from))),
        ),
        nonzero(
            by_agent
                .into_iter()
                .map(|(c, q, ag, v, a, b, d, e, f, _)| (((c, q), ag, v), [a, b, d, e, f].map(i64::from))),
        ),
        nonzero(by_week_hour.into_iter().map(|(c, q, w, a, b, _)| (((c, q), w), [a, b].map(i64::from)))),
    )
}

/// Live leads by (campaign, status, called, reached), from the leads.
fn leads_grouped(conn: &mut DbConnection) -> BTreeMap<(i64, String, bool, bool), i64> {
    let rows: Vec<(i64, String, i32, Option<NaiveDateTime>)> = leads::table
        .filter(leads::deleted_at.is_null())
        .select((leads::campaign_id, leads::status, leads::attempt_count, leads::last_contacted_at))
        .load(conn)
        .unwrap();
    let mut grouped = BTreeMap::new();
    for (campaign, status, attempts, contacted) in rows {
        *grouped.entry((campaign, status, attempts > 0, contacted.is_some())).or_default() += 1;
    }
    grouped
}

fn funnel_rollup(conn: &mut DbConnection) -> BTreeMap<(i64, String, bool, bool), i64> {
    let rows: Vec<(i64, String, bool, bool, i32, i32)> = lead_funnel::table.load(conn).unwrap();
    nonzero(rows.into_iter().map(|(c, s, a, r, n, _)| ((c, s, a, r), [i64::from(n)])))
        .into_iter()
        .map(|(key, [n])| (key, n))
        .collect()
}

#[track_caller]
pub(crate) fn assert_rollups_match(app: &TestApp, after: &str) {
    app.with_conn(|c| {
        let (rolled, grouped) = (call_rollups(c), calls_grouped(c));
        assert_eq!(rolled.0, grouped.0, "calls by outcome after {after}");
        assert_eq!(rolled.1, grouped.1, "calls by agent and version after {after}");
        assert_eq!(rolled.2, grouped.2, "calls by the lead's week hour after {after}");
        assert_eq!(funnel_rollup(c), leads_grouped(c), "lead funnel after {after}");
    });
}

/// What a call that reached a person does to its lead: `status`, nothing more.
fn reached(status: LeadStatus) -> db::leads::CallResult {
    db::leads::CallResult {
        status: Some(status),
        retry_at: None,
        next_call_at: None,
        dial_block: None,
        reached: true,
        needs_review: false,
    }
}

/// A finished call of `lead` with `outcome`, written as a row (as inbound and failed calls are).
fn finished_call(app: &TestApp, s: &CallSetup, lead: LeadId, outcome: Outcome, week_hour: i32) -> InteractionId {
    let id = dialing_call(app, s, lead, "+12125550123");
    app.with_conn(|c| {
        diesel::update(interactions::table.find(id))
            .set((
                interactions::status.eq(CallStatus::Completed.as_str()),
                interactions::outcome.eq(outcome.as_str()),
                interactions::lead_week_hour.eq(week_hour),
            ))
            .execute(c)
            .unwrap()
    });
    id
}

#[tokio::test]
async fn r_analytics_rollups_agree_with_calls_and_leads_through_every_write_path() {
    let app = crate::helpers::spawn_app().await;
    let s = call_setup(&app).await;
    assert_rollups_match(&app, "setting up");

    // A real call: Call now, then the provider's post-call webhook settles it.
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.expect("the call was placed");
    assert_rollups_match(&app, "a call placed");
    let conversation = interaction(&app, id).provider_conversation_id.expect("the provider's conversation id");
    let answered =
        post_webhook(&app, s.connection, &transcription(&conversation, Some(id), Some("interested"), 4)).await;
    assert!(answered.status().is_success());
    assert_rollups_match(&app, "the webhook settled it");
    // The call stored its lead's local weekday and hour, in the lead's own zone.
    let call = interaction(&app, id);
    let zone = app.with_conn(|c| db::leads::find(c, s.lead).unwrap().timezone).expect("Ana has a zone");
    let local = call.created_at.and_utc().with_timezone(&zone);
    let expected = local.weekday().num_days_from_monday() * 24 + local.hour();
    assert_eq!(call.lead_week_hour, Some(expected as i32));

    // Calls on either side of a quarter hour's edge.
    let edge = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap().and_hms_opt(14, 15, 0).unwrap();
    for (n, at) in [edge - chrono::Duration::microseconds(1), edge].into_iter().enumerate() {
        let lead =
            add_lead(&app, s.campaign, &[("first_name", "Edge"), ("phone", &format!("+1212555{:04}", 100 + n))]).await;
        let id = finished_call(&app, &s, lead, Outcome::NoAnswer, 7);
        app.with_conn(|c| {
            diesel::update(interactions::table.find(id)).set(interactions::created_at.eq(at)).execute(c).unwrap()
        });
    }
    assert_rollups_match(&app, "calls either side of a quarter hour");

    // Every outcome once, so the database's list of reached outcomes is checked against Rust's.
    for (n, outcome) in Outcome::ALL.iter().enumerate() {
        let lead =
            add_lead(&app, s.campaign, &[("first_name", "Olga"), ("phone", &format!("+1212555{:04}", 200 + n))]).await;
        finished_call(&app, &s, lead, *outcome, (n * 13 % 168) as i32);
    }
    assert_rollups_match(&app, "one call per outcome");

    // The pipeline's score and refined outcome, a re-scored call, and a call deleted.
    let call = interaction(&app, id);
    app.with_conn(|c| {
        db::pipeline::set_call_findings(c, &call, Some(72), None).unwrap();
        let call = db::interactions::find(c, id).unwrap();
        db::pipeline::set_call_findings(c, &call, Some(64), None).unwrap();
        db::pipeline::set_call_outcome(c, id, Outcome::Callback, call.created_at).unwrap();
    });
    assert_rollups_match(&app, "the pipeline's findings");
    let other = finished_call(&app, &s, s.test_lead, Outcome::Busy, 30);
    app.with_conn(|c| diesel::delete(interactions::table.find(other)).execute(c).unwrap());
    assert_rollups_match(&app, "a call deleted");

    // The lead paths: attempts counted and taken back, statuses set in bulk, a block that
    // ends the lead as unreachable, a call result that reached a person, a soft delete.
    app.with_conn(|c| {
        let now = chrono::Utc::now().naive_utc();
        let lead = db::leads::find(c, s.test_lead).unwrap();
        db::leads::record_attempt(c, lead.id, now).unwrap();
        let found = db::leads::find(c, lead.id).unwrap();
        db::leads::undo_attempt(c, &found, now).unwrap();
        db::leads::record_attempt(c, lead.id, now).unwrap();
        let ids: Vec<LeadId> = leads::table.select(leads::id).limit(3).load(c).unwrap();
        db::leads::set_status(c, &ids, LeadStatus::NotInterested, now).unwrap();
        db::leads::set_status(c, &ids[..1], LeadStatus::Callback, now).unwrap();
        let found = db::leads::find(c, lead.id).unwrap();
        db::dial_queue::block(c, &found, DialBlock::MaxAttempts, now).unwrap();
        let result = reached(LeadStatus::Contacted);
        let found = db::leads::find(c, ids[1]).unwrap();
        db::leads::record_call_result(c, &found, &result, now).unwrap();
        db::leads::soft_delete(c, &ids[2..], now).unwrap();
    });
    assert_rollups_match(&app, "lead changes");
}

#[tokio::test]
async fn r_analytics_the_lead_funnel_counts_live_leads_by_how_far_they_got() {
    let app = crate::helpers::spawn_app().await;
    let s = call_setup(&app).await;
    // Five more leads: with Ana (called, interested) and Tom (a test lead, never called)
    // that makes seven; one is deleted, so six count.
    let mut extra = Vec::new();
    for n in 0..5 {
        extra.push(
            add_lead(&app, s.campaign, &[("first_name", "Lead"), ("phone", &format!("+1212555{:04}", 300 + n))]).await,
        );
    }
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    let conversation = interaction(&app, id).provider_conversation_id.unwrap();
    post_webhook(&app, s.connection, &transcription(&conversation, Some(id), Some("interested"), 4)).await;
    app.with_conn(|c| {
        let now = chrono::Utc::now().naive_utc();
        // Called twice, nobody answered, attempts used up.
        db::leads::record_attempt(c, extra[0], now).unwrap();
        db::leads::record_attempt(c, extra[0], now).unwrap();
        let found = db::leads::find(c, extra[0]).unwrap();
        db::dial_queue::block(c, &found, DialBlock::MaxAttempts, now).unwrap();
        // Called, reached, not interested.
        db::leads::record_attempt(c, extra[1], now).unwrap();
        let result = reached(LeadStatus::NotInterested);
        let found = db::leads::find(c, extra[1]).unwrap();
        db::leads::record_call_result(c, &found, &result, now).unwrap();
        // Put on the do-not-call list by hand, never called.
        db::leads::set_status(c, &extra[2..3], LeadStatus::DoNotCall, now).unwrap();
        // Deleted after a call.
        db::leads::record_attempt(c, extra[4], now).unwrap();
        db::leads::soft_delete(c, &extra[4..], now).unwrap();
    });

    let html = app.get_html(&format!("/campaigns/{}/analytics", s.campaign)).await;
    assert!(html.contains("This campaign’s 6 leads as they stand now"), "{html}");
    let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    // Stage, leads, of all, of the stage before, and the bar's fallback text.
    assert_eq!(
        table_rows(&html, "funnel"),
        [
            row(&["Leads", "6", "100%", "100%", "100%"]),
            row(&["On a call at least once", "3", "50%", "50%", "50%"]),
            row(&["Reached a person", "2", "33%", "67%", "33%"]),
            row(&["Interested / qualified", "1", "17%", "50%", "17%"]),
        ]
    );
    assert_eq!(
        table_rows(&html, "finished"),
        [
            row(&["Qualified", "Interested: handed on", "1", "17%"]),
            row(&["Not interested", "Said not interested", "1", "17%"]),
            row(&["Do not call", "Opted out or on a do-not-call list", "1", "17%"]),
            row(&["Invalid number", "Wrong or invalid number", "0", "0%"]),
            row(&["Unreachable", "All attempts used", "1", "17%"]),
        ]
    );
    assert!(html.contains(
        "<span class=\"stat-value\">33%</span><span class=\"stat-label\">Qualified per lead on a call, all time (1 of 3)"
    ));

    // Across campaigns: another campaign's lead adds to the workspace view only.
    let other = app.add_campaign("Autumn").await;
    add_lead(&app, other, &[("first_name", "Zoe"), ("phone", "+12125550999")]).await;
    let all = app.get_html("/analytics").await;
    assert!(all.contains("All campaigns’ 7 leads as they stand now"));
    let campaign = app.get_html(&format!("/campaigns/{}/analytics", s.campaign)).await;
    assert!(campaign.contains("This campaign’s 6 leads"));
}

#[tokio::test]
async fn r_analytics_calls_from_before_the_week_hour_get_one_in_the_background() {
    let app = crate::helpers::spawn_app().await;
    let s = call_setup(&app).await;
    // A call as an earlier voxdial stored it: no week hour, so not in the heat map.
    let id = dialing_call(&app, &s, s.lead, "+12125550123");
    let at = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap().and_hms_opt(15, 20, 0).unwrap();
    app.with_conn(|c| {
        diesel::update(leads::table.find(s.lead)).set(leads::timezone.eq("America/Chicago")).execute(c).unwrap();
        diesel::update(interactions::table.find(id)).set(interactions::created_at.eq(at)).execute(c).unwrap();
    });
    assert_eq!(interaction(&app, id).lead_week_hour, None);

    let filled = app.with_conn(|c| db::analytics::backfill_week_hours(c).unwrap());
    assert!(filled >= 1);
    // Monday 15:20 UTC is 09:20 in Chicago: week hour 9.
    assert_eq!(interaction(&app, id).lead_week_hour, Some(9));
    assert_rollups_match(&app, "the backfill");
    assert_eq!(app.with_conn(|c| db::analytics::backfill_week_hours(c).unwrap()), 0, "nothing is left to fill");
}
