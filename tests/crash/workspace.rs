//! A fresh database seeded through the library: a workspace whose dialer is about to call.

use std::collections::HashSet;

use diesel::prelude::*;
use voxdial::app::{Dependencies, services_context};
use voxdial::audit::Actor;
use voxdial::config::Settings;
use voxdial::crypto::{MasterKey, SecretBox};
use voxdial::db::agents::AgentFields;
use voxdial::db::campaigns::{AiAgentsSettings, CampaignFields};
use voxdial::db::interactions::Interaction;
use voxdial::db::phone_numbers::NewPhoneNumber;
use voxdial::db::providers::{NewConnection, SecretField};
use voxdial::db::schema::{interactions, worker_leases};
use voxdial::db::{self, Db, DbConnection};
use voxdial::domain::campaign::CampaignStatus;
use voxdial::domain::dialing::WeeklyWindows;
use voxdial::domain::dialing::rules::DialerRules;
use voxdial::domain::interaction::CallStatus;
use voxdial::domain::lead::RawLead;
use voxdial::domain::phone::{E164, Region};
use voxdial::domain::user::{Email, PersonName, Role};
use voxdial::error::AppError;
use voxdial::ids::{CampaignId, ConnectionId, InteractionId, LeadId};
use voxdial::provider::{ProviderKind, Telephony};
use voxdial::services::{self, connections};

use crate::fake::{FakeElevenLabs, WEBHOOK_SECRET, post_call_webhook};
use crate::process::Voxdial;

const LEADS: usize = 3;

/// A fresh database: a SQLite file in a temporary directory, or a new PostgreSQL database
/// beside the maintenance database `VOXDIAL_TEST_POSTGRES_URL` names, dropped at the end.
pub enum Database {
    Sqlite { url: String, _dir: tempfile::TempDir },
    Postgres { url: String, admin_url: String, name: String },
}

impl Database {
    fn create() -> Database {
        let Ok(admin_url) = std::env::var("VOXDIAL_TEST_POSTGRES_URL") else {
            let dir = tempfile::tempdir().expect("temporary directory");
            let url = dir.path().join("voxdial.db").display().to_string();
            return Database::Sqlite { url, _dir: dir };
        };
        let suffix = voxdial::crypto::sha256_hex(voxdial::crypto::random_token().as_bytes());
        let name = format!("voxdial_crash_{}", &suffix[..16]);
        let mut admin = diesel::PgConnection::establish(&admin_url).expect("connecting to the test PostgreSQL server");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("creating the database");
        let base = admin_url.rsplit_once('/').expect("VOXDIAL_TEST_POSTGRES_URL ends with a database name").0;
        Database::Postgres { url: format!("{base}/{name}"), admin_url, name }
    }

    pub fn url(&self) -> &str {
        match self {
            Database::Sqlite { url, .. } | Database::Postgres { url, .. } => url,
        }
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Database::Postgres { admin_url, name, .. } = self
            && let Ok(mut admin) = diesel::PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
        }
    }
}

/// Admin, a connection to the fake, a number, an agent, a campaign whose dialer runs all
/// day, one call at a time, and leads it may call now.
pub struct Workspace {
    pub fake: FakeElevenLabs,
    db: Db,
    /// The installation key the connection's secrets are sealed with (base64).
    pub key: String,
    connection: ConnectionId,
    campaign: CampaignId,
    pub leads: Vec<LeadId>,
    pub database: Database,
}

impl Workspace {
    pub async fn seed() -> Workspace {
        let database = Database::create();
        let fake = FakeElevenLabs::start().await;
        let key = MasterKey::generate();
        let settings = Settings { database_url: database.url().to_owned(), ..Settings::default() };
        let db = Db::connect(&settings.database_url, 2).expect("a database pool");
        let migrating = db.clone();
        tokio::task::spawn_blocking(move || migrating.migrate()).await.unwrap().expect("migrating");
        let ctx = services_context(&settings, db.clone(), &key, "http://127.0.0.1".into(), Dependencies::default());
        let (secrets, fake_url) = (ctx.secrets.clone(), fake.url());
        let (connection, campaign) =
            ctx.db.write(move |conn| seed_catalog(conn, &secrets, &fake_url)).await.expect("seeding");
        let actor = Actor::system("crash test");
        let rules = DialerRules {
            windows: WeeklyWindows::parse("daily 00:00-24:00").unwrap(),
            // One call at a time: one lead is caught at the failpoint, the others wait.
            max_concurrent_calls: 1,
            max_calls_per_minute: 600,
            ..DialerRules::default()
        };
        services::dialer::save_rules(&ctx, actor.clone(), campaign, rules).await.expect("saving the rules");
        let mut leads = Vec::new();
        for n in 0..LEADS {
            let raw = RawLead {
                first_name: format!("Lead{n}"),
                phone: format!("+1212555{:04}", 200 + n),
                timezone: daytime_zone(),
                ..RawLead::default()
            };
            leads.push(services::leads::create(&ctx, &actor, campaign, raw).await.expect("adding a lead"));
        }
        services::dialer::start(&ctx, actor, campaign).await.expect("starting the dialer");
        Workspace { fake, db, key: key.encode(), connection, campaign, leads, database }
    }

    pub fn with_conn<T>(&self, work: impl FnOnce(&mut DbConnection) -> T) -> T {
        work(&mut self.db.get().expect("a database connection"))
    }

    pub fn call(&self, id: InteractionId) -> Interaction {
        self.with_conn(|conn| db::interactions::find(conn, id).unwrap())
    }

    pub fn calls_of(&self, lead: LeadId) -> Vec<Interaction> {
        self.with_conn(|conn| {
            let calls = interactions::table.filter(interactions::lead_id.eq(lead)).order(interactions::id);
            calls.select(Interaction::as_select()).load(conn).unwrap()
        })
    }

    pub fn first_call_in(&self, status: CallStatus) -> Option<InteractionId> {
        self.leads.iter().flat_map(|&lead| self.calls_of(lead)).find(|call| call.status == status).map(|call| call.id)
    }

    /// Every lead has had a call, and none is live any more.
    pub fn all_settled(&self) -> bool {
        self.leads.iter().all(|&lead| {
            let calls = self.calls_of(lead);
            !calls.is_empty() && calls.iter().all(|call| !call.status.is_live())
        })
    }

    /// Ends the campaign's dialer lease now, as time would end the one a killed process held.
    pub fn expire_dialer_lease(&self) {
        let name = voxdial::dialer::claim::lease_name(self.campaign);
        let past = db::now() - chrono::Duration::seconds(1);
        let expired = self.with_conn(|conn| {
            diesel::update(worker_leases::table.find(name)).set(worker_leases::expires_at.eq(past)).execute(conn)
        });
        assert_eq!(expired.unwrap(), 1, "the killed process held the dialer lease");
    }

    /// Plays ElevenLabs' side once calls are over: each placed call gets its webhook once
    /// voxdial has stored the provider's answer, or, when a crash lost that answer, once the
    /// reconciler gave up on the call (the report comes late). `answered` remembers the calls
    /// done.
    pub async fn end_placed_calls(&self, voxdial: &Voxdial, answered: &mut HashSet<InteractionId>) {
        for placed in self.fake.placed().await {
            let id = placed.interaction;
            let call = self.call(id);
            if answered.contains(&id) || (call.provider_conversation_id.is_none() && call.status != CallStatus::Unknown)
            {
                continue;
            }
            post_call_webhook(&voxdial.address, self.connection, id).await;
            answered.insert(id);
        }
    }
}

fn seed_catalog(
    conn: &mut DbConnection,
    secrets: &SecretBox,
    fake_url: &str,
) -> Result<(ConnectionId, CampaignId), AppError> {
    let now = db::now();
    let hash = voxdial::auth::password::hash_blocking("crash test admin password")?;
    let (email, name) = (Email::parse("admin@example.com").unwrap(), PersonName::parse("Ada Admin").unwrap());
    db::users::insert(conn, &email, &name, &hash, Role::Admin, now)?;
    let connection = NewConnection {
        kind: ProviderKind::ElevenLabs,
        name: "Fake ElevenLabs",
        api_base_url: fake_url,
        api_key: connections::seal(secrets, SecretField::ApiKey, "sk_crash_test_key"),
        webhook_secret: Some(connections::seal(secrets, SecretField::WebhookSecret, WEBHOOK_SECRET)),
        inbound_token: None,
    };
    let connection_id = db::providers::insert(conn, connection, now)?;
    let e164 = E164::parse("+12125550100", None).unwrap();
    let number = NewPhoneNumber {
        provider_connection_id: connection_id,
        e164: &e164,
        label: "Main",
        provider_phone_number_id: "pn_main",
        telephony: Telephony::Twilio,
    };
    let number_id = db::phone_numbers::insert(conn, &number, now)?;
    let agent = AgentFields {
        provider_connection_id: connection_id,
        name: "Production Pat",
        spoken_name: "",
        provider_agent_id: "agent_prod",
        default_phone_number_id: Some(number_id),
    };
    let agent_id = db::agents::insert(conn, &agent, now)?;
    let campaign = CampaignFields {
        name: "Crash test",
        description: "",
        status: CampaignStatus::Active,
        timezone: chrono_tz::America::New_York,
        default_region: Region::parse("US").unwrap(),
    };
    let campaign_id = db::campaigns::insert(conn, &campaign, now)?;
    let agents = AiAgentsSettings {
        production_agent_id: Some(agent_id),
        test_agent_id: None,
        prompt_template_id: None,
        phone_number_id: Some(number_id),
    };
    db::campaigns::set_ai_agents(conn, campaign_id, &agents, now)?;
    Ok((connection_id, campaign_id))
}

/// A fixed-offset zone (`Etc/GMT±N`) in which it is about 13:00 now, well inside the legal
/// hours for the length of a test.
fn daytime_zone() -> String {
    use chrono::Timelike as _;
    let offset = (13 - chrono::Utc::now().hour() as i32 + 36) % 24 - 12;
    // Etc zones count the other way round: Etc/GMT-3 is three hours ahead of UTC.
    if offset >= 0 { format!("Etc/GMT-{offset}") } else { format!("Etc/GMT+{}", -offset) }
}
