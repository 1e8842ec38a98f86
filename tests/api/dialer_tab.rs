//! The campaign's Dialer tab and the dashboard's dialer column (R-DIAL-VIEW), through the
//! pages: rules saved and refused, start / stop / resume, and what the live panel shows after
//! a dialer step at a fixed instant.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use voxdial::clock::{Clock, ManualClock};
use voxdial::db;
use voxdial::ids::CampaignId;

use crate::call_setup::{add_lead, app_with_scripted_clock, call_setup, initiation_failure, post_webhook_at};
use crate::helpers::{TestApp, assert_is_redirect_to, spawn_app};

/// Valid rules as the form posts them, with `changes` in place of the fields they name.
fn rules_form(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut fields = vec![
        ("windows", "mon-fri 9-12, 13:30-19:00\nsat 10-14"),
        ("dialable", "new"),
        ("dialable", "callback"),
        ("order", "oldest"),
        ("attempts_total", "4"),
        ("attempts_per_day", "2"),
        ("busy", "15"),
        ("no_answer", "120"),
        ("voicemail", "180"),
        ("failed", "45"),
        ("backoff", "2"),
        ("jitter", "5"),
        ("concurrent", "3"),
        ("per_minute", "20"),
        ("breaker_calls", "10"),
        ("breaker_percent", "60"),
    ];
    for &(name, value) in changes {
        fields.retain(|(field, _)| *field != name);
        fields.push((name, value));
    }
    fields
}

fn assert_contains_all(page: &str, texts: &[&str]) {
    for text in texts {
        assert!(page.contains(text), "“{text}” is missing from:\n{page}");
    }
}

async fn tab(app: &TestApp, campaign: CampaignId) -> String {
    app.get_html(&format!("/campaigns/{campaign}/dialer")).await
}

async fn status(app: &TestApp, campaign: CampaignId) -> String {
    app.get_html(&format!("/campaigns/{campaign}/dialer/status")).await
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_view_a_fresh_campaign_offers_the_suggested_rules_and_empty_lists() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;

    let page = tab(&app, campaign).await;
    assert_contains_all(
        &page,
        &[
            r#"aria-current="page">Dialer</a>"#,
            "Not saved yet — these are the suggested defaults",
            "Mon-Fri 09:00-20:00; Sat 10:00-18:00",
            r#"id="dialer-state">Off</span>"#,
            "Save its rules below, then start it.",
            "Start dialer",
            "No lead is scheduled for a later call.",
            "No finished calls yet.",
            "None: every waiting lead can be called within the rules.",
            format!(r#"hx-get="/campaigns/{campaign}/dialer/status" hx-trigger="every 5s""#).as_str(),
            r#"hx-trigger="load""#,
            "in the campaign's zone (America/New_York)",
            r#"value="new" checked"#,
            r#"value="oldest""#,
            r#"name="busy" value="30""#,
            "legal floor of 08:00-21:00",
        ],
    );
    assert!(!page.contains(r#"value="qualified""#), "final statuses are not offered");

    // The panel alone, as htmx polls it.
    let panel = status(&app, campaign).await;
    assert!(panel.starts_with(r#"<div id="dialer-status""#) && !panel.contains("<html"), "{panel}");
    assert!(panel.contains(r#"name="csrf_token""#), "its forms work after a swap");

    // The regional rules: a fragment for htmx, a page of their own without JavaScript.
    let profiles = format!("/campaigns/{campaign}/dialer/profiles");
    let fragment = app.client.get(app.url(&profiles)).header("HX-Request", "true").send().await.unwrap();
    let fragment = fragment.text().await.unwrap();
    assert!(fragment.contains("No leads yet") && !fragment.contains("<html"), "{fragment}");
    assert_contains_all(&app.get_html(&profiles).await, &["<html", "Back to the Dialer tab", "No leads yet"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_rules_saved_rules_read_back_canonically_and_are_audited() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;
    add_lead(&app, campaign, &[("first_name", "Flo"), ("phone", "+13055550100")]).await;

    let fields = rules_form(&[("require_consent", "on")]);
    let saved = app.post_form(&format!("/campaigns/{campaign}/dialer/rules"), &fields).await;
    assert_is_redirect_to(&saved, &format!("/campaigns/{campaign}/dialer"));
    let page = tab(&app, campaign).await;
    assert_contains_all(
        &page,
        &[
            "Dialer rules saved; waiting leads are rescheduled under them.",
            "Mon-Fri 09:00-12:00, 13:30-19:00; Sat 10:00-14:00",
            r#"value="new" checked"#,
            r#"value="callback" checked"#,
            r#"value="oldest" selected"#,
            r#"name="attempts_total" value="4""#,
            r#"name="busy" value="15""#,
            r#"name="backoff" value="2""#,
            r#"name="breaker_percent" value="60""#,
            r#"name="require_consent" checked"#,
            "The dialer is off: it places no calls until you start it.",
        ],
    );
    assert!(!page.contains(r#"value="contacted" checked"#));
    assert!(!page.contains(r#"name="zone_fallback" checked"#));
    assert!(!page.contains("Not saved yet"));

    let audit = app.get_html("/settings/audit").await;
    assert_contains_all(
        &audit,
        &[
            "Set the dialer rules of “Spring”: windows Mon-Fri 09:00-12:00, 13:30-19:00; Sat 10:00-14:00; 4 attempts (2 a day); 3 calls at once, 20 a minute",
            "dialer.rules",
        ],
    );

    // A Florida number: its stricter hours and its cap are listed.
    let profiles = app.get_html(&format!("/campaigns/{campaign}/dialer/profiles")).await;
    assert_contains_all(
        &profiles,
        &["Florida", "Daily 08:00-20:00", "at most 3", "Florida Telephone Solicitation Act"],
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_rules_mistakes_are_refused_each_with_its_message_and_the_input_is_kept() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;

    let fields = rules_form(&[
        ("windows", "Funday 09:00-12:00"),
        ("attempts_total", "0"),
        ("dialable", "qualified"),
        ("busy", "ten"),
        ("jitter", "60"),
        ("zone_fallback", "on"),
    ]);
    let refused = app.post_form(&format!("/campaigns/{campaign}/dialer/rules"), &fields).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await.unwrap();
    assert_contains_all(
        &page,
        &[
            "Not saved.",
            "<li>Calling windows: ",
            "<li>Busy retry: enter a whole number of minutes</li>",
            "<li>The jitter must be between 0% and 50%, not 60%</li>",
            "<li>Attempts per lead must be between 1 and 100</li>",
            "<li>“Qualified” ends calling and cannot be dialed</li>",
            ">Funday 09:00-12:00</textarea>",
            r#"name="busy" value="ten""#,
            r#"name="attempts_total" value="0""#,
            r#"name="jitter" value="60""#,
            r#"value="qualified" checked"#,
            r#"name="zone_fallback" checked"#,
            "Not saved yet — these are the suggested defaults",
        ],
    );
    // Nothing was saved.
    assert!(tab(&app, campaign).await.contains("Mon-Fri 09:00-20:00; Sat 10:00-18:00"));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_view_start_stop_and_resume_show_and_are_audited_also_on_the_dashboard() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;
    let start = format!("/campaigns/{campaign}/dialer/start");
    let stop = format!("/campaigns/{campaign}/dialer/stop");
    let dialer_link = format!(r#"href="/campaigns/{campaign}/dialer""#);

    let dashboard = app.get_html("/").await;
    assert_contains_all(&dashboard, &[&dialer_link, r#"<span class="badge">Off</span>"#]);

    let too_early = app.post_form(&start, &[]).await;
    assert_eq!(too_early.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_early.text().await.unwrap().contains("Save the dialer rules first"));

    app.post_form(&format!("/campaigns/{campaign}/dialer/rules"), &rules_form(&[])).await;
    assert_is_redirect_to(&app.post_form(&start, &[]).await, &format!("/campaigns/{campaign}/dialer"));
    let page = tab(&app, campaign).await;
    assert_contains_all(&page, &["Dialer started.", r#"id="dialer-state">Running</span>"#, "Stop dialer"]);
    assert!(!page.contains(r#"id="dialer-start""#));
    assert!(app.get_html("/").await.contains(r#"<span class="badge badge-ok">Running</span>"#));

    app.post_form(&stop, &[]).await;
    let page = tab(&app, campaign).await;
    assert_contains_all(&page, &["Dialer stopped; calls in flight finish.", r#"id="dialer-state">Off</span>"#]);

    // The circuit breaker pauses it (as a dialer step would): the reason shows, and the
    // start button resumes.
    app.post_form(&start, &[]).await;
    let reason = "circuit breaker: 5 of the last 5 calls failed; check the provider, then resume";
    app.with_conn(|c| db::dialer::pause(c, campaign, reason, db::now()).unwrap());
    let panel = status(&app, campaign).await;
    assert_contains_all(
        &panel,
        &[
            r#"id="dialer-state">Paused</span>"#,
            "Circuit breaker: 5 of the last 5 calls failed; check the provider, then resume.",
            r#"id="dialer-start">Resume</button>"#,
            "Stop dialer",
        ],
    );
    assert_contains_all(&app.get_html("/").await, &["badge-danger\">Paused</span>", reason]);
    app.post_form(&start, &[]).await;
    assert!(status(&app, campaign).await.contains(r#"id="dialer-state">Running</span>"#));

    // A configuration problem blocks a running dialer; it stays on, so only Stop is offered.
    app.with_conn(|c| {
        db::campaigns::set_blocking_error(c, campaign, "MISSING_AGENT", "No production agent is set", db::now())
            .unwrap()
    });
    let panel = status(&app, campaign).await;
    assert_contains_all(
        &panel,
        &[
            r#"id="dialer-state">Blocked</span>"#,
            "A configuration problem stops calling: No production agent is set.",
            "Stop dialer",
        ],
    );
    assert!(!panel.contains(r#"id="dialer-start""#));
    assert_contains_all(&app.get_html("/").await, &["badge-warn\">Blocked</span>", "No production agent is set"]);

    let audit = app.get_html("/settings/audit").await;
    assert_eq!(audit.matches("Started the dialer of “Spring”").count(), 3, "start, start, resume");
    assert_eq!(audit.matches("Stopped the dialer of “Spring”").count(), 1);
}

/// Tuesday 2026-12-01, 10:00 in New York and 07:00 in Los Angeles.
fn tuesday_morning() -> DateTime<Utc> {
    "2026-12-01T15:00:00Z".parse().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_view_after_a_step_the_panel_shows_calls_next_leads_blocked_leads_and_outcomes() {
    let clock = Arc::new(ManualClock::new(tuesday_morning()));
    let (app, _provider) = app_with_scripted_clock(clock.clone()).await;
    let s = call_setup(&app).await;
    let campaign = s.campaign;
    // Leave out the set-up's own leads: their zones follow the real time of day.
    app.post_form(
        "/leads/bulk",
        &[
            ("lead_id", &s.lead.to_string()),
            ("lead_id", &s.test_lead.to_string()),
            ("action", "delete"),
            ("confirm", "yes"),
        ],
    )
    .await;
    let lead = |name, phone, zone| [("first_name", name), ("phone", phone), ("timezone", zone)];
    add_lead(&app, campaign, &lead("Nora", "+12125550150", "America/New_York")).await;
    add_lead(&app, campaign, &lead("Bea", "+12125550153", "America/New_York")).await;
    let lars = add_lead(&app, campaign, &lead("Lars", "+14155550151", "America/Los_Angeles")).await;
    // A toll-free number says nothing about where its owner lives.
    let tina = add_lead(&app, campaign, &lead("Tina", "+18005550152", "")).await;
    let rules =
        rules_form(&[("windows", "daily 08:00-21:00"), ("jitter", "0"), ("dialable", "new"), ("per_minute", "600")]);
    app.post_form(&format!("/campaigns/{campaign}/dialer/rules"), &rules).await;
    app.post_form(&format!("/campaigns/{campaign}/dialer/start"), &[]).await;

    let report = voxdial::dialer::step(app.ctx(), clock.now_utc()).await.unwrap();
    assert_eq!((report.dialed, report.blocked), (2, 1));
    let panel = status(&app, campaign).await;
    assert_contains_all(
        &panel,
        &[
            r#"id="dialer-state">Running</span>"#,
            "<dt>Calls in flight</dt><dd>2</dd>",
            "<dt>Leads due now</dt><dd>0</dd>",
            "Waiting — the next call is at <strong>Tue 08:00 America/Los_Angeles</strong>.",
            format!(r#"<a href="/leads/{lars}">Lars</a></td><td class="mono nowrap">+14155550151</td><td>Tue 08:00 America/Los_Angeles</td>"#).as_str(),
            "<td>Timezone unknown</td><td class=\"num\">1</td>",
            format!(r#"<a href="/leads/{tina}">Tina</a>"#).as_str(),
            "No finished calls yet.",
        ],
    );
    let dashboard = app.get_html("/").await;
    assert!(dashboard.contains(r#"<span class="badge badge-ok">Running</span>"#));
    assert!(dashboard.contains(r#"<td class="num">2</td>"#), "calls in flight: {dashboard}");

    // Both calls end busy: they show under recent calls by their label, and come back in
    // 15 minutes.
    let live = app.with_conn(|c| db::call_lists::page(c, &Default::default(), None, 10).unwrap());
    for call in &live {
        let body = initiation_failure(&format!("conv_{}", call.id), "busy");
        let response = post_webhook_at(&app, s.connection, &body, clock.now_utc().timestamp()).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
    let panel = status(&app, campaign).await;
    assert_contains_all(
        &panel,
        &[
            "<dt>Calls in flight</dt><dd>0</dd>",
            "Waiting — the next call is at <strong>Tue 10:15 America/New_York</strong>.",
            format!(r#"<a href="/interactions/{}">2026-12-01 15:00</a>"#, live[0].id).as_str(),
            ">Busy</span>",
        ],
    );
    assert!(!panel.contains(">busy<"), "labels, never raw codes");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_sim_the_tab_previews_the_next_day_call_by_call_and_changes_nothing() {
    let clock = Arc::new(ManualClock::new(tuesday_morning()));
    let (app, _provider) = app_with_scripted_clock(clock.clone()).await;
    let s = call_setup(&app).await;
    let campaign = s.campaign;
    // The test lead goes to the test agent, which has no number of its own.
    let setup = [
        ("production_agent_id", s.production.to_string()),
        ("test_agent_id", s.test.to_string()),
        ("prompt_template_id", s.template.to_string()),
        ("phone_number_id", s.main_number.to_string()),
    ];
    let setup: Vec<(&str, &str)> = setup.iter().map(|(k, v)| (*k, v.as_str())).collect();
    app.post_form(&format!("/campaigns/{campaign}/ai-agents"), &setup).await;
    let lead = |name, phone, zone| [("first_name", name), ("phone", phone), ("timezone", zone)];
    let nora = add_lead(&app, campaign, &lead("Nora", "+12125550150", "America/New_York")).await;
    let lars = add_lead(&app, campaign, &lead("Lars", "+14155550151", "America/Los_Angeles")).await;
    let tina = add_lead(&app, campaign, &lead("Tina", "+18005550152", "")).await;
    let rules = rules_form(&[("windows", "daily 08:00-21:00"), ("jitter", "0"), ("dialable", "new")]);
    app.post_form(&format!("/campaigns/{campaign}/dialer/rules"), &rules).await;
    assert!(tab(&app, campaign).await.contains("Preview the next 24 hours"));

    let response = app
        .client
        .get(app.url(&format!("/campaigns/{campaign}/dialer/preview")))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let panel = response.text().await.unwrap();
    assert!(!panel.contains("<html"), "a fragment for htmx");
    assert_contains_all(
        &panel,
        &[
            "nobody was called",
            &format!(r#"<a href="/leads/{nora}">+12125550150</a>"#),
            "Tue 10:00 <span class=\"muted small\">America/New_York</span>",
            "Tue 08:00 <span class=\"muted small\">America/Los_Angeles</span>",
            "Download all",
        ],
    );
    assert!(!panel.contains(&format!("/leads/{tina}\"")), "a lead without a zone is never in the plan");

    let csv = app.get(&format!("/campaigns/{campaign}/dialer/preview.csv")).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let text = csv.text().await.unwrap();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "lead_id,phone,utc_time,lead_local_time,zone,attempt_number,outcome");
    assert!(rows.len() > 2, "{text}");
    for row in &rows[1..] {
        let local_hour: u32 = row.split(',').nth(3).unwrap()[11..13].parse().unwrap();
        assert!((8..21).contains(&local_hour), "inside the window in the lead's time: {row}");
        assert!(!row.starts_with(&format!("{tina},")), "{row}");
    }
    assert!(rows.iter().any(|r| r.starts_with(&format!("{lars},"))));

    // Nothing was called and nothing changed.
    let (calls, attempts) = app.with_conn(|c| {
        use diesel::prelude::*;
        let calls: i64 = db::schema::interactions::table.count().get_result(c).unwrap();
        let attempts: i32 = db::leads::find(c, nora).unwrap().attempt_count;
        (calls, attempts)
    });
    assert_eq!((calls, attempts), (0, 0));
    let page = app.get_html(&format!("/campaigns/{campaign}/dialer/preview")).await;
    assert!(page.contains("Back to the Dialer tab") && page.contains("<html"), "a page without JavaScript");
}
