//! CSV imports: preview and mapping, background import with progress, per-row error report,
//! duplicates, malformed files, resuming after a crash, and the command line.

use std::io::Write as _;
use std::ops::ControlFlow;
use std::process::{Command, Stdio};

use reqwest::StatusCode;
use voxdial::db;
use voxdial::domain::phone::E164;
use voxdial::ids::{CampaignId, ImportId};
use voxdial::imports::ImportStatus;
use voxdial::services::{Ctx, InstanceId};

use crate::helpers::{TestApp, assert_is_redirect_to, id_from_location, spawn_app, spawn_app_with};

async fn campaign(app: &TestApp) -> CampaignId {
    app.login_as_admin().await;
    app.add_campaign("Spring").await
}

/// Uploads, then starts with the guessed mapping (overridden where given).
pub async fn import(app: &TestApp, campaign: CampaignId, csv: &str, mode: &str) -> ImportId {
    let response = app.upload_csv(campaign, "leads.csv", csv.as_bytes().to_vec()).await;
    let import: ImportId = id_from_location(&response, &format!("/campaigns/{campaign}/imports/"));
    let page = app.get_html(&format!("/campaigns/{campaign}/imports/{import}")).await;
    let mut fields = selected_mapping(&page);
    fields.push(("duplicate_mode".into(), mode.into()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let started = app.post_form(&format!("/campaigns/{campaign}/imports/{import}/start"), &fields).await;
    assert_is_redirect_to(&started, &format!("/campaigns/{campaign}/imports/{import}"));
    assert_eq!(app.run_imports().await, Some(import));
    import
}

fn phone(number: &str) -> E164 {
    E164::parse(number, None).unwrap()
}

/// The mapping the page proposes: (`column_N`, target) for each select.
fn selected_mapping(html: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("name=\"column_") {
        let name_start = at + 6;
        let name_end = name_start + rest[name_start..].find('"').unwrap();
        let name = rest[name_start..name_end].to_owned();
        let select_end = name_end + rest[name_end..].find("</select>").unwrap();
        let select = &rest[name_end..select_end];
        let selected = select.find("\" selected>").map(|i| {
            let start = select[..i].rfind("value=\"").unwrap() + 7;
            select[start..i].to_owned()
        });
        fields.push((name, selected.expect("an option is selected")));
        rest = &rest[select_end..];
    }
    fields
}

#[tokio::test(flavor = "multi_thread")]
async fn a_csv_with_bom_semicolons_and_quotes_is_previewed_mapped_and_imported() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    let csv = "\u{feff}Vorname;Nachname;Telefon;E-Mail;Firma;Plan;Notes\n\
               Ana;Lima;(212) 555-0123;ANA@example.com;\"Lima; Logistics\";gold;\"line one\nline two\"\n\
               Bo;Chen;+14155550100;;;silver;\n";
    let response = app.upload_csv(campaign, "leads.csv", csv.as_bytes().to_vec()).await;
    let import: ImportId = id_from_location(&response, &format!("/campaigns/{campaign}/imports/"));

    let page = app.get_html(&format!("/campaigns/{campaign}/imports/{import}")).await;
    assert!(page.contains("2 rows") && page.contains("semicolon-separated"));
    assert!(page.contains("Lima; Logistics"), "sample values are shown");
    let mapping = selected_mapping(&page);
    let targets: Vec<&str> = mapping.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(targets, ["first_name", "last_name", "phone", "email", "company", "custom", "custom"]);

    let mut fields: Vec<(String, String)> = mapping;
    fields[6].1 = "ignore".into();
    fields.push(("duplicate_mode".into(), "skip".into()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    app.post_form(&format!("/campaigns/{campaign}/imports/{import}/start"), &fields).await;
    let waiting = app.get_html(&format!("/campaigns/{campaign}/imports/{import}/progress")).await;
    assert!(waiting.contains("hx-trigger=\"every 1s\""), "polls while not finished");
    app.run_imports().await;

    let progress = app.get_html(&format!("/campaigns/{campaign}/imports/{import}/progress")).await;
    assert!(progress.contains("Import finished") && !progress.contains("every 1s"), "{progress}");
    let leads = app.with_conn(|c| {
        let (ids, _) = db::lead_lists::search_candidates(c, &[campaign], "ana", None).unwrap();
        db::leads::find(c, ids[0]).unwrap()
    });
    assert_eq!(leads.phone.as_str(), "+12125550123");
    assert_eq!(leads.email.as_ref().map(|e| e.as_str()), Some("ana@example.com"));
    assert_eq!(leads.company.as_deref(), Some("Lima; Logistics"));
    assert_eq!(leads.custom_map().get("Plan").unwrap(), "gold");
    assert!(!leads.custom_map().contains_key("Notes"), "ignored column");
    assert_eq!(app.with_conn(|c| db::campaigns::find(c, campaign).unwrap()).lead_count, 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_rows_are_reported_and_never_stop_the_good_ones() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    let csv = "name,phone,email,status\n\
               Good One,+12125550101,one@example.com,new\n\
               Bad Number,555,two@example.com,new\n\
               Bad Email,+12125550103,not-an-email,new\n\
               Bad Status,+12125550104,,hot\n\
               Good Two,+12125550105,,callback\n\
               Repeat,+12125550101,,\n";
    let import = import(&app, campaign, csv, "skip").await;
    let done = app.with_conn(|c| db::imports::find(c, import).unwrap());
    assert_eq!((done.inserted_rows, done.failed_rows, done.skipped_rows), (2, 3, 1));
    assert_eq!(done.status, ImportStatus::Completed);

    let report = app.get(&format!("/campaigns/{campaign}/imports/{import}/errors.csv")).await;
    assert_eq!(report.status(), StatusCode::OK);
    assert!(report.headers().get("content-disposition").unwrap().to_str().unwrap().contains("attachment"));
    let text = report.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "row,column,reason,name,phone,email,status");
    assert!(
        lines[1].starts_with("3,phone,") && lines[1].contains("not a valid phone number")
            || lines[1].contains("not a phone number"),
        "{text}"
    );
    assert!(lines[2].starts_with("4,email,") && lines[2].contains("not a valid email address"), "{text}");
    assert!(lines[3].starts_with("5,status,") && lines[3].contains("Unknown lead status"), "{text}");
    assert_eq!(lines.len(), 4);
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicates_are_skipped_or_update_only_the_values_given() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    import(&app, campaign, "first_name,last_name,phone,company,tier\nAna,Lima,+12125550101,Acme,gold\n", "skip").await;

    let updated =
        import(&app, campaign, "first name,phone,company,region\nAnabel,+12125550101,,north\n", "update").await;
    let done = app.with_conn(|c| db::imports::find(c, updated).unwrap());
    assert_eq!((done.updated_rows, done.inserted_rows), (1, 0));
    let lead = app.with_conn(|c| db::leads::find_live_by_phone(c, campaign, &phone("+12125550101")).unwrap().unwrap());
    assert_eq!(lead.first_name, "Anabel");
    assert_eq!(lead.last_name, "Lima", "not in the file: kept");
    assert_eq!(lead.company.as_deref(), Some("Acme"), "empty in the file: kept");
    assert_eq!(lead.custom_map().get("tier").unwrap(), "gold");
    assert_eq!(lead.custom_map().get("region").unwrap(), "north");
    assert_eq!(app.with_conn(|c| db::campaigns::find(c, campaign).unwrap()).lead_count, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn binary_files_are_refused_with_a_reason() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    let png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01".to_vec();
    let response = app.upload_csv(campaign, "leads.csv", png).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("The file is not text"), "{html}");
    assert!(app.with_conn(|c| db::imports::recent_for_campaign(c, campaign, 5).unwrap()).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_file_without_a_phone_column_cannot_start() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    let response = app.upload_csv(campaign, "nophone.csv", b"name,city\nAna,Lisbon\n".to_vec()).await;
    let import: ImportId = id_from_location(&response, &format!("/campaigns/{campaign}/imports/"));
    let page = app.get_html(&format!("/campaigns/{campaign}/imports/{import}")).await;
    let mut fields = selected_mapping(&page);
    fields.push(("duplicate_mode".into(), "skip".into()));
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let refused = app.post_form(&format!("/campaigns/{campaign}/imports/{import}/start"), &fields).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text().await.unwrap().contains("Map one column to Phone"));
    assert_eq!(app.with_conn(|c| db::imports::find(c, import).unwrap()).status, ImportStatus::Draft);
    assert_eq!(app.run_imports().await, None, "nothing was queued");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupted_import_resumes_after_the_lease_without_duplicates() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    let rows = voxdial::imports::BATCH_ROWS * 3 + 17;
    let mut csv = String::from("name,phone\n");
    for n in 0..rows {
        csv.push_str(&format!("Lead {n},+1212555{:04}\n", n));
    }
    let response = app.upload_csv(campaign, "big.csv", csv.into_bytes()).await;
    let import: ImportId = id_from_location(&response, &format!("/campaigns/{campaign}/imports/"));
    app.post_form(
        &format!("/campaigns/{campaign}/imports/{import}/start"),
        &[("column_0", "full_name"), ("column_1", "phone")],
    )
    .await;

    // A worker claims it, commits one batch, and dies.
    let now = db::now();
    let worker = |name: &str| Ctx { instance_id: InstanceId(name.into()), ..app.ctx().clone() };
    let (dead, other) = (worker("dead-worker"), worker("other"));
    let claimed = tokio::task::spawn_blocking(move || {
        voxdial::imports::work(&dead, import, now, &mut |_| ControlFlow::Break(())).unwrap()
    })
    .await
    .unwrap();
    assert!(claimed);
    let partial = app.with_conn(|c| db::imports::find(c, import).unwrap());
    assert_eq!((partial.status, partial.processed_rows), (ImportStatus::Running, voxdial::imports::BATCH_ROWS as i32));

    // While the lease lasts nobody else takes it; afterwards the next worker resumes.
    let (blocked, soon) = tokio::task::spawn_blocking({
        let other = other.clone();
        move || {
            let blocked = voxdial::imports::work(&other, import, now, &mut |_| ControlFlow::Continue(())).unwrap();
            (blocked, voxdial::imports::step(&other, now, &|| true).unwrap())
        }
    })
    .await
    .unwrap();
    assert_eq!((blocked, soon), (false, None));
    let later = now + chrono::Duration::seconds(120);
    let resumed =
        tokio::task::spawn_blocking(move || voxdial::imports::step(&other, later, &|| true)).await.unwrap().unwrap();
    assert_eq!(resumed, Some(import));

    let done = app.with_conn(|c| db::imports::find(c, import).unwrap());
    assert_eq!(
        (done.status.as_str(), done.processed_rows, done.inserted_rows),
        ("completed", rows as i32, rows as i32)
    );
    assert_eq!(app.with_conn(|c| db::campaigns::find(c, campaign).unwrap()).lead_count, rows as i32);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_command_line_imports_with_the_same_rules() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("leads.csv");
    std::fs::write(&file, "Name,Phone Number,Plan\nAna Lima,(212) 555-0123,gold\nBroken,12,\n").unwrap();
    let report = dir.path().join("errors.csv");

    let mut child = Command::new(env!("CARGO_BIN_EXE_voxdial"))
        .args([
            "leads",
            "import",
            file.to_str().unwrap(),
            "--campaign",
            "Spring",
            "--error-report",
            report.to_str().unwrap(),
        ])
        .env("VOXDIAL_DATABASE_URL", app.database.url())
        .env("VOXDIAL_SECRET_KEY", app.state.settings.secret_key.clone().unwrap())
        .env("VOXDIAL_LOG_FILTER", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().flush().unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("Phone Number → Phone") && stdout.contains("Plan → Custom field"), "{stdout}");
    assert!(stdout.contains("1 new, 0 updated, 0 skipped as duplicates, 1 with errors"), "{stdout}");
    assert!(std::fs::read_to_string(&report).unwrap().contains("3,Phone Number,"));
    let lead = app.with_conn(|c| db::leads::find_live_by_phone(c, campaign, &phone("+12125550123")).unwrap().unwrap());
    assert_eq!((lead.first_name.as_str(), lead.last_name.as_str()), ("Ana", "Lima"));

    let unknown = Command::new(env!("CARGO_BIN_EXE_voxdial"))
        .args(["leads", "import", file.to_str().unwrap(), "--campaign", "Nope"])
        .env("VOXDIAL_DATABASE_URL", app.database.url())
        .env("VOXDIAL_SECRET_KEY", app.state.settings.secret_key.clone().unwrap())
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no campaign named “Nope”; campaigns: Spring"));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_background_worker_picks_up_queued_imports_by_itself() {
    let app = spawn_app_with(|s| s.background_tasks = true).await;
    let campaign = campaign(&app).await;
    let response = app.upload_csv(campaign, "leads.csv", b"phone\n+12125550101\n+12125550102\n".to_vec()).await;
    let import: ImportId = id_from_location(&response, &format!("/campaigns/{campaign}/imports/"));
    app.post_form(
        &format!("/campaigns/{campaign}/imports/{import}/start"),
        &[("column_0", "phone"), ("duplicate_mode", "skip")],
    )
    .await;
    for _ in 0..100 {
        if app.with_conn(|c| db::imports::find(c, import).unwrap()).status == ImportStatus::Completed {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.with_conn(|c| db::imports::find(c, import).unwrap()).inserted_rows, 2);
}
