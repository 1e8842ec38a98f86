//! The Pipeline tab and a call's AI findings in a real browser, on the demo workspace with
//! its built-in LLM responder (R-PIPELINE).

use std::time::Duration;

use thirtyfour::prelude::*;
use voxdial::provider::simulator::CallLength;

use crate::browser::Browser;
use crate::helpers::spawn_app;

#[tokio::test(flavor = "multi_thread")]
async fn r_pipeline_the_tab_tries_the_settings_on_a_past_call_and_the_call_page_shows_the_score() {
    let app = spawn_app().await;
    let demo = voxdial::demo::start(app.ctx(), CallLength::Fixed(Duration::from_millis(300))).await.unwrap();
    let campaign = demo.campaign_id.expect("the demo campaign");
    let password = demo.new_admin_password.clone().unwrap();
    let phone = format!("{}/phone", demo.simulator.base_url);
    let (call, _) = crate::demo::ring(&app, &phone, "+12125550120", "phnum_sim_main").await;
    crate::demo::settled(&app, call).await;

    let browser = Browser::start().await;
    browser.driver.goto(app.url("/login")).await.unwrap();
    browser.fill("input[name=email]", voxdial::demo::ADMIN_EMAIL).await;
    browser.fill("input[name=password]", &password).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Calls today").await;
    browser.driver.goto(app.url(&format!("/campaigns/{campaign}/pipeline"))).await.unwrap();
    browser.wait_for_text("Fields to extract").await;
    // A new criterion typed but not saved is part of the trial.
    browser.fill("input[name=criterion_3_name]", "politeness").await;
    browser.fill("input[name=criterion_3_weight]", "1").await;
    browser.fill("input[name=criterion_3_description]", "The lead stayed polite").await;
    browser.click("#try button").await;
    browser.wait_for_text_within("politeness", Duration::from_secs(10)).await;
    browser.wait_for_text("Answered in").await;
    let result = browser.driver.find(By::Css("#try-result")).await.unwrap();
    result.scroll_into_view().await.unwrap();
    browser.screenshot("pipeline-tab-try").await;

    voxdial::pipeline::step(app.ctx(), voxdial::db::now()).await.unwrap();
    browser.driver.goto(app.url(&format!("/interactions/{call}"))).await.unwrap();
    browser.wait_for_text("AI pipeline").await;
    let score = browser.driver.find(By::Css("#pipeline .score")).await.unwrap().text().await.unwrap();
    assert!(score.parse::<i32>().is_ok_and(|s| (0..=100).contains(&s)), "{score}");
    browser.screenshot("call-pipeline-findings").await;
    browser.quit().await;
    demo.simulator.stop().await;
}
