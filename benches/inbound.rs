//! The inbound conversation-initiation webhook under load (SPEC §5: p99 ≤ 5 ms at 500
//! requests/s with 1,000,000 leads).
//!
//! Seeds BENCH_LEADS leads (default 1,000,000) into one campaign of a fresh SQLite database
//! (or VOXDIAL_BENCH_DATABASE_URL) with a number, an agent and a prompt template, starts a
//! real `voxdial serve` process, and sends initiation requests at BENCH_RATE per second
//! (default 500) for BENCH_SECONDS (default 20): three in four from known callers spread over
//! the whole table, one in four from unknown callers (who become new leads). Each request is
//! sent on schedule whether or not earlier ones have been answered, so slow answers show up as
//! latency, not as a lower rate. Prints p50/p99/max and the rate achieved.
//!
//!     cargo bench --bench inbound

mod support;

use support::harness::{database_url, env_number, serve};

use std::time::{Duration, Instant};

use voxdial::crypto::{MasterKey, SecretBox};
use voxdial::db::agents::AgentFields;
use voxdial::db::campaigns::{AiAgentsSettings, CampaignFields};
use voxdial::db::phone_numbers::NewPhoneNumber;
use voxdial::db::providers::{NewConnection, SecretField};
use voxdial::db::{self, Db};
use voxdial::domain::campaign::CampaignStatus;
use voxdial::domain::phone::{E164, Region};
use voxdial::provider::{ProviderKind, Telephony};
use voxdial::services::connections;

const TOKEN: &str = "inbound_bench_token";
const TEMPLATE: &str = "You are {{ agent.name }} for {{ campaign.name }}. {% if contact_type == 'new' %}A new caller.\
{% else %}{{ lead.first_name }} {{ lead.last_name }} from {{ lead.company }} calls back.{% endif %}";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let lead_count = env_number("BENCH_LEADS", 1_000_000);
    let rate = env_number("BENCH_RATE", 500);
    let seconds = env_number("BENCH_SECONDS", 20);
    let dir = tempfile::tempdir().unwrap();
    let database_url = database_url(dir.path(), "inbound.db");
    let key = MasterKey::generate();
    let connection_id = seed(&database_url, &key, lead_count);

    let server = serve(&database_url, &key, false).await;
    let base = server.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(256).build().unwrap();
    let url = format!("{base}/webhooks/elevenlabs/{connection_id}/initiation");
    // Warm the connection pool and the server's caches.
    for n in 0..200 {
        ring(&client, &url, caller(n, lead_count)).await;
    }

    let total = rate * seconds;
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let started = Instant::now();
    let mut pending = Vec::with_capacity(total as usize);
    for n in 0..total {
        let due = started + interval * n as u32;
        tokio::time::sleep_until(due.into()).await;
        let (client, url) = (client.clone(), url.clone());
        pending.push(tokio::spawn(async move { ring(&client, &url, caller(n + 1000, lead_count)).await }));
    }
    let mut times = Vec::with_capacity(pending.len());
    for task in pending {
        times.push(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    times.sort();
    println!();
    println!("Inbound initiation webhook with {lead_count} leads (SQLite unless a URL was given):");
    println!(
        "  {} requests at a target of {rate}/s: achieved {:.0}/s",
        times.len(),
        times.len() as f64 / elapsed.as_secs_f64()
    );
    println!(
        "  latency p50 {}, p99 {}, max {} (budget: p99 ≤ 5 ms)",
        ms(percentile(&times, 0.5)),
        ms(percentile(&times, 0.99)),
        ms(*times.last().unwrap())
    );
}

/// Three in four callers are known leads spread over the table; one in four is new.
fn caller(n: u64, lead_count: u64) -> String {
    if n % 4 == 3 {
        format!("+1312{:07}", 2_000_000 + n % 7_000_000)
    } else {
        let lead = (n.wrapping_mul(2_654_435_761) % lead_count.max(1)) % 5_000_000;
        format!("+1212{:07}", 2_000_000 + lead)
    }
}

async fn ring(client: &reqwest::Client, url: &str, caller: String) -> Duration {
    let body = serde_json::json!({"caller_id": caller, "agent_id": "agent_bench", "called_number": "+14155550100", "call_sid": "CAbench"});
    let start = Instant::now();
    let response = client.post(url).header("X-Voxdial-Token", TOKEN).json(&body).send().await.unwrap();
    let status = response.status();
    let answer = response.bytes().await.unwrap();
    let took = start.elapsed();
    assert!(status.is_success(), "{status}: {}", String::from_utf8_lossy(&answer));
    took
}

/// The workspace: a connection with an inbound token, a number, an agent, a template and a
/// campaign with `lead_count` leads. Returns the connection's id.
fn seed(database_url: &str, key: &MasterKey, lead_count: u64) -> voxdial::ids::ConnectionId {
    let db = Db::connect(database_url, 2).unwrap();
    db.migrate().unwrap();
    let mut conn = db.get().unwrap();
    let conn = &mut *conn;
    let secrets = SecretBox::new(key);
    let now = db::now();
    let connection = db::providers::insert(
        conn,
        NewConnection {
            kind: ProviderKind::ElevenLabs,
            name: "Bench",
            api_base_url: "http://127.0.0.1:9",
            api_key: connections::seal(&secrets, SecretField::ApiKey, "sk_bench"),
            webhook_secret: None,
            inbound_token: Some(connections::seal(&secrets, SecretField::InboundToken, TOKEN)),
        },
        now,
    )
    .unwrap();
    let e164 = E164::parse("+14155550100", None).unwrap();
    let number = NewPhoneNumber {
        provider_connection_id: connection,
        e164: &e164,
        label: "Main",
        provider_phone_number_id: "pn_bench",
        telephony: Telephony::Twilio,
    };
    let number = db::phone_numbers::insert(conn, &number, now).unwrap();
    let agent = AgentFields {
        provider_connection_id: connection,
        name: "Ava",
        spoken_name: "",
        provider_agent_id: "agent_bench",
        default_phone_number_id: Some(number),
    };
    let agent = db::agents::insert(conn, &agent, now).unwrap();
    let template = db::templates::insert_template(conn, "Bench", "", now).unwrap();
    db::templates::add_version(conn, template, TEMPLATE, Some("Hello!"), None, now).unwrap();
    let fields = CampaignFields {
        name: "Inbound bench",
        description: "",
        status: CampaignStatus::Active,
        timezone: chrono_tz::America::New_York,
        default_region: Region::parse("US").unwrap(),
    };
    let campaign = db::campaigns::insert(conn, &fields, now).unwrap();
    let settings = AiAgentsSettings {
        production_agent_id: Some(agent),
        test_agent_id: None,
        prompt_template_id: Some(template),
        phone_number_id: Some(number),
    };
    db::campaigns::set_ai_agents(conn, campaign, &settings, now).unwrap();
    support::seed_leads(conn, campaign, lead_count, now);
    connection
}
