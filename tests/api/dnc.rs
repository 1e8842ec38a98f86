//! The do-not-call lists: paging and filters, adding by hand to the global or a campaign's
//! list, CSV import with a per-row report, streamed CSV export safe to open in a
//! spreadsheet, removal after asking, and the audit trail of all of it.

use reqwest::StatusCode;
use voxdial::db;
use voxdial::db::suppression::NewEntry;
use voxdial::domain::phone::E164;
use voxdial::domain::suppression::SuppressionSource;
use voxdial::domain::user::Role;
use voxdial::ids::CampaignId;

use crate::call_setup::{add_lead, call_now, call_setup, post_webhook, transcription};
use crate::helpers::{TestApp, TestSession, assert_is_redirect_to, spawn_app};
use crate::leads::link;

/// Puts numbers straight on a list (fast arranging); `n` numbers from `+1212555<first>`.
fn seed(app: &TestApp, campaign: Option<CampaignId>, first: u32, n: u32, reason: &str) {
    let now = db::now();
    app.with_conn(|c| {
        for number in first..first + n {
            let phone = E164::parse(&format!("+1212555{number:04}"), None).unwrap();
            let entry = NewEntry {
                phone: &phone,
                campaign_id: campaign,
                reason,
                source: SuppressionSource::Manual,
                created_by: None,
                interaction_id: None,
            };
            assert!(db::suppression::add(c, &entry, now).unwrap());
        }
    });
}

/// The newest audit entries' actions and summaries.
fn audit(app: &TestApp, n: i64) -> Vec<(String, String)> {
    let entries = app.with_conn(|c| db::audit::page(c, None, n).unwrap());
    entries.into_iter().map(|e| (e.action, e.summary)).collect()
}

/// Uploads a CSV file into a list (`""` is the global one).
async fn upload(session: &TestSession, campaign: &str, file_name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let token = session.csrf_token().await;
    let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()).mime_str("text/csv").unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part("file", part)
        .text("campaign", campaign.to_owned())
        .text("region", "US");
    session.client.post(session.url("/dnc/import")).multipart(form).send().await.expect("upload")
}

/// Exports a filter; returns the file's rows (header first) as the CSV reader sees them.
async fn export(app: &TestApp, query: &str) -> Vec<Vec<String>> {
    let response = app.get(&format!("/dnc/export.csv?{query}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let disposition = response.headers()["content-disposition"].to_str().unwrap().to_owned();
    assert!(disposition.starts_with("attachment; filename=\"do-not-call-") && disposition.ends_with(".csv\""));
    let body = response.bytes().await.unwrap();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(&body[..]);
    reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_list_pages_searches_adds_once_and_removes_after_asking() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    seed(&app, None, 0, 105, "seeded");

    let first = app.get_html("/dnc").await;
    assert_eq!(first.matches("Remove…").count(), 100);
    assert!(first.contains("+12125550104") && !first.contains("+12125550004"), "newest first");
    let rest = app.get_html(&link(&first, "More →").unwrap()).await;
    assert_eq!(rest.matches("Remove…").count(), 5);
    assert!(rest.contains("+12125550000") && link(&rest, "More →").is_none());
    let found = app.get_html("/dnc?prefix=%2B1+212+555+0042").await;
    assert_eq!(found.matches("Remove…").count(), 1);
    assert!(app.get_html("/dnc?prefix=44").await.contains("No numbers starting with 44 on any list."));

    let added =
        app.post_form("/dnc", &[("phone", "(415) 555-0100"), ("region", "US"), ("reason", "wrote to us")]).await;
    assert_is_redirect_to(&added, "/dnc");
    let page = app.get_html("/dnc").await;
    assert!(page.contains("+14155550100 is on the global list now."));
    assert!(page.contains("Ada Admin") && page.contains("Added by hand"), "who added it, and how");
    let again = app.post_form("/dnc", &[("phone", "+14155550100"), ("reason", "twice")]).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(again.text().await.unwrap().contains("+14155550100 is already on the global list."));
    let national = app.post_form("/dnc", &[("phone", "030 901820"), ("region", "DE"), ("reason", "Berlin")]).await;
    assert_is_redirect_to(&national, "/dnc");
    for (fields, error) in [
        (vec![("phone", "12"), ("reason", "x")], "is not a"),
        (vec![("phone", "+14155550101"), ("reason", "")], "Say why this number must not be called"),
        (vec![("phone", "+14155550101"), ("reason", "x"), ("region", "ZZ")], "is not a country code"),
        (vec![("phone", "+14155550101"), ("reason", "x"), ("campaign", "999")], "That campaign does not exist"),
    ] {
        let bad = app.post_form("/dnc", &fields).await;
        assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(bad.text().await.unwrap().contains(error), "{error}");
    }

    let remove = link(&page, "Remove…").unwrap();
    assert!(app.get_html(&remove).await.contains("Remove +14155550100 from the global list?"));
    let removed = app.post_form(&remove, &[]).await;
    assert_is_redirect_to(&removed, "/dnc");
    let after = app.get_html("/dnc").await;
    assert!(after.contains("+14155550100 is no longer on the global list.") && !after.contains("wrote to us"));
    assert_eq!(
        audit(&app, 3),
        [
            ("dnc.remove".into(), "Removed +14155550100 from the global list".into()),
            ("dnc.add".into(), "Added +4930901820 to the global list".into()),
            ("dnc.add".into(), "Added +14155550100 to the global list".into()),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_campaign_list_bars_its_own_campaign_only_and_every_member_may_add() {
    let app = spawn_app().await;
    let s = call_setup(&app).await;
    let other = app.add_campaign("Autumn").await;
    let production = s.production.to_string();
    let template = s.template.to_string();
    let agents =
        [("production_agent_id", production.as_str()), ("prompt_template_id", &template), ("phone_number_id", "")];
    app.post_form(&format!("/campaigns/{other}/ai-agents"), &agents).await;
    let twin = add_lead(&app, other, &[("first_name", "Ana"), ("phone", "+12125550123")]).await;

    // An agent takes the request: members may add to a list.
    let member = app.new_session();
    app.create_user("agent@example.com", "Max Member", Role::Member);
    member.login("agent@example.com", crate::helpers::PASSWORD).await;
    let campaign = s.campaign.to_string();
    let added =
        member.post_form("/dnc", &[("phone", "+12125550123"), ("campaign", &campaign), ("reason", "asked us")]).await;
    assert_is_redirect_to(&added, "/dnc");
    assert!(member.get_html("/dnc").await.contains("+12125550123 is on the Spring list now."));

    let (refused, response) = call_now(&app, s.lead).await;
    assert_eq!(refused, None);
    let page = app.get_html(response.headers()["location"].to_str().unwrap()).await;
    assert!(page.contains("is on this campaign&#39;s do-not-call list (asked us)"), "{page}");
    let (called, _) = call_now(&app, twin).await;
    assert!(called.is_some(), "the other campaign may call the number");

    let spring = app.get_html(&format!("/dnc?list={campaign}")).await;
    assert!(spring.contains("+12125550123") && spring.contains("Max Member"));
    let autumn = app.get_html(&format!("/dnc?list={other}")).await;
    assert!(autumn.contains("This campaign's list is empty"), "{autumn}");
    assert!(app.get_html("/dnc?list=global").await.contains("The global list is empty."));

    // The lead opts out on the other campaign's call: the global list names the call.
    let call = called.unwrap();
    post_webhook(&app, s.connection, &transcription(&format!("conv_{call}"), Some(call), Some("opt_out"), 2)).await;
    let global = app.get_html("/dnc?list=global").await;
    assert!(global.contains(&format!("the lead, on <a href=\"/interactions/{call}\">call #{call}</a>")), "{global}");
    assert!(global.contains("Asked on a call"));
}

#[tokio::test(flavor = "multi_thread")]
async fn an_import_adds_good_rows_skips_duplicates_and_reports_invalid_ones() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    seed(&app, None, 100, 1, "already here");
    let csv = "Name;Phone;Reason\n\
               Ana;+12125550100;again\n\
               Bo;(212) 555-0101;wrote to us\n\
               Cy;12;typo\n\
               Di;212 555 0101;twice in the file\n\
               Ed;'+12125550102;\n";
    let response = upload(&app, "", "numbers.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await.unwrap();
    assert!(page.contains("Imported numbers.csv into the global list"), "{page}");
    assert!(page.contains("already on the list, 1 repeated in the file"), "{page}");
    assert!(page.contains("<td class=\"num\">4</td><td>“12” is not a phone number</td>"), "{page}");

    let list = app.get_html("/dnc?list=global").await;
    assert!(list.contains("wrote to us") && list.contains("Imported from numbers.csv"), "no reason: the file's name");
    assert!(list.contains("import by Ada Admin") && list.contains("Imported"));
    assert_eq!(list.matches("Remove…").count(), 3);
    assert_eq!(
        audit(&app, 1),
        [(
            "dnc.import".into(),
            "Imported numbers.csv into the global list: 2 added, 1 already listed, 1 repeated in the file, 1 invalid"
                .into()
        )]
    );

    for (bytes, error) in [
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00phone".to_vec(), "The file is not text"),
        (b"phone\n".to_vec(), "The file has no numbers."),
        (vec![b'1'; 5 * 1024 * 1024 + 1], "The file is larger than 5 MB"),
    ] {
        let refused = upload(&app, "", "bad.csv", bytes).await;
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY, "{error}");
        assert!(refused.text().await.unwrap().contains(error), "{error}");
    }
    assert_eq!(audit(&app, 1)[0].0, "dnc.import", "refused files change nothing");
    let part = reqwest::multipart::Part::bytes(b"phone\n+12125550199\n".to_vec()).file_name("x.csv");
    let forged = app.client.post(app.url("/dnc/import")).multipart(reqwest::multipart::Form::new().part("file", part));
    assert_eq!(forged.send().await.unwrap().status(), StatusCode::FORBIDDEN, "no CSRF token, no import");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_export_is_safe_in_a_spreadsheet_and_imports_back_into_another_list() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;
    // More than one export batch, and a reason that a spreadsheet would run.
    seed(&app, None, 0, 2345, "seeded");
    seed(&app, None, 9000, 1, "=HYPERLINK(\"http://x\",\"y\")");
    seed(&app, Some(campaign), 9500, 1, "only Spring");

    let global = export(&app, "list=global").await;
    assert_eq!(global[0], ["phone", "list", "reason", "source", "added_by", "added_at"]);
    assert_eq!(global.len(), 1 + 2346);
    assert_eq!(global[1][..5], ["'+12125559000", "Global", "'=HYPERLINK(\"http://x\",\"y\")", "manual", "unknown"]);
    assert!(global[1][5].ends_with('Z') && global[1][5].contains('T'), "UTC ISO 8601: {}", global[1][5]);
    let mut phones: Vec<&str> = global[1..].iter().map(|row| row[0].as_str()).collect();
    phones.dedup();
    assert_eq!(phones.len(), 2346, "each entry once, across batches");
    let only = export(&app, &format!("list={campaign}&prefix=1212555950")).await;
    assert_eq!(only.len(), 2);
    assert_eq!(only[1][1..3], ["Spring", "only Spring"]);

    let file = app.get("/dnc/export.csv?list=global").await.bytes().await.unwrap().to_vec();
    let imported = upload(&app, &campaign.to_string(), "global.csv", file).await;
    assert_eq!(imported.status(), StatusCode::OK);
    let spring = export(&app, &format!("list={campaign}")).await;
    assert_eq!(spring.len(), 1 + 2347);
    let cells = |rows: &[Vec<String>]| {
        let mut cells: Vec<(String, String)> = rows[1..].iter().map(|r| (r[0].clone(), r[2].clone())).collect();
        cells.sort();
        cells
    };
    let mut expected = cells(&global);
    expected.push(("'+12125559500".into(), "only Spring".into()));
    expected.sort();
    assert_eq!(cells(&spring), expected, "the same numbers and reasons");
    assert_eq!(spring[1][3..5], ["import", "import by Ada Admin"]);

    let logged_out = app.new_session().get("/dnc/export.csv").await;
    assert_eq!(logged_out.status(), StatusCode::SEE_OTHER, "members only");
}
