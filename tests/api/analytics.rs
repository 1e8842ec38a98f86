//! Analytics (R-ANALYTICS): the figures of a period in the viewer's days, checked against
//! hand-computed ones, across campaigns and on a campaign's tab.

use chrono::{Datelike as _, Duration, NaiveDateTime, TimeZone as _, Timelike as _};
use diesel::prelude::*;
use voxdial::db::schema::{interactions, leads};
use voxdial::domain::analytics::{HeatMap, WEEKDAYS, percent, week_hour};
use voxdial::domain::local_time::start_of_day;
use voxdial::domain::outcome::Outcome;
use voxdial::ids::{AgentId, LeadId};

use crate::browser::Browser;
use crate::call_setup::{CallSetup, call_setup, dialing_call};
use crate::dashboard_chart::table_rows;
use crate::helpers::{PASSWORD, TestApp, assert_is_redirect_to};

/// The viewer's zone: UTC+05:30, so local midnight is on no whole UTC hour.
const ZONE: chrono_tz::Tz = chrono_tz::Asia::Kolkata;
/// The leads' own zone, which the best-hours table counts in.
const LEAD_ZONE: chrono_tz::Tz = chrono_tz::America::New_York;

struct Call {
    lead: LeadId,
    at: NaiveDateTime,
    outcome: Outcome,
    agent: AgentId,
    duration: Option<i32>,
    score: Option<i32>,
}

fn record(app: &TestApp, s: &CallSetup, call: &Call) {
    let id = dialing_call(app, s, call.lead, "+12125550123");
    app.with_conn(|c| {
        diesel::update(interactions::table.find(id))
            .set((
                interactions::created_at.eq(call.at),
                interactions::status.eq("completed"),
                interactions::outcome.eq(call.outcome.as_str()),
                interactions::voice_agent_id.eq(call.agent),
                interactions::duration_secs.eq(call.duration),
                interactions::score.eq(call.score),
                interactions::lead_week_hour.eq(week_hour(LEAD_ZONE, call.at)),
            ))
            .execute(c)
            .unwrap()
    });
}

/// Four calls: three today in the viewer's zone (the first a minute after local midnight) and
/// one a minute before it, yesterday. Returns them.
async fn seed(app: &TestApp, s: &CallSetup) -> Vec<Call> {
    assert_is_redirect_to(&app.post_form("/profile/timezone", &[("timezone", ZONE.name())]).await, "/profile");
    app.with_conn(|c| diesel::update(leads::table).set(leads::timezone.eq(LEAD_ZONE.name())).execute(c).unwrap());
    let today = chrono::Utc::now().with_timezone(&ZONE).date_naive();
    let midnight = start_of_day(today, ZONE);
    let m = Duration::minutes(1);
    let call = |lead, at, outcome, agent, duration, score| Call { lead, at, outcome, agent, duration, score };
    let calls = vec![
        call(s.lead, midnight + m, Outcome::Interested, s.production, Some(120), Some(80)),
        call(s.lead, midnight + Duration::hours(2), Outcome::NoAnswer, s.production, None, None),
        call(s.test_lead, midnight + Duration::hours(3), Outcome::NotInterested, s.test, Some(60), Some(40)),
        call(s.lead, midnight - m, Outcome::Interested, s.production, Some(200), Some(90)),
    ];
    for c in &calls {
        record(app, s, c);
    }
    calls
}

fn stat(html: &str, value: &str, label: &str) -> bool {
    html.contains(&format!("<span class=\"stat-value\">{value}</span><span class=\"stat-label\">{label}"))
}

/// The best-hours table as the calls should fill it, each cell its rate and "reached/calls".
fn expected_hours(calls: &[&Call]) -> Vec<Vec<String>> {
    let mut heat = HeatMap::default();
    for call in calls {
        let local = LEAD_ZONE.from_utc_datetime(&call.at);
        let slot = local.weekday().num_days_from_monday() * 24 + local.hour();
        heat.add(slot as i32, 1, i64::from(call.outcome.reached_person()));
    }
    let hours = heat.hours();
    WEEKDAYS
        .iter()
        .zip(&heat.cells)
        .map(|(day, cells)| {
            let mut row = vec![day.to_string()];
            for &hour in &hours {
                let (n, reached) = cells[hour];
                row.extend(if n == 0 {
                    vec!["–".into()]
                } else {
                    vec![percent(reached, n), format!("{reached}/{n}")]
                });
            }
            row
        })
        .collect()
}

#[tokio::test]
async fn analytics_figures_match_hand_computed_ones_in_the_viewers_days() {
    let app = crate::helpers::spawn_app().await;
    let s = call_setup(&app).await;
    let calls = seed(&app, &s).await;

    // Today: 3 calls, 2 reached, 1 interested; 180 s over 2; 120 over 2.
    let html = app.get_html("/analytics?period=today").await;
    assert!(stat(&html, "3", "Calls"), "{html}");
    assert!(stat(&html, "67%", "Connect rate"));
    assert!(stat(&html, "33%", "Interested per call"));
    assert!(stat(&html, "1:30", "Average duration"));
    assert!(stat(&html, "60.0", "Average score (2 scored)"));
    let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    assert_eq!(
        table_rows(&html, "by-agent"),
        [row(&["Production Pat", "2", "50%", "50%", "80.0"]), row(&["Tester Tom", "1", "100%", "0%", "40.0"])]
    );
    assert_eq!(table_rows(&html, "by-version"), [row(&["No prompt version", "3", "67%", "33%", "60.0"])]);
    assert_eq!(table_rows(&html, "best-hours"), expected_hours(&calls[..3].iter().collect::<Vec<_>>()));
    let today = chrono::Utc::now().with_timezone(&ZONE).date_naive();
    let today_row = [vec![today.format("%a %Y-%m-%d").to_string()], row(&["1", "1", "1", "3"])].concat();
    assert_eq!(table_rows(&html, "calls-by-day"), std::slice::from_ref(&today_row));

    // The campaign's tab over the last 7 days also counts yesterday's call, a minute before
    // the viewer's midnight: 4 calls, 3 reached, 2 interested; 380 s over 3; 210 over 3.
    let html = app.get_html(&format!("/campaigns/{}/analytics?period=7d", s.campaign)).await;
    assert!(html.contains("aria-current=\"page\">Analytics</a>"), "the tab is current");
    assert!(
        stat(&html, "4", "Calls") && stat(&html, "75%", "Connect rate") && stat(&html, "50%", "Interested per call")
    );
    assert!(stat(&html, "2:07", "Average duration") && stat(&html, "70.0", "Average score (3 scored)"));
    let days = table_rows(&html, "calls-by-day");
    assert_eq!(days.len(), 7);
    assert_eq!(days[5][1..], row(&["1", "0", "0", "1"]), "yesterday: one interested");
    assert_eq!(days[6][1..], today_row[1..]);
    assert_eq!(table_rows(&html, "best-hours"), expected_hours(&calls.iter().collect::<Vec<_>>()));
    let svg = &html[html.find("<svg xmlns").unwrap()..];
    assert!(svg[..svg.find('>').unwrap()].contains("width=\"100%\"") && !svg.contains("style="));

    // A custom period that holds only yesterday.
    let yesterday = today.pred_opt().unwrap();
    let html = app.get_html(&format!("/analytics?period=custom&from={yesterday}&to={yesterday}")).await;
    assert!(stat(&html, "1", "Calls") && stat(&html, "100%", "Interested per call"), "{html}");
    let bad = app.get(&format!("/analytics?period=custom&from={today}&to={yesterday}")).await;
    assert_eq!(bad.status(), reqwest::StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_analytics_tab_reads_in_a_browser() {
    let app = crate::helpers::spawn_app().await;
    let s = call_setup(&app).await;
    seed(&app, &s).await;
    let browser = Browser::start().await;
    browser.driver.set_window_rect(0, 0, 1366, 1800).await.unwrap();
    browser.driver.goto(app.url("/login")).await.unwrap();
    browser.fill("input[name=email]", "admin@example.com").await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Dashboard").await;
    browser.driver.goto(app.url(&format!("/campaigns/{}", s.campaign))).await.unwrap();
    browser.click("nav.tabs a[href$='/analytics']").await;
    browser.wait_for_text("Best hours to call").await;
    browser.screenshot("campaign-analytics").await;
    // And on a phone (the width test asserts nothing scrolls sideways; this is to look at).
    browser.driver.set_window_rect(0, 0, 390, 1800).await.unwrap();
    browser.driver.refresh().await.unwrap();
    browser.wait_for_text("Best hours to call").await;
    browser.screenshot("campaign-analytics-phone").await;
    browser.quit().await;
}
