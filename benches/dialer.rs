//! The dialer's budgets (SPEC §5): choosing the next due leads costs the same with 1,000 or
//! 1,000,000 leads; the dialer dispatches ≥ 200 calls/s to a provider that keeps up; the dry
//! run over 100,000 leads × 7 days finishes in minutes.
//!
//! On a fresh SQLite database (or VOXDIAL_BENCH_DATABASE_URL): (a) seeds a campaign of 1,000
//! leads and one of BENCH_LEADS (default 1,000,000), all due, and times 300 picks of the next
//! 200 due leads in each lead order; (b) runs the real dialer step, through the real HTTP
//! provider client, over BENCH_DISPATCH_LEADS due leads (default 20,000) with high limits
//! against a local server that answers ElevenLabs' outbound-call request at once, and reports
//! the calls dispatched per second of stepping; (c) runs `dialer simulate` over
//! BENCH_SIM_LEADS leads (default 100,000) for 7 days and prints its summary and wall time.
//!
//!     cargo bench --bench dialer
//!     BENCH_LEADS=200000 cargo bench --bench dialer

mod support;

use support::harness::{database_url, env_number, quiet_settings};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::{App, HttpResponse, HttpServer, web};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use support::seed_leads;
use voxdial::app::{Application, Dependencies};
use voxdial::audit::Actor;
use voxdial::clock::{Clock, ManualClock};
use voxdial::db::agents::AgentFields;
use voxdial::db::campaigns::{AiAgentsSettings, CampaignFields};
use voxdial::db::phone_numbers::NewPhoneNumber;
use voxdial::db::providers::{NewConnection, SecretField};
use voxdial::db::schema::interactions;
use voxdial::db::{self, DbConnection};
use voxdial::dialer::simulate::{self, SimOptions};
use voxdial::domain::campaign::CampaignStatus;
use voxdial::domain::dialing::WeeklyWindows;
use voxdial::domain::dialing::rules::{DialerRules, LeadOrder};
use voxdial::domain::interaction::CallStatus;
use voxdial::domain::phone::{E164, Region};
use voxdial::ids::CampaignId;
use voxdial::provider::{ProviderKind, Telephony};
use voxdial::services::{Ctx, connections};

/// Tuesday 2026-12-01, 10:00 in New York, where the seeded numbers are.
const NOW: &str = "2026-12-01T15:00:00Z";

/// p50 and p99 of the samples.
fn median_and_p99(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99))
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let big = env_number("BENCH_LEADS", 1_000_000);
    let dispatch_leads = env_number("BENCH_DISPATCH_LEADS", 20_000);
    let sim_leads = env_number("BENCH_SIM_LEADS", 100_000);
    let dir = tempfile::tempdir().unwrap();
    let database_url = database_url(dir.path(), "dialer.db");
    let settings = quiet_settings(database_url);
    voxdial::telemetry::init(&settings.log_filter, false);
    let now: DateTime<Utc> = NOW.parse().unwrap();
    let clock = Arc::new(ManualClock::new(now));
    // The real HTTP provider client (no provider override).
    let deps = Dependencies { clock: clock.clone(), providers: None, instance_id: None };
    let app = Application::build_with(settings, deps).await.expect("app");
    let ctx = app.ctx();

    pick_due_leads(&ctx, big).await;
    let provider = answering_server();
    dispatch(&ctx, &clock, &provider, dispatch_leads).await;
    dry_run(&ctx, &provider, sim_leads).await;
}

/// (a) The cost of the dialer's pick with a small and a large campaign, in every lead order.
async fn pick_due_leads(ctx: &Ctx, big: u64) {
    let seeded_at = ctx.clock.now() - chrono::Duration::minutes(1);
    let (small_id, big_id) = {
        let mut conn = ctx.db.get().unwrap();
        let small_id = campaign(&mut conn, "Small", None);
        let big_id = campaign(&mut conn, "Large", None);
        eprintln!("seeding 1,000 + {big} leads…");
        seed_leads(&mut conn, small_id, 1_000, seeded_at);
        seed_leads(&mut conn, big_id, big, seeded_at);
        (small_id, big_id)
    };
    println!("\n(a) Picking the next 200 due leads (db::dial_queue::due), 300 picks each:");
    println!("{:<18} {:>24} {:>24}", "lead order", "1,000 leads p50 / p99", format!("{big} leads p50 / p99"));
    let now = ctx.clock.now();
    for &order in LeadOrder::ALL {
        let mut row = format!("{:<18}", order.as_str());
        for campaign_id in [small_id, big_id] {
            let times = ctx
                .db
                .run(move |conn| {
                    let mut times = Vec::new();
                    for _ in 0..300 {
                        let start = Instant::now();
                        let due = db::dial_queue::due(conn, campaign_id, order, now, 200)?;
                        times.push(start.elapsed());
                        assert_eq!(due.len(), 200);
                    }
                    Ok(times)
                })
                .await
                .unwrap();
            let (p50, p99) = median_and_p99(times);
            row.push_str(&format!(" {:>24}", format!("{} / {}", ms(p50), ms(p99))));
        }
        println!("{row}");
    }
}

/// A local provider that takes every outbound call at once, in ElevenLabs' shape; its URL.
fn answering_server() -> String {
    let counter = web::Data::new(AtomicU64::new(0));
    let server = HttpServer::new(move || {
        App::new().app_data(counter.clone()).route(
            "/v1/convai/twilio/outbound-call",
            web::post().to(|counter: web::Data<AtomicU64>| async move {
                let n = counter.fetch_add(1, Ordering::Relaxed);
                HttpResponse::Ok().json(serde_json::json!({
                    "success": true, "message": "Success",
                    "conversation_id": format!("conv_{n}"), "callSid": format!("CA{n:032x}")
                }))
            }),
        )
    })
    .workers(2)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    url
}

/// (b) Calls dispatched per second of stepping, with limits that never bind: between steps
/// the calls are ended directly (not timed), as webhooks would end them.
async fn dispatch(ctx: &Ctx, clock: &ManualClock, provider: &str, leads: u64) {
    let campaign_id = {
        let mut conn = ctx.db.get().unwrap();
        let id = campaign(&mut conn, "Dispatch", Some((ctx, provider)));
        seed_leads(&mut conn, id, leads, ctx.clock.now() - chrono::Duration::minutes(1));
        id
    };
    let rules = DialerRules {
        windows: WeeklyWindows::parse("daily 08:00-21:00").unwrap(),
        max_concurrent_calls: 1000,
        max_calls_per_minute: 10_000,
        ..DialerRules::default()
    };
    save_rules(ctx, campaign_id, rules).await;
    voxdial::services::dialer::start(ctx, Actor::system("bench"), campaign_id).await.unwrap();
    let (mut dialed, mut stepping, mut steps) = (0, Duration::ZERO, Vec::new());
    for _ in 0..40 {
        let start = Instant::now();
        let report = voxdial::dialer::step(ctx, clock.now_utc()).await.unwrap();
        let took = start.elapsed();
        assert_eq!(report.failed + report.errors, 0, "{report:?}");
        (dialed, stepping) = (dialed + report.dialed, stepping + took);
        steps.push(took);
        end_live_calls(ctx).await;
        clock.advance(chrono::Duration::seconds(2));
    }
    let (p50, p99) = median_and_p99(steps);
    println!("\n(b) Dispatch to a provider over HTTP that answers at once ({leads} due leads, 40 steps):");
    println!(
        "  {dialed} calls in {:.2} s of stepping: {:.0} calls/s (budget ≥ 200); step p50 {}, p99 {}",
        stepping.as_secs_f64(),
        dialed as f64 / stepping.as_secs_f64(),
        ms(p50),
        ms(p99)
    );
}

async fn end_live_calls(ctx: &Ctx) {
    ctx.db
        .write(|conn| {
            diesel::update(
                interactions::table.filter(interactions::status.eq_any(CallStatus::names(&CallStatus::LIVE))),
            )
            .set(interactions::status.eq(CallStatus::NoAnswer.as_str()))
            .execute(conn)?;
            Ok(())
        })
        .await
        .unwrap();
}

/// (c) The dry run over a campaign of `leads` leads for a week, from the command line's code.
async fn dry_run(ctx: &Ctx, provider: &str, leads: u64) {
    let campaign_id = {
        let mut conn = ctx.db.get().unwrap();
        let id = campaign(&mut conn, "Dry run", Some((ctx, provider)));
        seed_leads(&mut conn, id, leads, ctx.clock.now());
        id
    };
    let rules = DialerRules { max_concurrent_calls: 10, max_calls_per_minute: 300, ..DialerRules::default() };
    save_rules(ctx, campaign_id, rules).await;
    let options = SimOptions::new(campaign_id, ctx.clock.now_utc(), chrono::Duration::days(7));
    let summary = simulate::run(ctx, options, &mut |_| {}).await.expect("the dry run");
    println!("\n(c) dialer simulate over {leads} leads × 7 days (10 calls at once, 300 a minute, business hours):");
    for line in summary.to_string().lines() {
        println!("  {line}");
    }
}

/// A campaign; with a provider, calling through it: connection, number, agent and template.
fn campaign(conn: &mut DbConnection, name: &str, provider: Option<(&Ctx, &str)>) -> CampaignId {
    let now = db::now();
    let fields = CampaignFields {
        name,
        description: "",
        status: CampaignStatus::Active,
        timezone: chrono_tz::America::New_York,
        default_region: Region::parse("US").unwrap(),
    };
    let id = db::campaigns::insert(conn, &fields, now).unwrap();
    let Some((ctx, base_url)) = provider else { return id };
    let sealed = |field, text: &str| connections::seal(&ctx.secrets, field, text);
    let connection = NewConnection {
        kind: ProviderKind::ElevenLabs,
        name,
        api_base_url: base_url,
        api_key: sealed(SecretField::ApiKey, "sk_bench"),
        webhook_secret: Some(sealed(SecretField::WebhookSecret, "whsec_bench")),
        inbound_token: None,
    };
    let connection_id = db::providers::insert(conn, connection, now).unwrap();
    let e164 = E164::parse("+14155550100", None).unwrap();
    let number = NewPhoneNumber {
        provider_connection_id: connection_id,
        e164: &e164,
        label: name,
        provider_phone_number_id: &format!("pn_{id}"),
        telephony: Telephony::Twilio,
    };
    let number_id = db::phone_numbers::insert(conn, &number, now).unwrap();
    let agent = AgentFields {
        provider_connection_id: connection_id,
        name,
        spoken_name: "",
        provider_agent_id: "agent_bench",
        default_phone_number_id: Some(number_id),
    };
    let agent_id = db::agents::insert(conn, &agent, now).unwrap();
    let template_id = db::templates::insert_template(conn, name, "", now).unwrap();
    let prompt = "You call {{ lead.first_name }} {{ lead.last_name }} of {{ lead.company }} ({{ contact_type }}).";
    db::templates::add_version(conn, template_id, prompt, Some("Hi {{ lead.first_name }}!"), None, now).unwrap();
    let settings = AiAgentsSettings {
        production_agent_id: Some(agent_id),
        test_agent_id: None,
        prompt_template_id: Some(template_id),
        phone_number_id: Some(number_id),
    };
    db::campaigns::set_ai_agents(conn, id, &settings, now).unwrap();
    id
}

/// Saves the rules as on a campaign whose rules were saved long ago: the leads were seeded
/// due under them, so the dialer has nothing to reschedule (that pass is not measured here).
async fn save_rules(ctx: &Ctx, campaign_id: CampaignId, rules: DialerRules) {
    voxdial::services::dialer::save_rules(ctx, Actor::system("bench"), campaign_id, rules).await.unwrap();
    ctx.db.write(move |conn| Ok(db::dialer::set_reschedule_cursor(conn, campaign_id, None)?)).await.unwrap();
}
