//! The demo workspace end to end: an inbound call rung on the simulator's phone reaches
//! voxdial's initiation webhook, lands on the right lead (or a new one) and is completed by
//! the simulator's signed post-call webhook (R-INBOUND, R-CONTACT-TYPE).

use std::time::Duration;

use voxdial::db;
use voxdial::domain::interaction::{CallStatus, ContactType, Direction};
use voxdial::domain::lead::LeadSource;
use voxdial::domain::phone::E164;
use voxdial::ids::InteractionId;

use crate::helpers::{TestApp, spawn_app};

/// Rings the demo account from `caller` and returns the call voxdial recorded.
async fn ring(app: &TestApp, phone: &str, caller: &str, number: &str) -> (InteractionId, String) {
    let response = app.client.post(phone).form(&[("caller", caller), ("number", number)]).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let link = format!("{}/interactions/", app.url(""));
    let start = page.find(&link).unwrap_or_else(|| panic!("a link to the call: {page}")) + link.len();
    let id = page[start..].split('"').next().unwrap().parse().unwrap();
    (id, page)
}

async fn settled(app: &TestApp, id: InteractionId) -> db::interactions::Interaction {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let call = app.with_conn(|c| db::interactions::find(c, id).unwrap());
        if call.status != CallStatus::InProgress {
            return call;
        }
        assert!(tokio::time::Instant::now() < deadline, "the simulated call never came back");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn r_inbound_in_the_demo_a_rung_call_lands_on_the_lead_and_completes() {
    let app = spawn_app().await;
    let demo = voxdial::demo::start(app.ctx(), Duration::from_millis(300)).await.unwrap();
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
