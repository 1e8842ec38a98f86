//! Leads: add and edit by hand with validation, keyset-paged lists with sort, filters and
//! search, bulk actions, soft delete.

use reqwest::StatusCode;
use voxdial::db;
use voxdial::domain::lead::{LeadInput, LeadStatus, RawLead};
use voxdial::domain::phone::Region;
use voxdial::ids::{CampaignId, LeadId};

use crate::helpers::{TestApp, assert_is_redirect_to, id_from_location, spawn_app};

/// Inserts leads straight through the data layer (fast arranging).
fn seed(app: &TestApp, campaign: CampaignId, leads: &[(&str, &str, &str, &str)]) -> Vec<LeadId> {
    app.with_conn(|c| {
        leads
            .iter()
            .map(|(first, last, phone, company)| {
                let raw = RawLead {
                    first_name: first.to_string(),
                    last_name: last.to_string(),
                    phone: phone.to_string(),
                    company: company.to_string(),
                    email: format!("{}@{}.example", first.to_lowercase(), company.to_lowercase().replace(' ', "")),
                    ..RawLead::default()
                };
                let input = LeadInput::parse(&raw, Region::parse("US").ok().as_ref()).unwrap();
                db::leads::insert(c, campaign, &input, voxdial::domain::lead::LeadSource::Import, db::now()).unwrap()
            })
            .collect()
    })
}

/// Lead ids shown on a list page, in order.
fn listed_ids(html: &str) -> Vec<LeadId> {
    html.match_indices("name=\"lead_id\" value=\"")
        .map(|(at, m)| {
            let start = at + m.len();
            html[start..start + html[start..].find('"').unwrap()].parse().unwrap()
        })
        .collect()
}

pub fn link(html: &str, label: &str) -> Option<String> {
    let at = html.find(label)?;
    let href = html[..at].rfind("href=\"")? + 6;
    Some(html[href..href + html[href..].find('"').unwrap()].replace("&amp;", "&").replace("&#38;", "&"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lead_is_added_by_hand_with_clear_field_errors() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;

    let bad = app
        .post_form(
            &format!("/campaigns/{campaign}/leads"),
            &[("first_name", "Ana"), ("phone", "12"), ("email", "ana@"), ("timezone", "Mars/X")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = bad.text().await.unwrap();
    assert!(html.contains("is not a valid phone number") || html.contains("is not a phone number"));
    assert!(html.contains("is not a valid email address") && html.contains("is not an IANA timezone"));
    assert!(html.contains("value=\"Ana\""), "what was typed stays");

    let created = app
        .post_form(
            &format!("/campaigns/{campaign}/leads"),
            &[
                ("first_name", "Ana"),
                ("last_name", "Lima"),
                ("phone", "(212) 555-0123"),
                ("status", "new"),
                ("custom", "plan = gold"),
            ],
        )
        .await;
    let id: LeadId = id_from_location(&created, "/leads/");
    let page = app.get_html(&format!("/leads/{id}")).await;
    assert!(
        page.contains("+12125550123") && page.contains("America/New_York") && page.contains("from the phone number")
    );
    assert!(page.contains("plan = gold") && page.contains("No calls yet."));

    let duplicate = app.post_form(&format!("/campaigns/{campaign}/leads"), &[("phone", "+12125550123")]).await;
    assert_eq!(duplicate.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(duplicate.text().await.unwrap().contains("already a lead of this campaign"));
}

#[tokio::test(flavor = "multi_thread")]
async fn editing_a_lead_keeps_its_due_time_in_step_with_its_status() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;
    let id = seed(&app, campaign, &[("Ana", "Lima", "+12125550123", "Acme")])[0];
    assert!(app.with_conn(|c| db::leads::find(c, id).unwrap()).next_call_at.is_some(), "a new lead is due");

    let response = app
        .post_form(
            &format!("/leads/{id}"),
            &[
                ("first_name", "Ana"),
                ("last_name", "Lima"),
                ("phone", "+12125550123"),
                ("status", "not_interested"),
                ("custom", "a = 1\nb = two"),
            ],
        )
        .await;
    assert_is_redirect_to(&response, &format!("/leads/{id}"));
    let lead = app.with_conn(|c| db::leads::find(c, id).unwrap());
    assert_eq!(lead.status, LeadStatus::NotInterested);
    assert_eq!(lead.next_call_at, None, "a final status is never due");
    assert_eq!(lead.custom_map().len(), 2);

    let bad = app.post_form(&format!("/leads/{id}"), &[("phone", "+12125550123"), ("custom", "no equals")]).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().await.unwrap().contains("write it as name = value"));
}

#[tokio::test(flavor = "multi_thread")]
async fn lists_page_forwards_and_back_by_keyset_without_gaps() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;
    let leads: Vec<(String, String, String, String)> =
        (0..120).map(|n| (format!("Lead{n:03}"), "Test".into(), format!("+1212555{n:04}"), "Acme".into())).collect();
    let refs: Vec<(&str, &str, &str, &str)> =
        leads.iter().map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str())).collect();
    let mut ids = seed(&app, campaign, &refs);
    ids.reverse();

    let base = format!("/campaigns/{campaign}/leads");
    let first = app.get_html(&base).await;
    assert!(first.contains("120 leads in this campaign"));
    let page1 = listed_ids(&first);
    assert_eq!(page1, ids[..50]);
    assert!(link(&first, "← Previous").is_none());
    let second = app.get_html(&link(&first, "Next →").unwrap()).await;
    assert_eq!(listed_ids(&second), ids[50..100]);
    let third = app.get_html(&link(&second, "Next →").unwrap()).await;
    assert_eq!(listed_ids(&third), ids[100..]);
    assert!(link(&third, "Next →").is_none());
    let back = app.get_html(&link(&third, "← Previous").unwrap()).await;
    assert_eq!(listed_ids(&back), ids[50..100]);
    let back_again = app.get_html(&link(&back, "← Previous").unwrap()).await;
    assert_eq!(listed_ids(&back_again), ids[..50]);
    assert!(link(&back_again, "← Previous").is_none());

    // Name order pages too.
    let by_name = app.get_html(&format!("{base}?sort=name")).await;
    let names: Vec<LeadId> = listed_ids(&by_name);
    let mut expected = ids.clone();
    expected.reverse();
    assert_eq!(names, expected[..50]);
    let next = app.get_html(&link(&by_name, "Next →").unwrap()).await;
    assert_eq!(listed_ids(&next), expected[50..100]);
}

#[tokio::test(flavor = "multi_thread")]
async fn filters_and_search_find_leads_by_any_of_their_keys() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let spring = app.add_campaign("Spring").await;
    let autumn = app.add_campaign("Autumn").await;
    let ids = seed(
        &app,
        spring,
        &[
            ("Ana", "Lima", "+12125550101", "Acme Corp"),
            ("Bruno", "Costa", "+12125550102", "Beta"),
            ("Carla", "Lima", "+14155550103", "Gamma"),
        ],
    );
    let other = seed(&app, autumn, &[("Ana", "Souza", "+12125550199", "Delta")]);
    app.post_form(
        "/leads/bulk",
        &[("lead_id", &ids[1].to_string()), ("action", "status:callback"), ("back", "/leads")],
    )
    .await;
    app.post_form("/leads/bulk", &[("lead_id", &ids[2].to_string()), ("action", "test_on"), ("back", "/leads")]).await;

    let list = |query: &str| {
        let url = format!("/campaigns/{spring}/leads?{query}");
        let app = &app;
        async move { listed_ids(&app.get_html(&url).await) }
    };
    assert_eq!(list("q=ana").await, [ids[0]], "first name");
    assert_eq!(list("q=LIMA").await, [ids[2], ids[0]], "last name, case-insensitive");
    assert_eq!(list("q=carla@").await, [ids[2]], "email");
    assert_eq!(list("q=acme").await, [ids[0]], "company");
    assert_eq!(list("q=(212)+555-0102").await, [ids[1]], "a national number");
    assert_eq!(list("q=%2B1415").await, [ids[2]], "a number prefix");
    assert_eq!(list("status=callback").await, [ids[1]]);
    assert_eq!(list("test=yes").await, [ids[2]]);
    assert_eq!(list("test=no&q=lima").await, [ids[0]]);
    assert!(list("q=zzz").await.is_empty());

    let everywhere = app.get_html("/leads?q=ana").await;
    assert_eq!(listed_ids(&everywhere), [other[0], ids[0]]);
    assert!(everywhere.contains("Autumn") && everywhere.contains("Spring"), "the campaign column");
}

#[tokio::test(flavor = "multi_thread")]
async fn bulk_delete_asks_first_then_soft_deletes() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;
    let ids = seed(&app, campaign, &[("Ana", "Lima", "+12125550101", "A"), ("Bo", "Chen", "+12125550102", "B")]);
    let back = format!("/campaigns/{campaign}/leads");

    let ask = app
        .post_form(
            "/leads/bulk",
            &[
                ("lead_id", &ids[0].to_string()),
                ("lead_id", &ids[1].to_string()),
                ("action", "delete"),
                ("back", &back),
            ],
        )
        .await;
    assert_eq!(ask.status(), StatusCode::OK);
    assert!(ask.text().await.unwrap().contains("Delete 2 leads?"));
    assert_eq!(app.with_conn(|c| db::campaigns::find(c, campaign).unwrap()).lead_count, 2, "nothing deleted yet");

    let done = app
        .post_form(
            "/leads/bulk",
            &[("lead_id", &ids[0].to_string()), ("action", "delete"), ("confirm", "yes"), ("back", &back)],
        )
        .await;
    assert_is_redirect_to(&done, &back);
    assert!(app.get_html(&back).await.contains("Deleted: 1 lead."));
    assert_eq!(listed_ids(&app.get_html(&back).await), [ids[1]]);
    assert_eq!(app.with_conn(|c| db::campaigns::find(c, campaign).unwrap()).lead_count, 1);

    // The deleted lead's page stays readable, and its number can be added again.
    let page = app.get_html(&format!("/leads/{}", ids[0])).await;
    assert!(page.contains("This lead was deleted"));
    let again = app.post_form(&format!("/campaigns/{campaign}/leads"), &[("phone", "+12125550101")]).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);

    let nothing = app.post_form("/leads/bulk", &[("action", "delete"), ("back", &back)]).await;
    assert_is_redirect_to(&nothing, &back);
    let off_site = app
        .post_form(
            "/leads/bulk",
            &[("lead_id", &ids[1].to_string()), ("action", "test_on"), ("back", "https://evil.example")],
        )
        .await;
    assert_is_redirect_to(&off_site, "/leads");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_lead_page_names_the_zone_calls_are_timed_in_and_where_it_comes_from() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;
    let ids = seed(&app, campaign, &[("Ana", "Lima", "+18005550123", "Acme"), ("Bo", "Chen", "+12125550123", "B")]);

    // A toll-free number spans every US zone: the campaign's zone applies.
    let toll_free = app.get_html(&format!("/leads/{}", ids[0])).await;
    assert!(toll_free.contains("America/New_York") && toll_free.contains("the campaign&#39;s zone"), "{toll_free}");

    let saved =
        app.post_form(&format!("/leads/{}", ids[1]), &[("phone", "+12125550123"), ("timezone", "Europe/Lisbon")]).await;
    assert_is_redirect_to(&saved, &format!("/leads/{}", ids[1]));
    let explicit = app.get_html(&format!("/leads/{}", ids[1])).await;
    assert!(explicit.contains("Europe/Lisbon") && explicit.contains("set on the lead"));
}

/// The Call now control of a lead page: `Ok(())` when it can be pressed, else the reason
/// shown beside the disabled button.
async fn call_now_control(app: &TestApp, lead: voxdial::ids::LeadId) -> Result<(), String> {
    let html = app.get_html(&format!("/leads/{lead}")).await;
    let control = html.split("id=\"call-now\"").nth(1).unwrap().split("</div>\n</div>").next().unwrap().to_owned();
    if control.contains(&format!("action=\"/leads/{lead}/call\"")) {
        assert!(!control.contains("disabled"), "{control}");
        return Ok(());
    }
    assert!(control.contains("disabled"), "{control}");
    let reason = control.split("id=\"call-block\" class=\"muted small\">").nth(1).unwrap();
    Err(reason.split(" <a ").next().unwrap().split("</p>").next().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn r_call_call_now_is_disabled_with_the_reason_for_dnc_review_and_a_broken_setup() {
    let app = spawn_app().await;
    let s = crate::call_setup::call_setup(&app).await;
    assert_eq!(call_now_control(&app, s.lead).await, Ok(()));

    let lead = app.with_conn(|c| db::leads::find(c, s.lead).unwrap());
    app.with_conn(|c| {
        let entry = db::suppression::NewEntry {
            phone: &lead.phone,
            campaign_id: None,
            reason: "asked not to be called",
            source: voxdial::domain::suppression::SuppressionSource::Manual,
            created_by: None,
            interaction_id: None,
        };
        db::suppression::insert(c, &entry, db::now()).unwrap()
    });
    let reason = call_now_control(&app, s.lead).await.unwrap_err();
    assert_eq!(reason, "This number is on the do-not-call list (asked not to be called).");
    let fix = "/dnc?prefix=%2B12125550123";
    assert!(app.get_html(&format!("/leads/{}", s.lead)).await.contains(&format!("href=\"{fix}\"")));
    assert!(app.get_html(fix).await.contains("asked not to be called"), "the link finds the entry");

    // A lead whose last call has no known outcome.
    app.with_conn(|c| {
        use diesel::prelude::*;
        diesel::update(db::schema::leads::table.find(s.test_lead))
            .set(db::schema::leads::needs_review.eq(true))
            .execute(c)
            .unwrap()
    });
    assert!(call_now_control(&app, s.test_lead).await.unwrap_err().contains("outcome is unknown"));

    // A campaign without a production agent cannot call anyone.
    let bare = app.add_campaign("Bare").await;
    let orphan = crate::call_setup::add_lead(&app, bare, &[("first_name", "Ola"), ("phone", "+12125550177")]).await;
    assert!(call_now_control(&app, orphan).await.unwrap_err().starts_with("No usable voice agent"));
}

#[tokio::test(flavor = "multi_thread")]
async fn lead_lists_show_the_last_outcome_and_last_call() {
    let app = spawn_app().await;
    let s = crate::call_setup::call_setup(&app).await;
    let call = crate::call_setup::call_now(&app, s.lead).await.0.unwrap();
    let body = crate::call_setup::transcription(&format!("conv_{call}"), Some(call), Some("interested"), 2);
    assert_eq!(crate::call_setup::post_webhook(&app, s.connection, &body).await.status(), StatusCode::OK);
    let label = voxdial::domain::outcome::Outcome::Interested.label();

    for list in [format!("/campaigns/{}/leads", s.campaign), "/leads".to_owned()] {
        let html = app.get_html(&list).await;
        assert!(html.contains("<th>Last outcome</th>") && html.contains("<th>Last call (UTC)</th>"), "{list}");
        let row = |lead: LeadId| {
            let start = html.find(&format!("href=\"/leads/{lead}\"")).unwrap();
            html[start..].split("</tr>").next().unwrap().to_owned()
        };
        let called = row(s.lead);
        assert!(called.contains(&format!("<span class=\"badge badge-info\">{label}</span>")), "{called}");
        let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
        assert!(called.contains(&today), "the last call's time: {called}");
        let never_called = row(s.test_lead);
        assert!(
            !never_called.contains(label) && never_called.contains("<span class=\"muted\">—</span>"),
            "{never_called}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn counts_read_1_lead_and_2_leads() {
    let app = spawn_app().await;
    app.login_as_admin().await;
    let campaign = app.add_campaign("Spring").await;
    let list = format!("/campaigns/{campaign}/leads");
    let ids = seed(&app, campaign, &[("Ana", "Lima", "+12125550101", "A")]);
    let page = app.get_html(&list).await;
    assert!(page.contains("1 lead in this campaign.") && !page.contains("lead(s)"), "{page}");
    let ask =
        app.post_form("/leads/bulk", &[("lead_id", &ids[0].to_string()), ("action", "delete"), ("back", &list)]).await;
    assert!(ask.text().await.unwrap().contains("Delete 1 lead?"));

    seed(&app, campaign, &[("Bo", "Chen", "+12125550102", "B")]);
    assert!(app.get_html(&list).await.contains("2 leads in this campaign."));
}
