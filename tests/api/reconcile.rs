//! The reconciler (R-RECONCILE): calls whose webhook never came are settled by asking the
//! provider, or marked unknown for a person; never dialed again by themselves.

use chrono::Duration;
use serde_json::json;
use voxdial::calls::reconcile::{Reconciled, step};
use voxdial::db;
use voxdial::domain::interaction::CallStatus;
use voxdial::domain::lead::LeadStatus;
use voxdial::domain::outcome::Outcome;

use crate::call_setup::{call_now, call_setup, dialing_call, interaction, transcription};
use crate::fake_provider;
use crate::helpers::spawn_app;

fn later(minutes: i64) -> chrono::NaiveDateTime {
    db::now() + Duration::minutes(minutes)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_the_provider_finished_is_completed_from_its_answer() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    let conversation = format!("conv_{id}");
    s.fake
        .with_conversation(
            &conversation,
            200,
            transcription(&conversation, Some(id), Some("interested"), 6)["data"].clone(),
        )
        .await;

    // Too early: nothing is asked.
    assert_eq!(step(app.ctx(), later(1)).await.unwrap(), Reconciled::default());
    let done = step(app.ctx(), later(20)).await.unwrap();
    assert_eq!(done, Reconciled { completed: 1, ..Reconciled::default() });
    let call = interaction(&app, id);
    assert_eq!((call.status, call.outcome), (CallStatus::Completed, Some(Outcome::Interested)));
    assert_eq!(app.with_conn(|c| db::interactions::transcript(c, id).unwrap()).len(), 6);
    assert_eq!(app.with_conn(|c| db::leads::find(c, s.lead).unwrap()).status, LeadStatus::Qualified);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conversation_the_provider_reports_failed_ends_as_failed() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    let conversation = format!("conv_{id}");
    s.fake.with_conversation(&conversation, 200, fake_provider::conversation(&conversation, "failed")).await;
    assert_eq!(step(app.ctx(), later(20)).await.unwrap().failed, 1);
    assert_eq!(interaction(&app, id).status, CallStatus::Failed);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_reconcile_a_conversation_nobody_knows_is_marked_unknown_and_held_for_review() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    s.fake.with_conversation(&format!("conv_{id}"), 404, json!({"detail": "Conversation not found"})).await;
    assert_eq!(step(app.ctx(), later(20)).await.unwrap().unknown, 1);
    let call = interaction(&app, id);
    assert_eq!((call.status, call.error_code.as_deref()), (CallStatus::Unknown, Some("OUTCOME_UNKNOWN")));
    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert!(lead.needs_review && lead.next_call_at.is_none(), "never re-dialed by itself");
    assert!(app.get_html("/").await.contains("need review"));
    // A late webhook still settles it.
    crate::call_setup::post_webhook(
        &app,
        s.connection,
        &transcription(&format!("conv_{id}"), Some(id), Some("callback"), 2),
    )
    .await;
    assert_eq!(interaction(&app, id).status, CallStatus::Completed);
}

#[tokio::test(flavor = "multi_thread")]
async fn r_reconcile_a_call_the_provider_never_confirmed_becomes_unknown() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let id = dialing_call(&app, &s, s.lead, "+12125550123");
    assert_eq!(step(app.ctx(), later(20)).await.unwrap().unknown, 1);
    assert!(interaction(&app, id).error_message.unwrap().contains("never confirmed the call"));
    assert!(s.fake.placed_calls().await.is_empty(), "nothing was dialed again");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_still_under_way_is_left_until_it_is_too_old() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let (id, _) = call_now(&app, s.lead).await;
    let id = id.unwrap();
    let conversation = format!("conv_{id}");
    s.fake.with_conversation(&conversation, 200, fake_provider::conversation(&conversation, "processing")).await;
    assert_eq!(step(app.ctx(), later(20)).await.unwrap().still_running, 1);
    assert_eq!(interaction(&app, id).status, CallStatus::InProgress);
    // Asked again a few minutes later; given up after two hours.
    assert_eq!(step(app.ctx(), later(24)).await.unwrap(), Reconciled::default());
    assert_eq!(step(app.ctx(), later(26)).await.unwrap().still_running, 1);
    assert_eq!(step(app.ctx(), later(180)).await.unwrap().unknown, 1);
}
