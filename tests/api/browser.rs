//! Real-browser tests: headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`). Screenshots land in target/screenshots for people to look at.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use thirtyfour::prelude::*;

use crate::helpers::{PASSWORD, screenshot_dir, spawn_app};

/// A chromedriver process and a headless Chromium session with a fresh profile.
pub struct Browser {
    pub driver: WebDriver,
    chromedriver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let chromedriver = Command::new("/usr/bin/chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver is installed (apt-get install chromium chromium-driver)");
        let server = format!("http://127.0.0.1:{port}");
        let status = reqwest::Client::new();
        for _ in 0..100 {
            if status.get(format!("{server}/status")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary("/usr/bin/chromium").unwrap();
        for arg in [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
            "--window-size=1280,900",
        ] {
            caps.add_arg(arg).unwrap();
        }
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display()))
            .unwrap();
        let driver = WebDriver::new(&server, caps)
            .await
            .expect("a Chromium session");
        Browser {
            driver,
            chromedriver,
            _profile: profile,
        }
    }

    pub async fn screenshot(&self, name: &str) {
        self.driver
            .screenshot(&screenshot_dir().join(format!("{name}.png")))
            .await
            .unwrap();
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self
            .driver
            .find(By::Css(css))
            .await
            .unwrap_or_else(|_| panic!("field {css}"));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    pub async fn click(&self, css: &str) {
        self.driver
            .find(By::Css(css))
            .await
            .unwrap_or_else(|_| panic!("element {css}"))
            .click()
            .await
            .unwrap();
    }

    /// Waits until the page body contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        for _ in 0..100 {
            if let Ok(body) = self.driver.find(By::Tag("body")).await
                && body.text().await.unwrap_or_default().contains(text)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let body = self
            .driver
            .find(By::Tag("body"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        panic!("“{text}” never appeared; the page says:\n{body}");
    }

    pub async fn quit(mut self) {
        let _ = self.driver.clone().quit().await;
        let _ = self.chromedriver.kill();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn first_admin_sets_up_logs_out_logs_in_and_manages_the_team() {
    let app = spawn_app().await;
    let browser = Browser::start().await;

    browser.driver.goto(app.url("/")).await.unwrap();
    browser
        .wait_for_text("Create the first admin account")
        .await;
    browser.screenshot("setup").await;
    browser.fill("input[name=name]", "Ada Admin").await;
    browser.fill("input[name=email]", "ada@example.com").await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser
        .fill("input[name=password_confirmation]", PASSWORD)
        .await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Your admin account is ready").await;
    browser.wait_for_text("Calls today").await;

    browser.click(".usermenu button").await;
    browser.wait_for_text("You have been logged out.").await;
    browser.fill("input[name=email]", "ada@example.com").await;
    browser
        .fill("input[name=password]", "not the password")
        .await;
    browser.click("button[type=submit]").await;
    browser
        .wait_for_text("Email or password is incorrect.")
        .await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.screenshot("login").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Calls in progress").await;
    browser.screenshot("dashboard").await;

    browser.click("a[href='/team']").await;
    browser.wait_for_text("Add a team member").await;
    browser
        .fill("#add-user input[name=name]", "Ben Member")
        .await;
    browser
        .fill("#add-user input[name=email]", "ben@example.com")
        .await;
    browser
        .fill("#add-user input[name=password]", PASSWORD)
        .await;
    browser
        .fill("#add-user input[name=password_confirmation]", PASSWORD)
        .await;
    browser.click("#add-user button[type=submit]").await;
    browser
        .wait_for_text("Ben Member can now log in as ben@example.com.")
        .await;
    browser.screenshot("team").await;

    // Disabling asks for confirmation (hx-confirm) and goes through htmx with the CSRF header.
    let ben_row = browser
        .driver
        .find(By::XPath("//tr[td[contains(., 'ben@example.com')]]"))
        .await
        .unwrap();
    ben_row
        .find(By::Css("button.danger"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.driver.accept_alert().await.unwrap();
    browser
        .wait_for_text("Ben Member is disabled and logged out.")
        .await;

    browser
        .driver
        .set_window_rect(0, 0, 390, 844)
        .await
        .unwrap();
    browser.driver.goto(app.url("/")).await.unwrap();
    browser.wait_for_text("Calls today").await;
    browser.screenshot("dashboard-phone").await;
    browser.quit().await;
}

/// Logs the browser in as a user created directly in the database.
async fn log_in(browser: &Browser, app: &crate::helpers::TestApp, email: &str) {
    browser.driver.goto(app.url("/login")).await.unwrap();
    browser.fill("input[name=email]", email).await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Calls today").await;
}

/// Chooses an option of a select by its visible text, as a person would.
async fn choose(browser: &Browser, select_css: &str, text: &str) {
    let select = browser.driver.find(By::Css(select_css)).await.unwrap();
    thirtyfour::components::SelectElement::new(&select)
        .await
        .unwrap()
        .select_by_partial_text(text)
        .await
        .unwrap();
}

/// Text of the resolution table row for `lead` (real or test); empty while htmx is
/// swapping the panel (the element found may go stale before it is read).
async fn resolution_row(browser: &Browser, lead: &str) -> String {
    let Ok(row) = browser
        .driver
        .find(By::Css(format!("#resolution tr[data-lead='{lead}']")))
        .await
    else {
        return String::new();
    };
    row.text().await.unwrap_or_default()
}

async fn wait_for_row(browser: &Browser, lead: &str, text: &str) {
    for _ in 0..100 {
        if resolution_row(browser, lead).await.contains(text) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the {lead} row never showed “{text}”: {}",
        resolution_row(browser, lead).await
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ai_agents_tab_picks_agent_template_and_number_and_shows_the_resolution() {
    use crate::fake_provider::FakeProvider;

    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    fake.with_agents(&[
        ("agent_prod", "Production Pat"),
        ("agent_test", "Tester Tom"),
    ])
    .await;
    let connection = app.add_connection("ElevenLabs", &fake.url()).await;
    app.add_number(connection, "+14155550102", "Campaign line", "pn_campaign")
        .await;
    app.add_agent(connection, "Production Pat", "agent_prod", None)
        .await;
    app.add_agent(connection, "Tester Tom", "agent_test", None)
        .await;
    app.add_template(
        "Opening",
        "You call {{ lead.first_name }} for {{ campaign.name }}.",
        "Hi {{ lead.first_name }}!",
    )
    .await;
    let campaign = app.add_campaign("Spring push").await;

    let browser = Browser::start().await;
    log_in(&browser, &app, "admin@example.com").await;
    browser
        .driver
        .goto(app.url(&format!("/campaigns/{campaign}/ai-agents")))
        .await
        .unwrap();
    browser.wait_for_text("Effective resolution").await;
    assert!(
        resolution_row(&browser, "real")
            .await
            .contains("MISSING_AGENT")
    );

    choose(&browser, "#production_agent_id", "Production Pat").await;
    wait_for_row(&browser, "real", "MISSING_PHONE_NUMBER").await;
    choose(&browser, "#phone_number_id", "Campaign line").await;
    wait_for_row(&browser, "real", "Production Pat").await;
    wait_for_row(&browser, "real", "+14155550102").await;
    wait_for_row(&browser, "test", "no test agent configured").await;
    choose(&browser, "#test_agent_id", "Tester Tom").await;
    wait_for_row(&browser, "test", "Tester Tom").await;
    choose(&browser, "#prompt_template_id", "Opening").await;
    browser.wait_for_text("not saved yet").await;
    browser.screenshot("ai-agents-unsaved").await;

    // The picker's filter is an htmx partial too.
    browser
        .fill("#picker-test_agent_id input[type=search]", "zzz")
        .await;
    for _ in 0..100 {
        let options = browser
            .driver
            .find_all(By::Css("#test_agent_id option"))
            .await
            .unwrap();
        if options.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let options = browser
        .driver
        .find_all(By::Css("#test_agent_id option"))
        .await
        .unwrap();
    assert_eq!(
        options.len(),
        2,
        "only “none” and the current choice remain"
    );

    browser.click("#ai-agents-form button[type=submit]").await;
    browser.wait_for_text("AI agents saved.").await;
    wait_for_row(&browser, "real", "Production Pat").await;
    browser.screenshot("ai-agents-saved").await;

    for (path, name, text) in [
        ("/settings", "settings", "Post-call webhook URL"),
        ("/agents", "agents", "Tester Tom"),
        ("/phone-numbers", "phone-numbers", "+14155550102"),
        ("/templates/1", "template-editor", "System prompt"),
        (
            &format!("/campaigns/{campaign}") as &str,
            "campaign-overview",
            "Production Pat",
        ),
    ] {
        browser.driver.goto(app.url(path)).await.unwrap();
        browser.wait_for_text(text).await;
        browser.screenshot(name).await;
    }
    browser.quit().await;
}
