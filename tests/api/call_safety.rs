//! Calls that are never lost, doubled or stuck (R-CALL-UNCERTAIN, R-WEBHOOK-IDEM,
//! R-RECONCILE, R-CALL): uncertain provider answers hold the lead, late reports still settle
//! the call, failures are retried per item, and a person settles what nobody could.

use chrono::Duration;
use reqwest::StatusCode;
use voxdial::calls::{self, CallStart, Requester};
use voxdial::db;
use voxdial::domain::interaction::CallStatus;
use voxdial::domain::lead::LeadStatus;
use voxdial::domain::outcome::Outcome;
use voxdial::domain::webhook::ProcessingState;
use voxdial::provider::ProviderError;

use crate::call_setup::{app_with_scripted_provider, call_now, call_setup, interaction, post_webhook, transcription};
use crate::helpers::{TestApp, spawn_app};

fn later(minutes: i64) -> chrono::NaiveDateTime {
    db::now() + Duration::minutes(minutes)
}

#[tokio::test(flavor = "multi_thread")]
async fn r_call_uncertain_only_a_request_that_never_arrived_or_a_definite_refusal_fails_the_call() {
    let (app, provider) = app_with_scripted_provider().await;
    let s = call_setup(&app).await;
    let uncertain = [
        ProviderError::Timeout(15),
        ProviderError::Interrupted("connection reset by peer".into()),
        ProviderError::Server { status: 500, message: "internal error".into() },
        ProviderError::Server { status: 503, message: "overloaded".into() },
        ProviderError::Decode("expected value at line 1".into()),
    ];
    for (n, error) in uncertain.into_iter().enumerate() {
        provider.fail_calls_with(error.clone());
        let phone = format!("+1212555{:04}", 200 + n);
        let lead = crate::call_setup::add_lead(&app, s.campaign, &[("first_name", "Held"), ("phone", &phone)]).await;
        let (id, _) = call_now(&app, lead).await;
        let call = interaction(&app, id.unwrap());
        assert_eq!(call.status, CallStatus::Dialing, "{error:?}: the call may be ringing, so it stays live");
        assert!(call.error_message.unwrap().contains("may be ringing"), "{error:?}");
        // Neither a second press nor the dialer can reach the lead meanwhile.
        let (second, _) = call_now(&app, lead).await;
        assert_eq!(second, None, "{error:?}");
        let refused = calls::start_call(app.ctx(), lead, Requester::Dialer).await.unwrap();
        assert_eq!(refused, CallStart::Refused(calls::Refusal::CallInProgress), "{error:?}");
    }
    let definite = [
        ProviderError::Connection("connection refused".into()),
        ProviderError::Invalid("body.to_number: invalid".into()),
        ProviderError::Unauthorized { status: 401, message: "Invalid API key".into() },
        ProviderError::RateLimited("too many concurrent calls".into()),
        ProviderError::Declined("Agent concurrency limit reached".into()),
    ];
    for (n, error) in definite.into_iter().enumerate() {
        provider.fail_calls_with(error.clone());
        let phone = format!("+1212555{:04}", 300 + n);
        let lead = crate::call_setup::add_lead(&app, s.campaign, &[("first_name", "Refused"), ("phone", &phone)]).await;
        let (id, _) = call_now(&app, lead).await;
        let call = interaction(&app, id.unwrap());
        assert_eq!(
            (call.status, call.outcome, call.error_code.as_deref(), call.counts_as_attempt),
            (CallStatus::Failed, Some(Outcome::Failed), Some("PROVIDER_ERROR"), true),
            "{error:?}"
        );
        let lead = app.with_conn(|c| db::leads::find(c, lead).unwrap());
        assert!(lead.next_call_at.is_some(), "{error:?}: due again by the failure rules");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r_call_uncertain_a_5xx_a_reset_or_an_unreadable_answer_over_http_holds_the_lead() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let answers = [
        wiremock::ResponseTemplate::new(502).set_body_string("Bad Gateway"),
        wiremock::ResponseTemplate::new(200).set_body_string("<html>maintenance</html>"),
    ];
    for (n, answer) in answers.into_iter().enumerate() {
        s.fake.server.reset().await;
        wiremock::Mock::given(wiremock::matchers::method("POST")).respond_with(answer).mount(&s.fake.server).await;
        let phone = format!("+1212555{:04}", 400 + n);
        let lead = crate::call_setup::add_lead(&app, s.campaign, &[("first_name", "Held"), ("phone", &phone)]).await;
        let (id, _) = call_now(&app, lead).await;
        assert_eq!(interaction(&app, id.unwrap()).status, CallStatus::Dialing, "answer {n}");
        let (again, _) = call_now(&app, lead).await;
        assert_eq!(again, None, "answer {n}: never dialed twice");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r_call_uncertain_a_call_that_could_not_be_sent_fails_at_once_without_counting() {
    let (app, provider) = app_with_scripted_provider().await;
    let s = call_setup(&app).await;
    // The stored API key no longer opens (e.g. the instance runs with another secret key).
    app.with_conn(|c| {
        diesel::connection::SimpleConnection::batch_execute(
            c,
            &format!("UPDATE provider_connections SET api_key_enc = 'v1:garbage' WHERE id = {}", s.connection),
        )
        .unwrap()
    });
    let (id, _) = call_now(&app, s.lead).await;
    let call = interaction(&app, id.unwrap());
    assert_eq!(
        (call.status, call.error_code.as_deref(), call.counts_as_attempt),
        (CallStatus::Failed, Some("PROVIDER_SETUP"), false)
    );
    assert!(provider.placed().is_empty(), "nothing was dialed");
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert_eq!(lead.attempt_count, 0, "not an attempt");
    assert!(lead.next_call_at.is_some(), "and due again at once");
    let campaign = app.with_conn(|c| db::campaigns::find(c, s.campaign).unwrap());
    assert_eq!(campaign.blocking_error_code.as_deref(), Some("PROVIDER_SETUP"), "the campaign shows why");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_webhook_idem_a_late_report_settles_a_call_ended_as_failed_or_unknown() {
    let (app, provider) = app_with_scripted_provider().await;
    let s = call_setup(&app).await;

    // Ended as failed on a definite refusal — but the provider did place it after all.
    provider.fail_calls_with(ProviderError::Invalid("rejected".into()));
    let (failed, _) = call_now(&app, s.lead).await;
    let failed = failed.unwrap();
    assert_eq!(interaction(&app, failed).status, CallStatus::Failed);
    app.with_conn(|c| db::interactions::set_conversation_id(c, failed, "conv_late_1").unwrap());
    let response =
        post_webhook(&app, s.connection, &transcription("conv_late_1", Some(failed), Some("callback"), 3)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains("late"));
    let call = interaction(&app, failed);
    assert_eq!(
        (call.status, call.outcome, call.settled_late_from),
        (CallStatus::Completed, Some(Outcome::Callback), Some(CallStatus::Failed))
    );
    assert_eq!(app.with_conn(|c| db::interactions::transcript(c, failed).unwrap()).len(), 3);
    assert!(app.get_html(&format!("/interactions/{failed}")).await.contains("before its outcome was settled"));

    // Marked unknown by the reconciler; the late report carries an opt-out.
    provider.answer_calls_with(Box::new(|call| Ok(voxdial::provider::scripted::accepted(call))));
    let other = crate::call_setup::add_lead(&app, s.campaign, &[("first_name", "Bo"), ("phone", "+12125550125")]).await;
    let (unknown, _) = call_now(&app, other).await;
    let unknown = unknown.unwrap();
    let swept = voxdial::calls::reconcile::step(app.ctx(), later(20)).await.unwrap();
    assert_eq!(swept.unknown, 1, "the provider does not know the conversation");
    assert!(app.with_conn(|c| db::leads::find(c, other).unwrap()).needs_review);
    let conversation = format!("conv_{unknown}");
    post_webhook(&app, s.connection, &transcription(&conversation, Some(unknown), Some("opt_out"), 2)).await;
    let call = interaction(&app, unknown);
    assert_eq!((call.status, call.settled_late_from), (CallStatus::Completed, Some(CallStatus::Unknown)));
    let lead = app.with_conn(|c| db::leads::find(c, other).unwrap());
    assert_eq!((lead.status, lead.needs_review), (LeadStatus::DoNotCall, false));
    let listed = app.with_conn(|c| db::suppression::blocking_entry(c, &lead.phone, s.campaign).unwrap());
    assert!(listed.is_some(), "the opt-out reaches the do-not-call list");
}

#[tokio::test(flavor = "multi_thread")]
async fn r_webhook_idem_an_opt_out_for_a_number_already_on_the_dnc_list_completes_the_call() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    // Listed while the call runs (by hand, or by an opt-out in another campaign).
    let added = app.post_form("/dnc", &[("phone", "+12125550123"), ("reason", "asked by email")]).await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let response =
        post_webhook(&app, s.connection, &transcription(&format!("conv_{id}"), Some(id), Some("opt_out"), 2)).await;
    assert_eq!(response.status(), StatusCode::OK, "the duplicate entry does not poison the transaction");
    let call = interaction(&app, id);
    assert_eq!((call.status, call.outcome), (CallStatus::Completed, Some(Outcome::DoNotCall)));
    assert_eq!(app.with_conn(|c| db::interactions::transcript(c, id).unwrap()).len(), 2);
    assert_eq!(app.with_conn(|c| db::leads::find(c, s.lead).unwrap()).status, LeadStatus::DoNotCall);
}

/// A database fault that refuses transcript turns for one call only.
fn refuse_turns_for(app: &TestApp, id: voxdial::ids::InteractionId) -> &'static str {
    let (fault, repair) = if app.database.is_postgres() {
        (
            format!(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN IF NEW.interaction_id = {id} THEN \
                 RAISE EXCEPTION 'disk trouble'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
                 CREATE TRIGGER refuse_turns BEFORE INSERT ON transcript_turns FOR EACH ROW EXECUTE FUNCTION refuse();"
            ),
            "DROP TRIGGER refuse_turns ON transcript_turns; DROP FUNCTION refuse();",
        )
    } else {
        (
            format!(
                "CREATE TRIGGER refuse_turns BEFORE INSERT ON transcript_turns WHEN NEW.interaction_id = {id} \
                 BEGIN SELECT RAISE(ABORT, 'disk trouble'); END;"
            ),
            "DROP TRIGGER refuse_turns;",
        )
    };
    app.with_conn(|c| diesel::connection::SimpleConnection::batch_execute(c, &fault).unwrap());
    repair
}

#[tokio::test(flavor = "multi_thread")]
async fn r_webhook_idem_a_failing_event_is_retried_with_backoff_parked_and_never_blocks_the_others() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let other = crate::call_setup::add_lead(&app, s.campaign, &[("first_name", "Bo"), ("phone", "+12125550125")]).await;
    let (first, _) = call_now(&app, s.lead).await;
    let (second, _) = call_now(&app, other).await;
    let (first, second) = (first.unwrap(), second.unwrap());
    let repair = refuse_turns_for(&app, first);
    for id in [first, second] {
        let body = transcription(&format!("conv_{id}"), Some(id), Some("interested"), 2);
        let status = post_webhook(&app, s.connection, &body).await.status();
        let expected = if id == first { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
        assert_eq!(status, expected);
    }
    // The second event was applied at once; the first waits for the sweeper, which keeps
    // failing on it without holding anything up.
    assert_eq!(interaction(&app, second).status, CallStatus::Completed);
    let now = db::now();
    let swept = voxdial::calls::sweeper::sweep(app.ctx(), now).await.unwrap();
    assert_eq!((swept.applied, swept.failed), (0, 1));
    let event = app
        .with_conn(|c| db::webhook_events::page(c, None, 5).unwrap())
        .into_iter()
        .find(|e| e.interaction_id.is_none() && e.processing_state == ProcessingState::Pending)
        .unwrap();
    assert_eq!(event.attempts, 1);
    assert!(event.retry_at.unwrap() > now, "backs off");
    assert_eq!(voxdial::calls::sweeper::sweep(app.ctx(), now).await.unwrap(), Default::default(), "not due yet");
    // After enough failures it is parked where admins see it.
    let mut at = now;
    for _ in 1..voxdial::calls::sweeper::MAX_ATTEMPTS {
        at += Duration::hours(2);
        voxdial::calls::sweeper::sweep(app.ctx(), at).await.unwrap();
    }
    let parked = app.with_conn(|c| db::webhook_events::find(c, event.id).unwrap());
    assert_eq!(parked.processing_state, ProcessingState::Failed);
    assert!(parked.processing_result.unwrap().contains("disk trouble"));
    assert_eq!(app.with_conn(|c| db::webhook_events::count_parked(c).unwrap()), 1);
    // Repaired and requeued by an admin, it applies.
    app.with_conn(|c| diesel::connection::SimpleConnection::batch_execute(c, repair).unwrap());
    app.with_conn(|c| db::webhook_events::requeue(c, event.id).unwrap());
    assert_eq!(voxdial::calls::sweeper::sweep(app.ctx(), at).await.unwrap().applied, 1);
    assert_eq!(interaction(&app, first).status, CallStatus::Completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_reconcile_a_failing_check_is_retried_later_and_never_blocks_the_others() {
    let (app, provider) = app_with_scripted_provider().await;
    let s = call_setup(&app).await;
    let other = crate::call_setup::add_lead(&app, s.campaign, &[("first_name", "Bo"), ("phone", "+12125550125")]).await;
    let (first, _) = call_now(&app, s.lead).await;
    let (second, _) = call_now(&app, other).await;
    let (first, second) = (first.unwrap(), second.unwrap());
    provider
        .set_conversation(&format!("conv_{first}"), Err(ProviderError::Server { status: 500, message: "down".into() }));
    let report = voxdial::provider::CallReport {
        conversation_id: format!("conv_{second}"),
        state: voxdial::provider::ConversationState::Done,
        transcript: Vec::new(),
        duration_secs: Some(30),
        termination_reason: None,
        call_sid: None,
        call_successful: Some("success".into()),
        summary: Some("Fine.".into()),
        collected: Default::default(),
        analysis: None,
        interaction_ref: Some(second),
    };
    provider.set_conversation(&format!("conv_{second}"), Ok(report));
    let done = voxdial::calls::reconcile::step(app.ctx(), later(20)).await.unwrap();
    assert_eq!((done.completed, done.errors), (1, 1));
    assert_eq!(interaction(&app, second).status, CallStatus::Completed);
    let waiting = interaction(&app, first);
    assert_eq!((waiting.status, waiting.check_failures), (CallStatus::InProgress, 1));
    // Not asked again before its backoff has passed.
    assert_eq!(voxdial::calls::reconcile::step(app.ctx(), later(20)).await.unwrap(), Default::default());
}

#[tokio::test(flavor = "multi_thread")]
async fn r_reconcile_two_reconcilers_never_check_one_call_twice() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    let conversation = format!("conv_{id}");
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path(format!("/v1/convai/conversations/{conversation}")))
        .respond_with(
            wiremock::ResponseTemplate::new(200)
                .set_body_json(transcription(&conversation, Some(id), Some("interested"), 2)["data"].clone())
                .set_delay(std::time::Duration::from_millis(300)),
        )
        .expect(1)
        .mount(&s.fake.server)
        .await;
    let other = crate::helpers::TestApp::sibling(&app).await;
    let (a, b) = tokio::join!(
        voxdial::calls::reconcile::step(app.ctx(), later(20)),
        voxdial::calls::reconcile::step(other.ctx(), later(20))
    );
    assert_eq!(a.unwrap().completed + b.unwrap().completed, 1);
    assert_eq!(interaction(&app, id).status, CallStatus::Completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_reconcile_an_unknown_call_holds_its_lead_until_a_person_settles_it() {
    let (app, _provider) = app_with_scripted_provider().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    assert_eq!(voxdial::calls::reconcile::step(app.ctx(), later(20)).await.unwrap().unknown, 1);
    assert_eq!(interaction(&app, id).status, CallStatus::Unknown);

    // Neither a person nor the dialer may call the lead now.
    let (refused, response) = call_now(&app, s.lead).await;
    assert_eq!(refused, None);
    assert!(app.get_html(response.headers()["location"].to_str().unwrap()).await.contains("outcome is unknown"));
    let dialer = calls::start_call(app.ctx(), s.lead, Requester::Dialer).await.unwrap();
    assert_eq!(dialer, CallStart::Refused(calls::Refusal::NeedsReview));

    let page = app.get_html(&format!("/interactions/{id}")).await;
    assert!(page.contains("Settle this call"));
    let settled = app.post_form(&format!("/interactions/{id}/settle"), &[("finding", "not_reached")]).await;
    assert_eq!(settled.status(), StatusCode::SEE_OTHER);
    let call = interaction(&app, id);
    assert_eq!((call.status, call.outcome), (CallStatus::NoAnswer, Some(Outcome::NoAnswer)));
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert!(!lead.needs_review && lead.next_call_at.is_some(), "the normal no-answer rules apply");
    let audit = app.get_html("/settings/audit").await;
    assert!(audit.contains(&format!("Settled call #{id}")));

    // Settling twice is refused with a reason.
    let again = app.post_form(&format!("/interactions/{id}/settle"), &[("finding", "not_reached")]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let (called, _) = call_now(&app, s.lead).await;
    assert!(called.is_some(), "the lead may be called again");
}
