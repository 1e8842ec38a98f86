//! `/metrics` (R-METRICS): never public, a bearer token compared in constant time, and
//! Prometheus text that a strict parser accepts, with the figures the traffic produced.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use voxdial::audit::Actor;
use voxdial::clock::{Clock, ManualClock};
use voxdial::domain::dialing::WeeklyWindows;
use voxdial::domain::dialing::rules::DialerRules;
use voxdial::services;

use voxdial::app::Dependencies;
use voxdial::provider::RemoteAgent;
use voxdial::provider::scripted::{ScriptedProvider, ScriptedProviders};

use crate::call_setup::{add_lead, call_now, call_setup, post_webhook, transcription};
use crate::helpers::{TestApp, spawn_app, spawn_app_with, spawn_app_with_deps};

const TOKEN: &str = "scrape-me-9f8e7d6c5b4a3f2e1d0c";

async fn scrape(app: &TestApp, authorization: Option<&str>) -> reqwest::Response {
    let mut request = reqwest::Client::new().get(app.url("/metrics"));
    if let Some(value) = authorization {
        request = request.header("Authorization", value);
    }
    request.send().await.unwrap()
}

async fn app_with_token() -> TestApp {
    spawn_app_with(|settings| settings.metrics_token = Some(TOKEN.into())).await
}

/// Scrapes with the token and parses the answer strictly.
async fn samples(app: &TestApp) -> Vec<Sample> {
    let response = scrape(app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(content_type.starts_with("text/plain; version=0.0.4"), "{content_type}");
    let text = response.text().await.unwrap();
    parse(&text).unwrap_or_else(|err| panic!("not Prometheus text: {err}\n{text}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn r_metrics_are_not_served_without_a_configured_token() {
    let app = spawn_app().await;
    assert_eq!(scrape(&app, None).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(scrape(&app, Some("Bearer anything-at-all-goes-here")).await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_metrics_refuse_a_missing_or_wrong_bearer_token() {
    let app = app_with_token().await;
    let wrong = format!("Bearer {TOKEN}x");
    let basic = format!("Basic {TOKEN}");
    for authorization in [None, Some("Bearer "), Some(wrong.as_str()), Some(basic.as_str()), Some(TOKEN)] {
        let response = scrape(&app, authorization).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{authorization:?}");
        assert!(response.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
        assert!(!response.text().await.unwrap().contains(TOKEN));
    }
    // The scheme is case-insensitive (RFC 7235).
    let lower = scrape(&app, Some(&format!("bearer {TOKEN}"))).await;
    assert_eq!(lower.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_metrics_count_pages_webhooks_calls_and_the_provider() {
    let app = app_with_token().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.expect("the call was placed");
    let body = transcription(&format!("conv_{id}"), Some(id), Some("interested"), 4);
    assert_eq!(post_webhook(&app, s.connection, &body).await.status(), StatusCode::OK);
    assert_eq!(app.get(&format!("/leads/{}", s.lead)).await.status(), StatusCode::OK);

    let samples = samples(&app).await;
    let page = [("method", "GET"), ("route", "/leads/{id}"), ("status", "200")];
    assert_eq!(value(&samples, "voxdial_http_requests_total", &page), Some(1.0));
    let raw_path = format!("/leads/{}", s.lead);
    assert!(!samples.iter().any(|x| x.labels.get("route") == Some(&raw_path)), "routes are patterns, not paths");
    let latency = [("route", "/leads/{id}"), ("le", "+Inf")];
    assert_eq!(value(&samples, "voxdial_http_request_duration_seconds_bucket", &latency), Some(1.0));
    let webhook = [("type", "post_call"), ("verdict", "accepted")];
    assert_eq!(value(&samples, "voxdial_webhooks_received_total", &webhook), Some(1.0));
    assert_eq!(value(&samples, "voxdial_calls_started_total", &[("result", "accepted")]), Some(1.0));
    assert_eq!(value(&samples, "voxdial_calls_ended_total", &[("outcome", "interested")]), Some(1.0));
    let dial = [("provider", "elevenlabs"), ("operation", "start_call")];
    assert_eq!(value(&samples, "voxdial_provider_request_duration_seconds_count", &dial), Some(1.0));
    assert!(value(&samples, "voxdial_db_pool_max_connections", &[]).is_some_and(|max| max >= 1.0));
    for gauge in ["voxdial_db_pool_connections", "voxdial_db_pool_idle_connections"] {
        assert!(value(&samples, gauge, &[]).is_some(), "{gauge}");
    }
    // The metrics upkeep runs in every instance, background loops or not.
    let upkeep = [("loop", "metrics upkeep")];
    assert!(value(&samples, "voxdial_background_loop_seconds_since_success", &upkeep).is_some());
    assert!(value(&samples, "voxdial_background_loop_last_duration_seconds", &upkeep).is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn r_metrics_count_the_dialers_claims_and_dispatches_per_campaign() {
    // Tuesday 2026-12-01, 10:00 in New York.
    let now: DateTime<Utc> = "2026-12-01T15:00:00Z".parse().unwrap();
    let clock = Arc::new(ManualClock::new(now));
    let provider = ScriptedProvider::accepting();
    let agent = RemoteAgent { agent_id: "agent_prod".into(), name: "Production Pat".into() };
    provider.set_catalog(vec![agent], Vec::new());
    let deps = Dependencies {
        clock: clock.clone(),
        providers: Some(Arc::new(ScriptedProviders(provider))),
        instance_id: None,
    };
    let app = spawn_app_with_deps(|settings| settings.metrics_token = Some(TOKEN.into()), deps).await;
    app.login_as_admin().await;
    let connection = app.add_connection("ElevenLabs", "http://127.0.0.1:9").await;
    let number = app.add_number(connection, "+14155550100", "Main", "pn_main").await;
    let agent = app.add_agent(connection, "Production Pat", "agent_prod", Some(number)).await;
    let campaign = app.add_campaign("Autodial").await;
    let agent = agent.to_string();
    let form = [
        ("production_agent_id", agent.as_str()),
        ("test_agent_id", ""),
        ("prompt_template_id", ""),
        ("phone_number_id", ""),
    ];
    assert_eq!(app.post_form(&format!("/campaigns/{campaign}/ai-agents"), &form).await.status(), StatusCode::SEE_OTHER);
    let rules = DialerRules { windows: WeeklyWindows::parse("daily 08:00-21:00").unwrap(), ..DialerRules::default() };
    services::dialer::save_rules(app.ctx(), Actor::system("test"), campaign, rules).await.unwrap();
    services::dialer::start(app.ctx(), Actor::system("test"), campaign).await.unwrap();
    add_lead(&app, campaign, &[("first_name", "Lead"), ("phone", "+12125550123"), ("timezone", "America/New_York")])
        .await;
    let report = voxdial::dialer::step(app.ctx(), clock.now_utc()).await.unwrap();
    assert_eq!(report.dialed, 1);

    let samples = samples(&app).await;
    let campaign = campaign.to_string();
    assert_eq!(value(&samples, "voxdial_dialer_claimed_total", &[("campaign", &campaign)]), Some(1.0));
    let accepted = [("campaign", campaign.as_str()), ("result", "accepted")];
    assert_eq!(value(&samples, "voxdial_dialer_dispatched_total", &accepted), Some(1.0));
    assert_eq!(value(&samples, "voxdial_calls_started_total", &[("result", "accepted")]), Some(1.0));
}

/// One sample line of the text format.
#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// The sum of the samples named `name` whose labels include `labels`; `None` if there is none.
fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let matching: Vec<f64> = samples
        .iter()
        .filter(|s| s.name == name && labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|s| s.value)
        .collect();
    (!matching.is_empty()).then(|| matching.iter().sum())
}

/// A strict reader of the text exposition format 0.0.4: every sample belongs to a family
/// whose `# TYPE` came first (once), names and label names are well-formed, label values are
/// quoted with only the three escapes, and values are numbers.
fn parse(text: &str) -> Result<Vec<Sample>, String> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut samples = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let fail = |why: &str| format!("line {}: {why}: {line}", number + 1);
        if line.trim().is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            let mut parts = comment.trim_start().splitn(3, ' ');
            match (parts.next(), parts.next(), parts.next()) {
                (Some("TYPE"), Some(name), Some(kind)) => {
                    if !is_name(name) || !["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind) {
                        return Err(fail("bad TYPE"));
                    }
                    if types.insert(name.to_owned(), kind.to_owned()).is_some() {
                        return Err(fail("a second TYPE for one family"));
                    }
                }
                (Some("HELP"), Some(name), _) if !is_name(name) => return Err(fail("bad HELP")),
                _ => {}
            }
            continue;
        }
        let sample = sample(line).map_err(|why| fail(&why))?;
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| sample.name.strip_suffix(suffix).filter(|f| types.contains_key(*f)))
            .unwrap_or(&sample.name);
        match types.get(family).map(String::as_str) {
            None => return Err(fail("a sample before its TYPE")),
            Some("counter") if sample.value < 0.0 => return Err(fail("a negative counter")),
            Some("histogram") if family == sample.name => return Err(fail("a bare histogram sample")),
            _ => {}
        }
        samples.push(sample);
    }
    let series: HashSet<String> = samples.iter().map(|s| format!("{}{:?}", s.name, s.labels)).collect();
    if series.len() != samples.len() {
        return Err("a series appears twice".into());
    }
    Ok(samples)
}

fn sample(line: &str) -> Result<Sample, String> {
    let name_end = line.find(['{', ' ']).ok_or("no value")?;
    let name = &line[..name_end];
    if !is_name(name) {
        return Err("bad metric name".into());
    }
    let mut labels = BTreeMap::new();
    let mut rest = &line[name_end..];
    if let Some(inner) = rest.strip_prefix('{') {
        let mut pos = 0;
        loop {
            if inner[pos..].starts_with('}') {
                rest = &inner[pos + 1..];
                break;
            }
            let eq = inner[pos..].find("=\"").ok_or("a label without =\"")? + pos;
            let label = &inner[pos..eq];
            if !is_name(label) || label.contains(':') {
                return Err(format!("bad label name {label:?}"));
            }
            let (value, length) = label_value(&inner[eq + 2..])?;
            if labels.insert(label.to_owned(), value).is_some() {
                return Err("a repeated label".into());
            }
            pos = eq + 2 + length;
            match inner[pos..].chars().next() {
                Some(',') => pos += 1,
                Some('}') => {}
                _ => return Err("labels must be separated by commas".into()),
            }
        }
    }
    let mut fields = rest.strip_prefix(' ').ok_or("no space before the value")?.split(' ');
    let value = parse_value(fields.next().ok_or("no value")?)?;
    if let Some(timestamp) = fields.next() {
        timestamp.parse::<i64>().map_err(|_| "a bad timestamp")?;
    }
    if fields.next().is_some() {
        return Err("trailing fields".into());
    }
    Ok(Sample { name: name.to_owned(), labels, value })
}

/// A quoted label value after its opening quote: the value, and the length up to and
/// including the closing quote.
fn label_value(text: &str) -> Result<(String, usize), String> {
    let mut value = String::new();
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        match (escaped, c) {
            (true, '\\' | '"') => value.push(c),
            (true, 'n') => value.push('\n'),
            (true, _) => return Err("a bad escape".into()),
            (false, '\\') => {}
            (false, '"') => return Ok((value, i + 1)),
            (false, '\n') => return Err("a raw newline".into()),
            (false, _) => value.push(c),
        }
        escaped = !escaped && c == '\\';
    }
    Err("an unclosed label value".into())
}

fn parse_value(text: &str) -> Result<f64, String> {
    match text {
        "+Inf" => Ok(f64::INFINITY),
        "-Inf" => Ok(f64::NEG_INFINITY),
        "NaN" => Ok(f64::NAN),
        _ => text.parse().map_err(|_| format!("{text:?} is not a number")),
    }
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}
