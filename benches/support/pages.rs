//! Timing pages of a running app as a logged-in admin.

use std::time::{Duration, Instant};

use voxdial::db;
use voxdial::domain::user::{Email, PersonName, Role};
use voxdial::services::Ctx;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

pub fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The real app on a fresh database (SQLite in `dir`, or `VOXDIAL_BENCH_DATABASE_URL`), quiet
/// and without background loops, serving on a free port: its address and its services.
pub async fn start_app(dir: &std::path::Path) -> (String, Ctx) {
    let settings = super::harness::quiet_settings(super::harness::database_url(dir, "bench.db"));
    voxdial::telemetry::init(&settings.log_filter, false);
    let app = voxdial::app::Application::build(settings).await.expect("app");
    let (base, ctx) = (format!("http://127.0.0.1:{}", app.port()), app.ctx());
    tokio::spawn(app.run_until_stopped());
    (base, ctx)
}

/// Creates an admin and returns a client logged in as them.
pub async fn login(base: &str, ctx: &Ctx) -> reqwest::Client {
    let hash = voxdial::auth::password::hash_blocking("benchmark password").unwrap();
    db::users::insert(
        &mut ctx.db.get().unwrap(),
        &Email::parse("bench@example.com").unwrap(),
        &PersonName::parse("Bench").unwrap(),
        &hash,
        Role::Admin,
        ctx.clock.now(),
    )
    .unwrap();
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let login_page = client.get(format!("{base}/login")).send().await.unwrap().text().await.unwrap();
    let marker = "name=\"csrf_token\" value=\"";
    let start = login_page.find(marker).unwrap() + marker.len();
    let token = &login_page[start..start + login_page[start..].find('"').unwrap()];
    let login = client
        .post(format!("{base}/login"))
        .form(&[("email", "bench@example.com"), ("password", "benchmark password"), ("csrf_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 303, "logged in");
    client
}

/// p50 and p99 of `runs` sequential requests for `path`, after a warm-up.
pub async fn time_page(client: &reqwest::Client, base: &str, path: &str, runs: usize) -> (Duration, Duration) {
    for _ in 0..5 {
        client.get(format!("{base}{path}")).send().await.unwrap().bytes().await.unwrap();
    }
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert!(response.status().is_success(), "{path}: {}", response.status());
        response.bytes().await.unwrap();
        times.push(start.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.99))
}
