//! Issue 9, point 1: the post-call webhook endpoint cannot be used to exhaust memory or the
//! write lock. Junk is refused before its body is read, bodies are read with a limit (the
//! large ones a few at a time), and refusals are counted but stored only a few a minute.
//!
//! Memory is measured on the real `voxdial serve` in a child process (its own VmHWM), set up
//! beside an in-process app on the same database; the floods are raw posts that stream their
//! bodies, so the test never holds them.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use voxdial::calls::webhook_gate::KEPT_PER_CONNECTION;
use voxdial::db;
use voxdial::domain::interaction::CallStatus;
use voxdial::ids::{ConnectionId, InteractionId, LeadId};
use voxdial::provider::SignatureVerdict;

use crate::call_setup::{WEBHOOK_SECRET, add_lead, call_setup, interaction, post_raw_webhook, sign, transcription};
use crate::helpers::{PASSWORD, TestApp, spawn_app, spawn_app_with};
use crate::raw_post::{Answer, Framing, post_streamed};
use crate::served::{Browser, Served};

const MIB: u64 = 1024 * 1024;
/// SPEC §5: at most 256 MB resident under a flood of junk requests.
const MEMORY_BUDGET: u64 = 256 * MIB;

#[tokio::test(flavor = "multi_thread")]
async fn r_webhook_auth_a_flood_of_unsigned_large_posts_leaves_memory_and_real_traffic_fine() {
    const FLOODERS: usize = 200;
    const REAL_CALLS: usize = 5;
    /// The flood goes on at least this long, and until the real traffic is through.
    const FLOOD_AT_LEAST: Duration = Duration::from_secs(3);
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let mut leads = Vec::new();
    for n in 0..REAL_CALLS {
        let phone = format!("+1212555014{n}");
        leads.push(add_lead(&app, s.campaign, &[("first_name", "Flo"), ("phone", &phone)]).await);
    }
    let served = Served::beside(&app).await;
    let idle = served.memory("VmRSS");

    let flood_started = Instant::now();
    let real_traffic_done = Arc::new(AtomicBool::new(false));
    let flood = flood(&served.address, s.connection, FLOODERS, real_traffic_done.clone(), FLOOD_AT_LEAST);
    tokio::time::sleep(Duration::from_millis(300)).await;

    // Real traffic meanwhile: a login, then Call now and each call's signed webhook.
    let started = Instant::now();
    let browser = Browser::log_in(&served, "admin@example.com", PASSWORD).await;
    let login_took = started.elapsed();
    let (mut call_latencies, mut webhook_latencies, mut calls) = (Vec::new(), Vec::new(), Vec::new());
    for lead in &leads {
        let pressed = Instant::now();
        let id = call_now(&browser, *lead).await;
        call_latencies.push(pressed.elapsed());
        let body = transcription(&format!("conv_{id}"), Some(id), Some("interested"), 20).to_string();
        let signature = sign(&body, WEBHOOK_SECRET, chrono::Utc::now().timestamp());
        let sent = Instant::now();
        let response = reqwest::Client::new()
            .post(served.url(&webhook_path(s.connection)))
            .header("ElevenLabs-Signature", signature)
            .body(body)
            .send()
            .await
            .expect("a real webhook is answered");
        webhook_latencies.push(sent.elapsed());
        assert_eq!(response.status(), StatusCode::OK, "{}", response.text().await.unwrap());
        calls.push(id);
    }
    let real_traffic_took = started.elapsed();
    real_traffic_done.store(true, Ordering::Relaxed);
    let answers = tokio::task::spawn_blocking(move || flood.join().expect("the flood ran")).await.unwrap();
    let mut flood_latencies = Vec::new();
    for answer in answers {
        let answer = answer.expect("every flood post is answered");
        assert_eq!((answer.status, answer.body.as_str()), (401, "invalid signature"));
        flood_latencies.push(answer.took);
    }
    let flood_took = flood_started.elapsed();
    let peak = served.memory("VmHWM");

    for id in &calls {
        assert_eq!(interaction(&app, *id).status, CallStatus::Completed);
    }
    call_latencies.sort();
    webhook_latencies.sort();
    flood_latencies.sort();
    eprintln!(
        "flood: {} unsigned 10 MB posts over {flood_took:.1?} from {FLOODERS} connections at once; \
         answered (401) in p50 {:?}, p99 {:?}, max {:?}",
        flood_latencies.len(),
        percentile(&flood_latencies, 50),
        percentile(&flood_latencies, 99),
        percentile(&flood_latencies, 100),
    );
    eprintln!(
        "during it: login {login_took:?}; {REAL_CALLS} × (Call now + signed webhook) in {real_traffic_took:?}; \
         Call now p50 {:?}, max {:?}; real webhook p50 {:?}, max {:?}",
        percentile(&call_latencies, 50),
        percentile(&call_latencies, 100),
        percentile(&webhook_latencies, 50),
        percentile(&webhook_latencies, 100),
    );
    eprintln!("server memory: idle {} MiB resident, peak during the flood (VmHWM) {} MiB", idle / MIB, peak / MIB);
    assert!(percentile(&flood_latencies, 100) < Duration::from_secs(5), "junk is answered promptly");
    assert!(peak <= MEMORY_BUDGET, "the server peaked at {} MiB, over the SPEC budget", peak / MIB);

    let kept = rejected_rows(&app);
    assert!(kept <= KEPT_PER_CONNECTION as usize, "{kept} refusals stored");
    let page = browser.get("/settings/webhooks").await.text().await.unwrap();
    assert!(page.contains(&format!("{} deliveries were refused", flood_latencies.len())), "{page}");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_webhook_auth_bodies_over_64_kib_are_buffered_a_few_at_a_time() {
    const POSTS: usize = 40;
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let served = Served::beside(&app).await;
    let header = signed_looking();
    let before = served.memory("VmRSS");
    let posts: Vec<_> = (0..POSTS)
        .map(|_| {
            let (address, path, header) = (served.address.clone(), webhook_path(s.connection), header.clone());
            tokio::spawn(async move {
                let looks_signed = [("ElevenLabs-Signature", header.as_str())];
                post_streamed(&address, &path, &looks_signed, 3 * MIB, Framing::Chunked).await
            })
        })
        .collect();
    for post in posts {
        assert_eq!(post.await.unwrap().unwrap().status, 401, "read, then refused for its signature");
    }
    let growth = served.memory("VmHWM").saturating_sub(before);
    eprintln!("{POSTS} signed-looking 3 MiB bodies at once grew the server by {} MiB", growth / MIB);
    // Read all at once they take about 150 MiB (measured with the turns lifted).
    assert!(growth <= 72 * MIB, "grew by {} MiB", growth / MIB);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_webhook_auth_an_oversized_signed_looking_body_is_refused_with_413_and_not_stored() {
    let app = spawn_app_with(|settings| settings.store_call_audio = false).await;
    let s = call_setup(&app).await;
    let (address, path) = (app.address.trim_start_matches("http://").to_owned(), webhook_path(s.connection));
    let header = signed_looking();
    let looks_signed = [("ElevenLabs-Signature", header.as_str())];
    let five_mib = 5 * MIB;

    let declared = post_streamed(&address, &path, &looks_signed, five_mib, Framing::ContentLength).await.unwrap();
    assert_eq!(declared.status, 413, "a declared length over the limit is refused before reading");
    let chunked = post_streamed(&address, &path, &looks_signed, five_mib, Framing::Chunked).await.unwrap();
    assert_eq!(chunked.status, 413, "a chunked body is refused once it passes the limit");
    assert_eq!(rejected_rows(&app), 0, "nothing stored for a body over the limit");

    // Under the limit, the body is read and the signature checked: refused, and kept.
    let under = post_streamed(&address, &path, &looks_signed, 3 * MIB, Framing::Chunked).await.unwrap();
    assert_eq!((under.status, under.body.as_str()), (401, "invalid signature"));
    let kept = app.with_conn(|c| db::webhook_events::page(c, None, 10).unwrap());
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].signature_verdict, SignatureVerdict::Mismatch);
    assert!(kept[0].raw_body.len() <= 2048, "only the start of a refused body is kept");
    let page = app.get_html("/settings/webhooks").await;
    assert!(page.contains("the body was over the size limit: 2"), "{page}");

    // Where recordings are kept, the large limit applies to the same body.
    let recording = spawn_app().await;
    let s = call_setup(&recording).await;
    let path = webhook_path(s.connection);
    let read = post_streamed(
        recording.address.trim_start_matches("http://"),
        &path,
        &looks_signed,
        five_mib,
        Framing::Chunked,
    )
    .await
    .unwrap();
    assert_eq!(read.status, 401, "read in full under the audio limit, then refused for its signature");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_webhook_auth_refusals_are_all_counted_but_only_a_sampled_few_stored_and_all_look_alike() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let body = transcription("conv_x", None, None, 2).to_string();
    let now = chrono::Utc::now().timestamp();
    let wrong = sign(&body, "not the secret", now);
    let mut answers = Vec::new();
    for n in 0..100 {
        let signature = if n % 2 == 0 { None } else { Some(wrong.as_str()) };
        answers.push(answer_of(post_raw_webhook(&app, s.connection, &body, signature).await).await);
    }
    assert_eq!(rejected_rows(&app), KEPT_PER_CONNECTION as usize, "a sampled few are stored");
    let page = app.get_html("/settings/webhooks").await;
    assert!(page.contains("100 deliveries were refused"), "{page}");
    assert!(page.contains("no signature header: 50"), "{page}");
    assert!(page.contains("the signature does not match the body and secret: 50"), "{page}");
    assert!(page.contains(&format!("{KEPT_PER_CONNECTION} of them are listed below")), "{page}");

    // An unknown connection and one without a secret answer exactly as a bad signature does.
    let fake = crate::fake_provider::FakeProvider::start().await;
    let response = app
        .post_form(
            "/settings/providers",
            &[("name", "No secret"), ("api_base_url", &fake.url()), ("api_key", "k"), ("inbound_token", "t")],
        )
        .await;
    let no_secret: ConnectionId = crate::helpers::id_from_location(&response, "/settings/providers/");
    let signed = sign(&body, WEBHOOK_SECRET, now);
    answers.push(answer_of(post_raw_webhook(&app, 999_999, &body, Some(&signed)).await).await);
    answers.push(answer_of(post_raw_webhook(&app, 999_999, &body, None).await).await);
    answers.push(answer_of(post_raw_webhook(&app, no_secret, &body, Some(&signed)).await).await);
    answers.dedup();
    assert_eq!(
        answers,
        [(StatusCode::UNAUTHORIZED, "text/plain; charset=utf-8".to_owned(), "invalid signature".to_owned())]
    );
}

/// Status, content type and body: everything a refused sender could compare.
async fn answer_of(response: reqwest::Response) -> (StatusCode, String, String) {
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    (response.status(), content_type, response.text().await.unwrap())
}

fn rejected_rows(app: &TestApp) -> usize {
    let events = app.with_conn(|c| db::webhook_events::page(c, None, 500).unwrap());
    events.iter().filter(|e| e.signature_verdict != SignatureVerdict::Valid).count()
}

/// `flooders` connections posting unsigned 10 MB bodies again and again, for at least
/// `at_least` and until `done`; on a thread of their own, so that the test's real traffic is
/// not queued behind them in one runtime.
fn flood(
    address: &str,
    connection: ConnectionId,
    flooders: usize,
    done: Arc<AtomicBool>,
    at_least: Duration,
) -> std::thread::JoinHandle<Vec<std::io::Result<Answer>>> {
    let (address, path) = (address.to_owned(), webhook_path(connection));
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async move {
            let started = Instant::now();
            let flooders: Vec<_> = (0..flooders)
                .map(|_| {
                    let (address, path, done) = (address.clone(), path.clone(), done.clone());
                    tokio::spawn(async move {
                        let mut answers = Vec::new();
                        while started.elapsed() < at_least || !done.load(Ordering::Relaxed) {
                            answers.push(post_streamed(&address, &path, &[], 10 * MIB, Framing::ContentLength).await);
                        }
                        answers
                    })
                })
                .collect();
            let mut answers = Vec::new();
            for flooder in flooders {
                answers.extend(flooder.await.expect("a flooder"));
            }
            answers
        })
    })
}

async fn call_now(browser: &Browser<'_>, lead: LeadId) -> InteractionId {
    let response = browser.post_form(&format!("/leads/{lead}/call"), &[("confirm", "yes")]).await;
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_default();
    location
        .strip_prefix("/interactions/")
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("Call now did not place the call: {} {location}", response.status()))
}

fn webhook_path(connection: ConnectionId) -> String {
    format!("/webhooks/elevenlabs/{connection}/post-call")
}

/// A header of the right shape and a fresh timestamp, with a made-up MAC.
fn signed_looking() -> String {
    format!("t={},v0={}", chrono::Utc::now().timestamp(), "0f".repeat(32))
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    sorted[(sorted.len() - 1) * percent / 100]
}
