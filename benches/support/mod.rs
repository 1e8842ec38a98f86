//! What the benchmarks share: their harness, and fast seeding with multi-row inserts on the
//! concrete backend (the shared connection type has none).

// Each benchmark is its own crate and uses only part of this.
#![allow(dead_code)]

pub mod harness;
pub mod pages;

use std::time::Instant;

use diesel::prelude::*;
use voxdial::db::DbConnection;
use voxdial::db::schema::leads;
use voxdial::domain::lead::search_keys;
use voxdial::ids::CampaignId;

const FIRST: [&str; 16] = [
    "Ana", "Bruno", "Carla", "Diego", "Elena", "Felipe", "Gabriela", "Hugo", "Ines", "Jonas", "Karin", "Luis", "Maria",
    "Nuno", "Olga", "Paulo",
];
const LAST: [&str; 16] = [
    "Lima", "Costa", "Souza", "Silva", "Chen", "Novak", "Smith", "Garcia", "Muller", "Rossi", "Kowalski", "Dubois",
    "Jansen", "Berg", "Moreau", "Santos",
];
const STATUSES: [&str; 10] =
    ["new", "new", "new", "new", "new", "new", "contacted", "callback", "qualified", "not_interested"];

#[derive(Insertable)]
#[diesel(table_name = leads)]
pub struct SeedLead {
    pub campaign_id: CampaignId,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: Option<String>,
    pub company: Option<String>,
    status: String,
    is_test: bool,
    custom_fields: String,
    search_name: String,
    search_last_name: String,
    search_email: String,
    search_company: String,
    next_call_at: Option<chrono::NaiveDateTime>,
    created_at: chrono::NaiveDateTime,
    updated_at: chrono::NaiveDateTime,
}

pub fn seed_lead(campaign_id: CampaignId, n: u64, now: chrono::NaiveDateTime) -> SeedLead {
    // A cheap deterministic spread of names, companies and statuses.
    let h = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 7;
    let first = FIRST[(h % 16) as usize];
    let last = LAST[((h >> 4) % 16) as usize];
    let company =
        format!("{} {}", LAST[((h >> 8) % 16) as usize], ["Ltd", "GmbH", "Inc", "SA"][((h >> 12) % 4) as usize]);
    let email = format!("{}.{}{}@example.com", first.to_lowercase(), last.to_lowercase(), n);
    let status = STATUSES[((h >> 16) % 10) as usize];
    let [search_name, search_last_name, search_email, search_company] =
        search_keys(first, last, Some(&email), Some(&company));
    SeedLead {
        campaign_id,
        first_name: first.into(),
        last_name: last.into(),
        // Distinct, valid numbers: 212-2xx-xxxx.. for the big campaign, 415-… for imports.
        phone: format!("+1{}{:07}", if n < 5_000_000 { 212 } else { 415 }, 2_000_000 + n % 5_000_000),
        email: Some(email),
        company: Some(company),
        status: status.into(),
        is_test: n.is_multiple_of(97),
        custom_fields: "{}".into(),
        search_name,
        search_last_name,
        search_email,
        search_company,
        next_call_at: matches!(status, "new" | "contacted" | "callback").then_some(now),
        created_at: now,
        updated_at: now,
    }
}

/// An active campaign in New York time with US numbers.
pub fn add_campaign(conn: &mut DbConnection, name: &str, now: chrono::NaiveDateTime) -> CampaignId {
    let fields = voxdial::db::campaigns::CampaignFields {
        name,
        description: "",
        status: voxdial::domain::campaign::CampaignStatus::Active,
        timezone: chrono_tz::America::New_York,
        default_region: voxdial::domain::phone::Region::parse("US").unwrap(),
    };
    voxdial::db::campaigns::insert(conn, &fields, now).unwrap()
}

/// Inserts `count` leads into a campaign, sets its lead count and refreshes statistics.
pub fn seed_leads(conn: &mut DbConnection, campaign_id: CampaignId, count: u64, now: chrono::NaiveDateTime) {
    let started = Instant::now();
    let chunk = 1000;
    let mut n = 0;
    while n < count {
        let rows: Vec<SeedLead> = (n..(n + chunk).min(count)).map(|i| seed_lead(campaign_id, i, now)).collect();
        match conn {
            DbConnection::Sqlite(c) => diesel::insert_into(leads::table).values(&rows).execute(c),
            DbConnection::Pg(c) => diesel::insert_into(leads::table).values(&rows).execute(c),
        }
        .expect("seeding leads");
        n += rows.len() as u64;
        if n % 200_000 == 0 {
            eprintln!("  seeded {n} leads ({:.0}/s)", n as f64 / started.elapsed().as_secs_f64());
        }
    }
    diesel::sql_query(format!("UPDATE campaigns SET lead_count = {count} WHERE id = {campaign_id}"))
        .execute(conn)
        .unwrap();
    let analyze = match conn {
        DbConnection::Sqlite(_) => "ANALYZE",
        DbConnection::Pg(_) => "ANALYZE leads",
    };
    diesel::sql_query(analyze).execute(conn).unwrap();
    eprintln!("seeded {count} leads in {:.1} s", started.elapsed().as_secs_f64());
}
