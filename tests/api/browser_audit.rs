//! Every page of the app in a real browser at laptop width: an axe-core audit against the
//! WCAG 2 A and AA rules finds no serious or critical violation (issue 13 §5), and no page
//! logs an error to the console (issue 14). axe-core is vendored for the tests only, see
//! tests/assets/README.md.

use std::time::{Duration, Instant};

use voxdial::provider::simulator::CallLength;

use crate::browser::Browser;
use crate::helpers::{TestApp, id_from_location, spawn_app};

/// axe-core 4.14.1 (MPL-2.0), unmodified `axe.min.js` from the npm package.
const AXE: &str = include_str!("../assets/axe-core-4.14.1.min.js");

/// Added to every new document before the page's own scripts: keeps what would show as an
/// error in the console (console.error, uncaught errors, failed resources, rejected
/// promises, CSP violations, htmx request and swap errors) in `window.__pageErrors`.
const ERROR_COLLECTOR: &str = r#"
window.__pageErrors = [];
(() => {
  const keep = (text) => window.__pageErrors.push(String(text).slice(0, 300));
  const original = console.error;
  console.error = function (...args) {
    keep('console.error: ' + args.map(a => (a && a.stack) || String(a)).join(' '));
    return original.apply(this, args);
  };
  window.addEventListener('error', (e) => {
    const target = e.target;
    if (target && target !== window && (target.src || target.href)) {
      keep('failed to load ' + (target.src || target.href));
    } else {
      keep('uncaught: ' + e.message + ' at ' + e.filename + ':' + e.lineno);
    }
  }, true);
  window.addEventListener('unhandledrejection', (e) => keep('unhandled rejection: ' + e.reason));
  document.addEventListener('securitypolicyviolation', (e) =>
    keep('CSP blocked ' + e.violatedDirective + ': ' + (e.blockedURI || 'inline') + ' in ' + e.sourceFile + ':' + e.lineNumber));
  for (const name of ['htmx:responseError', 'htmx:sendError', 'htmx:swapError', 'htmx:targetError',
                      'htmx:syntax:error', 'htmx:onLoadError', 'htmx:evalDisallowedError']) {
    document.addEventListener(name, (e) => {
      const xhr = e.detail && e.detail.xhr;
      keep(name + (xhr ? ' ' + xhr.status + ' ' + xhr.responseURL : ''));
    }, true);
  }
})();
"#;

/// Runs axe on the page and answers its violations, each with the failing nodes' selectors.
const RUN_AXE: &str = r#"
const done = arguments[arguments.length - 1];
axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']}, resultTypes: ['violations']})
  .then(r => done(r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.map(n => n.target.join(' ') + (n.any[0] ? ' (' + n.any[0].message + ')' : '')),
  }))))
  .catch(e => done([{id: 'axe-failed', impact: 'critical', help: String(e), nodes: []}]));
"#;

/// Waits until htmx has nothing in flight (panels loaded on `load` have arrived).
async fn settle(browser: &Browser) {
    let busy = "return document.readyState !== 'complete' || document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping') !== null;";
    tokio::time::sleep(Duration::from_millis(150)).await;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(5) {
        if browser.driver.execute(busy, vec![]).await.unwrap().json().as_bool() == Some(false) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // CSS transitions (toasts, reveals) finish before colours are measured.
    tokio::time::sleep(Duration::from_millis(300)).await;
}

/// Audits the page open now; answers the problems found, one line each (empty when clean).
async fn audit(browser: &Browser, page: &str) -> Vec<String> {
    settle(browser).await;
    let mut problems = Vec::new();
    let violations = browser.driver.execute_async(RUN_AXE, vec![]).await.unwrap().json().clone();
    for violation in violations.as_array().expect("axe answers a list") {
        let impact = violation["impact"].as_str().unwrap_or("unknown");
        let nodes: Vec<&str> = violation["nodes"].as_array().unwrap().iter().filter_map(|n| n.as_str()).collect();
        let line =
            format!("{page}: [{impact}] {} — {}\n      {}", violation["id"], violation["help"], nodes.join("\n      "));
        if matches!(impact, "serious" | "critical") {
            problems.push(line);
        } else {
            eprintln!("note (not failing) {line}");
        }
    }
    let errors = browser.driver.execute("return window.__pageErrors;", vec![]).await.unwrap().json().clone();
    let errors = errors.as_array().expect("the error collector is installed on every page");
    problems.extend(errors.iter().map(|e| format!("{page}: console error: {}", e.as_str().unwrap_or_default())));
    if !problems.is_empty() {
        let name = page.trim_matches('/').replace(['/', '?', '=', '&'], "-");
        browser.screenshot(&format!("audit-{}", if name.is_empty() { "dashboard" } else { &name })).await;
    }
    problems
}

async fn visit(browser: &Browser, app: &TestApp, page: &str, text: &str) -> Vec<String> {
    eprintln!("auditing {page}");
    browser.driver.goto(app.url(page)).await.unwrap();
    browser.wait_for_text(text).await;
    audit(browser, page).await
}

/// What follows the first `marker` in `html` that is followed by an id, up to the quote.
fn after<'a>(html: &'a str, marker: &str) -> Option<&'a str> {
    html.match_indices(marker)
        .map(|(at, _)| &html[at + marker.len()..])
        .find(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
        .map(|rest| &rest[..rest.find('"').unwrap()])
}

/// The first link on `page` whose target starts with `prefix` followed by an id.
async fn first_link(app: &TestApp, page: &str, prefix: &str) -> String {
    let html = app.get_html(page).await;
    let rest = after(&html, &format!("href=\"{prefix}")).unwrap_or_else(|| panic!("no link to {prefix}… on {page}"));
    format!("{prefix}{rest}")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_page_passes_an_accessibility_audit_and_logs_no_console_error() {
    let app = spawn_app().await;
    let browser = Browser::start().await;
    browser.driver.set_window_rect(0, 0, 1366, 900).await.unwrap();
    let cdp = browser.driver.cdp();
    cdp.page().add_script_to_evaluate_on_new_document(ERROR_COLLECTOR).await.unwrap();
    cdp.page().add_script_to_evaluate_on_new_document(AXE).await.unwrap();
    let mut problems = Vec::new();

    // Before anyone has an account.
    problems.extend(visit(&browser, &app, "/setup", "Welcome to voxdial").await);

    // The demo workspace: a campaign with its agents, numbers, template, LLM and pipeline,
    // and a settled call whose findings the pipeline has written.
    let demo = voxdial::demo::start(app.ctx(), CallLength::Fixed(Duration::from_millis(300))).await.unwrap();
    let c = demo.campaign_id.expect("the demo campaign");
    let password = demo.new_admin_password.clone().unwrap();
    let phone = format!("{}/phone", demo.simulator.base_url);
    let (call, _) = crate::demo::ring(&app, &phone, "+12125550120", "phnum_sim_main").await;
    let lead = crate::demo::settled(&app, call).await.lead_id;
    voxdial::pipeline::step(app.ctx(), voxdial::db::now()).await.unwrap();
    assert!(app.login(voxdial::demo::ADMIN_EMAIL, &password).await.status().is_redirection());

    // A pending invite, a template with a second version and a draft, a DNC entry and an
    // upload waiting at the mapping step with rows to look at.
    let invited =
        app.post_form("/team", &[("name", "Ben Member"), ("email", "ben@example.com"), ("role", "member")]).await;
    let invited = invited.text().await.unwrap();
    let marker = format!("{}/invite/", app.address);
    let start = invited.find(&marker).expect("an invite link") + app.address.len();
    let invite = invited[start..].split(['"', '<']).next().unwrap().to_owned();
    let template = app.add_template("Follow-up", "Hello {{ lead.first_name }}.\nLine two.", "Hi").await;
    let t = format!("/templates/{template}");
    let draft = |prompt: &'static str| [("name", "Follow-up"), ("system_prompt", prompt), ("first_message", "Hi")];
    assert!(app.post_form(&t, &draft("Hello {{ lead.first_name }}.\nLine 2 is new.")).await.status().is_redirection());
    assert!(app.post_form(&format!("{t}/publish"), &[]).await.status().is_redirection());
    assert!(app.post_form(&t, &draft("Hello {{ lead.first_name }}.\nA third try.")).await.status().is_redirection());
    let added = app.post_form("/dnc", &[("phone", "+12125550199"), ("reason", "Asked on a call")]).await;
    assert!(added.status().is_success() || added.status().is_redirection());
    let csv = "Name,Mobile,Time zone\nAna Lima,+12125550101,\nBo Bad,555,\nCy Zone,+12125550103,Mars/Base\n";
    let upload = app.upload_csv(c, "leads.csv", csv.as_bytes().to_vec()).await;
    let import: voxdial::ids::ImportId = id_from_location(&upload, &format!("/campaigns/{c}/imports/"));
    let connection = first_link(&app, "/settings", "/settings/providers/").await;
    // A connection without a webhook secret, whose pages say so.
    let bare = [("kind", "elevenlabs"), ("name", "Bare"), ("api_base_url", "http://127.0.0.1:9"), ("api_key", "k")];
    let bare = app.post_form("/settings/providers", &[&bare[..], &[("inbound_token", "t")]].concat()).await;
    let bare: voxdial::ids::ConnectionId = id_from_location(&bare, "/settings/providers/");
    let event = first_link(&app, "/settings/webhooks", "/settings/webhooks/").await;
    let dnc_remove = first_link(&app, "/dnc", "/dnc/").await;
    let agents = app.get_html("/agents").await;
    let agent = after(&agents, "id=\"agent-").expect("an agent row");

    // Logged out: the login page, with and without its notice, and the invite.
    problems.extend(visit(&browser, &app, "/login", "Log in to voxdial").await);
    problems.extend(visit(&browser, &app, "/login?logged_out=1", "You have been logged out.").await);
    problems.extend(visit(&browser, &app, &invite, "Welcome to voxdial, Ben Member").await);

    browser.driver.goto(app.url("/login")).await.unwrap();
    browser.fill("input[name=email]", voxdial::demo::ADMIN_EMAIL).await;
    browser.fill("input[name=password]", &password).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("Calls today").await;
    // The collector hears errors (and forgets this probe).
    let probe = "console.error('probe'); return window.__pageErrors.splice(0);";
    let heard = browser.driver.execute(probe, vec![]).await.unwrap().json().clone();
    assert_eq!(heard, serde_json::json!(["console.error: probe"]));
    // The dashboard as the login left it, with its welcome toast.
    problems.extend(audit(&browser, "/ (after logging in)").await);

    let pages = [
        "/".to_owned(),
        "/profile".into(),
        "/campaigns".into(),
        "/campaigns/new".into(),
        format!("/campaigns/{c}"),
        format!("/campaigns/{c}/leads"),
        format!("/campaigns/{c}/leads/new"),
        format!("/campaigns/{c}/ai-agents"),
        format!("/campaigns/{c}/dialer"),
        format!("/campaigns/{c}/dialer/preview"),
        format!("/campaigns/{c}/dialer/profiles"),
        format!("/campaigns/{c}/outcomes"),
        format!("/campaigns/{c}/pipeline"),
        format!("/campaigns/{c}/calls"),
        format!("/campaigns/{c}/analytics"),
        format!("/campaigns/{c}/imports/new"),
        format!("/campaigns/{c}/imports/{import}"),
        "/analytics".into(),
        "/leads".into(),
        format!("/leads/{lead}"),
        "/interactions".into(),
        format!("/interactions/{call}"),
        "/agents".into(),
        format!("/agents/{agent}/edit"),
        format!("/agents/import?connection={}", connection.rsplit('/').next().unwrap()),
        "/phone-numbers".into(),
        format!("/phone-numbers/import?connection={}", connection.rsplit('/').next().unwrap()),
        "/templates".into(),
        "/templates/new".into(),
        t.clone(),
        format!("{t}/versions/2"),
        "/dnc".into(),
        dnc_remove,
        "/team".into(),
        "/settings".into(),
        "/settings/providers/new".into(),
        connection.clone(),
        format!("{connection}/inbound"),
        format!("/settings/providers/{bare}"),
        format!("/settings/providers/{bare}/inbound"),
        "/settings/llm".into(),
        "/settings/webhooks".into(),
        event,
        "/settings/audit".into(),
    ];
    for page in &pages {
        problems.extend(visit(&browser, &app, page, "Log out").await);
    }
    // The audited pages showed what they are about (screenshots of the underlined links
    // and the darker warning colour).
    for (page, text, name) in [
        (format!("/campaigns/{c}/imports/{import}"), "rows need a look", "audit-import-mapping"),
        (format!("/interactions/{call}"), "AI pipeline", "audit-call-findings"),
        (format!("{t}/versions/2"), "Changes from version 1", "audit-template-version"),
        (t.clone(), "The saved draft is not live yet", "audit-template-draft"),
        (format!("/campaigns/{c}/dialer"), "Log out", "audit-dialer-notice"),
        (format!("/settings/providers/{bare}"), "not set", "audit-connection-not-set"),
    ] {
        browser.driver.goto(app.url(&page)).await.unwrap();
        browser.wait_for_text(text).await;
        browser.screenshot(name).await;
    }
    // A new connection without an inbound token: one is generated and shown once.
    browser.driver.goto(app.url("/settings/providers/new")).await.unwrap();
    browser.fill("input[name=name]", "Generated").await;
    browser.fill("input[name=api_base_url]", "http://127.0.0.1:9").await;
    browser.fill("input[name=api_key]", "k").await;
    browser.click("form.stack button[type=submit]").await;
    browser.wait_for_text("Inbound-webhook token").await;
    problems.extend(audit(&browser, "/settings/providers (a generated token)").await);
    // A page that is not there.
    browser.driver.goto(app.url("/campaigns/999999")).await.unwrap();
    problems.extend(audit(&browser, "/campaigns/999999 (not found)").await);

    browser.quit().await;
    demo.simulator.stop().await;
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
