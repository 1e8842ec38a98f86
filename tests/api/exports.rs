//! CSV exports of the lead and call lists with their filters, streamed (R-ANALYTICS), and
//! the bulk actions "Export" and "Call now" on selected leads (R-DIAL-RULES).

use voxdial::db;
use voxdial::domain::lead::LeadStatus;
use voxdial::ids::LeadId;

use crate::call_setup::{add_lead, call_now, call_setup, post_webhook, transcription};
use crate::helpers::{TestApp, spawn_app};

fn parse(csv: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let headers = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (headers, rows)
}

fn column<'a>(headers: &[String], row: &'a [String], name: &str) -> &'a str {
    &row[headers.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"))]
}

async fn download(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    assert!(response.headers()["content-disposition"].to_str().unwrap().starts_with("attachment"));
    assert!(response.headers().get("content-length").is_none(), "streamed, not buffered");
    response.text().await.unwrap()
}

#[tokio::test]
async fn r_analytics_a_lead_export_keeps_the_filters_and_reads_back_through_the_importer() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let extra = add_lead(
        &app,
        s.campaign,
        &[
            ("first_name", "=Eve"),
            ("last_name", "Stone"),
            ("phone", "+12125550177"),
            ("company", "Stone & Co"),
            ("custom", "plan = silver\nseats = 12"),
        ],
    )
    .await;
    app.post_form("/leads/bulk", &[("lead_id", &extra.to_string()), ("action", "status:qualified")]).await;

    let csv = download(&app, &format!("/campaigns/{}/leads/export.csv", s.campaign)).await;
    let (headers, rows) = parse(&csv);
    assert_eq!(rows.len(), 3, "Ana, Tom and Eve");
    for name in ["first_name", "phone", "timezone", "status", "plan", "seats", "voxdial_id", "voxdial_attempts"] {
        assert!(headers.iter().any(|h| h == name), "{name} missing from {headers:?}");
    }
    let eve = rows.iter().find(|r| column(&headers, r, "last_name") == "Stone").unwrap();
    assert_eq!(column(&headers, eve, "first_name"), "'=Eve", "a formula-looking cell is defused");
    assert_eq!(column(&headers, eve, "seats"), "12");
    assert_eq!(column(&headers, eve, "phone"), "+12125550177");

    let filtered = download(&app, &format!("/campaigns/{}/leads/export.csv?status=qualified", s.campaign)).await;
    assert_eq!(parse(&filtered).1.len(), 1, "the status filter applies");
    let searched = download(&app, "/leads/export.csv?q=stone").await;
    assert_eq!(parse(&searched).1.len(), 1, "the search applies");

    // The export is the importer's format: it reads back into another campaign.
    let copy = app.add_campaign("Copy").await;
    crate::imports::import(&app, copy, &csv, "skip").await;
    let phone = voxdial::domain::phone::E164::parse("+12125550177", None).unwrap();
    let again = app.with_conn(|c| db::leads::find_live_by_phone(c, copy, &phone).unwrap()).expect("imported");
    assert_eq!((again.last_name.as_str(), again.company.as_deref()), ("Stone", Some("Stone & Co")));
    assert_eq!(again.status, LeadStatus::Qualified);
    let custom = again.custom_map();
    assert_eq!((custom["plan"].as_str(), custom["seats"].as_str()), (Some("silver"), Some("12")));
    assert!(!custom.contains_key("voxdial_id"), "voxdial's own columns are not imported");
}

#[tokio::test]
async fn r_analytics_selected_leads_export_and_the_call_export_carries_outcome_score_and_summary() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let selected = app
        .client
        .post(app.url("/leads/bulk"))
        .form(&[
            ("csrf_token", app.csrf_token().await.as_str()),
            ("lead_id", &s.test_lead.to_string()),
            ("action", "export"),
        ])
        .send()
        .await
        .unwrap();
    let (_, rows) = parse(&selected.text().await.unwrap());
    assert_eq!(rows.len(), 1, "only the ticked lead");

    let (call, _) = call_now(&app, s.lead).await;
    let call = call.unwrap();
    post_webhook(&app, s.connection, &transcription(&format!("conv_{call}"), Some(call), Some("interested"), 4)).await;
    let csv = download(&app, "/interactions/export.csv?outcome=interested").await;
    let (headers, rows) = parse(&csv);
    assert_eq!(rows.len(), 1);
    assert_eq!(column(&headers, &rows[0], "outcome"), "interested");
    assert_eq!(column(&headers, &rows[0], "summary"), "Ana wants a demo.");
    assert_eq!(column(&headers, &rows[0], "duration_secs"), "42");
    let none = download(&app, &format!("/campaigns/{}/calls/export.csv?outcome=busy", s.campaign)).await;
    assert_eq!(parse(&none).1.len(), 0, "filters apply on the campaign's export too");
}

#[tokio::test]
async fn r_analytics_a_large_export_streams_every_row_in_batches() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    app.with_conn(|c| {
        db::write_tx(c, |c| -> diesel::QueryResult<()> {
            let campaign = db::campaigns::find(c, s.campaign).unwrap();
            for n in 0..4_500u32 {
                let raw = voxdial::domain::lead::RawLead {
                    first_name: format!("Lead{n}"),
                    phone: format!("+1212{:07}", 2_000_000 + n),
                    timezone: "America/New_York".into(),
                    ..Default::default()
                };
                let lead = voxdial::domain::lead::LeadInput::parse(&raw, None).unwrap();
                db::leads::insert(c, campaign.id, &lead, voxdial::domain::lead::LeadSource::Import, db::now()).unwrap();
            }
            Ok(())
        })
        .unwrap()
    });
    // A fresh session: the default one's idle connection may have timed out meanwhile.
    let fresh = app.new_session();
    assert!(fresh.login("admin@example.com", crate::helpers::PASSWORD).await.status().is_redirection());
    let response = fresh.get(&format!("/campaigns/{}/leads/export.csv", s.campaign)).await;
    let mut chunks = 0;
    let mut body = Vec::new();
    let mut response = response;
    while let Some(chunk) = response.chunk().await.unwrap() {
        chunks += 1;
        body.extend_from_slice(&chunk);
    }
    let (_, rows) = parse(&String::from_utf8(body).unwrap());
    assert_eq!(rows.len(), 4_502);
    assert!(chunks >= 5, "one chunk per batch of 1,000 (and the header), got {chunks}");
}

#[tokio::test]
async fn r_dial_rules_call_selected_now_queues_through_the_dialer_and_says_what_it_could_not() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    app.post_form("/dnc", &[("phone", "+12125550124"), ("reason", "asked by email"), ("campaign", "")]).await;
    let ids = [s.lead, s.test_lead].map(|id: LeadId| id.to_string());
    let response = app
        .post_form(
            "/leads/bulk",
            &[("lead_id", &ids[0]), ("lead_id", &ids[1]), ("action", "call_now"), ("back", "/leads")],
        )
        .await;
    assert!(response.status().is_redirection(), "{:?}", response.headers().get("location"));
    let page = app.get_html("/leads").await;
    // Due now, or at the campaign's next calling window (the default windows skip weekends).
    let now_or_window =
        page.contains("1 lead queued to call now") || page.contains("1 lead waits for their calling window");
    assert!(now_or_window, "{page}");
    assert!(page.contains("not callable: On a do-not-call list (1)"));
    assert!(page.contains("is not running: start it on the campaign"), "the dialer is off in this campaign");
    let ana = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    assert!(ana.next_call_at.is_some() && ana.dial_block.is_none(), "queued for the dialer to claim");
    let tom = app.with_conn(|c| db::leads::find(c, s.test_lead).unwrap());
    assert_eq!((tom.next_call_at, tom.dial_block.map(|b| b.as_str())), (None, Some("do_not_call")));
    let audit = app.get_html("/settings/audit").await;
    assert!(audit.contains("Call now for 2 leads selected"));
}
