//! Analytics, dashboard and call-list latency with a large history (SPEC §5: analytics pages
//! p50 ≤ 50 ms, p99 ≤ 200 ms with 1,000,000 leads and 1,000,000 interactions).
//!
//! Seeds BENCH_LEADS leads (default 1,000,000) and BENCH_CALLS calls (default 1,000,000)
//! spread over the last BENCH_CALL_DAYS days (default 365) across two campaigns, two agents and
//! two prompt versions, with a realistic mix of outcomes, durations and scores, into a fresh
//! database (SQLite in a temp dir, or VOXDIAL_BENCH_DATABASE_URL). Then it starts the real app
//! and times sequential HTTP requests for the analytics pages (today, 7 days, 30 days, the
//! longest custom period; workspace and campaign), the dashboard and the call lists.
//!
//!     cargo bench --bench analytics_pages
//!     BENCH_CALLS=200000 BENCH_CALL_DAYS=30 cargo bench --bench analytics_pages

use std::time::Instant;

mod support;

use chrono::{Days, NaiveDateTime};
use diesel::prelude::*;
use support::harness::env_number;
use support::pages::{login, ms, start_app, time_page};
use support::{add_campaign, seed_leads};
use voxdial::db::schema::interactions;
use voxdial::db::{self, DbConnection};
use voxdial::domain::analytics::week_hour;
use voxdial::ids::{AgentId, CampaignId, LeadId, TemplateVersionId};

/// A call as the benchmark seeds it: what the analytics, dashboard and lists read.
#[derive(Insertable)]
#[diesel(table_name = interactions)]
struct SeedCall {
    direction: &'static str,
    origin: &'static str,
    lead_id: LeadId,
    campaign_id: CampaignId,
    voice_agent_id: Option<AgentId>,
    contact_type: &'static str,
    attempt_number: i32,
    counts_as_attempt: bool,
    template_version_id: Option<TemplateVersionId>,
    to_number: String,
    status: &'static str,
    outcome: Option<&'static str>,
    duration_secs: Option<i32>,
    score: Option<i32>,
    started_at: Option<NaiveDateTime>,
    ended_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    lead_week_hour: Option<i32>,
}

/// The leads' zones: a quarter each, as a US-wide list has them.
const ZONES: [chrono_tz::Tz; 4] = [
    chrono_tz::America::New_York,
    chrono_tz::America::Chicago,
    chrono_tz::America::Denver,
    chrono_tz::America::Los_Angeles,
];

/// Outcomes in the proportions an outbound campaign sees, with whether a person talked.
const OUTCOMES: [(&str, u64, bool); 10] = [
    ("no_answer", 35, false),
    ("voicemail", 20, false),
    ("busy", 5, false),
    ("failed", 3, false),
    ("not_interested", 12, true),
    ("interested", 6, true),
    ("callback", 6, true),
    ("completed", 8, true),
    ("do_not_call", 2, true),
    ("wrong_number", 3, true),
];

struct World {
    campaigns: [CampaignId; 2],
    agents: [AgentId; 2],
    versions: [TemplateVersionId; 2],
    first_lead: i64,
    leads: u64,
}

fn seed_call(world: &World, n: u64, now: NaiveDateTime, days: u64) -> SeedCall {
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 5;
    let lead = world.first_lead + (h % world.leads) as i64;
    // Spread evenly over the days up to today, at daytime hours US time (13:00–23:00 UTC;
    // today's later calls are made now).
    let day = n * days / env_number("BENCH_CALLS", 1_000_000).max(1);
    let secs = 13 * 3600 + (h >> 20) % (10 * 3600);
    let created =
        (now - Days::new(days - 1 - day)).date().and_hms_opt(0, 0, 0).unwrap() + chrono::Duration::seconds(secs as i64);
    let created = created.min(now);
    let mut pick = (h >> 40) % 100;
    let (outcome, _, talked) = *OUTCOMES
        .iter()
        .find(|(_, share, _)| {
            if pick < *share {
                return true;
            }
            pick -= share;
            false
        })
        .unwrap();
    let campaign = (lead % 5 == 0) as usize;
    let status = match outcome {
        "failed" => "failed",
        "no_answer" | "busy" => "no_answer",
        _ => "completed",
    };
    let duration = talked.then_some(20 + ((h >> 8) % 300) as i32);
    SeedCall {
        direction: "outbound",
        origin: if n.is_multiple_of(10) { "manual" } else { "dialer" },
        lead_id: LeadId::new(lead),
        campaign_id: world.campaigns[campaign],
        voice_agent_id: Some(world.agents[((h >> 12) % 2) as usize]),
        contact_type: "first",
        attempt_number: 1 + ((h >> 16) % 4) as i32,
        counts_as_attempt: true,
        // The prompt changed half-way through the history.
        template_version_id: Some(world.versions[(day * 2 >= days) as usize]),
        to_number: format!("+1212{:07}", 2_000_000 + (lead - world.first_lead)),
        status,
        outcome: Some(outcome),
        duration_secs: duration,
        score: (talked && h.is_multiple_of(2)).then_some(((h >> 24) % 101) as i32),
        started_at: talked.then_some(created),
        ended_at: Some(created + chrono::Duration::seconds(i64::from(duration.unwrap_or(30)))),
        created_at: created,
        updated_at: created,
        lead_week_hour: Some(week_hour(ZONES[(lead % 4) as usize], created)),
    }
}

fn seed_calls(conn: &mut DbConnection, world: &World, count: u64, days: u64, now: NaiveDateTime) {
    let started = Instant::now();
    let chunk = 1000;
    let mut n = 0;
    while n < count {
        let rows: Vec<SeedCall> = (n..(n + chunk).min(count)).map(|i| seed_call(world, i, now, days)).collect();
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(interactions::table).values(&rows).execute(c),
            DbConnection::Pg(c) => diesel::insert_into(interactions::table).values(&rows).execute(c),
        }
        .expect("seeding calls");
        n += rows.len() as u64;
        if n % 200_000 == 0 {
            eprintln!("  seeded {n} calls ({:.0}/s)", n as f64 / started.elapsed().as_secs_f64());
        }
    }
    eprintln!("seeded {count} calls in {:.1} s", started.elapsed().as_secs_f64());
}

/// Two agents on one provider connection and a template with two versions, by plain SQL: the
/// benchmark needs their ids, not their secrets.
fn seed_setup(conn: &mut DbConnection, now: NaiveDateTime) -> ([AgentId; 2], [TemplateVersionId; 2]) {
    let at = now.format("%Y-%m-%d %H:%M:%S").to_string();
    diesel::sql_query(format!(
        "INSERT INTO provider_connections (kind, name, api_base_url, api_key_enc, api_key_hint, created_at, updated_at) \
         VALUES ('elevenlabs', 'Bench', 'http://127.0.0.1:9', 'sealed', '…1234', '{at}', '{at}')"
    ))
    .execute(conn)
    .unwrap();
    let connection: i64 = db::schema::provider_connections::table
        .select(diesel::dsl::max(db::schema::provider_connections::id))
        .get_result::<Option<i64>>(conn)
        .unwrap()
        .unwrap();
    let fields = |name: &'static str, provider_agent_id: &'static str| db::agents::AgentFields {
        provider_connection_id: voxdial::ids::ConnectionId::new(connection),
        name,
        spoken_name: "Ava",
        provider_agent_id,
        default_phone_number_id: None,
    };
    let agents = [
        db::agents::insert(conn, &fields("Ava — sales", "agent_bench_1"), now).unwrap(),
        db::agents::insert(conn, &fields("Max — sales", "agent_bench_2"), now).unwrap(),
    ];
    let template = db::templates::insert_template(conn, "Bench prompt", "", now).unwrap();
    for version in 1..=2 {
        diesel::sql_query(format!(
            "INSERT INTO prompt_template_versions (prompt_template_id, version, system_prompt, created_at) \
             VALUES ({template}, {version}, 'You are Ava.', '{at}')"
        ))
        .execute(conn)
        .unwrap();
    }
    let versions: Vec<TemplateVersionId> = db::schema::prompt_template_versions::table
        .select(db::schema::prompt_template_versions::id)
        .order(db::schema::prompt_template_versions::version.asc())
        .load(conn)
        .unwrap();
    (agents, [versions[0], versions[1]])
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let lead_count = env_number("BENCH_LEADS", 1_000_000);
    let call_count = env_number("BENCH_CALLS", 1_000_000);
    let days = env_number("BENCH_CALL_DAYS", 365).max(1);
    let dir = tempfile::tempdir().unwrap();
    let (base, ctx) = start_app(dir.path()).await;
    let campaigns = {
        let mut conn = ctx.db.get().unwrap();
        let now = ctx.clock.now();
        let campaigns = [add_campaign(&mut conn, "Big campaign", now), add_campaign(&mut conn, "Second campaign", now)];
        eprintln!("seeding {lead_count} leads…");
        seed_leads(&mut conn, campaigns[0], lead_count, now);
        let first_lead: i64 = db::schema::leads::table
            .select(diesel::dsl::min(db::schema::leads::id))
            .get_result::<Option<i64>>(&mut conn)
            .unwrap()
            .unwrap();
        let (agents, versions) = seed_setup(&mut conn, now);
        let world = World { campaigns, agents, versions, first_lead, leads: lead_count };
        eprintln!("seeding {call_count} calls over {days} days…");
        seed_calls(&mut conn, &world, call_count, days, now);
        diesel::sql_query("ANALYZE").execute(&mut conn).unwrap();
        campaigns
    };

    let client = login(&base, &ctx).await;
    let today = ctx.clock.now().date();
    let custom = format!("period=custom&from={}&to={today}", today - Days::new(91));
    let big = campaigns[0];
    let pages = [
        ("analytics, all campaigns, today", "/analytics?period=today".to_owned()),
        ("analytics, all campaigns, 7 days", "/analytics".to_owned()),
        ("analytics, all campaigns, 30 days", "/analytics?period=30d".to_owned()),
        ("analytics, all campaigns, 92 days", format!("/analytics?{custom}")),
        ("analytics, big campaign, 7 days", format!("/campaigns/{big}/analytics")),
        ("analytics, big campaign, 30 days", format!("/campaigns/{big}/analytics?period=30d")),
        ("analytics, big campaign, 92 days", format!("/campaigns/{big}/analytics?{custom}")),
        ("dashboard", "/".to_owned()),
        ("calls, first page", "/interactions".to_owned()),
        ("calls, outcome = interested", "/interactions?outcome=interested".to_owned()),
        ("calls, best score first", "/interactions?sort=score".to_owned()),
        ("calls, score ≥ 90, best first", "/interactions?min_score=90&sort=score".to_owned()),
        ("campaign calls, first page", format!("/campaigns/{big}/calls")),
        ("campaign overview", format!("/campaigns/{big}")),
    ];
    println!("\nWith {lead_count} leads and {call_count} calls over {days} days (sequential HTTP requests, 100 each):");
    println!("{:<48} {:>10} {:>10}", "page", "p50", "p99");
    for (name, path) in &pages {
        let (p50, p99) = time_page(&client, &base, path, 100).await;
        println!("{name:<48} {:>10} {:>10}", ms(p50), ms(p99));
    }
}
