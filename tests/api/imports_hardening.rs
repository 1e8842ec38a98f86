//! Lead imports under hostile or unlucky input (issue 9, points 4 and 5): error reports safe
//! to open in a spreadsheet, files in a spreadsheet's legacy encoding, uploads too large or
//! too many at once, and stored files purged after their retention.

use std::process::Command;
use std::sync::Arc;

use bytes::Bytes;
use chrono::Duration;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use tokio::sync::mpsc;
use voxdial::app::Dependencies;
use voxdial::clock::{Clock, ManualClock};
use voxdial::db;
use voxdial::domain::phone::E164;
use voxdial::ids::{CampaignId, ImportId};
use voxdial::imports::{ImportStatus, Retention};
use voxdial::web::imports::{CONCURRENT_UPLOADS, UPLOAD_LIMIT};

use crate::helpers::{TestApp, assert_is_redirect_to, id_from_location, spawn_app, spawn_app_with_deps};

async fn campaign(app: &TestApp) -> CampaignId {
    app.login_as_admin().await;
    app.add_campaign("Spring").await
}

async fn uploaded(app: &TestApp, campaign: CampaignId, bytes: Vec<u8>) -> ImportId {
    let response = app.upload_csv(campaign, "leads.csv", bytes).await;
    id_from_location(&response, &format!("/campaigns/{campaign}/imports/"))
}

/// Starts an upload with `mapping` (`column_N` = target) and runs the import worker once.
async fn start_and_run(app: &TestApp, campaign: CampaignId, import: ImportId, mapping: &[(&str, &str)]) {
    let started = app.post_form(&format!("/campaigns/{campaign}/imports/{import}/start"), mapping).await;
    assert_is_redirect_to(&started, &format!("/campaigns/{campaign}/imports/{import}"));
    assert_eq!(app.run_imports().await, Some(import));
}

/// An upload whose file is sent as `file` yields chunks, in a request of unknown length
/// (chunked, so only reading it tells its size). The CSRF token is the first field, as the
/// upload form sends it.
async fn streamed_upload(
    app: &TestApp,
    campaign: CampaignId,
    file: impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Send + Sync + 'static,
) -> tokio::task::JoinHandle<reqwest::Response> {
    let token = app.csrf_token().await;
    let part = Part::stream(reqwest::Body::wrap_stream(file)).file_name("leads.csv").mime_str("text/csv").unwrap();
    let form = Form::new().text("csrf_token", token).part("file", part);
    let request = app.client.post(app.url(&format!("/campaigns/{campaign}/imports"))).multipart(form);
    tokio::spawn(async move { request.send().await.expect("upload") })
}

fn phone(number: &str) -> E164 {
    E164::parse(number, None).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn csv_error_report_neutralises_formula_cells() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    let csv = "name,\"=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",@SUM(1),-2+3\n\
               Ana,+12125550101,ana@example.com,new\n\
               Bo,=1+2,@SUM(1),-2+3\n";
    let import = uploaded(&app, campaign, csv.as_bytes().to_vec()).await;
    let mapping = [("column_0", "full_name"), ("column_1", "phone"), ("column_2", "email"), ("column_3", "status")];
    start_and_run(&app, campaign, import, &mapping).await;
    let done = app.with_conn(|c| db::imports::find(c, import).unwrap());
    assert_eq!((done.inserted_rows, done.failed_rows), (1, 1));

    let report = app.get(&format!("/campaigns/{campaign}/imports/{import}/errors.csv")).await;
    assert_eq!(report.status(), StatusCode::OK);
    let text = report.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let columns: Vec<&str> = rows.iter().map(|row| &row[1]).collect();
    assert_eq!(columns, ["'=HYPERLINK(\"http://x\",\"y\")", "'@SUM(1)", "'-2+3"], "{text}");
    for cell in rows.iter().flat_map(|row| row.iter()) {
        assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "a spreadsheet could run {cell:?}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn imports_latin1_file_is_detected_and_decoded() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    let text = "first_name;last_name;phone;city\n\
                Jürgen;Müller;+12125550101;Köln\n\
                José;García;+12125550102;Málaga\n\
                Zoë;Brontë;+12125550103;Haworth\n";
    let (windows_1252, _, lossy) = encoding_rs::WINDOWS_1252.encode(text);
    assert!(!lossy);
    let import = uploaded(&app, campaign, windows_1252.into_owned()).await;

    let page = app.get_html(&format!("/campaigns/{campaign}/imports/{import}")).await;
    assert!(page.contains("Encoding: Windows-1252 (detected)"), "{page}");
    assert!(page.contains("Müller") && page.contains("Málaga"), "the samples are decoded");
    let mapping =
        [("column_0", "first_name"), ("column_1", "last_name"), ("column_2", "phone"), ("column_3", "custom")];
    start_and_run(&app, campaign, import, &mapping).await;
    let lead = |number: &str| {
        app.with_conn(|c| db::leads::find_live_by_phone(c, campaign, &phone(number)).unwrap().expect("imported"))
    };
    let (jurgen, jose, zoe) = (lead("+12125550101"), lead("+12125550102"), lead("+12125550103"));
    assert_eq!((jurgen.first_name.as_str(), jurgen.last_name.as_str()), ("Jürgen", "Müller"));
    assert_eq!(jurgen.custom_map().get("city").unwrap(), "Köln");
    assert_eq!((jose.first_name.as_str(), jose.last_name.as_str()), ("José", "García"));
    assert_eq!((zoe.first_name.as_str(), zoe.last_name.as_str()), ("Zoë", "Brontë"));

    // The command line reads files the same way.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("more.csv");
    std::fs::write(&file, encoding_rs::WINDOWS_1252.encode("name,phone\nRené Lefèvre,+12125550104\n").0).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_voxdial"))
        .args(["leads", "import", file.to_str().unwrap(), "--campaign", "Spring"])
        .env("VOXDIAL_DATABASE_URL", app.database.url())
        .env("VOXDIAL_SECRET_KEY", app.state.settings.secret_key.clone().unwrap())
        .env("VOXDIAL_LOG_FILTER", "warn")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("encoding Windows-1252 (detected)"), "{stdout}");
    let rene = lead("+12125550104");
    assert_eq!((rene.first_name.as_str(), rene.last_name.as_str()), ("René", "Lefèvre"));
}

#[tokio::test(flavor = "multi_thread")]
async fn imports_oversized_uploads_are_refused_cleanly() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    let too_large = |response: &reqwest::Response| assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    // A declared size over the cap is refused before the body is read.
    let declared = app.upload_csv(campaign, "big.csv", vec![b'a'; UPLOAD_LIMIT + 1024 * 1024]).await;
    too_large(&declared);
    assert!(declared.text().await.unwrap().contains("The file is larger than 50 MB"));

    // Without a declared size, reading stops at the cap.
    let chunks = (0..UPLOAD_LIMIT / (1024 * 1024) + 1).map(|_| Ok(Bytes::from(vec![b'a'; 1024 * 1024])));
    let streamed = streamed_upload(&app, campaign, futures_util::stream::iter(chunks)).await.await.unwrap();
    too_large(&streamed);
    assert!(streamed.text().await.unwrap().contains("The file is larger than 50 MB"));

    assert!(app.with_conn(|c| db::imports::recent_for_campaign(c, campaign, 5).unwrap()).is_empty());
    uploaded(&app, campaign, b"phone\n+12125550101\n".to_vec()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn imports_concurrent_uploads_are_capped() {
    let app = spawn_app().await;
    let campaign = campaign(&app).await;
    // Uploads that have sent their first bytes and then wait, as slow connections do.
    let mut senders = Vec::new();
    let mut slow = Vec::new();
    for _ in 0..CONCURRENT_UPLOADS {
        let (send, receive) = mpsc::channel::<Bytes>(1);
        send.send(Bytes::from_static(b"phone\n")).await.unwrap();
        let file = futures_util::stream::unfold(receive, |mut receive| async move {
            receive.recv().await.map(|chunk| (Ok(chunk), receive))
        });
        slow.push(streamed_upload(&app, campaign, file).await);
        senders.push(send);
    }
    for _ in 0..100 {
        if app.state.uploads.available_permits() == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.state.uploads.available_permits(), 0, "the slow uploads are being read");

    let refused = app.upload_csv(campaign, "leads.csv", b"phone\n+12125550100\n".to_vec()).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(refused.text().await.unwrap().contains("Too many uploads at once; try again in a moment."));

    for (n, send) in senders.into_iter().enumerate() {
        send.send(Bytes::from(format!("+1212555010{n}\n"))).await.unwrap();
    }
    for upload in slow {
        let response = upload.await.unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "a slow upload finishes once its file has arrived");
    }
    uploaded(&app, campaign, b"phone\n+12125550100\n".to_vec()).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn imports_old_uploads_are_purged() {
    let clock = Arc::new(ManualClock::new(chrono::Utc::now()));
    let app = spawn_app_with_deps(|_| {}, Dependencies { clock: clock.clone(), ..Dependencies::default() }).await;
    let campaign = campaign(&app).await;
    let retention = Retention::from_settings(&app.state.settings);
    assert_eq!(retention, Retention { finished: Duration::days(7), drafts: Duration::hours(24) });
    let purge = || voxdial::imports::purge_files(app.ctx(), retention, clock.now());
    let stored = |import: ImportId| app.with_conn(|c| db::imports::csv_data(c, import).unwrap());

    let finished = uploaded(&app, campaign, b"name,phone\nAna,+12125550101\nBo,12\n".to_vec()).await;
    start_and_run(&app, campaign, finished, &[("column_0", "full_name"), ("column_1", "phone")]).await;
    let draft = uploaded(&app, campaign, b"phone\n+12125550102\n".to_vec()).await;

    clock.advance(Duration::hours(2));
    assert_eq!(purge().await.unwrap(), 0, "a draft is kept while someone may still map it");
    clock.advance(Duration::hours(23));
    assert_eq!(purge().await.unwrap(), 1);
    assert!(stored(draft).is_empty() && !stored(finished).is_empty());
    let page = app.get_html(&format!("/campaigns/{campaign}/imports/{draft}")).await;
    assert!(page.contains("This upload has expired") && page.contains("Upload the file again"), "{page}");
    let start = app.post_form(&format!("/campaigns/{campaign}/imports/{draft}/start"), &[("column_0", "phone")]).await;
    assert_eq!(start.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(start.text().await.unwrap().contains("This upload has expired"));
    assert_eq!(app.with_conn(|c| db::imports::find(c, draft).unwrap()).status, ImportStatus::Draft);

    clock.advance(Duration::days(7));
    assert_eq!(purge().await.unwrap(), 1);
    assert!(stored(finished).is_empty());
    let import = app.with_conn(|c| db::imports::find(c, finished).unwrap());
    assert_eq!((import.status, import.inserted_rows, import.failed_rows), (ImportStatus::Completed, 1, 1));
    let page = app.get_html(&format!("/campaigns/{campaign}/imports/{finished}")).await;
    assert!(page.contains("Import finished") && page.contains("The uploaded file was deleted on"), "{page}");
    let report = app.get(&format!("/campaigns/{campaign}/imports/{finished}/errors.csv")).await;
    assert!(report.text().await.unwrap().contains("3,phone,"), "the error report stays");
    assert!(app.get_html(&format!("/campaigns/{campaign}/imports/new")).await.contains("file deleted"));
    assert_eq!(purge().await.unwrap(), 0, "purged once");
}
