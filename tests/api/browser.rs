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
