//! The dashboard's 7-day chart and its table, counted in the viewer's days, and the problems
//! panel with links to where each problem is fixed.

use chrono::{Days, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use thirtyfour::prelude::*;
use voxdial::db;
use voxdial::db::schema::{interactions, pipeline_runs};
use voxdial::domain::interaction::CallStatus;
use voxdial::domain::local_time::start_of_day;
use voxdial::domain::outcome::Outcome;
use voxdial::domain::webhook::ProcessingState;
use voxdial::ids::InteractionId;
use voxdial::provider::SignatureVerdict;

use crate::browser::Browser;
use crate::call_setup::{CallSetup, call_setup, dialing_call};
use crate::helpers::{PASSWORD, TestApp, assert_is_redirect_to, spawn_app};

/// A call of the lead made at `at` (UTC) that ended as `status` with `outcome`.
fn call_at(
    app: &TestApp,
    s: &CallSetup,
    at: NaiveDateTime,
    status: CallStatus,
    outcome: Option<Outcome>,
) -> InteractionId {
    let call = dialing_call(app, s, s.lead, "+12125550123");
    app.with_conn(|c| {
        diesel::update(interactions::table.find(call))
            .set((
                interactions::created_at.eq(at),
                interactions::status.eq(status.as_str()),
                interactions::outcome.eq(outcome.map(Outcome::as_str)),
            ))
            .execute(c)
            .unwrap()
    });
    call
}

/// The text of each cell of the table's body rows (tags dropped).
pub fn table_rows(html: &str, id: &str) -> Vec<Vec<String>> {
    let start = html.find(&format!("id=\"{id}\"")).expect("the table");
    let body = &html[start..][html[start..].find("<tbody>").unwrap()..html[start..].find("</tbody>").unwrap()];
    body.split("<tr>")
        .skip(1)
        .map(|row| {
            row.split(['<', '>'])
                .enumerate()
                .filter(|(i, text)| i % 2 == 0 && !text.trim().is_empty())
                .map(|(_, text)| text.trim().to_owned())
                .collect()
        })
        .collect()
}

/// The viewer's zone in these tests: Kolkata is UTC+05:30, so its midnight falls on no whole
/// UTC hour.
const ZONE: chrono_tz::Tz = chrono_tz::Asia::Kolkata;

/// Calls over the viewer's last 8 days, some a minute either side of local midnights; the
/// viewer's zone is set to `ZONE`. Returns the chart's first day.
async fn seed_week(app: &TestApp, s: &CallSetup) -> NaiveDate {
    assert_is_redirect_to(&app.post_form("/profile/timezone", &[("timezone", ZONE.name())]).await, "/profile");
    let today = chrono::Utc::now().with_timezone(&ZONE).date_naive();
    let midnight = start_of_day(today, ZONE);
    let first_day = today - Days::new(6);
    let minute = Duration::minutes(1);

    use Outcome::*;
    call_at(app, s, midnight - minute, CallStatus::Completed, Some(Interested)); // yesterday
    call_at(app, s, midnight, CallStatus::Completed, Some(Interested)); // today
    call_at(app, s, midnight + minute, CallStatus::NoAnswer, Some(NoAnswer));
    call_at(app, s, midnight + minute, CallStatus::NoAnswer, Some(NoAnswer));
    call_at(app, s, midnight + minute, CallStatus::Unknown, None);
    call_at(app, s, midnight - Duration::hours(10), CallStatus::Busy, Some(Busy)); // yesterday
    call_at(app, s, start_of_day(first_day, ZONE), CallStatus::Completed, Some(Voicemail));
    call_at(app, s, start_of_day(first_day, ZONE) - minute, CallStatus::Completed, Some(Failed)); // 8 days ago
    first_day
}

#[tokio::test]
async fn the_7_day_chart_counts_calls_in_the_viewers_days_and_the_table_carries_its_numbers() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let first_day = seed_week(&app, &s).await;
    let today = first_day + Days::new(6);

    let html = app.get_html("/").await;
    assert!(html.contains("<caption id=\"chart-caption\">Calls per day by outcome</caption>"), "{html}");
    assert!(html.contains("Days in Asia/Kolkata;"));
    let head = ["Interested", "Voicemail", "Busy", "No answer", "No outcome yet", "Total"];
    let header = &html[html.find("id=\"calls-by-day\"").unwrap()..];
    let header = &header[..header.find("</thead>").unwrap()];
    let mut at = 0;
    for column in head {
        let found =
            header[at..].find(&format!("> {column}</th>")).or_else(|| header[at..].find(&format!(">{column}</th>")));
        at += found.unwrap_or_else(|| panic!("column {column} in order: {header}"));
    }
    let day = |n: u64| (first_day + Days::new(n)).format("%a %Y-%m-%d").to_string();
    let row = |n: u64, counts: [&str; 6]| [vec![day(n)], counts.map(str::to_owned).to_vec()].concat();
    let zero = ["0"; 6];
    assert_eq!(
        table_rows(&html, "calls-by-day"),
        [
            row(0, ["0", "1", "0", "0", "0", "1"]),
            row(1, zero),
            row(2, zero),
            row(3, zero),
            row(4, zero),
            row(5, ["1", "0", "1", "0", "0", "2"]),
            row(6, ["1", "0", "0", "2", "1", "4"]),
        ]
    );
    assert!(html.contains(&format!("href=\"/interactions?from={today}&amp;to={today}\"")), "each day lists its calls");

    // The chart: a scalable SVG with one bar segment per non-zero count.
    let start = html.find("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ").expect("the chart");
    let svg = &html[start..start + html[start..].find("</svg>").expect("closed") + "</svg>".len()];
    assert!(svg.contains("width=\"100%\"") && svg.contains("role=\"img\""), "{svg}");
    assert_eq!(svg.matches("<rect").count(), 6, "{svg}");
    assert!(!svg.contains("style="), "the CSP's style-src blocks inline styles");
    assert_eq!(svg.matches("<svg").count(), 1, "nothing nested");
    // Each day labelled under its bar, and only the counts beside the scale.
    let texts: Vec<&str> = svg
        .split("<text")
        .skip(1)
        .map(|text| text[text.find('>').unwrap() + 1..text.find("</text>").unwrap()].trim())
        .collect();
    let days: Vec<String> = (0..7).map(|n| (first_day + Days::new(n)).format("%a %-d").to_string()).collect();
    assert_eq!(
        texts.iter().filter(|text| text.parse::<i64>().is_err()).collect::<Vec<_>>(),
        days.iter().collect::<Vec<_>>()
    );
}

/// A call whose pipeline run failed, one whose failed run was rerun successfully, a parked
/// webhook event and a call to review. Returns the first two calls and the one to review.
fn seed_problems(app: &TestApp, s: &CallSetup) -> [InteractionId; 3] {
    let now = db::now();
    let failed = call_at(app, s, now, CallStatus::Completed, Some(Outcome::Interested));
    let rerun = call_at(app, s, now, CallStatus::Completed, Some(Outcome::Callback));
    let review = call_at(app, s, now, CallStatus::Unknown, None);
    app.with_conn(|c| {
        for call in [failed, rerun] {
            db::pipeline::enqueue(c, call, None, now).unwrap();
        }
        db::pipeline::enqueue(c, rerun, None, now).unwrap();
        diesel::update(pipeline_runs::table.filter(pipeline_runs::version.eq(1)))
            .set((pipeline_runs::status.eq("failed"), pipeline_runs::error.eq("The LLM timed out 3 times.")))
            .execute(c)
            .unwrap();
        diesel::update(pipeline_runs::table.filter(pipeline_runs::version.eq(2)))
            .set(pipeline_runs::status.eq("done"))
            .execute(c)
            .unwrap();
        let event = db::webhook_events::NewEvent {
            provider_connection_id: s.connection,
            event_type: "post_call_transcription",
            conversation_id: Some("conv_parked"),
            event_timestamp: None,
            signature_verdict: SignatureVerdict::Valid,
            processing_state: ProcessingState::Failed,
            processing_result: Some("the call could not be updated"),
            raw_body: "{}",
            received_at: now,
        };
        db::webhook_events::insert(c, &event).unwrap();
    });
    [failed, rerun, review]
}

#[tokio::test]
async fn the_problems_panel_lists_failed_pipeline_runs_parked_webhooks_and_calls_to_review_with_links() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let [failed, rerun, review] = seed_problems(&app, &s);

    let html = app.get_html("/").await;
    let failed_link = format!("href=\"/interactions/{failed}#pipeline\"");
    assert!(html.contains(&failed_link) && html.contains("The LLM timed out 3 times."), "{html}");
    assert!(
        !html.contains(&format!("/interactions/{rerun}#pipeline")),
        "a rerun that succeeded supersedes the failure"
    );
    assert!(html.contains("href=\"/settings/webhooks\">1 webhook event</a> kept failing and is parked"), "{html}");
    assert!(html.contains("href=\"/interactions?status=unknown\">1 call</a> ended without a known outcome"));

    let call_page = app.get_html(&format!("/interactions/{failed}")).await;
    assert!(call_page.contains("id=\"pipeline\"") && call_page.contains("The LLM timed out 3 times."));
    assert!(app.get_html("/settings/webhooks").await.contains("id=\"parked-events\""));
    assert!(app.get_html("/interactions?status=unknown").await.contains(&format!("/interactions/{review}\"")));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dashboard_reads_at_laptop_and_phone_width_without_scrolling_sideways() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    seed_week(&app, &s).await;
    seed_problems(&app, &s);
    let browser = Browser::start().await;
    browser.driver.set_window_rect(0, 0, 1366, 1400).await.unwrap();
    browser.driver.goto(app.url("/login")).await.unwrap();
    browser.fill("input[name=email]", "admin@example.com").await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Calls, last 7 days").await;
    browser.screenshot("dashboard-chart").await;

    browser.driver.set_window_rect(0, 0, 390, 2400).await.unwrap();
    browser.driver.refresh().await.unwrap();
    browser.wait_for_text("Calls, last 7 days").await;
    let sideways = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;";
    assert_eq!(browser.driver.execute(sideways, vec![]).await.unwrap().json().as_i64(), Some(0));
    let chart = browser.driver.find(By::Css("svg.chart")).await.unwrap().rect().await.unwrap();
    assert!(chart.width > 200.0 && chart.width < 390.0 && chart.height > 80.0, "the chart scales down: {chart:?}");
    browser.screenshot("dashboard-chart-phone").await;
    browser.quit().await;
}
