//! The mapping step checks the first rows by the import's own rules before anything is
//! imported, and the error report gives each failed row's own values back.

use voxdial::db;
use voxdial::ids::{CampaignId, ImportId};

use crate::helpers::{TestApp, id_from_location, spawn_app};

/// Rows 2–6: an existing lead, a bad phone, a bad timezone, a new lead and its repeat.
const CSV: &str = "Name,Mobile,TZ,Plan\n\
                   Ana Lima,+12125550101,,gold\n\
                   Bo Bad,555,,silver\n\
                   Cy Zone,+12125550103,Mars/Base,gold\n\
                   Di New,+12125550104,Europe/Berlin,\n\
                   Di Again,(212) 555-0104,,bronze\n";

async fn uploaded(app: &TestApp, csv: &str) -> (CampaignId, ImportId) {
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;
    let response = app.upload_csv(campaign, "leads.csv", csv.as_bytes().to_vec()).await;
    (campaign, id_from_location(&response, &format!("/campaigns/{campaign}/imports/")))
}

/// The preview's table row for spreadsheet row `row`.
fn preview_row(html: &str, row: i32) -> String {
    let preview = &html[html.find("id=\"import-preview\"").expect("the preview")..];
    let at = preview.find(&format!("<td class=\"num\">{row}</td>")).unwrap_or_else(|| panic!("row {row}: {preview}"));
    let start = preview[..at].rfind("<tr").unwrap();
    preview[start..at + preview[at..].find("</tr>").unwrap()].to_owned()
}

const MAPPING: [(&str, &str); 4] =
    [("column_0", "full_name"), ("column_1", "phone"), ("column_2", "timezone"), ("column_3", "custom")];

#[tokio::test(flavor = "multi_thread")]
async fn the_mapping_step_shows_bad_phones_bad_zones_and_duplicates_before_importing() {
    let app = spawn_app().await;
    let (campaign, import) = uploaded(&app, CSV).await;
    app.post_form(&format!("/campaigns/{campaign}/leads"), &[("first_name", "Ana"), ("phone", "+12125550101")]).await;
    let page = app.get_html(&format!("/campaigns/{campaign}/imports/{import}")).await;
    assert!(page.contains("4 of the first 5 rows need a look"), "{page}");
    let existing = preview_row(&page, 2);
    assert!(existing.contains("already a lead") && existing.contains("skipped"), "{existing}");
    let bad_phone = preview_row(&page, 3);
    assert!(bad_phone.contains("not imported") && bad_phone.contains("<strong>Mobile</strong>"), "{bad_phone}");
    assert!(bad_phone.contains("“555”"), "{bad_phone}");
    let bad_zone = preview_row(&page, 4);
    assert!(bad_zone.contains("<strong>TZ</strong>") && bad_zone.contains("Mars/Base"), "{bad_zone}");
    let new = preview_row(&page, 5);
    assert!(new.contains("new lead") && new.contains("+12125550104"), "{new}");
    let repeat = preview_row(&page, 6);
    assert!(repeat.contains("same phone as row 5") && repeat.contains("+12125550104"), "{repeat}");
    assert_eq!(app.with_conn(|c| db::campaigns::find(c, campaign).unwrap()).lead_count, 1, "nothing imported yet");

    // Changing the mapping or the duplicate handling checks again (htmx swaps the panel).
    let path = format!("/campaigns/{campaign}/imports/{import}/preview");
    let mut fields = MAPPING.to_vec();
    fields[2].1 = "ignore";
    fields.push(("duplicate_mode", "update"));
    let response = app.post_htmx(&path, &fields).await;
    assert_eq!(response.status(), 200);
    let panel = response.text().await.unwrap();
    assert!(!panel.contains("<html"), "a fragment");
    assert!(preview_row(&panel, 4).contains("new lead"), "the zone column is ignored now");
    assert!(preview_row(&panel, 2).contains("updates that lead"), "{panel}");
    assert!(preview_row(&panel, 6).contains("updates the lead from row 5"), "{panel}");
    let mut no_phone = MAPPING.to_vec();
    no_phone[1].1 = "custom";
    let panel = app.post_htmx(&path, &no_phone).await.text().await.unwrap();
    assert!(panel.contains("Map one column to Phone") && !panel.contains("<table"), "{panel}");

    // The import then does what the preview said, by the same rules.
    let mut start = MAPPING.to_vec();
    start.push(("duplicate_mode", "skip"));
    app.post_form(&format!("/campaigns/{campaign}/imports/{import}/start"), &start).await;
    app.run_imports().await;
    let done = app.with_conn(|c| db::imports::find(c, import).unwrap());
    assert_eq!((done.inserted_rows, done.failed_rows, done.skipped_rows), (1, 2, 2));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_error_report_gives_each_failed_rows_values_with_its_number_and_reason() {
    let app = spawn_app().await;
    let (campaign, import) = uploaded(&app, CSV).await;
    let mut start = MAPPING.to_vec();
    start.push(("duplicate_mode", "skip"));
    app.post_form(&format!("/campaigns/{campaign}/imports/{import}/start"), &start).await;
    app.run_imports().await;

    let report = app.get(&format!("/campaigns/{campaign}/imports/{import}/errors.csv")).await;
    assert_eq!(report.status(), 200);
    let text = report.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, ["row", "column", "reason", "Name", "Mobile", "TZ", "Plan"]);
    let rows: Vec<Vec<String>> = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert_eq!((rows[0][0].as_str(), rows[0][1].as_str()), ("3", "Mobile"));
    assert!(rows[0][2].contains("“555”"), "{text}");
    assert_eq!(rows[0][3..], ["Bo Bad", "555", "", "silver"]);
    assert_eq!((rows[1][0].as_str(), rows[1][1].as_str()), ("4", "TZ"));
    assert!(rows[1][2].contains("Mars/Base"), "{text}");
    assert_eq!(rows[1][3..], ["Cy Zone", "'+12125550103", "Mars/Base", "gold"], "numbers are neutralised as cells");
}
