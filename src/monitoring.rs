//! Prometheus metrics (R-METRICS), served at `/metrics` by [`web::metrics`](crate::web::metrics).
//!
//! The recorder belongs to one application's services' context, not to the process: tests
//! start several applications in one process, and each must count only its own traffic. So no
//! recorder is installed globally; each method below sets this one for a single synchronous
//! call (`metrics::with_local_recorder`), which never spans an await.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use metrics::{Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder};

use crate::calls::CallStart;
use crate::db::Db;
use crate::domain::outcome::Outcome;
use crate::domain::pipeline::RunStatus;
use crate::error::AppError;
use crate::ids::CampaignId;

/// The content type of Prometheus' text exposition format.
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Buckets of every `_seconds` histogram: from a quick page (5 ms) to a provider timing out.
const SECONDS_BUCKETS: [f64; 12] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

const HTTP_REQUESTS: &str = "voxdial_http_requests_total";
const HTTP_DURATION: &str = "voxdial_http_request_duration_seconds";
const WEBHOOKS: &str = "voxdial_webhooks_received_total";
const CALLS_STARTED: &str = "voxdial_calls_started_total";
const CALLS_ENDED: &str = "voxdial_calls_ended_total";
const DIALER_CLAIMED: &str = "voxdial_dialer_claimed_total";
const DIALER_DISPATCHED: &str = "voxdial_dialer_dispatched_total";
const PROVIDER_DURATION: &str = "voxdial_provider_request_duration_seconds";
const PROVIDER_ERRORS: &str = "voxdial_provider_request_errors_total";
const PIPELINE_RUNS: &str = "voxdial_pipeline_runs_total";
const POOL_CONNECTIONS: &str = "voxdial_db_pool_connections";
const POOL_IDLE: &str = "voxdial_db_pool_idle_connections";
const POOL_MAX: &str = "voxdial_db_pool_max_connections";
const LOOP_RUNS: &str = "voxdial_background_loop_runs_total";
const LOOP_DURATION: &str = "voxdial_background_loop_last_duration_seconds";
const LOOP_SINCE_SUCCESS: &str = "voxdial_background_loop_seconds_since_success";

/// One application's metrics; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
    /// When each background loop last finished a step without error (or started, before its
    /// first): turned into a lag at scrape time.
    loops: Arc<Mutex<HashMap<&'static str, Instant>>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &SECONDS_BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        let metrics = Metrics { recorder: Arc::new(recorder), handle, loops: Arc::default() };
        metrics.with(describe_all);
        metrics
    }

    fn with<T>(&self, record: impl FnOnce() -> T) -> T {
        metrics::with_local_recorder(self.recorder.as_ref(), record)
    }

    /// One HTTP request answered. `route` is the matched pattern (`/leads/{id}`), never the
    /// raw path, so ids do not multiply the series.
    pub fn http_request(&self, method: &'static str, route: Option<String>, status: u16, took: Duration) {
        let route = route.unwrap_or_else(|| "unmatched".to_owned());
        self.with(|| {
            counter!(HTTP_REQUESTS, "method" => method, "route" => route.clone(), "status" => status.to_string())
                .increment(1);
            histogram!(HTTP_DURATION, "method" => method, "route" => route).record(took);
        });
    }

    /// One webhook delivery: `kind` is its endpoint, `verdict` what became of it.
    pub fn webhook(&self, kind: &'static str, verdict: &'static str) {
        self.with(|| counter!(WEBHOOKS, "type" => kind, "verdict" => verdict).increment(1));
    }

    /// The provider was asked to place a call (or could not be asked); a call that failed
    /// at once also ends here.
    pub fn call_dialed(&self, start: &CallStart) {
        let result = match start {
            CallStart::Accepted { .. } => "accepted",
            CallStart::Unconfirmed { .. } => "unconfirmed",
            CallStart::ProviderError { .. } => "provider_error",
            CallStart::NotSent { .. } => "not_sent",
            CallStart::ConfigError { .. } | CallStart::Refused(_) | CallStart::NeedsConfirmation(_) => return,
        };
        self.with(|| counter!(CALLS_STARTED, "result" => result).increment(1));
        if matches!(start, CallStart::ProviderError { .. } | CallStart::NotSent { .. }) {
            self.call_ended(Some(Outcome::Failed));
        }
    }

    /// A call was settled with this outcome (`None`: nobody could establish it). A call first
    /// ended as unknown or failed and settled later counts again under its final outcome.
    pub fn call_ended(&self, outcome: Option<Outcome>) {
        let outcome = outcome.map_or("unknown", Outcome::as_str);
        self.with(|| counter!(CALLS_ENDED, "outcome" => outcome).increment(1));
    }

    /// Leads the dialer claimed for a campaign in one step (their call rows committed).
    pub fn dialer_claimed(&self, campaign: CampaignId, leads: usize) {
        self.with(|| counter!(DIALER_CLAIMED, "campaign" => campaign.to_string()).increment(leads as u64));
    }

    /// One claimed call handed to the provider by the dialer, and what came of it.
    pub fn dialer_dispatched(&self, campaign: CampaignId, answer: &Result<CallStart, AppError>) {
        let result = match answer {
            Ok(CallStart::Accepted { .. }) => "accepted",
            Ok(CallStart::Unconfirmed { .. }) => "unconfirmed",
            Ok(_) => "failed",
            Err(_) => "error",
        };
        self.with(|| counter!(DIALER_DISPATCHED, "campaign" => campaign.to_string(), "result" => result).increment(1));
    }

    /// One request to a voice provider (retries of a GET included), and its error kind if it failed.
    pub fn provider_request(
        &self,
        provider: &'static str,
        operation: &'static str,
        took: Duration,
        error: Option<&'static str>,
    ) {
        self.with(|| {
            histogram!(PROVIDER_DURATION, "provider" => provider, "operation" => operation).record(took);
            if let Some(error) = error {
                counter!(PROVIDER_ERRORS, "provider" => provider, "operation" => operation, "error" => error)
                    .increment(1);
            }
        });
    }

    /// One post-call pipeline run finished: done, failed for good, set to retry, or its
    /// result could not be recorded.
    pub fn pipeline_run(&self, recorded: &Result<RunStatus, AppError>) {
        let result = match recorded {
            Ok(RunStatus::Done) => "done",
            Ok(RunStatus::Failed) => "failed",
            Ok(RunStatus::Pending | RunStatus::Running) => "retry",
            Err(_) => "error",
        };
        self.with(|| counter!(PIPELINE_RUNS, "result" => result).increment(1));
    }

    /// A background loop began: its lag counts from now until its first successful step.
    pub fn loop_started(&self, name: &'static str) {
        self.loops.lock().unwrap_or_else(PoisonError::into_inner).insert(name, Instant::now());
    }

    /// One step of a background loop finished.
    pub fn loop_stepped(&self, name: &'static str, took: Duration, succeeded: bool) {
        if succeeded {
            self.loops.lock().unwrap_or_else(PoisonError::into_inner).insert(name, Instant::now());
        }
        let result = if succeeded { "ok" } else { "error" };
        self.with(|| {
            counter!(LOOP_RUNS, "loop" => name, "result" => result).increment(1);
            gauge!(LOOP_DURATION, "loop" => name).set(took);
        });
    }

    /// Drains recorded histogram samples into their buckets; they wait in memory until then.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }

    /// The text exposition, with the gauges that are sampled now: the pool's connections and
    /// each loop's time since its last successful step.
    pub fn render(&self, db: &Db) -> String {
        let (pool, max) = db.pool_usage();
        let now = Instant::now();
        let lags: Vec<(&'static str, Duration)> = self
            .loops
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .map(|(name, at)| (*name, now.duration_since(*at)))
            .collect();
        self.with(|| {
            gauge!(POOL_CONNECTIONS).set(pool.connections);
            gauge!(POOL_IDLE).set(pool.idle_connections);
            gauge!(POOL_MAX).set(max);
            for (name, lag) in lags {
                gauge!(LOOP_SINCE_SUCCESS, "loop" => name).set(lag);
            }
        });
        self.handle.render()
    }
}

/// The `# HELP` lines.
fn describe_all() {
    describe_counter!(HTTP_REQUESTS, "HTTP requests answered, by method, route pattern and status.");
    describe_histogram!(HTTP_DURATION, Unit::Seconds, "Time to answer an HTTP request, by method and route pattern.");
    describe_counter!(WEBHOOKS, "Provider webhooks received, by endpoint type and verdict.");
    describe_counter!(CALLS_STARTED, "Outbound calls the provider was asked to place, by its answer.");
    describe_counter!(CALLS_ENDED, "Calls settled, by outcome (unknown: nobody could establish it).");
    describe_counter!(DIALER_CLAIMED, "Leads the auto-dialer claimed for a call, by campaign id.");
    describe_counter!(DIALER_DISPATCHED, "Calls the auto-dialer handed to the provider, by campaign id and result.");
    describe_histogram!(PROVIDER_DURATION, Unit::Seconds, "Time a voice provider request took, retries included.");
    describe_counter!(PROVIDER_ERRORS, "Voice provider requests that failed, by operation and error kind.");
    describe_counter!(PIPELINE_RUNS, "Post-call pipeline runs finished, by result.");
    describe_gauge!(POOL_CONNECTIONS, "Database connections open in the pool.");
    describe_gauge!(POOL_IDLE, "Database connections open and idle in the pool.");
    describe_gauge!(POOL_MAX, "The most database connections the pool opens.");
    describe_counter!(LOOP_RUNS, "Background loop steps, by loop and result.");
    describe_gauge!(LOOP_DURATION, Unit::Seconds, "How long each background loop's last step took.");
    describe_gauge!(
        LOOP_SINCE_SUCCESS,
        Unit::Seconds,
        "Seconds since each background loop last finished a step without error (or started)."
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_metrics_each_application_counts_only_its_own() {
        let (one, two) = (Metrics::new(), Metrics::new());
        one.webhook("post_call", "accepted");
        let db = Db::connect(":memory:", 1).unwrap();
        assert!(one.render(&db).contains("voxdial_webhooks_received_total{type=\"post_call\",verdict=\"accepted\"} 1"));
        assert!(!two.render(&db).contains("voxdial_webhooks_received_total"));
    }

    #[test]
    fn r_metrics_http_routes_are_patterns_and_durations_are_histograms() {
        let metrics = Metrics::new();
        metrics.http_request("GET", Some("/leads/{id}".into()), 200, Duration::from_millis(3));
        metrics.http_request("GET", None, 404, Duration::from_millis(1));
        let db = Db::connect(":memory:", 1).unwrap();
        let text = metrics.render(&db);
        assert!(text.contains(r#"voxdial_http_requests_total{method="GET",route="/leads/{id}",status="200"} 1"#));
        assert!(text.contains(r#"route="unmatched",status="404"} 1"#));
        assert!(text.contains("# TYPE voxdial_http_request_duration_seconds histogram"));
        assert!(text.contains(
            r#"voxdial_http_request_duration_seconds_bucket{method="GET",route="/leads/{id}",le="0.005"} 1"#
        ));
    }
}
