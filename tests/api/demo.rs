//! The demo workspace end to end: an inbound call rung on the simulator's phone reaches
//! voxdial's initiation webhook, lands on the right lead (or a new one) and is completed by
//! the simulator's signed post-call webhook (R-INBOUND, R-CONTACT-TYPE).

use std::time::Duration;

use voxdial::db;
use voxdial::domain::interaction::{CallStatus, ContactType, Direction};
use voxdial::domain::lead::LeadSource;
use voxdial::domain::phone::E164;
use voxdial::ids::InteractionId;
use voxdial::provider::simulator::CallLength;

use crate::helpers::{TestApp, spawn_app};

/// Rings the demo account from `caller` and returns the call voxdial recorded.
pub async fn ring(app: &TestApp, phone: &str, caller: &str, number: &str) -> (InteractionId, String) {
    let response = app.client.post(phone).form(&[("caller", caller), ("number", number)]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let link = format!("{}/interactions/", app.url(""));
    let start = page.find(&link).unwrap_or_else(|| panic!("a link to the call: {page}")) + link.len();
    let id = page[start..].split('"').next().unwrap().parse().unwrap();
    (id, page)
}

pub async fn settled(app: &TestApp, id: InteractionId) -> db::interactions::Interaction {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let call = app.with_conn(|c| db::interactions::find(c, id).unwrap());
        if !call.status.is_live() {
            return call;
        }
        assert!(tokio::time::Instant::now() < deadline, "the simulated call never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_in_the_demo_a_rung_call_lands_on_the_lead_and_completes() {
    let app = spawn_app().await;
    let demo = voxdial::demo::start(app.ctx(), CallLength::Fixed(Duration::from_millis(300))).await.unwrap();
    let password = demo.new_admin_password.clone().unwrap();
    assert!(app.login(voxdial::demo::ADMIN_EMAIL, &password).await.status().is_redirection());
    let connection = app.with_conn(|c| db::providers::list(c).unwrap()[0].id);
    let settings = app.get_html(&format!("/settings/providers/{connection}/inbound")).await;
    let phone = format!("{}/phone", demo.simulator.base_url);
    assert!(settings.contains(&format!("href=\"{phone}\"")), "the demo links its phone");
    let page = app.client.get(&phone).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("phnum_sim_main") && page.contains("+12125550120"));

    // A demo lead calls the campaign's own number: recognised, answered with the template.
    let (id, page) = ring(&app, &phone, "+12125550120", "phnum_sim_main").await;
    assert!(page.contains("Ana Lima") && page.contains("Demo: Spring outreach"), "{page}");
    let call = settled(&app, id).await;
    let lead = app.with_conn(|c| db::leads::find(c, call.lead_id).unwrap());
    assert_eq!((lead.first_name.as_str(), call.direction), ("Ana", Direction::Inbound));
    assert_eq!((call.status, call.contact_type), (CallStatus::Completed, ContactType::First));
    assert!(call.outcome.is_some() && call.duration_secs.unwrap_or_default() > 0);
    let turns = app.with_conn(|c| db::interactions::transcript(c, id).unwrap());
    let opening = turns[0].message.clone().unwrap_or_default();
    assert!(opening.starts_with("Hi Ana, this is"), "the template's first message: {opening}");

    // A stranger rings the SIP number, which no campaign calls from: the default campaign
    // answers and the caller becomes a new lead.
    let (id, page) = ring(&app, &phone, "+13125550999", "phnum_sim_sip").await;
    assert!(page.contains("Thanks for calling Acme Voice"), "{page}");
    let call = settled(&app, id).await;
    assert_eq!((call.status, call.contact_type), (CallStatus::Completed, ContactType::New));
    let lead = app.with_conn(|c| db::leads::find(c, call.lead_id).unwrap());
    assert_eq!(lead.phone, E164::parse("+13125550999", None).unwrap());
    assert_eq!(lead.source, Some(LeadSource::Inbound));
    let list = app.get_html("/interactions?direction=inbound").await;
    assert!(list.contains(&format!("/interactions/{id}")));
    demo.simulator.stop().await;
}

/// A demo lead whose simulated call is answered and who is well inside their calling hours
/// now (the demo's leads live around the world).
fn answering_lead(app: &TestApp, campaign: voxdial::ids::CampaignId) -> voxdial::ids::LeadId {
    use chrono::Timelike as _;
    use db::lead_lists::{LeadFilter, LeadSort, PageAt};

    app.with_conn(|c| {
        let filter = LeadFilter { campaign_id: Some(campaign), is_test: Some(false), ..Default::default() };
        let page = db::lead_lists::page(c, &filter, LeadSort::Oldest, &PageAt::First, 50).unwrap();
        page.rows
            .into_iter()
            .find(|lead| {
                let zone = db::leads::find(c, lead.id).unwrap().timezone.or_else(|| lead.phone.zone()).unwrap();
                let daytime = (10..19).contains(&chrono::Utc::now().with_timezone(&zone).hour());
                daytime && voxdial::provider::simulator::answers(lead.phone.as_str(), 1)
            })
            .expect("a demo lead to call at this hour")
            .id
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn in_the_demo_a_calls_duration_agrees_with_its_times_and_its_recording_plays_on_the_call_page() {
    let app = spawn_app().await;
    let demo = voxdial::demo::start(app.ctx(), CallLength::Fixed(Duration::from_secs(2))).await.unwrap();
    let password = demo.new_admin_password.clone().unwrap();
    assert!(app.login(voxdial::demo::ADMIN_EMAIL, &password).await.status().is_redirection());
    let lead = answering_lead(&app, demo.campaign_id.unwrap());

    let (id, _) = crate::call_setup::call_now(&app, lead).await;
    let id = id.expect("Call now placed a call");
    let call = settled(&app, id).await;
    assert_eq!(call.status, CallStatus::Completed);
    let (started, ended) = (call.started_at.unwrap(), call.ended_at.unwrap());
    let duration = i64::from(call.duration_secs.unwrap());
    let elapsed = (ended - started).num_milliseconds();
    assert!((elapsed - duration * 1000).abs() < 500, "lasted {elapsed} ms from start to end, reported {duration} s");
    let turns = app.with_conn(|c| db::interactions::transcript(c, id).unwrap());
    assert!(turns.len() > 1 && turns.iter().all(|t| i64::from(t.time_in_call_secs) <= duration));

    // The recording follows the transcription.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !app.with_conn(|c| db::recordings::exists_for(c, id).unwrap()) {
        assert!(tokio::time::Instant::now() < deadline, "the simulated recording never arrived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let page = app.get_html(&format!("/interactions/{id}")).await;
    assert!(
        page.contains(&format!("<audio controls preload=\"none\" src=\"/interactions/{id}/recording\">")),
        "{page}"
    );
    let recording = app.get(&format!("/interactions/{id}/recording")).await;
    assert_eq!(recording.headers()["content-type"], "audio/wav");
    let audio = recording.bytes().await.unwrap();
    assert!(audio.starts_with(b"RIFF") && audio.len() > 8_000, "a WAV clip of a second or more");
    demo.simulator.stop().await;
}
