//! What the dry-run tests seed: leads in every zone group, on do-not-call lists and without a
//! zone; a campaign to call them; and the re-check of every dial against the rules.

use std::collections::HashSet;

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use voxdial::audit::Actor;
use voxdial::db::schema::{campaigns, leads};
use voxdial::db::{self, DbConnection};
use voxdial::dialer::simulate::Dial;
use voxdial::domain::dialing::rules::DialerRules;
use voxdial::domain::dialing::{CallingRules, WeeklyWindows, profile_for_number, verdict};
use voxdial::domain::lead::search_keys;
use voxdial::domain::phone::E164;
use voxdial::domain::suppression::SuppressionSource;
use voxdial::ids::CampaignId;
use voxdial::services;

use crate::helpers::TestApp;

/// A zone group: where its leads live and how their numbers look.
pub struct Group {
    pub name: &'static str,
    pub zone: &'static str,
    /// The number up to the subscriber digits.
    prefix: &'static str,
    digits: u32,
    /// The number alone does not tell the zone (Alaska spans two).
    zone_always_given: bool,
}

const fn group(name: &'static str, zone: &'static str, prefix: &'static str, digits: u32) -> Group {
    Group { name, zone, prefix, digits, zone_always_given: false }
}

/// Every US zone (Arizona without daylight saving; Florida, Texas and Alabama for their
/// state rules), and zones in Europe and Asia-Pacific.
pub const GROUPS: [Group; 16] = [
    group("US Eastern", "America/New_York", "+1212", 7),
    group("US Eastern", "America/New_York", "+1305", 7),
    group("US Central", "America/Chicago", "+1312", 7),
    group("US Central", "America/Chicago", "+1214", 7),
    group("US Central", "America/Chicago", "+1205", 7),
    group("US Mountain", "America/Denver", "+1303", 7),
    group("US Arizona", "America/Phoenix", "+1602", 7),
    group("US Pacific", "America/Los_Angeles", "+1415", 7),
    Group { zone_always_given: true, ..group("US Alaska", "America/Anchorage", "+1907", 7) },
    group("US Hawaii", "Pacific/Honolulu", "+1808", 7),
    group("London", "Europe/London", "+44161", 7),
    group("Berlin", "Europe/Berlin", "+4930", 8),
    group("Madrid", "Europe/Madrid", "+3491", 7),
    group("Sydney", "Australia/Sydney", "+612", 8),
    group("Tokyo", "Asia/Tokyo", "+813", 8),
    group("Singapore", "Asia/Singapore", "+656", 7),
];

/// The leads a test seeded, by what the dialer must do with them.
pub struct Seeded {
    pub do_not_call: HashSet<String>,
    pub toll_free: HashSet<String>,
}

#[derive(Insertable)]
#[diesel(table_name = leads, treat_none_as_null = true)]
struct NewLead {
    campaign_id: CampaignId,
    first_name: String,
    last_name: String,
    phone: String,
    timezone: Option<String>,
    status: String,
    custom_fields: String,
    search_name: String,
    search_last_name: String,
    search_email: String,
    search_company: String,
    next_call_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// Seeds `count` leads round `groups`: every other lead with its zone given, the rest
/// timed by their number; every `toll_free_every`th a toll-free number without a zone, every
/// `dnc_every`th on a do-not-call list (global and the campaign's in turn). Lead `n` is due at
/// `due(n)`. Multi-row inserts, as the shared connection type has none.
pub fn seed(
    app: &TestApp,
    campaign: CampaignId,
    groups: &[Group],
    count: usize,
    (toll_free_every, dnc_every): (usize, usize),
    due: impl Fn(usize) -> NaiveDateTime,
) -> Seeded {
    let mut seeded = Seeded { do_not_call: HashSet::new(), toll_free: HashSet::new() };
    let mut conn = app.conn();
    let now = db::now();
    let rows: Vec<NewLead> = (0..count)
        .map(|n| {
            let group = &groups[n % groups.len()];
            let serial = (n / groups.len()) as u64;
            let (phone, timezone) = if n % toll_free_every == toll_free_every - 1 {
                let phone = format!("+1800{:07}", 2_000_000 + n);
                seeded.toll_free.insert(phone.clone());
                (phone, None)
            } else {
                let first = 2 * 10u64.pow(group.digits - 1);
                let given = group.zone_always_given || n % 2 == 0;
                (format!("{}{}", group.prefix, first + serial), given.then(|| group.zone.to_owned()))
            };
            if n % dnc_every == dnc_every / 2 {
                seeded.do_not_call.insert(phone.clone());
            }
            let [search_name, search_last_name, search_email, search_company] =
                search_keys("Lead", &n.to_string(), None, None);
            NewLead {
                campaign_id: campaign,
                first_name: "Lead".into(),
                last_name: n.to_string(),
                phone,
                timezone,
                status: "new".into(),
                custom_fields: "{}".into(),
                search_name,
                search_last_name,
                search_email,
                search_company,
                next_call_at: Some(due(n)),
                created_at: now,
                updated_at: now,
            }
        })
        .collect();
    for chunk in rows.chunks(1000) {
        let insert = diesel::insert_into(leads::table).values(chunk);
        match &mut *conn {
            DbConnection::Sqlite(c) => insert.execute(c),
            DbConnection::Pg(c) => insert.execute(c),
        }
        .expect("seeding leads");
    }
    diesel::update(campaigns::table.find(campaign))
        .set(campaigns::lead_count.eq(count as i32))
        .execute(&mut *conn)
        .unwrap();
    let phones: Vec<E164> = seeded.do_not_call.iter().map(|p| E164::from_stored(p.clone()).unwrap()).collect();
    let entries: Vec<db::suppression::NewEntry<'_>> = phones
        .iter()
        .enumerate()
        .map(|(i, phone)| db::suppression::NewEntry {
            phone,
            campaign_id: (i % 2 == 1).then_some(campaign),
            reason: "asked by letter",
            source: SuppressionSource::Manual,
            created_by: None,
            interaction_id: None,
        })
        .collect();
    db::suppression::insert_many(&mut conn, &entries, now).unwrap();
    seeded
}

/// A campaign with an agent, a number and (if asked) a prompt template, its dialer rules saved
/// but the dialer never started. The app's provider is the scripted one, which knows the agent
/// that saving the AI Agents settings checks.
pub async fn campaign_with(app: &TestApp, rules: DialerRules, with_template: bool) -> CampaignId {
    app.login_as_admin().await;
    let connection = app.add_connection("ElevenLabs", "http://127.0.0.1:9").await;
    let number = app.add_number(connection, "+14155550100", "Main", "pn_main").await;
    let agent = app.add_agent(connection, "Production Pat", "agent_prod", Some(number)).await;
    let template = app.add_template("Opening", "You call {{ lead.first_name }}.", "Hi {{ lead.first_name }}!").await;
    let campaign = app.add_campaign("Worldwide").await;
    let saved = app
        .post_form(
            &format!("/campaigns/{campaign}/ai-agents"),
            &[
                ("production_agent_id", &agent.to_string()),
                ("test_agent_id", ""),
                ("prompt_template_id", &if with_template { template.to_string() } else { String::new() }),
                ("phone_number_id", ""),
            ],
        )
        .await;
    assert_eq!(saved.status(), reqwest::StatusCode::SEE_OTHER);
    services::dialer::save_rules(app.ctx(), Actor::system("test"), campaign, rules).await.unwrap();
    campaign
}

pub fn utc(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

/// Every way a dial could break the rules, counted: outside the windows or the floor in the
/// lead's zone with its regional profile, to a do-not-call number, or without a known zone.
#[derive(Debug, Default, PartialEq)]
pub struct Violations {
    outside_hours: Vec<String>,
    do_not_call: usize,
    no_zone: usize,
}

pub fn violations(dials: &[Dial], windows: &WeeklyWindows, seeded: &Seeded) -> Violations {
    let mut found = Violations::default();
    for dial in dials {
        let Some(zone) = dial.zone else {
            found.no_zone += 1;
            continue;
        };
        if seeded.do_not_call.contains(dial.phone.as_str()) {
            found.do_not_call += 1;
        }
        let rules = CallingRules { campaign: windows, profile: profile_for_number(dial.phone.as_str()) };
        // The first twenty are enough to see what went wrong.
        if !verdict(&rules, zone, dial.at).is_open() && found.outside_hours.len() < 20 {
            found.outside_hours.push(format!("{} at {} in {}", dial.phone, dial.at, zone.name()));
        }
    }
    found
}
