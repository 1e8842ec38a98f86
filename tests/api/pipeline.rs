//! The post-call pipeline against a fake OpenAI-compatible server over real HTTP
//! (R-PIPELINE, R-OUTCOME): the request it sends, answers valid and invalid, slow, 429 and
//! 5xx, retries with backoff, re-runs, copies into lead fields, opt-out and callback effects,
//! and the provider's own analysis driving outcomes without an LLM.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{NaiveDateTime, TimeZone as _};
use serde_json::{Value, json};
use voxdial::db;
use voxdial::domain::lead::LeadStatus;
use voxdial::domain::outcome::Outcome;
use voxdial::domain::pipeline::RunStatus;
use voxdial::ids::{CampaignId, InteractionId};
use voxdial::provider::simulator::CallLength;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

use crate::call_setup::{CallSetup, add_lead, call_now, call_setup, daytime_zone, post_webhook, transcription};
use crate::helpers::{TestApp, assert_is_redirect_to, spawn_app};

/// The answer content for [`configure_pipeline`]'s steps.
pub fn good_answer() -> Value {
    json!({
        "analysis": {"summary": "Ana wants a demo next week.", "sentiment": "positive", "outcome": "interested",
                     "opt_out": false, "callback_local_time": null},
        "fields": {"budget": 5000, "company_name": "Acme Robotics"},
        "scores": {"need": {"score": 90, "rationale": "Clear need."}, "timing": {"score": 50, "rationale": "Next quarter."}}
    })
}

/// A chat-completions reply whose message content is `content`.
pub fn reply(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "test-model",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}
    }))
}

/// A fake LLM answering each request with `respond(n)` (n counts from 0), recording bodies.
pub struct FakeLlm {
    pub server: MockServer,
    pub requests: Arc<AtomicUsize>,
}

impl FakeLlm {
    pub async fn start(respond: impl Fn(usize) -> ResponseTemplate + Send + Sync + 'static) -> FakeLlm {
        let server = MockServer::start().await;
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        Mock::given(method("POST"))
            .and(path("/v1/chat/completions"))
            .respond_with(move |_: &Request| respond(counter.fetch_add(1, Ordering::SeqCst)))
            .mount(&server)
            .await;
        FakeLlm { server, requests }
    }

    pub fn count(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    pub async fn bodies(&self) -> Vec<Value> {
        let received = self.server.received_requests().await.unwrap_or_default();
        received.iter().map(|r| serde_json::from_slice(&r.body).unwrap()).collect()
    }
}

pub async fn connect_llm(app: &TestApp, llm: &FakeLlm, timeout_secs: &str) {
    let saved = app
        .post_form(
            "/settings/llm",
            &[
                ("name", "Test LLM"),
                ("base_url", &format!("{}/v1", llm.server.uri())),
                ("model", "test-model"),
                ("api_key", "sk-test-secret-key-123"),
                ("timeout_secs", timeout_secs),
                ("max_concurrent", "2"),
                ("input_price", "0.15"),
                ("output_price", "0.60"),
            ],
        )
        .await;
    assert_is_redirect_to(&saved, "/settings/llm");
}

/// Analysis, two fields (budget → custom field, company name → company) and a 3:1 rubric.
pub async fn configure_pipeline(app: &TestApp, campaign: CampaignId, extra: &[(&str, &str)]) -> reqwest::Response {
    let mut fields = vec![
        ("llm_enabled", "yes"),
        ("analysis", "yes"),
        ("field_0_name", "budget"),
        ("field_0_kind", "number"),
        ("field_0_description", "The budget they named, in dollars"),
        ("field_0_copy", "custom"),
        ("field_1_name", "company_name"),
        ("field_1_kind", "string"),
        ("field_1_description", "Their company"),
        ("field_1_copy", "company"),
        ("criterion_0_name", "need"),
        ("criterion_0_weight", "3"),
        ("criterion_0_description", "They need it"),
        ("criterion_1_name", "timing"),
        ("criterion_1_weight", "1"),
        ("criterion_1_description", "They buy soon"),
    ];
    fields.extend_from_slice(extra);
    app.post_form(&format!("/campaigns/{campaign}/pipeline"), &fields).await
}

/// A completed call of the setup's lead: Call now, then its transcription webhook.
pub async fn completed_call(app: &TestApp, s: &CallSetup) -> InteractionId {
    let (call, _) = call_now(app, s.lead).await;
    let call = call.expect("the call started");
    let response = post_webhook(app, s.connection, &transcription(&format!("conv_{call}"), Some(call), None, 4)).await;
    assert_eq!(response.status(), 200);
    call
}

pub fn runs(app: &TestApp, call: InteractionId) -> Vec<db::pipeline::PipelineRun> {
    app.with_conn(|c| db::pipeline::runs_of(c, call).unwrap())
}

pub async fn step(app: &TestApp, at: NaiveDateTime) -> usize {
    voxdial::pipeline::step(app.ctx(), at).await.unwrap()
}

pub async fn ready(llm: &FakeLlm) -> (TestApp, CallSetup, InteractionId) {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    connect_llm(&app, llm, "5").await;
    assert_is_redirect_to(
        &configure_pipeline(&app, s.campaign, &[]).await,
        &format!("/campaigns/{}/pipeline", s.campaign),
    );
    let call = completed_call(&app, &s).await;
    (app, s, call)
}

#[tokio::test]
async fn r_pipeline_a_completed_call_is_analysed_with_a_strict_schema_and_its_findings_land() {
    let llm = FakeLlm::start(|_| reply(&good_answer().to_string())).await;
    let (app, s, call) = ready(&llm).await;
    let pending = runs(&app, call);
    assert_eq!(pending.len(), 1, "the webhook queued one run");
    assert_eq!(pending[0].status, RunStatus::Pending);
    assert_eq!(llm.count(), 0, "the webhook answer never waits for the LLM");

    assert_eq!(step(&app, db::now()).await, 1);
    let body = &llm.bodies().await[0];
    assert_eq!(body["model"], "test-model");
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    let schema = &body["response_format"]["json_schema"]["schema"];
    assert_eq!(schema["properties"]["fields"]["required"], json!(["budget", "company_name"]));
    assert_eq!(schema["properties"]["scores"]["required"], json!(["need", "timing"]));
    let transcript = body["messages"][1]["content"].as_str().unwrap();
    assert!(transcript.contains("Agent: turn 0") && transcript.contains("Lead: turn 1"), "{transcript}");

    let run = &runs(&app, call)[0];
    assert_eq!(run.status, RunStatus::Done);
    assert_eq!(run.score, Some(80), "(90·3 + 50·1) / 4");
    assert_eq!((run.prompt_tokens, run.completion_tokens), (Some(1000), Some(200)));
    let cost = run.cost_usd.unwrap();
    assert!((cost - (1000.0 * 0.15 + 200.0 * 0.60) / 1e6).abs() < 1e-9, "{cost}");
    assert!(run.latency_ms.is_some());
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert_eq!(lead.company.as_deref(), Some("Acme Robotics"));
    assert_eq!(lead.custom_map()["budget"], json!(5000));
    let stored = app.with_conn(|c| db::interactions::find(c, call).unwrap());
    assert_eq!(stored.score, Some(80));

    let page = app.get_html(&format!("/interactions/{call}")).await;
    for shown in
        ["Ana wants a demo next week.", "Acme Robotics", "80</strong> / 100", "Clear need.", "Re-run", "test-model"]
    {
        assert!(page.contains(shown), "the call page lacks {shown}");
    }
    assert!(!page.contains("sk-test-secret-key-123"));
    let campaign = s.campaign;
    let best = app.get_html(&format!("/campaigns/{campaign}/calls?sort=score&min_score=80")).await;
    assert!(best.contains(&format!("/interactions/{call}\"")), "a score of 80 passes min_score=80");
    let none = app.get_html(&format!("/campaigns/{campaign}/calls?min_score=81")).await;
    assert!(none.contains("No calls match."));
    let by_field = app.get_html("/interactions?field=company_name%3DAcme%20Robotics").await;
    assert!(by_field.contains(&format!("/interactions/{call}\"")));
    let by_number = app.get_html("/interactions?field=budget%3D5000").await;
    assert!(by_number.contains(&format!("/interactions/{call}\"")));
    let other = app.get_html("/interactions?field=budget%3D50").await;
    assert!(other.contains("No calls match."), "50 is not 5000");
    let overview = app.get_html(&format!("/campaigns/{campaign}")).await;
    assert!(overview.contains("<strong class=\"score\">80</strong> / 100 over 1 scored call"), "{overview}");
    let settings = app.get_html("/settings/llm").await;
    assert!(!settings.contains("sk-test-secret-key-123") && settings.contains("…"), "only the key's hint is shown");
}

#[tokio::test]
async fn r_pipeline_a_schema_invalid_answer_is_asked_once_more_then_the_run_fails_with_the_reason() {
    let llm = FakeLlm::start(|_| reply(r#"{"analysis": {"summary": "no fields"}}"#)).await;
    let (app, _s, call) = ready(&llm).await;
    step(&app, db::now()).await;
    assert_eq!(llm.count(), 2, "asked twice");
    let run = &runs(&app, call)[0];
    assert_eq!(run.status, RunStatus::Failed);
    let error = run.error.as_deref().unwrap();
    assert!(error.contains("did not fit the schema twice"), "{error}");
    assert_eq!(run.prompt_tokens, Some(2000), "both asks are counted");
    let page = app.get_html(&format!("/interactions/{call}")).await;
    assert!(page.contains("did not fit the schema twice") && page.contains("Failed"));
}

#[tokio::test]
async fn r_pipeline_a_second_answer_that_fits_is_used() {
    let llm =
        FakeLlm::start(|n| if n == 0 { reply("not json at all") } else { reply(&good_answer().to_string()) }).await;
    let (app, _s, call) = ready(&llm).await;
    step(&app, db::now()).await;
    assert_eq!(llm.count(), 2);
    assert_eq!(runs(&app, call)[0].status, RunStatus::Done);
}

#[tokio::test]
async fn r_pipeline_5xx_is_retried_with_backoff_and_given_up_after_four_attempts() {
    let llm = FakeLlm::start(|_| ResponseTemplate::new(503).set_body_string("overloaded")).await;
    let (app, _s, call) = ready(&llm).await;
    let t0 = db::now();
    step(&app, t0).await;
    let run = &runs(&app, call)[0];
    assert_eq!((run.status, run.attempts), (RunStatus::Pending, 1));
    let next = run.next_attempt_at.unwrap();
    assert!(next >= t0 + chrono::Duration::seconds(30) && next < t0 + chrono::Duration::seconds(40), "{next} vs {t0}");
    assert!(run.error.as_deref().unwrap().contains("503"));

    assert_eq!(step(&app, t0 + chrono::Duration::seconds(20)).await, 0, "not before its time");
    assert_eq!(llm.count(), 1);
    let mut at = t0;
    for expected_attempts in 2..=4 {
        at = runs(&app, call)[0].next_attempt_at.unwrap() + chrono::Duration::seconds(1);
        step(&app, at).await;
        assert_eq!(runs(&app, call)[0].attempts, expected_attempts);
    }
    let run = &runs(&app, call)[0];
    assert_eq!(run.status, RunStatus::Failed);
    assert!(run.error.as_deref().unwrap().starts_with("gave up after 4 attempts"));
    assert_eq!(step(&app, at + chrono::Duration::hours(1)).await, 0, "a failed run stays failed");
    assert_eq!(llm.count(), 4);
}

#[tokio::test]
async fn r_pipeline_a_429_waits_as_long_as_retry_after_says() {
    let llm = FakeLlm::start(|_| ResponseTemplate::new(429).insert_header("retry-after", "120")).await;
    let (app, _s, call) = ready(&llm).await;
    let t0 = db::now();
    step(&app, t0).await;
    let run = &runs(&app, call)[0];
    assert_eq!(run.status, RunStatus::Pending);
    assert!(run.next_attempt_at.unwrap() >= t0 + chrono::Duration::seconds(120));
}

#[tokio::test]
async fn r_pipeline_a_slow_answer_times_out_and_is_retried() {
    let llm = FakeLlm::start(|n| {
        let answer = reply(&good_answer().to_string());
        if n == 0 { answer.set_delay(Duration::from_secs(3)) } else { answer }
    })
    .await;
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    connect_llm(&app, &llm, "1").await;
    configure_pipeline(&app, s.campaign, &[]).await;
    let call = completed_call(&app, &s).await;
    let t0 = db::now();
    step(&app, t0).await;
    let run = &runs(&app, call)[0];
    assert_eq!(run.status, RunStatus::Pending);
    assert!(run.error.as_deref().unwrap().contains("no answer within 1 s"), "{:?}", run.error);
    step(&app, run.next_attempt_at.unwrap()).await;
    assert_eq!(runs(&app, call)[0].status, RunStatus::Done);
}

#[tokio::test]
async fn r_pipeline_a_rerun_adds_a_version_and_keeps_the_earlier_result() {
    let llm = FakeLlm::start(|n| {
        let mut answer = good_answer();
        answer["scores"]["need"]["score"] = json!(if n == 0 { 90 } else { 10 });
        reply(&answer.to_string())
    })
    .await;
    let (app, s, call) = ready(&llm).await;
    step(&app, db::now()).await;
    let rerun = app.post_form(&format!("/interactions/{call}/pipeline/rerun"), &[]).await;
    assert_is_redirect_to(&rerun, &format!("/interactions/{call}#pipeline"));
    step(&app, db::now()).await;
    let all = runs(&app, call);
    assert_eq!(all.iter().map(|r| (r.version, r.score)).collect::<Vec<_>>(), vec![(2, Some(20)), (1, Some(80))]);
    assert_eq!(app.with_conn(|c| db::interactions::find(c, call).unwrap()).score, Some(20), "the newest result shows");
    let page = app.get_html(&format!("/interactions/{call}")).await;
    assert!(page.contains("Earlier runs (1)"));
    let overview = app.get_html(&format!("/campaigns/{}", s.campaign)).await;
    assert!(overview.contains("20</strong> / 100 over 1 scored call"), "the re-run replaced the score in the average");
    let audit = app.get_html("/settings/audit").await;
    assert!(audit.contains("Pipeline run 2 of call"));
}

#[tokio::test]
async fn r_pipeline_two_instances_never_run_the_same_call_twice() {
    let llm = FakeLlm::start(|_| reply(&good_answer().to_string()).set_delay(Duration::from_millis(300))).await;
    let (app, _s, call) = ready(&llm).await;
    let other = app.sibling().await;
    let now = db::now();
    let (a, b) = tokio::join!(voxdial::pipeline::step(app.ctx(), now), voxdial::pipeline::step(other.ctx(), now));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(llm.count(), 1);
    assert_eq!(runs(&app, call)[0].status, RunStatus::Done);
}

#[tokio::test]
async fn r_outcome_an_opt_out_the_llm_finds_puts_the_number_on_the_dnc_list() {
    let mut answer = good_answer();
    answer["analysis"]["opt_out"] = json!(true);
    let llm = FakeLlm::start(move |_| reply(&answer.to_string())).await;
    let (app, s, call) = ready(&llm).await;
    step(&app, db::now()).await;
    let stored = app.with_conn(|c| db::interactions::find(c, call).unwrap());
    assert_eq!(stored.outcome, Some(Outcome::DoNotCall));
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert_eq!(lead.status, LeadStatus::DoNotCall);
    let phone = voxdial::domain::phone::E164::parse("+12125550123", None).unwrap();
    let entry = app.with_conn(|c| db::suppression::blocking_entry(c, &phone, s.campaign).unwrap());
    let (reason, list) = entry.expect("on the DNC list");
    assert!(reason.contains(&format!("call #{call}")) && list.is_none(), "the global list, naming the call: {reason}");
}

#[tokio::test]
async fn r_outcome_a_callback_time_the_lead_named_is_resolved_in_the_leads_zone() {
    let zone: chrono_tz::Tz = daytime_zone().parse().unwrap();
    let day = (chrono::Utc::now() + chrono::Duration::days(3)).with_timezone(&zone).date_naive();
    let said = format!("{}T15:00", day.format("%Y-%m-%d"));
    let mut answer = good_answer();
    answer["analysis"]["outcome"] = json!("completed");
    answer["analysis"]["callback_local_time"] = json!(said);
    let llm = FakeLlm::start(move |_| reply(&answer.to_string())).await;
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    connect_llm(&app, &llm, "5").await;
    configure_pipeline(&app, s.campaign, &[]).await;
    let lead = add_lead(&app, s.campaign, &[("first_name", "Cleo"), ("phone", "+13125550188")]).await;
    let (call, _) = call_now(&app, lead).await;
    let call = call.expect("a call");
    post_webhook(&app, s.connection, &transcription(&format!("conv_{call}"), Some(call), None, 4)).await;
    step(&app, db::now()).await;
    let expected = zone.from_local_datetime(&day.and_hms_opt(15, 0, 0).unwrap()).unwrap().naive_utc();
    let lead = app.with_conn(|c| db::leads::find(c, lead).unwrap());
    assert_eq!(lead.status, LeadStatus::Callback);
    assert_eq!(lead.retry_at, Some(expected), "15:00 in the lead's zone");
    assert_eq!(app.with_conn(|c| db::interactions::find(c, call).unwrap()).outcome, Some(Outcome::Callback));
}

#[tokio::test]
async fn r_pipeline_try_it_shows_a_result_and_saves_nothing() {
    let llm = FakeLlm::start(|_| reply(&good_answer().to_string())).await;
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    connect_llm(&app, &llm, "5").await;
    let call = completed_call(&app, &s).await;
    let mut fields = vec![("call_id", call.to_string())];
    for (k, v) in [
        ("analysis", "yes"),
        ("field_0_name", "budget"),
        ("field_0_kind", "number"),
        ("field_0_description", "Budget"),
        ("field_1_name", "company_name"),
        ("field_1_kind", "string"),
        ("field_1_description", "Company"),
        ("criterion_0_name", "need"),
        ("criterion_0_weight", "3"),
        ("criterion_0_description", "Need"),
        ("criterion_1_name", "timing"),
        ("criterion_1_weight", "1"),
        ("criterion_1_description", "Timing"),
    ] {
        fields.push((k, v.to_owned()));
    }
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let html = app.post_htmx(&format!("/campaigns/{}/pipeline/try", s.campaign), &fields).await.text().await.unwrap();
    assert!(html.contains("Ana wants a demo next week.") && html.contains("Acme Robotics"), "{html}");
    assert!(runs(&app, call).is_empty(), "nothing saved");
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert_eq!(lead.company, None, "the lead is untouched");
    let config = app.with_conn(|c| db::pipeline::campaign_config(c, s.campaign).unwrap());
    assert!(config.fields.is_empty(), "the tried configuration is not saved");
}

#[tokio::test]
async fn r_pipeline_bad_rows_are_refused_with_their_row_and_the_form_keeps_what_was_typed() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let response =
        configure_pipeline(&app, s.campaign, &[("field_2_name", "Bad Name"), ("field_2_description", "x")]).await;
    assert_eq!(response.status(), 422);
    let html = response.text().await.unwrap();
    assert!(html.contains("Field 3: the name “Bad Name”"), "{html}");
    assert!(html.contains("value=\"company_name\""), "typed rows are kept");
    let config = app.with_conn(|c| db::pipeline::campaign_config(c, s.campaign).unwrap());
    assert!(!config.llm_enabled && config.fields.is_empty());
}

#[tokio::test]
async fn r_outcome_provider_fields_the_campaign_names_drive_the_outcome_dnc_and_callback_without_an_llm() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let saved = app
        .post_form(
            &format!("/campaigns/{}/pipeline", s.campaign),
            &[("analysis", "yes"), ("opt_out_field", "remove_me"), ("callback_field", "ring_back")],
        )
        .await;
    assert_is_redirect_to(&saved, &format!("/campaigns/{}/pipeline", s.campaign));
    let (call, _) = call_now(&app, s.lead).await;
    let call = call.unwrap();
    let mut body = transcription(&format!("conv_{call}"), Some(call), None, 4);
    body["data"]["analysis"]["data_collection_results"] =
        json!({"remove_me": {"data_collection_id": "remove_me", "value": true, "rationale": "asked"}});
    assert_eq!(post_webhook(&app, s.connection, &body).await.status(), 200);
    assert_eq!(app.with_conn(|c| db::interactions::find(c, call).unwrap()).outcome, Some(Outcome::DoNotCall));
    assert!(runs(&app, call).is_empty(), "no LLM run without the LLM turned on");

    let zone: chrono_tz::Tz = daytime_zone().parse().unwrap();
    let lead = add_lead(&app, s.campaign, &[("first_name", "Rob"), ("phone", "+13125550177")]).await;
    let (call, _) = call_now(&app, lead).await;
    let call = call.unwrap();
    let day = (chrono::Utc::now() + chrono::Duration::days(2)).with_timezone(&zone).date_naive();
    let mut body = transcription(&format!("conv_{call}"), Some(call), None, 4);
    body["data"]["analysis"]["data_collection_results"] = json!({
        "outcome": {"data_collection_id": "outcome", "value": "callback", "rationale": "asked"},
        "ring_back": {"data_collection_id": "ring_back", "value": format!("{} 10:00", day.format("%Y-%m-%d")), "rationale": "agreed"}
    });
    post_webhook(&app, s.connection, &body).await;
    let expected = zone.from_local_datetime(&day.and_hms_opt(10, 0, 0).unwrap()).unwrap().naive_utc();
    let lead = app.with_conn(|c| db::leads::find(c, lead).unwrap());
    assert_eq!((lead.status, lead.retry_at), (LeadStatus::Callback, Some(expected)));
    let page = app.get_html(&format!("/interactions/{call}")).await;
    assert!(page.contains("Provider's analysis") && page.contains("ring_back"));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_pipeline_the_demo_scores_calls_with_its_built_in_responder() {
    let app = spawn_app().await;
    let demo = voxdial::demo::start(app.ctx(), CallLength::Fixed(Duration::from_millis(300))).await.unwrap();
    let password = demo.new_admin_password.clone().unwrap();
    assert!(app.login(voxdial::demo::ADMIN_EMAIL, &password).await.status().is_redirection());
    let phone = format!("{}/phone", demo.simulator.base_url);
    let (call, _) = crate::demo::ring(&app, &phone, "+12125550120", "phnum_sim_main").await;
    let ended = crate::demo::settled(&app, call).await;
    assert_eq!(ended.status, voxdial::domain::interaction::CallStatus::Completed);
    assert_eq!(step(&app, db::now()).await, 1);
    let run = &runs(&app, call)[0];
    assert_eq!(run.status, RunStatus::Done, "{:?}", run.error);
    assert!(run.score.is_some());
    let page = app.get_html(&format!("/interactions/{call}")).await;
    assert!(page.contains("AI pipeline") && page.contains("voxdial-demo-responder") && page.contains("Scoring"));
}

#[tokio::test]
async fn r_pipeline_test_connection_tells_a_structured_answer_from_one_without_structure() {
    let llm = FakeLlm::start(|n| if n == 0 { reply(r#"{"reply": "ready"}"#) } else { reply("ready!") }).await;
    let app = spawn_app().await;
    app.login_as_admin().await;
    connect_llm(&app, &llm, "5").await;
    let works = app.post_htmx("/settings/llm/test", &[]).await.text().await.unwrap();
    assert!(works.contains("check-ok") && works.contains("test-model answered with structured JSON"), "{works}");
    let unstructured = app.post_htmx("/settings/llm/test", &[]).await.text().await.unwrap();
    assert!(
        unstructured.contains("check-fail") && unstructured.contains("structured-output support"),
        "{unstructured}"
    );
    let body = &llm.bodies().await[0];
    assert_eq!(body["response_format"]["json_schema"]["strict"], true);
    let key = llm.server.received_requests().await.unwrap()[0].headers.get("authorization").cloned();
    assert_eq!(key.unwrap().to_str().unwrap(), "Bearer sk-test-secret-key-123");
}

#[tokio::test]
async fn r_auth_a_member_may_not_change_the_pipeline_unless_an_admin_allows_ai_setup_changes() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let member = app.new_session();
    app.create_user("mia@example.com", "Mia", voxdial::domain::user::Role::Member);
    assert!(member.login("mia@example.com", crate::helpers::PASSWORD).await.status().is_redirection());
    let page = member.get_html(&format!("/campaigns/{}/pipeline", s.campaign)).await;
    assert!(page.contains("ai-setup-locked") && page.contains("disabled"));
    let refused = member.post_form(&format!("/campaigns/{}/pipeline", s.campaign), &[("llm_enabled", "yes")]).await;
    assert_eq!(refused.status(), 403);
    assert!(!app.with_conn(|c| db::pipeline::campaign_config(c, s.campaign).unwrap()).llm_enabled);
    assert_eq!(member.get("/settings/llm").await.status(), 403, "the LLM connection is for admins");
}
