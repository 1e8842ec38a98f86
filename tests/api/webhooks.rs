//! Post-call webhooks: authentication (R-WEBHOOK-AUTH), idempotency and ordering
//! (R-WEBHOOK-IDEM), and what outcomes do to leads (R-OUTCOME).

use reqwest::StatusCode;
use serde_json::json;
use voxdial::db;
use voxdial::domain::interaction::CallStatus;
use voxdial::domain::lead::LeadStatus;
use voxdial::domain::outcome::Outcome;
use voxdial::domain::webhook::ProcessingState;
use voxdial::ids::InteractionId;

use crate::call_setup::{
    WEBHOOK_SECRET, call_now, call_setup, dialing_call, initiation_failure, interaction, post_raw_webhook,
    post_webhook, sign, transcription,
};
use crate::helpers::spawn_app;

fn turns(app: &crate::helpers::TestApp, id: InteractionId) -> usize {
    app.with_conn(|c| db::interactions::transcript(c, id).unwrap()).len()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_transcription_completes_the_call_and_moves_the_lead() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();

    let response =
        post_webhook(&app, s.connection, &transcription(&format!("conv_{id}"), Some(id), Some("interested"), 20)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("completed: Interested"));

    let call = interaction(&app, id);
    assert_eq!(
        (call.status, call.outcome, call.duration_secs),
        (CallStatus::Completed, Some(Outcome::Interested), Some(42))
    );
    assert_eq!(call.summary.as_deref(), Some("Ana wants a demo."));
    assert_eq!(turns(&app, id), 20);
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert_eq!(lead.status, LeadStatus::Qualified);
    assert!(lead.last_contacted_at.is_some() && lead.next_call_at.is_none());

    let page = app.get_html(&format!("/interactions/{id}")).await;
    assert!(page.contains("turn-agent") && page.contains("turn 19") && page.contains("Ana wants a demo."));
    assert!(page.contains("polite"), "evaluation criteria are shown");
    let lead_page = app.get_html(&format!("/leads/{}", s.lead)).await;
    assert!(lead_page.contains(&format!("/interactions/{id}")), "the timeline links to the call");
    let events = app.get_html("/settings/webhooks").await;
    assert!(events.contains("post_call_transcription") && events.contains("processed"));
}

#[tokio::test(flavor = "multi_thread")]
async fn r_webhook_auth_unsigned_wrongly_signed_or_stale_webhooks_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    let body = transcription(&format!("conv_{id}"), Some(id), Some("interested"), 4).to_string();
    let now = chrono::Utc::now().timestamp();

    let cases = [
        ("missing", None),
        ("wrong secret", Some(sign(&body, "not the secret", now))),
        ("stale", Some(sign(&body, WEBHOOK_SECRET, now - 31 * 60))),
        ("future", Some(sign(&body, WEBHOOK_SECRET, now + 10 * 60))),
        ("garbage", Some("t=xyz,v0=nothex".to_owned())),
    ];
    for (name, signature) in &cases {
        let response = post_raw_webhook(&app, s.connection, &body, signature.as_deref()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{name}");
    }
    let modified = body.replace("Ana wants a demo.", "Ana wants nothing.");
    let response = post_raw_webhook(&app, s.connection, &modified, Some(&sign(&body, WEBHOOK_SECRET, now))).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "modified body");

    assert_eq!(interaction(&app, id).status, CallStatus::InProgress, "nothing changed");
    let events = app.with_conn(|c| db::webhook_events::page(c, None, 20).unwrap());
    let verdicts: Vec<_> = events.iter().map(|e| e.signature_verdict.as_str()).collect();
    assert_eq!(verdicts, ["mismatch", "malformed", "future", "stale", "mismatch", "missing"]);
    assert!(events.iter().all(|e| e.processing_state == ProcessingState::Rejected));

    // An unknown connection gets the same answer as a bad signature.
    let unknown = post_raw_webhook(&app, 999, &body, Some(&sign(&body, WEBHOOK_SECRET, now))).await;
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.text().await.unwrap(), "invalid signature");
}

#[tokio::test(flavor = "multi_thread")]
async fn string_timestamps_unknown_fields_and_unknown_types_are_accepted() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    let mut body = transcription(&format!("conv_{id}"), Some(id), None, 2);
    body["event_timestamp"] = json!(chrono::Utc::now().timestamp().to_string());
    body["a_future_field"] = json!({"nested": [1, 2]});
    body["data"]["another_new_field"] = json!(true);
    assert_eq!(post_webhook(&app, s.connection, &body).await.status(), StatusCode::OK);
    assert_eq!(interaction(&app, id).status, CallStatus::Completed);

    let other = json!({"type": "conversation_rating", "event_timestamp": 1, "data": {"conversation_id": "x"}});
    let response = post_webhook(&app, s.connection, &other).await;
    assert_eq!(response.status(), StatusCode::OK);
    let kept = app.with_conn(|c| db::webhook_events::page(c, None, 1).unwrap()).remove(0);
    assert_eq!((kept.event_type.as_str(), kept.processing_state), ("conversation_rating", ProcessingState::Ignored));

    let unreadable = post_raw_webhook(
        &app,
        s.connection,
        "{not json",
        Some(&sign("{not json", WEBHOOK_SECRET, chrono::Utc::now().timestamp())),
    )
    .await;
    assert_eq!(unreadable.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.with_conn(|c| db::webhook_events::page(c, None, 1).unwrap())[0].processing_state,
        ProcessingState::Invalid
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn r_webhook_idem_redeliveries_and_concurrent_duplicates_make_one_transition() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    let body = transcription(&format!("conv_{id}"), Some(id), Some("interested"), 20);

    let deliveries: Vec<_> = (0..6).map(|_| post_webhook(&app, s.connection, &body)).collect();
    let statuses: Vec<_> = futures_util::future::join_all(deliveries).await.into_iter().map(|r| r.status()).collect();
    assert!(statuses.iter().all(|s| *s == StatusCode::OK), "{statuses:?}");
    let again = post_webhook(&app, s.connection, &body).await;
    assert!(again.text().await.unwrap().contains("duplicate delivery"));

    assert_eq!(turns(&app, id), 20, "the transcript is stored once");
    let events: Vec<_> = app.with_conn(|c| db::webhook_events::page(c, None, 20).unwrap());
    assert_eq!(events.len(), 1, "one event row");
    assert_eq!(events[0].deliveries, 7);
    assert_eq!(app.with_conn(|c| db::leads::find(c, s.lead).unwrap()).status, LeadStatus::Qualified);
}

#[tokio::test(flavor = "multi_thread")]
async fn out_of_order_events_end_in_the_right_state() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;

    // A failure after the completion changes nothing.
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    post_webhook(&app, s.connection, &transcription(&format!("conv_{id}"), Some(id), None, 2)).await;
    let late = post_webhook(&app, s.connection, &initiation_failure(&format!("conv_{id}"), "busy")).await;
    assert!(late.text().await.unwrap().contains("had already ended as completed"));
    assert_eq!(interaction(&app, id).status, CallStatus::Completed);

    // A transcription that outruns the provider's answer is matched by voxdial's own id.
    let orphan = dialing_call(&app, &s, s.test_lead, "+12125550124");
    post_webhook(&app, s.connection, &transcription("conv_early", Some(orphan), Some("callback"), 3)).await;
    let done = interaction(&app, orphan);
    assert_eq!((done.status, done.provider_conversation_id.as_deref()), (CallStatus::Completed, Some("conv_early")));
    // The provider's late answer does not move it back.
    app.with_conn(|c| {
        db::interactions::mark_accepted(c, orphan, Some("conv_early"), Some("CA_late"), db::now()).unwrap()
    });
    assert_eq!(interaction(&app, orphan).status, CallStatus::Completed);
    assert_eq!(app.with_conn(|c| db::leads::find(c, s.test_lead).unwrap()).status, LeadStatus::Callback);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_that_arrives_before_its_call_waits_for_it() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let call = dialing_call(&app, &s, s.lead, "+12125550123");
    let waiting = post_webhook(&app, s.connection, &initiation_failure("conv_not_yet", "no-answer")).await;
    assert!(waiting.text().await.unwrap().contains("no call matches"));
    assert_eq!(app.with_conn(|c| db::webhook_events::due(c, db::now(), 5).unwrap()).len(), 1);

    // What start_call does once the provider's answer is in: store the id, apply what waited.
    app.with_conn(|c| {
        db::interactions::mark_accepted(c, call, Some("conv_not_yet"), None, db::now()).unwrap();
        voxdial::calls::events::apply_waiting(c, s.connection, "conv_not_yet", db::now()).unwrap();
    });
    let done = interaction(&app, call);
    assert_eq!((done.status, done.outcome), (CallStatus::NoAnswer, Some(Outcome::NoAnswer)));
    assert!(app.with_conn(|c| db::webhook_events::due(c, db::now(), 5).unwrap()).is_empty());
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert_eq!(lead.status, LeadStatus::New, "no answer keeps the status");
    assert!(lead.next_call_at.unwrap() > db::now(), "and schedules a retry");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_webhook_idem_a_webhook_that_fails_to_apply_is_kept_and_answered_5xx_until_it_succeeds() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    // A database fault in the middle of applying: transcript turns cannot be written.
    let (fault, repair) = if app.database.is_postgres() {
        (
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'disk trouble'; END $$ LANGUAGE plpgsql;
             CREATE TRIGGER refuse_turns BEFORE INSERT ON transcript_turns FOR EACH ROW EXECUTE FUNCTION refuse();",
            "DROP TRIGGER refuse_turns ON transcript_turns; DROP FUNCTION refuse();",
        )
    } else {
        (
            "CREATE TRIGGER refuse_turns BEFORE INSERT ON transcript_turns BEGIN SELECT RAISE(ABORT, 'disk trouble'); END;",
            "DROP TRIGGER refuse_turns;",
        )
    };
    app.with_conn(|c| diesel::connection::SimpleConnection::batch_execute(c, fault).unwrap());

    let body = transcription(&format!("conv_{id}"), Some(id), Some("interested"), 4);
    let refused = post_webhook(&app, s.connection, &body).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE, "the provider is asked to retry");
    let call = interaction(&app, id);
    assert_eq!(call.status, CallStatus::InProgress, "nothing of the failed attempt remains");
    assert_eq!(turns(&app, id), 0);
    let kept = app.with_conn(|c| db::webhook_events::due(c, db::now(), 5).unwrap());
    assert_eq!(kept.len(), 1, "the event is kept for the sweeper");

    app.with_conn(|c| diesel::connection::SimpleConnection::batch_execute(c, repair).unwrap());
    let swept = voxdial::calls::sweeper::sweep(app.ctx(), db::now()).await.unwrap();
    assert_eq!(swept.applied, 1);
    let call = interaction(&app, id);
    assert_eq!((call.status, call.outcome), (CallStatus::Completed, Some(Outcome::Interested)));
    assert_eq!(turns(&app, id), 4);
    let again = post_webhook(&app, s.connection, &body).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(again.text().await.unwrap().contains("duplicate delivery"), "the provider's retry changes nothing");
}

#[tokio::test(flavor = "multi_thread")]
async fn busy_and_no_answer_end_the_call_without_touching_the_status() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    for (reason, status) in
        [("busy", CallStatus::Busy), ("no-answer", CallStatus::NoAnswer), ("unknown", CallStatus::Failed)]
    {
        let (id, _) = call_now(&app, s.lead).await;
        let id = id.unwrap();
        let response = post_webhook(&app, s.connection, &initiation_failure(&format!("conv_{id}"), reason)).await;
        assert_eq!(response.status(), StatusCode::OK);
        let call = interaction(&app, id);
        assert_eq!(call.status, status, "{reason}");
        assert_eq!(call.provider_call_sid.as_deref(), Some(format!("sid_{id}").as_str()));
    }
    assert_eq!(app.with_conn(|c| db::leads::find(c, s.lead).unwrap()).attempt_count, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_campaign_status_map_and_opt_outs_apply() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    app.post_form(
        &format!("/campaigns/{}/outcomes", s.campaign),
        &[("voicemail", "callback"), ("interested", "contacted")],
    )
    .await;

    let (id, _) = call_now(&app, s.lead).await;
    let mut voicemail = transcription(&format!("conv_{}", id.unwrap()), id, None, 2);
    voicemail["data"]["metadata"]["termination_reason"] = json!("Voicemail detected");
    post_webhook(&app, s.connection, &voicemail).await;
    assert_eq!(interaction(&app, id.unwrap()).outcome, Some(Outcome::Voicemail));
    assert_eq!(
        app.with_conn(|c| db::leads::find(c, s.lead).unwrap()).status,
        LeadStatus::Callback,
        "the campaign's rule"
    );

    let (id, _) = call_now(&app, s.lead).await;
    post_webhook(&app, s.connection, &transcription(&format!("conv_{}", id.unwrap()), id, Some("opt_out"), 2)).await;
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert_eq!((lead.status, lead.next_call_at), (LeadStatus::DoNotCall, None));
    let dnc = app.get_html("/dnc").await;
    assert!(dnc.contains("+12125550123") && dnc.contains("opt_out"));
    let (again, _) = call_now(&app, s.lead).await;
    assert_eq!(again, None, "never dialed again");
}

#[tokio::test(flavor = "multi_thread")]
async fn call_audio_is_stored_as_a_playable_recording() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    use base64::Engine as _;
    let audio = b"ID3\x03fake mp3 bytes".to_vec();
    let body = json!({"type": "post_call_audio", "event_timestamp": chrono::Utc::now().timestamp(),
                      "data": {"agent_id": "agent_prod", "conversation_id": format!("conv_{id}"),
                               "full_audio": base64::engine::general_purpose::STANDARD.encode(&audio)}});
    assert_eq!(post_webhook(&app, s.connection, &body).await.status(), StatusCode::OK);
    let served = app.get(&format!("/interactions/{id}/recording")).await;
    assert_eq!(served.headers()["content-type"], "audio/mpeg");
    assert_eq!(served.bytes().await.unwrap().as_ref(), audio.as_slice());
    let stored = app.with_conn(|c| db::webhook_events::page(c, None, 1).unwrap()).remove(0);
    assert!(!stored.raw_body.contains("ZmFrZ"), "the audio is not kept twice");
    assert!(app.get_html(&format!("/interactions/{id}")).await.contains("<audio"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_signing_secret_every_webhook_is_refused() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = crate::fake_provider::FakeProvider::start().await;
    let response = app
        .post_form(
            "/settings/providers",
            &[("name", "No secret"), ("api_base_url", &fake.url()), ("api_key", "k"), ("inbound_token", "t")],
        )
        .await;
    let id = crate::helpers::id_from_location(&response, "/settings/providers/");
    let id: voxdial::ids::ConnectionId = id;
    let refused = post_webhook(&app, id, &json!({"type": "post_call_transcription", "data": {}})).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refused.text().await.unwrap(), "invalid signature", "no hint whether a secret is configured");
    let kept = app.with_conn(|c| db::webhook_events::page(c, None, 1).unwrap()).remove(0);
    assert_eq!(kept.signature_verdict, voxdial::provider::SignatureVerdict::NoSecret, "admins see why");
}
