//! The auto-dialer against the real database and an in-process provider, driven step by
//! step with a clock the test moves (R-DIAL-RULES, R-DIAL-SAFE, R-CONFIG-ERR).

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use voxdial::audit::Actor;
use voxdial::clock::{Clock, ManualClock};
use voxdial::db;
use voxdial::dialer::{StepReport, step};
use voxdial::domain::dialing::WeeklyWindows;
use voxdial::domain::dialing::rules::{DialBlock, DialerRules};
use voxdial::domain::interaction::CallStatus;
use voxdial::domain::lead::LeadStatus;
use voxdial::ids::{CampaignId, ConnectionId, InteractionId, LeadId};
use voxdial::provider::ProviderError;
use voxdial::provider::scripted::ScriptedProvider;
use voxdial::services;

use crate::call_setup::{add_lead, app_with_scripted_clock, initiation_failure, post_webhook_at};
use crate::helpers::TestApp;

/// Tuesday 2026-12-01, 10:00 in New York.
fn tuesday_morning() -> DateTime<Utc> {
    "2026-12-01T15:00:00Z".parse().unwrap()
}

struct Dialing {
    app: TestApp,
    provider: Arc<ScriptedProvider>,
    clock: Arc<ManualClock>,
    connection: ConnectionId,
    campaign: CampaignId,
}

impl Dialing {
    async fn start(rules: DialerRules) -> Dialing {
        let clock = Arc::new(ManualClock::new(tuesday_morning()));
        let (app, provider) = app_with_scripted_clock(clock.clone()).await;
        app.login_as_admin().await;
        let connection = app.add_connection("ElevenLabs", "http://127.0.0.1:9").await;
        let number = app.add_number(connection, "+14155550100", "Main", "pn_main").await;
        let agent = app.add_agent(connection, "Production Pat", "agent_prod", Some(number)).await;
        let campaign = app.add_campaign("Autodial").await;
        let saved = app
            .post_form(
                &format!("/campaigns/{campaign}/ai-agents"),
                &[
                    ("production_agent_id", &agent.to_string()),
                    ("test_agent_id", ""),
                    ("prompt_template_id", ""),
                    ("phone_number_id", ""),
                ],
            )
            .await;
        assert_eq!(saved.status(), reqwest::StatusCode::SEE_OTHER);
        let ctx = app.ctx();
        services::dialer::save_rules(ctx, Actor::system("test"), campaign, rules).await.unwrap();
        services::dialer::start(ctx, Actor::system("test"), campaign).await.unwrap();
        Dialing { app, provider, clock, connection, campaign }
    }

    async fn lead(&self, phone: &str, timezone: &str) -> LeadId {
        add_lead(&self.app, self.campaign, &[("first_name", "Lead"), ("phone", phone), ("timezone", timezone)]).await
    }

    async fn step(&self) -> StepReport {
        step(self.app.ctx(), self.clock.now_utc()).await.unwrap()
    }

    fn advance(&self, by: Duration) {
        self.clock.advance(by);
    }

    fn lead_row(&self, id: LeadId) -> db::leads::Lead {
        self.app.with_conn(|c| db::leads::find(c, id).unwrap())
    }

    /// The calls placed so far, each with the lead's id.
    fn placed_leads(&self) -> Vec<LeadId> {
        self.provider
            .placed()
            .iter()
            .map(|call| call.dynamic_variables["voxdial_lead_id"].as_str().unwrap().parse().unwrap())
            .collect()
    }

    /// Ends every live call as the provider would report it: `busy`, `no-answer` …
    async fn end_calls(&self, reason: &str) {
        let live: Vec<InteractionId> = self.app.with_conn(|c| {
            let calls = db::call_lists::page(c, &Default::default(), None, 500).unwrap();
            calls.into_iter().filter(|r| r.status.is_live()).map(|r| r.id).collect()
        });
        for id in live {
            let body = initiation_failure(&format!("conv_{id}"), reason);
            let response = post_webhook_at(&self.app, self.connection, &body, self.clock.now_utc().timestamp()).await;
            assert_eq!(response.status(), reqwest::StatusCode::OK);
        }
    }
}

fn exact_retries() -> DialerRules {
    let mut rules =
        DialerRules { windows: WeeklyWindows::parse("daily 08:00-21:00").unwrap(), ..DialerRules::default() };
    rules.retry.jitter_percent = 0;
    rules
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_rules_retries_follow_the_outcome_and_end_in_unreachable() {
    let rules = DialerRules { max_attempts_total: 3, max_attempts_per_day: 3, ..exact_retries() };
    let d = Dialing::start(rules).await;
    let lead = d.lead("+12125550123", "America/New_York").await;

    assert_eq!(d.step().await.dialed, 1);
    d.end_calls("busy").await;
    let after_busy = d.lead_row(lead);
    assert_eq!(after_busy.next_call_at.unwrap().and_utc(), d.clock.now_utc() + Duration::minutes(30));
    d.advance(Duration::minutes(29));
    assert_eq!(d.step().await.dialed, 0, "not before the busy retry delay");
    d.advance(Duration::minutes(1));
    assert_eq!(d.step().await.dialed, 1);
    // A second busy: backoff × 1.5.
    d.end_calls("busy").await;
    assert_eq!(d.lead_row(lead).next_call_at.unwrap().and_utc(), d.clock.now_utc() + Duration::minutes(45));
    d.advance(Duration::minutes(45));
    assert_eq!(d.step().await.dialed, 1);
    d.end_calls("no-answer").await;
    let spent = d.lead_row(lead);
    assert_eq!(
        (spent.status, spent.next_call_at, spent.dial_block),
        (LeadStatus::Unreachable, None, Some(DialBlock::MaxAttempts))
    );
    d.advance(Duration::days(1));
    assert_eq!(d.step().await.dialed, 0);
    assert_eq!(d.placed_leads(), vec![lead, lead, lead]);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_rules_windows_are_the_leads_own_and_the_floor_holds() {
    let d = Dialing::start(exact_retries()).await;
    // 10:00 in New York, 07:00 in Los Angeles (before the floor).
    let new_york = d.lead("+12125550123", "America/New_York").await;
    let los_angeles = d.lead("+14155550123", "America/Los_Angeles").await;
    assert_eq!(d.step().await.dialed, 1);
    assert_eq!(d.placed_leads(), vec![new_york]);
    let waiting = d.lead_row(los_angeles);
    assert_eq!(
        waiting.next_call_at.unwrap().and_utc(),
        "2026-12-01T16:00:00Z".parse::<DateTime<Utc>>().unwrap(),
        "08:00 there"
    );
    d.advance(Duration::minutes(59));
    assert_eq!(d.step().await.dialed, 0);
    d.advance(Duration::minutes(1));
    assert_eq!(d.step().await.dialed, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_rules_the_daily_cap_moves_the_next_call_to_the_leads_next_day() {
    let rules = DialerRules { max_attempts_per_day: 2, ..exact_retries() };
    let d = Dialing::start(rules).await;
    let lead = d.lead("+12125550123", "America/New_York").await;
    for _ in 0..2 {
        assert_eq!(d.step().await.dialed, 1);
        d.end_calls("busy").await;
        d.advance(Duration::minutes(30));
    }
    assert_eq!(d.step().await.dialed, 0);
    let next = d.lead_row(lead).next_call_at.unwrap().and_utc();
    assert_eq!(next, "2026-12-02T13:00:00Z".parse::<DateTime<Utc>>().unwrap(), "Wednesday 08:00 in New York");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_safe_numbers_on_a_do_not_call_list_are_never_dialed() {
    let d = Dialing::start(exact_retries()).await;
    let global = d.lead("+12125550123", "America/New_York").await;
    let listed_here = d.lead("+12125550124", "America/New_York").await;
    let fine = d.lead("+12125550125", "America/New_York").await;
    d.app.post_form("/dnc", &[("phone", "+12125550123"), ("reason", "global")]).await;
    d.app
        .post_form(
            "/dnc",
            &[("phone", "+12125550124"), ("reason", "this campaign"), ("campaign_id", &d.campaign.to_string())],
        )
        .await;
    let report = d.step().await;
    assert_eq!((report.dialed, report.blocked), (1, 2));
    assert_eq!(d.placed_leads(), vec![fine]);
    for id in [global, listed_here] {
        assert_eq!(d.lead_row(id).dial_block, Some(DialBlock::DoNotCall));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_rules_concurrency_and_pacing_hold() {
    let rules = DialerRules { max_concurrent_calls: 3, max_calls_per_minute: 600, ..exact_retries() };
    let d = Dialing::start(rules).await;
    for n in 0..10 {
        d.lead(&format!("+1212555{:04}", 100 + n), "America/New_York").await;
    }
    assert_eq!(d.step().await.dialed, 3, "three calls at once");
    d.advance(Duration::seconds(2));
    assert_eq!(d.step().await.dialed, 0, "until one ends");
    d.end_calls("busy").await;
    d.advance(Duration::seconds(2));
    assert_eq!(d.step().await.dialed, 3);

    // Pacing: 6 new calls a minute, many slots.
    let paced = DialerRules { max_concurrent_calls: 100, max_calls_per_minute: 6, ..exact_retries() };
    let d = Dialing::start(paced).await;
    for n in 0..30 {
        d.lead(&format!("+1212555{:04}", 200 + n), "America/New_York").await;
    }
    let mut dialed = 0;
    for _ in 0..30 {
        dialed += d.step().await.dialed;
        d.advance(Duration::seconds(2));
    }
    assert!((5..=7).contains(&dialed), "about 6 in a minute, got {dialed}");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_rules_the_circuit_breaker_pauses_until_a_person_resumes() {
    let rules = DialerRules {
        breaker: voxdial::domain::dialing::rules::Breaker { window_calls: 5, failure_percent: 60 },
        max_concurrent_calls: 5,
        max_calls_per_minute: 600,
        ..exact_retries()
    };
    let d = Dialing::start(rules).await;
    for n in 0..8 {
        d.lead(&format!("+1212555{:04}", 300 + n), "America/New_York").await;
    }
    d.provider.fail_calls_with(ProviderError::Invalid("agent misconfigured".into()));
    assert_eq!(d.step().await.dialed, 5, "five calls, all refused");
    d.advance(Duration::seconds(2));
    assert_eq!(d.step().await.dialed, 0, "the breaker pauses the campaign");
    let view = services::dialer::view(d.app.ctx(), d.campaign).await.unwrap();
    match view.state {
        services::dialer::DialerState::Stopped(reason) => {
            assert!(reason.contains("5 of the last 5 calls failed"), "{reason}")
        }
        other => panic!("expected a pause, got {other:?}"),
    }
    // A person fixes it and resumes: the breaker starts afresh.
    d.provider.answer_calls_with(Box::new(|call| Ok(voxdial::provider::scripted::accepted(call))));
    services::dialer::start(d.app.ctx(), Actor::system("test"), d.campaign).await.unwrap();
    d.advance(Duration::hours(2));
    assert!(d.step().await.dialed > 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_config_err_pauses_the_dialer_and_burns_no_attempt() {
    let d = Dialing::start(exact_retries()).await;
    let lead = d.lead("+12125550123", "America/New_York").await;
    // The campaign loses its agent.
    d.app.with_conn(|c| {
        db::campaigns::set_ai_agents(c, d.campaign, &Default::default(), db::now()).unwrap();
    });
    let report = d.step().await;
    assert_eq!(report.dialed, 0);
    let row = d.lead_row(lead);
    assert_eq!(row.attempt_count, 0, "not an attempt");
    assert!(row.next_call_at.is_some(), "still due once fixed");
    let campaign = d.app.with_conn(|c| db::campaigns::find(c, d.campaign).unwrap());
    assert_eq!(campaign.blocking_error_code.as_deref(), Some("MISSING_AGENT"));
    d.advance(Duration::seconds(2));
    assert_eq!(d.step().await, StepReport::default(), "the dialer stays away from a blocked campaign");
    assert!(d.provider.placed().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_rules_a_lead_without_a_known_zone_is_never_auto_dialed() {
    let d = Dialing::start(exact_retries()).await;
    // A toll-free number spans the continent; no zone is set on the lead.
    let unknown =
        add_lead(&d.app, d.campaign, &[("first_name", "Nowhere"), ("phone", "+18005550123"), ("timezone", "")]).await;
    assert_eq!(d.step().await.blocked, 1);
    assert_eq!(d.lead_row(unknown).dial_block, Some(DialBlock::NoTimezone));
    assert!(d.provider.placed().is_empty());
    // With the campaign's zone as fallback (New York here) it is called.
    let rules = DialerRules { campaign_zone_fallback: true, ..exact_retries() };
    services::dialer::save_rules(d.app.ctx(), Actor::system("test"), d.campaign, rules).await.unwrap();
    d.advance(Duration::seconds(2));
    assert_eq!(d.step().await.dialed, 1, "rescheduled under the new rules and called");
    assert_eq!(d.placed_leads(), vec![unknown]);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_safe_two_instances_dial_every_lead_exactly_once_per_attempt() {
    let d = Dialing::start(DialerRules { max_concurrent_calls: 1000, max_calls_per_minute: 10_000, ..exact_retries() })
        .await;
    let now = d.clock.now();
    d.app.with_conn(|c| {
        for n in 0..500 {
            let raw = voxdial::domain::lead::RawLead {
                first_name: format!("Lead {n}"),
                phone: format!("+1212555{:04}", 1000 + n),
                timezone: "America/New_York".into(),
                ..Default::default()
            };
            let input = voxdial::domain::lead::LeadInput::parse(&raw, None).unwrap();
            db::leads::insert(c, d.campaign, &input, voxdial::domain::lead::LeadSource::Import, now).unwrap();
        }
    });
    // A second instance on the same database and the same provider. It even runs under the
    // same name, so both hold the campaign's lease at once: only the claim guards the leads.
    let deps = voxdial::app::Dependencies {
        clock: d.clock.clone(),
        providers: Some(Arc::new(voxdial::provider::scripted::ScriptedProviders(d.provider.clone()))),
        instance_id: Some(d.app.ctx().instance_id.clone()),
    };
    let other = d.app.sibling_with(deps).await;
    for _ in 0..6 {
        let at = d.clock.now_utc();
        let (a, b) = tokio::join!(step(d.app.ctx(), at), step(other.ctx(), at));
        a.unwrap();
        b.unwrap();
        d.advance(Duration::seconds(2));
    }
    let mut placed = d.placed_leads();
    assert_eq!(placed.len(), 500, "every lead dialed");
    placed.sort();
    placed.dedup();
    assert_eq!(placed.len(), 500, "and none twice");
    let live = d.app.with_conn(|c| db::dialer::live_calls(c, d.campaign).unwrap());
    assert_eq!(live, 500);
    let statuses = d.app.with_conn(|c| db::call_lists::page(c, &Default::default(), None, 1000).unwrap());
    assert!(statuses.iter().all(|call| call.status == CallStatus::InProgress));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_rules_call_now_is_refused_outside_the_legal_hours_without_override() {
    let d = Dialing::start(exact_retries()).await;
    let lead = d.lead("+12125550123", "America/New_York").await;
    // Sunday 06:04 in New York.
    d.clock.set("2026-11-29T11:04:00Z".parse().unwrap());
    let response = d.app.post_form(&format!("/leads/{lead}/call"), &[("confirm", "yes")]).await;
    crate::helpers::assert_is_redirect_to(&response, &format!("/leads/{lead}"));
    let page = d.app.get_html(&format!("/leads/{lead}")).await;
    assert!(page.contains("It is 06:04 on Sunday in America/New_York for this lead"), "{page}");
    assert!(page.contains("before 08:00 in the lead&#x27;s time (legal floor)") || page.contains("legal floor"));
    assert!(page.contains("Calling opens at 08:00 on Sunday"));
    assert!(d.provider.placed().is_empty());
    // At 08:00 their time it may be called (after confirming: no consent on record).
    d.clock.set("2026-11-29T13:00:00Z".parse().unwrap());
    let response = d.app.post_form(&format!("/leads/{lead}/call"), &[("confirm", "yes")]).await;
    assert!(response.headers()["location"].to_str().unwrap().starts_with("/interactions/"));
    assert_eq!(d.placed_leads(), vec![lead]);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_dial_rules_call_now_asks_first_when_the_dialer_would_not_call() {
    let rules = DialerRules { windows: WeeklyWindows::parse("mon-fri 12:00-17:00").unwrap(), ..exact_retries() };
    let d = Dialing::start(rules).await;
    let lead = d.lead("+12125550123", "America/New_York").await;
    services::dialer::stop(d.app.ctx(), Actor::system("test"), d.campaign).await.unwrap();
    let asked = d.app.post_form(&format!("/leads/{lead}/call"), &[]).await;
    assert_eq!(asked.status(), reqwest::StatusCode::OK);
    let page = asked.text().await.unwrap();
    assert!(page.contains("Call this lead anyway?"));
    assert!(
        page.contains("outside the campaign&#x27;s calling windows")
            || page.contains("calling windows (Mon-Fri 12:00-17:00)")
    );
    assert!(page.contains("There is no consent record for this lead."));
    assert!(d.provider.placed().is_empty(), "nothing is called before the person confirms");
    let confirmed = d.app.post_form(&format!("/leads/{lead}/call"), &[("confirm", "yes")]).await;
    assert!(confirmed.headers()["location"].to_str().unwrap().starts_with("/interactions/"));
    assert_eq!(d.placed_leads(), vec![lead]);
}
