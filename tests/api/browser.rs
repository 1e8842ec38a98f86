//! Real-browser tests: headless Chromium driven over WebDriver (Debian's `chromium` and
//! `chromium-driver`). Screenshots land in target/screenshots for people to look at.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::Timelike as _;
use thirtyfour::prelude::*;
use voxdial::provider::simulator::CallLength;

use crate::helpers::{PASSWORD, screenshot_dir, spawn_app};

/// A chromedriver process and a headless Chromium session with a fresh profile.
pub struct Browser {
    pub driver: WebDriver,
    chromedriver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start() -> Browser {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
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
        caps.add_arg(&format!("--user-data-dir={}", profile.path().display())).unwrap();
        let driver = WebDriver::new(&server, caps).await.expect("a Chromium session");
        Browser { driver, chromedriver, _profile: profile }
    }

    pub async fn screenshot(&self, name: &str) {
        self.driver.screenshot(&screenshot_dir().join(format!("{name}.png"))).await.unwrap();
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self.driver.find(By::Css(css)).await.unwrap_or_else(|_| panic!("field {css}"));
        field.clear().await.unwrap();
        field.send_keys(value).await.unwrap();
    }

    /// Clicks the element once it is there (htmx may still be swapping it in).
    pub async fn click(&self, css: &str) {
        for _ in 0..100 {
            if let Ok(element) = self.driver.find(By::Css(css)).await
                && element.click().await.is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("element {css} never became clickable");
    }

    /// Waits until the page body contains `text`.
    pub async fn wait_for_text(&self, text: &str) {
        self.wait_for_text_within(text, Duration::from_secs(5)).await;
    }

    pub async fn wait_for_text_within(&self, text: &str, limit: Duration) {
        let started = std::time::Instant::now();
        while started.elapsed() < limit {
            if let Ok(body) = self.driver.find(By::Tag("body")).await
                && body.text().await.unwrap_or_default().contains(text)
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let body = self.driver.find(By::Tag("body")).await.unwrap().text().await.unwrap();
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
    browser.wait_for_text("Create the first admin account").await;
    browser.screenshot("setup").await;
    browser.fill("input[name=name]", "Ada Admin").await;
    browser.fill("input[name=email]", "ada@example.com").await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.fill("input[name=password_confirmation]", PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Your admin account is ready").await;
    browser.wait_for_text("Calls today").await;

    browser.click(".usermenu button").await;
    browser.wait_for_text("You have been logged out.").await;
    browser.fill("input[name=email]", "ada@example.com").await;
    browser.fill("input[name=password]", "not the password").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Email or password is incorrect.").await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.screenshot("login").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Calls in progress").await;
    browser.screenshot("dashboard").await;

    browser.click("a[href='/team']").await;
    browser.wait_for_text("Add a team member").await;
    browser.fill("#add-user input[name=name]", "Ben Member").await;
    browser.fill("#add-user input[name=email]", "ben@example.com").await;
    browser.click("#add-user button[type=submit]").await;
    browser.wait_for_text("Invite link for Ben Member").await;
    browser.screenshot("team").await;

    // Disabling asks for confirmation (hx-confirm) and goes through htmx with the CSRF header.
    let ben_row = browser
        .driver
        .find(By::XPath("//tr[starts-with(@id, 'user-')][td[contains(., 'ben@example.com')]]"))
        .await
        .unwrap();
    ben_row.find(By::Css("button.danger")).await.unwrap().click().await.unwrap();
    browser.driver.accept_alert().await.unwrap();
    browser.wait_for_text("Ben Member is disabled and logged out.").await;

    browser.driver.set_window_rect(0, 0, 390, 844).await.unwrap();
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
    thirtyfour::components::SelectElement::new(&select).await.unwrap().select_by_partial_text(text).await.unwrap();
}

/// Text of the resolution table row for `lead` (real or test); empty while htmx is
/// swapping the panel (the element found may go stale before it is read).
async fn resolution_row(browser: &Browser, lead: &str) -> String {
    let Ok(row) = browser.driver.find(By::Css(format!("#resolution tr[data-lead='{lead}']"))).await else {
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
    panic!("the {lead} row never showed “{text}”: {}", resolution_row(browser, lead).await);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ai_agents_tab_picks_agent_template_and_number_and_shows_the_resolution() {
    use crate::fake_provider::FakeProvider;

    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    fake.with_agents(&[("agent_prod", "Production Pat"), ("agent_test", "Tester Tom")]).await;
    let connection = app.add_connection("ElevenLabs", &fake.url()).await;
    app.add_number(connection, "+14155550102", "Campaign line", "pn_campaign").await;
    app.add_agent(connection, "Production Pat", "agent_prod", None).await;
    app.add_agent(connection, "Tester Tom", "agent_test", None).await;
    app.add_template("Opening", "You call {{ lead.first_name }} for {{ campaign.name }}.", "Hi {{ lead.first_name }}!")
        .await;
    let campaign = app.add_campaign("Spring push").await;

    let browser = Browser::start().await;
    log_in(&browser, &app, "admin@example.com").await;
    browser.driver.goto(app.url(&format!("/campaigns/{campaign}/ai-agents"))).await.unwrap();
    browser.wait_for_text("Effective resolution").await;
    assert!(resolution_row(&browser, "real").await.contains("MISSING_AGENT"));

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
    browser.fill("#picker-test_agent_id input[type=search]", "zzz").await;
    for _ in 0..100 {
        let options = browser.driver.find_all(By::Css("#test_agent_id option")).await.unwrap();
        if options.len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let options = browser.driver.find_all(By::Css("#test_agent_id option")).await.unwrap();
    assert_eq!(options.len(), 2, "only “none” and the current choice remain");

    browser.click("#ai-agents-form button[type=submit]").await;
    browser.wait_for_text("AI agents saved.").await;
    wait_for_row(&browser, "real", "Production Pat").await;
    browser.screenshot("ai-agents-saved").await;

    for (path, name, text) in [
        ("/settings", "settings", "Post-call webhook URL"),
        ("/agents", "agents", "Tester Tom"),
        ("/phone-numbers", "phone-numbers", "+14155550102"),
        ("/templates/1", "template-editor", "System prompt"),
        (&format!("/campaigns/{campaign}") as &str, "campaign-overview", "Production Pat"),
    ] {
        browser.driver.goto(app.url(path)).await.unwrap();
        browser.wait_for_text(text).await;
        browser.screenshot(name).await;
    }
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_csv_import_runs_with_a_live_progress_bar_and_the_rows_appear() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring push").await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leads.csv");
    std::fs::write(
        &file,
        "First Name;Last Name;Phone;Company;Plan\nAna;Lima;(212) 555-0123;Lima Logistics;gold\nBruno;Costa;+14155550100;Costa & Filhos;silver\nBad;Row;12;;\n",
    )
    .unwrap();

    let browser = Browser::start().await;
    log_in(&browser, &app, "admin@example.com").await;
    browser.driver.goto(app.url(&format!("/campaigns/{campaign}/leads"))).await.unwrap();
    browser.wait_for_text("No leads yet.").await;
    browser.click("a[href$='/imports/new']").await;
    browser.driver.find(By::Css("input[type=file]")).await.unwrap().send_keys(file.to_str().unwrap()).await.unwrap();
    browser.click("button[type=submit].primary").await;
    browser.wait_for_text("Match the columns").await;
    browser.wait_for_text("semicolon-separated").await;
    browser.screenshot("import-mapping").await;
    browser.click("button[type=submit].primary").await;
    browser.wait_for_text("Import started").await;
    app.run_imports().await;
    browser.wait_for_text("Import finished").await;
    browser.wait_for_text("Download the error report").await;
    browser.screenshot("import-finished").await;
    browser.click("#import-progress a.primary").await;
    browser.wait_for_text("Costa & Filhos").await;
    browser.wait_for_text("+12125550123").await;
    browser.screenshot("leads-list").await;

    // Search narrows the table in place (htmx) and keeps a shareable address.
    browser.fill("input[name=q]", "bru").await;
    for _ in 0..100 {
        let rows = browser.driver.find_all(By::Css("#lead-table tbody tr")).await.unwrap();
        if rows.len() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(browser.driver.find_all(By::Css("#lead-table tbody tr")).await.unwrap().len(), 1);
    assert!(browser.driver.current_url().await.unwrap().as_str().contains("q=bru"));
    browser.click("#lead-table tbody a").await;
    browser.wait_for_text("No calls yet.").await;
    browser.screenshot("lead-detail").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn in_the_demo_workspace_call_now_brings_back_a_transcript_and_a_new_status() {
    let app = spawn_app().await;
    let demo = voxdial::demo::start(app.ctx(), CallLength::Fixed(Duration::from_millis(800))).await.unwrap();
    let campaign = demo.campaign_id.expect("the demo campaign");
    let password = demo.new_admin_password.clone().expect("a fresh demo prints its password");
    // A lead whose simulated call is answered (others are busy or do not pick up).
    let lead = app.with_conn(|c| {
        let page = voxdial::db::lead_lists::page(
            c,
            &voxdial::db::lead_lists::LeadFilter {
                campaign_id: Some(campaign),
                is_test: Some(false),
                ..Default::default()
            },
            voxdial::db::lead_lists::LeadSort::Oldest,
            &voxdial::db::lead_lists::PageAt::First,
            50,
        )
        .unwrap();
        // …and who is well inside their calling hours now (the demo's leads live around the world).
        let mut daytime = |lead: &voxdial::db::lead_lists::LeadRow| {
            let stored = voxdial::db::leads::find(c, lead.id).unwrap().timezone;
            let zone = stored.or_else(|| lead.phone.zone()).expect("demo leads have a zone");
            (10..19).contains(&chrono::Utc::now().with_timezone(&zone).hour())
        };
        page.rows
            .into_iter()
            .find(|l| voxdial::provider::simulator::answers(l.phone.as_str(), 1) && daytime(l))
            .expect("a demo lead to call at this hour")
    });

    let browser = Browser::start().await;
    browser.driver.goto(app.url("/login")).await.unwrap();
    browser.fill("input[name=email]", voxdial::demo::ADMIN_EMAIL).await;
    browser.fill("input[name=password]", &password).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Demo: Spring outreach").await;
    browser.click("a[href='/campaigns']").await;
    browser.click(&format!("a[href='/campaigns/{campaign}']")).await;
    browser.click(&format!("a[href='/campaigns/{campaign}/leads']")).await;
    browser.wait_for_text("54 leads in this campaign.").await;
    browser.screenshot("demo-leads").await;
    browser.fill("input[name=q]", lead.phone.as_str()).await;
    browser.wait_for_text(&format!("{} {}", lead.first_name, lead.last_name)).await;
    browser.click(&format!("#lead-table a[href='/leads/{}']", lead.id)).await;
    browser.click("#call-now button").await;
    browser.wait_for_text("Calling now.").await;
    browser.screenshot("demo-call-live").await;
    // The live panel polls; when the signed webhook has landed the page reloads with the transcript.
    browser.wait_for_text_within(&format!("Hi {}", lead.first_name), Duration::from_secs(15)).await;
    browser.wait_for_text("Completed").await;
    browser.screenshot("demo-call-transcript").await;
    browser.click(&format!("a[href='/leads/{}']", lead.id)).await;
    browser.wait_for_text("Attempts").await;
    let status = browser.driver.find(By::Css("h1 .badge")).await.unwrap().text().await.unwrap();
    assert_ne!(status, "New", "the outcome moved the lead's status");
    browser.quit().await;
    demo.simulator.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_dialer_tab_saves_rules_starts_the_dialer_and_fits_a_phone() {
    let (app, _provider) = crate::call_setup::app_with_scripted_provider().await;
    let s = crate::call_setup::call_setup(&app).await;
    for (name, phone, zone) in [
        ("Bruno", "+13055550100", "America/New_York"),
        ("Carla", "+14155550100", "America/Los_Angeles"),
        ("Dee", "+18005550100", ""),
    ] {
        crate::call_setup::add_lead(&app, s.campaign, &[("first_name", name), ("phone", phone), ("timezone", zone)])
            .await;
    }

    let browser = Browser::start().await;
    log_in(&browser, &app, "admin@example.com").await;
    browser.driver.goto(app.url(&format!("/campaigns/{}/dialer", s.campaign))).await.unwrap();
    browser.wait_for_text("Not saved yet").await;
    browser.fill("#windows", "daily 08:00-21:00").await;
    browser.fill("input[name=concurrent]", "10").await;
    browser.click("#rules button[type=submit]").await;
    browser.wait_for_text("Dialer rules saved").await;
    browser.click("#dialer-start").await;
    browser.wait_for_text("Dialer started.").await;
    let state = browser.driver.find(By::Css("#dialer-state")).await.unwrap().text().await.unwrap();
    assert_eq!(state, "Running");
    // A dialer step; the polled panel then shows what it did.
    voxdial::dialer::step(app.ctx(), chrono::Utc::now()).await.unwrap();
    browser.wait_for_text_within("Timezone unknown", Duration::from_secs(12)).await;
    browser.wait_for_text("Florida").await;
    browser.driver.set_window_rect(0, 0, 1280, 2600).await.unwrap();
    browser.screenshot("dialer-tab").await;
    // The preview of the next 24 hours comes into the tab (htmx) without calling anyone.
    browser.click(&format!("a[href='/campaigns/{}/dialer/preview']", s.campaign)).await;
    browser.wait_for_text_within("nobody was called", Duration::from_secs(20)).await;
    browser.screenshot("dialer-preview").await;
    // The breaker pauses the campaign: the polled panel says why and offers Resume.
    let reason = "circuit breaker: 20 of the last 20 calls failed; check the provider, then resume";
    app.with_conn(|c| voxdial::db::dialer::pause(c, s.campaign, reason, voxdial::db::now()).unwrap());
    browser.wait_for_text_within("Resume", Duration::from_secs(12)).await;
    browser.screenshot("dialer-tab-paused").await;

    browser.driver.set_window_rect(0, 0, 390, 3600).await.unwrap();
    browser.driver.refresh().await.unwrap();
    browser.wait_for_text("Florida").await;
    let sideways = browser
        .driver
        .execute("return document.documentElement.scrollWidth - document.documentElement.clientWidth;", vec![])
        .await
        .unwrap();
    assert_eq!(sideways.json().as_i64(), Some(0), "nothing scrolls the page sideways");
    browser.screenshot("dialer-tab-phone").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn at_laptop_and_phone_width_no_page_scrolls_sideways_and_the_menu_opens() {
    let app = spawn_app().await;
    let s = crate::call_setup::call_setup(&app).await;
    let (call, _) = crate::call_setup::call_now(&app, s.lead).await;
    let call = call.expect("a call");
    let body = crate::call_setup::transcription("conv_phone", Some(call), Some("interested"), 6);
    crate::call_setup::post_webhook(&app, s.connection, &body).await;
    // The Team page with a pending invite.
    let invited =
        app.post_form("/team", &[("name", "Ben Member"), ("email", "ben@example.com"), ("role", "member")]).await;
    assert_eq!(invited.status(), reqwest::StatusCode::OK);
    let (c, conn, lead, template) = (s.campaign, s.connection, s.lead, s.template);
    let pages = [
        "/".to_owned(),
        "/campaigns".into(),
        format!("/campaigns/{c}"),
        format!("/campaigns/{c}/leads"),
        format!("/campaigns/{c}/ai-agents"),
        format!("/campaigns/{c}/dialer"),
        format!("/campaigns/{c}/outcomes"),
        format!("/campaigns/{c}/pipeline"),
        format!("/campaigns/{c}/calls"),
        format!("/campaigns/{c}/analytics"),
        format!("/campaigns/{c}/imports/new"),
        "/analytics".into(),
        "/leads".into(),
        format!("/leads/{lead}"),
        "/interactions".into(),
        format!("/interactions/{call}"),
        "/agents".into(),
        "/phone-numbers".into(),
        "/templates".into(),
        format!("/templates/{template}"),
        "/dnc".into(),
        "/team".into(),
        "/settings".into(),
        format!("/settings/providers/{conn}"),
        format!("/settings/providers/{conn}/inbound"),
        "/settings/llm".into(),
        "/settings/webhooks".into(),
        "/settings/audit".into(),
        "/profile".into(),
    ];

    let browser = Browser::start().await;
    log_in(&browser, &app, "admin@example.com").await;
    let sideways = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;";
    // A laptop and a phone.
    for (width, height) in [(1366, 900), (390, 844)] {
        browser.driver.set_window_rect(0, 0, width, height).await.unwrap();
        for page in &pages {
            browser.driver.goto(app.url(page)).await.unwrap();
            browser.wait_for_text("Log out").await;
            let overflow = browser.driver.execute(sideways, vec![]).await.unwrap().json().as_i64();
            if overflow != Some(0) {
                let widest = "return [...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
                .filter(e => { for (let a = e.parentElement; a && a !== document.body; a = a.parentElement)
                    { if (a.classList.contains('table-wrap')) return false; } return true; })
                .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ' ' + e.textContent.trim().slice(0, 40) + ' < ' + e.parentElement.tagName + '.' + e.parentElement.className);";
                let culprits = browser.driver.execute(widest, vec![]).await.unwrap().json().clone();
                browser.screenshot("phone-overflow").await;
                panic!("{page} scrolls sideways at {width} px by {overflow:?}: {culprits}");
            }
        }
    }

    // The navigation hides behind the menu button and opens from it.
    browser.driver.goto(app.url("/")).await.unwrap();
    let nav = browser.driver.find(By::Css("nav.mainnav")).await.unwrap();
    assert!(!nav.is_displayed().await.unwrap(), "collapsed at first");
    browser.click("label.nav-toggle-label").await;
    assert!(nav.is_displayed().await.unwrap(), "open after the button");
    browser.screenshot("menu-phone").await;
    browser.click("nav.mainnav a[href='/leads']").await;
    browser.wait_for_text("Leads").await;
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_invites_a_member_who_sets_their_password_and_sees_the_ai_setup_read_only() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    app.add_template("Opening", "Hi {{ lead.first_name }}", "").await;
    let browser = Browser::start().await;
    browser.driver.set_window_rect(0, 0, 1366, 900).await.unwrap();
    log_in(&browser, &app, "admin@example.com").await;

    browser.driver.goto(app.url("/team")).await.unwrap();
    browser.fill("#add-user input[name=name]", "Ben Member").await;
    browser.fill("#add-user input[name=email]", "ben@example.com").await;
    browser.click("#add-user button[type=submit]").await;
    browser.wait_for_text("Invite link for Ben Member").await;
    let link = browser.driver.find(By::Css("#invite-link code")).await.unwrap().text().await.unwrap();
    assert!(link.starts_with(&app.address) && link.contains("/invite/"), "{link}");
    browser.screenshot("team-invite-link-1366").await;
    browser.driver.set_window_rect(0, 0, 1366, 1300).await.unwrap();
    browser.driver.goto(app.url("/team")).await.unwrap();
    browser.wait_for_text("Pending invites").await;
    assert!(!browser.driver.source().await.unwrap().contains(&link), "the link is shown once");
    browser.screenshot("team-pending-invite-1366").await;
    browser.driver.set_window_rect(0, 0, 1366, 900).await.unwrap();

    browser.click(".usermenu button").await;
    browser.wait_for_text("You have been logged out.").await;
    browser.driver.goto(&link).await.unwrap();
    browser.wait_for_text("Welcome to voxdial, Ben Member").await;
    browser.screenshot("invite-accept").await;
    browser.fill("input[name=password]", "Ben's own passphrase").await;
    browser.fill("input[name=password_confirmation]", "Ben's own passphrase").await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Your password is set.").await;
    browser.wait_for_text("Calls today").await;

    browser.driver.goto(app.url("/templates")).await.unwrap();
    browser.wait_for_text("Read-only for you").await;
    browser.screenshot("prompts-member-read-only").await;
    browser.driver.goto(&link).await.unwrap();
    browser.wait_for_text("This invite link was used already").await;
    browser.quit().await;
}

/// How many `htmx:syntax:error` events the page fired (counted from before htmx loads).
async fn htmx_syntax_errors(browser: &Browser) -> i64 {
    let count = browser.driver.execute("return window.__htmxSyntaxErrors;", vec![]).await.unwrap();
    count.json().as_i64().expect("the counter is installed")
}

/// Whether leaving the page now would ask first.
async fn leaving_asks(browser: &Browser) -> bool {
    let script =
        "const e = new Event('beforeunload', {cancelable: true}); window.dispatchEvent(e); return e.defaultPrevented;";
    browser.driver.execute(script, vec![]).await.unwrap().json().as_bool().unwrap()
}

/// The line numbers beside the system prompt.
async fn system_prompt_lines(browser: &Browser) -> Vec<String> {
    let mut numbers = Vec::new();
    for span in
        browser.driver.find_all(By::Css(".code-editor:has(textarea[name=system_prompt]) .gutter span")).await.unwrap()
    {
        numbers.push(span.text().await.unwrap_or_default());
    }
    numbers
}

#[tokio::test(flavor = "multi_thread")]
async fn the_template_editor_numbers_lines_asks_before_losing_changes_and_publishes_the_draft() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let template = app.add_template("Opening", "Hello {{ lead.first_name }}.\nLine two.\nLine three.", "Hi").await;
    let browser = Browser::start().await;
    let counter = "window.__htmxSyntaxErrors = 0; \
        document.addEventListener('htmx:syntax:error', () => { window.__htmxSyntaxErrors += 1; }, true);";
    browser.driver.cdp().page().add_script_to_evaluate_on_new_document(counter).await.unwrap();
    log_in(&browser, &app, "admin@example.com").await;
    browser.driver.goto(app.url(&format!("/templates/{template}"))).await.unwrap();
    browser.wait_for_text("Calls use version 1").await;
    for _ in 0..100 {
        if system_prompt_lines(&browser).await.len() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(system_prompt_lines(&browser).await, ["1", "2", "3"]);
    assert!(!leaving_asks(&browser).await, "nothing typed yet");

    // A fourth line with a variable that does not exist: numbered, and the preview says where.
    let prompt = browser.driver.find(By::Css("textarea[name=system_prompt]")).await.unwrap();
    prompt.send_keys(Key::Control + Key::End).await.unwrap();
    prompt.send_keys("\nYour plan: {{ lead.plan }}").await.unwrap();
    browser.wait_for_text("System prompt, line 4, column 15").await;
    browser.wait_for_text("undefined variable `lead.plan`").await;
    assert_eq!(system_prompt_lines(&browser).await, ["1", "2", "3", "4"]);
    browser.wait_for_text("Line 4, column 27").await;
    assert!(leaving_asks(&browser).await, "typed changes are not saved");
    browser.screenshot("template-editor-error").await;

    browser.fill("textarea[name=system_prompt]", "Hello {{ lead.first_name }}.\nLine 2 is new.\nLine three.").await;
    browser.click("#template-form button[type=submit]").await;
    browser.wait_for_text("Draft saved.").await;
    assert!(!leaving_asks(&browser).await, "saving clears the warning");
    browser.wait_for_text("The saved draft is not live yet").await;
    browser.click("details summary").await;
    browser.wait_for_text("Line 2 is new.").await;
    let removed = browser.driver.find_all(By::Css(".draft-notice tr.diff-removed")).await.unwrap();
    assert_eq!(removed.len(), 1, "only the changed line, whatever line breaks the browser sent");
    browser.screenshot("template-editor-draft").await;
    browser.click(".draft-notice button[type=submit]").await;
    browser.wait_for_text("Version 2 published: calls use it from now on.").await;

    browser.driver.goto(app.url(&format!("/templates/{template}/versions/2"))).await.unwrap();
    browser.wait_for_text("Changes from version 1").await;
    browser.screenshot("template-version-diff").await;
    assert_eq!(htmx_syntax_errors(&browser).await, 0);
    browser.driver.goto(app.url(&format!("/templates/{template}"))).await.unwrap();
    browser.wait_for_text("Calls use version 2").await;
    assert_eq!(htmx_syntax_errors(&browser).await, 0, "the editor's hx-trigger parses");
    browser.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agents_spoken_name_is_edited_in_its_row_and_shown_in_the_list() {
    use crate::fake_provider::FakeProvider;

    let app = spawn_app().await;
    app.login_as_admin().await;
    let fake = FakeProvider::start().await;
    let connection = app.add_connection("ElevenLabs", &fake.url()).await;
    let agent = app.add_agent(connection, "Ava — sales", "agent_ava", None).await;

    let browser = Browser::start().await;
    log_in(&browser, &app, "admin@example.com").await;
    browser.driver.goto(app.url("/agents")).await.unwrap();
    browser.click(&format!("#agent-{agent} a.button")).await;
    // The edit row comes in by htmx.
    browser.click(&format!("#agent-{agent} input[name=spoken_name]")).await;
    browser.fill(&format!("#agent-{agent} input[name=spoken_name]"), "Ava").await;
    browser.screenshot("agents-edit-spoken-name").await;
    browser.click(&format!("#agent-{agent} button[type=submit]")).await;
    browser.wait_for_text("speaks as Ava").await;
    browser.screenshot("agents-spoken-name").await;
    browser.quit().await;
}
