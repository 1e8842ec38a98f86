//! Post-call webhook ingest against the raw-write baseline, and the server's memory.
//!
//! In one run, on one fresh SQLite database (or VOXDIAL_BENCH_DATABASE_URL):
//! 1. raw baseline: the writes of one post-call webhook (event row, call update, 20
//!    transcript turns, lead update; one transaction) done directly through the data layer,
//!    without HTTP, signature, parsing or matching;
//! 2. ingest: signed `post_call_transcription` webhooks with 20 turns posted over HTTP to a
//!    real `voxdial serve` process, CONCURRENCY at a time — HMAC check, JSON parse, store,
//!    transition, transcript and lead update;
//! 3. latency at half the measured ingest rate (p50/p99);
//! 4. the server process's resident memory idle and its peak under the load.
//!
//! Run: `cargo bench --bench webhook_ingest` (BENCH_WEBHOOKS and CONCURRENCY adjust it).

mod support;

use support::harness::{database_url, env_number, serve};

use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::prelude::*;
use voxdial::crypto::{MasterKey, SecretBox};
use voxdial::db::interactions::{Ending, NewInteraction, NewTurn};
use voxdial::db::leads::CallResult;
use voxdial::db::providers::{NewConnection, SecretField};
use voxdial::db::schema::{interactions, leads};
use voxdial::db::webhook_events::NewEvent;
use voxdial::db::{self, Db, DbConnection, write_tx};
use voxdial::domain::campaign::CampaignStatus;
use voxdial::domain::interaction::{CallOrigin, CallStatus, ContactType, Direction};
use voxdial::domain::outcome::Outcome;
use voxdial::domain::phone::{E164, Region};
use voxdial::domain::webhook::ProcessingState;
use voxdial::ids::{CampaignId, ConnectionId, InteractionId, LeadId};
use voxdial::provider::{ProviderKind, SignatureVerdict};
use voxdial::services::connections;

const SECRET: &str = "wsec_bench_secret";
const TURNS: usize = 20;

/// Calls in progress, one per lead, with conversation ids `conv_<id>`. Returns their ids.
fn seed_calls(
    conn: &mut DbConnection,
    campaign_id: CampaignId,
    connection_id: ConnectionId,
    first_lead: u64,
    count: u64,
) -> Vec<InteractionId> {
    let now = db::now();
    support::seed_leads(conn, campaign_id, first_lead + count, now);
    let lead_ids: Vec<LeadId> = leads::table
        .filter(leads::campaign_id.eq(campaign_id))
        .order(leads::id.asc())
        .select(leads::id)
        .offset(first_lead as i64)
        .limit(count as i64)
        .load(conn)
        .unwrap();
    let to_number = E164::parse("+12125550123", None).unwrap();
    let from_number = E164::parse("+14155550100", None).unwrap();
    // One insert per call (the data layer has no multi-row insert for calls), a thousand
    // to a transaction.
    for chunk in lead_ids.chunks(1000) {
        write_tx(conn, |conn| {
            for lead_id in chunk {
                let call = NewInteraction {
                    direction: Direction::Outbound,
                    origin: CallOrigin::Dialer,
                    lead_id: *lead_id,
                    campaign_id,
                    voice_agent_id: None,
                    phone_number_id: None,
                    provider_connection_id: Some(connection_id),
                    contact_type: ContactType::First,
                    attempt_number: 1,
                    counts_as_attempt: true,
                    template_version_id: None,
                    rendered_prompt: Some("You are a helpful agent."),
                    rendered_first_message: Some("Hello!"),
                    to_number: &to_number,
                    from_number: Some(&from_number),
                    status: CallStatus::InProgress,
                    outcome: None,
                    error_code: None,
                    error_message: None,
                    initiated_by: None,
                    ended_at: None,
                    created_at: now,
                    lead_week_hour: None,
                };
                db::interactions::insert(conn, &call)?;
            }
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
    }
    diesel::sql_query(
        "UPDATE interactions SET provider_conversation_id = 'conv_' || id WHERE provider_conversation_id IS NULL",
    )
    .execute(conn)
    .unwrap();
    interactions::table
        .filter(interactions::lead_id.eq_any(&lead_ids))
        .order(interactions::id.asc())
        .select(interactions::id)
        .load(conn)
        .unwrap()
}

fn body(call_id: InteractionId) -> String {
    let transcript: Vec<serde_json::Value> = (0..TURNS)
        .map(|n| {
            serde_json::json!({"role": if n % 2 == 0 { "agent" } else { "user" },
                "message": format!("This is turn {n} of a realistic conversation about a product demo and next steps."),
                "time_in_call_secs": n * 4, "tool_calls": null, "tool_results": null, "feedback": null})
        })
        .collect();
    serde_json::json!({
        "type": "post_call_transcription",
        "event_timestamp": chrono::Utc::now().timestamp(),
        "data": {
            "agent_id": "agent_bench", "conversation_id": format!("conv_{call_id}"), "status": "done",
            "transcript": transcript,
            "metadata": {"start_time_unix_secs": 1_739_537_297, "call_duration_secs": 80, "termination_reason": "",
                         "phone_call": {"type": "twilio", "direction": "outbound", "call_sid": format!("CA{call_id}")}},
            "analysis": {"call_successful": "success", "transcript_summary": "Interested; demo booked.",
                         "evaluation_criteria_results": {}, "data_collection_results": {"outcome": {"value": "interested"}}},
            "conversation_initiation_client_data": {"dynamic_variables": {"voxdial_interaction_id": call_id.to_string()}}
        }
    })
    .to_string()
}

/// The rows one webhook writes, done directly: the baseline.
fn raw_write(conn: &mut DbConnection, connection_id: ConnectionId, call_id: InteractionId, lead_id: LeadId, raw: &str) {
    let now = db::now();
    write_tx(conn, |conn| {
        let event = db::webhook_events::insert(
            conn,
            &NewEvent {
                provider_connection_id: connection_id,
                event_type: "post_call_transcription",
                conversation_id: Some(&format!("conv_{call_id}")),
                event_timestamp: Some(now.and_utc().timestamp()),
                signature_verdict: SignatureVerdict::Valid,
                processing_state: ProcessingState::Pending,
                processing_result: None,
                raw_body: raw,
                received_at: now,
            },
        )?
        .expect("a new event");
        let ending = Ending {
            outcome: Some(Outcome::Interested),
            duration_secs: Some(80),
            call_successful: Some("success"),
            summary: Some("Interested; demo booked."),
            provider_analysis: Some(r#"{"call_successful":"success"}"#),
            ..Ending::default()
        };
        let call = db::interactions::find(conn, call_id)?;
        db::interactions::end(conn, &call, &CallStatus::OPEN, CallStatus::Completed, &ending, now)?;
        let messages: Vec<String> =
            (0..TURNS).map(|n| format!("This is turn {n} of a realistic conversation.")).collect();
        let turns: Vec<NewTurn<'_>> = messages
            .iter()
            .enumerate()
            .map(|(n, m)| NewTurn {
                role: if n % 2 == 0 { "agent" } else { "user" },
                message: Some(m),
                time_in_call_secs: n as i32 * 4,
            })
            .collect();
        db::interactions::insert_transcript(conn, call_id, &turns)?;
        let result = CallResult {
            status: Some(voxdial::domain::lead::LeadStatus::Qualified),
            retry_at: None,
            next_call_at: None,
            dial_block: None,
            reached: true,
            needs_review: false,
        };
        let lead = db::leads::find(conn, lead_id)?;
        db::leads::record_call_result(conn, &lead, &result, now)?;
        db::webhook_events::record_result(conn, event, ProcessingState::Processed, "done", Some(call_id), now)?;
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
}

fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(field)).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

async fn post(client: &reqwest::Client, url: &str, raw: String) -> Duration {
    let signature =
        voxdial::provider::elevenlabs::webhook::sign(raw.as_bytes(), SECRET, chrono::Utc::now().timestamp());
    let start = Instant::now();
    let response = client
        .post(url)
        .header("content-type", "application/json")
        .header("ElevenLabs-Signature", signature)
        .body(raw)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer = response.bytes().await.unwrap();
    let elapsed = start.elapsed();
    // An unknown connection is refused like a bad signature (401), so show the answer.
    assert!(status.is_success(), "{status}: {}", String::from_utf8_lossy(&answer));
    elapsed
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let total = env_number("BENCH_WEBHOOKS", 10_000) as usize;
    let concurrency = env_number("CONCURRENCY", 16) as usize;
    let dir = tempfile::tempdir().unwrap();
    let database_url = database_url(dir.path(), "bench.db");
    let key = MasterKey::generate();
    let secrets = SecretBox::new(&key);

    // Seed: a connection whose webhook secret we know, and calls in progress.
    let db = Db::connect(&database_url, 4).unwrap();
    db.migrate().unwrap();
    let mut conn = db.get().unwrap();
    let now = db::now();
    let seal = |field: SecretField, value: &str| connections::seal(&secrets, field, value);
    let connection_id = db::providers::insert(
        &mut conn,
        NewConnection {
            kind: ProviderKind::ElevenLabs,
            name: "Bench",
            api_base_url: "http://127.0.0.1:9",
            api_key: seal(SecretField::ApiKey, "sk_bench"),
            webhook_secret: Some(seal(SecretField::WebhookSecret, SECRET)),
            inbound_token: None,
        },
        now,
    )
    .unwrap();
    let campaign_id = db::campaigns::insert(
        &mut conn,
        &db::campaigns::CampaignFields {
            name: "Bench",
            description: "",
            status: CampaignStatus::Active,
            timezone: chrono_tz::America::New_York,
            default_region: Region::parse("US").unwrap(),
        },
        now,
    )
    .unwrap();
    let baseline_count = total as u64;
    let http_count = total as u64;
    let paced_count = (total / 2) as u64;
    let calls = seed_calls(&mut conn, campaign_id, connection_id, 0, baseline_count + http_count + paced_count);
    let (baseline_calls, rest) = calls.split_at(baseline_count as usize);
    let (http_calls, paced_calls) = rest.split_at(http_count as usize);
    let lead_of: std::collections::HashMap<InteractionId, LeadId> = interactions::table
        .select((interactions::id, interactions::lead_id))
        .load::<(InteractionId, LeadId)>(&mut conn)
        .unwrap()
        .into_iter()
        .collect();

    // 1. Raw baseline.
    let started = Instant::now();
    for call in baseline_calls {
        raw_write(&mut conn, connection_id, *call, lead_of[call], &body(*call));
    }
    let raw_rate = baseline_count as f64 / started.elapsed().as_secs_f64();
    drop(conn);
    drop(db);

    // 2. A real server process on the same database.
    let server = serve(&database_url, &key, true).await;
    let base = server.base.clone();
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let pid = server.child.id();
    let idle_rss = rss_kib(pid, "VmRSS:");

    let url = Arc::new(format!("{base}/webhooks/elevenlabs/{connection_id}/post-call"));
    let queue = Arc::new(std::sync::Mutex::new(http_calls.to_vec()));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, url, queue) = (client.clone(), url.clone(), queue.clone());
            tokio::spawn(async move {
                loop {
                    let Some(call) = queue.lock().unwrap().pop() else { break };
                    post(&client, &url, body(call)).await;
                }
            })
        })
        .collect();
    for worker in workers {
        worker.await.unwrap();
    }
    let ingest_rate = http_count as f64 / started.elapsed().as_secs_f64();
    let peak_rss = rss_kib(pid, "VmHWM:");

    // 3. Latency at half the ingest rate.
    let interval = Duration::from_secs_f64(2.0 / ingest_rate);
    let mut ticker = tokio::time::interval(interval);
    let mut pending = Vec::new();
    for call in paced_calls {
        ticker.tick().await;
        let (client, url, raw) = (client.clone(), url.clone(), body(*call));
        pending.push(tokio::spawn(async move { post(&client, &url, raw).await }));
    }
    let mut latencies = Vec::new();
    for p in pending {
        latencies.push(p.await.unwrap());
    }
    latencies.sort();
    let pct = |p: f64| latencies[((latencies.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0;

    println!(
        "\nPost-call webhook ingest (one transaction: event, call, {TURNS} turns, lead), SQLite WAL unless a URL was given:"
    );
    println!("  raw writes, no HTTP:             {raw_rate:>8.0} webhooks/s ({baseline_count} webhooks)");
    println!("  HTTP ingest, {concurrency:>2} concurrent:       {ingest_rate:>8.0} webhooks/s ({http_count} webhooks)");
    println!("  ingest / raw:                    {:>8.2}", ingest_rate / raw_rate);
    println!(
        "  latency at {:.0}/s (half rate):  p50 {:.2} ms, p99 {:.2} ms ({paced_count} webhooks)",
        ingest_rate / 2.0,
        pct(0.5),
        pct(0.99)
    );
    println!(
        "  server memory: {:.1} MiB resident idle, {:.1} MiB peak under the load",
        idle_rss as f64 / 1024.0,
        peak_rss as f64 / 1024.0
    );
}
