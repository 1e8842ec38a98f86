//! Real-browser checks of the import mapping step's row check and of the outcome rules
//! page at laptop and phone width (see browser.rs for the harness).

use std::time::Duration;

use thirtyfour::prelude::*;

use crate::browser::Browser;
use crate::helpers::{PASSWORD, TestApp, id_from_location, spawn_app};

async fn log_in(browser: &Browser, app: &TestApp) {
    browser.driver.goto(app.url("/login")).await.unwrap();
    browser.fill("input[name=email]", "admin@example.com").await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Calls today").await;
}

/// The text of the previewed row `row` (empty while htmx swaps the panel).
async fn preview_row(browser: &Browser, row: usize) -> String {
    let css = format!("#import-preview tbody tr:nth-child({})", row - 1);
    match browser.driver.find(By::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_import_mapping_step_shows_row_problems_and_checks_again_as_columns_change() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring push").await;
    app.post_form(&format!("/campaigns/{campaign}/leads"), &[("first_name", "Ana"), ("phone", "+12125550101")]).await;
    let csv = "Name,Mobile,Time zone,Plan\nAna Lima,+12125550101,,gold\nBo Bad,555,,silver\n\
               Cy Zone,+12125550103,Mars/Base,gold\nDi New,+12125550104,Europe/Berlin,\nDi Again,(212) 555-0104,,\n";
    let response = app.upload_csv(campaign, "leads.csv", csv.as_bytes().to_vec()).await;
    let import: voxdial::ids::ImportId = id_from_location(&response, &format!("/campaigns/{campaign}/imports/"));

    let browser = Browser::start().await;
    log_in(&browser, &app).await;
    browser.driver.set_window_rect(0, 0, 1366, 900).await.unwrap();
    browser.driver.goto(app.url(&format!("/campaigns/{campaign}/imports/{import}"))).await.unwrap();
    browser.wait_for_text("4 of the first 5 rows need a look").await;
    assert!(preview_row(&browser, 3).await.contains("“555” is not"), "{}", preview_row(&browser, 3).await);
    let zone = browser.driver.find(By::Css("#import-preview")).await.unwrap();
    zone.scroll_into_view().await.unwrap();
    browser.screenshot("import-mapping-problems").await;

    // Ignoring the zone column checks the rows again in place.
    let select = browser.driver.find(By::Css("select[name=column_2]")).await.unwrap();
    thirtyfour::components::SelectElement::new(&select).await.unwrap().select_by_value("ignore").await.unwrap();
    browser.wait_for_text("3 of the first 5 rows need a look").await;
    assert!(preview_row(&browser, 4).await.contains("new lead"));
    browser.driver.set_window_rect(0, 0, 390, 844).await.unwrap();
    browser.driver.find(By::Css("#import-preview")).await.unwrap().scroll_into_view().await.unwrap();
    browser.screenshot("import-mapping-problems-phone").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_outcome_rules_button_sits_below_the_table_at_laptop_and_phone_width() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring push").await;
    let browser = Browser::start().await;
    log_in(&browser, &app).await;
    let below = "const table = document.querySelector('form .table-wrap').getBoundingClientRect();
                 const button = [...document.querySelectorAll('form button')].find(b => b.textContent.includes('Save outcome rules'));
                 const at = button.getBoundingClientRect();
                 return at.top >= table.bottom && at.left >= table.left && at.right <= table.right + 1;";
    for (width, name) in [(1366, "outcomes-laptop"), (390, "outcomes-phone")] {
        browser.driver.set_window_rect(0, 0, width, 844).await.unwrap();
        browser.driver.goto(app.url(&format!("/campaigns/{campaign}/outcomes"))).await.unwrap();
        browser.wait_for_text("Save outcome rules").await;
        let button = browser.driver.find(By::XPath("//button[contains(., 'Save outcome rules')]")).await.unwrap();
        button.scroll_into_view().await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        browser.screenshot(name).await;
        let clear = browser.driver.execute(below, vec![]).await.unwrap().json().as_bool();
        assert_eq!(clear, Some(true), "at {width} px the button overlaps the table");
    }
    browser.quit().await;
}
