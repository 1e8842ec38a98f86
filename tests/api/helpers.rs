//! The test harness: a fresh database and a running app per test, an HTTP client that
//! keeps cookies and does not follow redirects, and helpers for the common steps.

use std::path::PathBuf;
use std::sync::{LazyLock, Mutex};

use actix_web::web::Data;
use diesel::{Connection as _, RunQueryDsl as _};
use reqwest::StatusCode;
use voxdial::app::{AppState, Application, Dependencies};
use voxdial::config::Settings;
use voxdial::crypto::MasterKey;
use voxdial::db::{self, DbConnection};
use voxdial::domain::user::{Email, PersonName, Role};
use voxdial::ids::{AgentId, CampaignId, ConnectionId, PhoneNumberId, TemplateId, UserId};
use voxdial::services::Ctx;

pub const PASSWORD: &str = "correct horse battery staple";

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        voxdial::telemetry::init("info,voxdial=debug", false);
    }
});

/// A database for one test, removed when the test ends.
pub enum TestDatabase {
    Sqlite {
        url: String,
        _dir: tempfile::TempDir,
    },
    Postgres {
        url: String,
        admin_url: String,
        name: String,
    },
    /// Another app's database (a second instance); its owner removes it.
    Shared {
        url: String,
        postgres: bool,
    },
}

impl TestDatabase {
    pub fn create() -> TestDatabase {
        match std::env::var("VOXDIAL_TEST_POSTGRES_URL") {
            Ok(admin_url) => {
                // The URL names a maintenance database (…/postgres); each test gets a sibling.
                let name = format!(
                    "voxdial_test_{}",
                    voxdial::crypto::sha256_hex(voxdial::crypto::random_token().as_bytes())[..16].to_owned()
                );
                let mut admin =
                    diesel::PgConnection::establish(&admin_url).expect("connecting to the test PostgreSQL server");
                diesel::sql_query(format!("CREATE DATABASE {name}"))
                    .execute(&mut admin)
                    .expect("creating the test database");
                let base =
                    admin_url.rsplit_once('/').expect("VOXDIAL_TEST_POSTGRES_URL must end with a database name").0;
                let url = format!("{base}/{name}");
                TestDatabase::Postgres { url, admin_url, name }
            }
            Err(_) => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = dir.path().join("voxdial.db").display().to_string();
                TestDatabase::Sqlite { url, _dir: dir }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDatabase::Sqlite { url, .. }
            | TestDatabase::Postgres { url, .. }
            | TestDatabase::Shared { url, .. } => url,
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDatabase::Postgres { .. } | TestDatabase::Shared { postgres: true, .. })
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let TestDatabase::Postgres { admin_url, name, .. } = self {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Off the async runtime: dropping may happen inside it.
            let _ = std::thread::spawn(move || {
                if let Ok(mut admin) = diesel::PgConnection::establish(&admin_url) {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin);
                }
            })
            .join();
        }
    }
}

/// Settings for a test app on `database`: random port, one worker, background loops off
/// (tests drive steps directly), a fixed secret key.
pub fn test_settings(database: &TestDatabase) -> Settings {
    Settings {
        bind: "127.0.0.1:0".into(),
        database_url: database.url().to_owned(),
        database_pool_size: 4,
        secret_key: Some(MasterKey::generate().encode()),
        workers: Some(1),
        background_tasks: false,
        ..Settings::default()
    }
}

pub struct TestApp {
    pub address: String,
    pub state: Data<AppState>,
    /// The default browser session; `new_session` opens more.
    session: TestSession,
    handle: actix_web::dev::ServerHandle,
    pub database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with_deps(configure, Dependencies::default()).await
}

/// An app whose clock or provider the test supplies.
pub async fn spawn_app_with_deps(configure: impl FnOnce(&mut Settings), deps: Dependencies) -> TestApp {
    LazyLock::force(&TRACING);
    let database = TestDatabase::create();
    let mut settings = test_settings(&database);
    configure(&mut settings);
    let app = Application::build_with(settings, deps).await.expect("building the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let state = app.state();
    let handle = app.handle();
    tokio::spawn(app.run_until_stopped());
    let session = TestSession::new(&address);
    TestApp { address, state, session, handle, database }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move { handle.stop(false).await });
        }
    }
}

impl std::ops::Deref for TestApp {
    type Target = TestSession;

    fn deref(&self) -> &TestSession {
        &self.session
    }
}

impl TestApp {
    /// A second instance of the app on the same database and secret key (as several
    /// instances share one PostgreSQL); it must not outlive `self`.
    pub async fn sibling(&self) -> TestApp {
        self.sibling_with(Dependencies::default()).await
    }

    /// A second instance with its own clock, provider or name.
    pub async fn sibling_with(&self, deps: Dependencies) -> TestApp {
        let mut settings = self.state.settings.clone();
        settings.bind = "127.0.0.1:0".into();
        let database =
            TestDatabase::Shared { url: self.database.url().to_owned(), postgres: self.database.is_postgres() };
        let app = Application::build_with(settings, deps).await.expect("building the second instance");
        let address = format!("http://127.0.0.1:{}", app.port());
        let (state, handle) = (app.state(), app.handle());
        tokio::spawn(app.run_until_stopped());
        let session = TestSession::new(&address);
        TestApp { address, state, session, handle, database }
    }

    /// Another browser (own cookies) against the same app.
    pub fn new_session(&self) -> TestSession {
        TestSession::new(&self.address)
    }

    /// The services' context, to drive services and background steps directly.
    pub fn ctx(&self) -> &Ctx {
        &self.state.ctx
    }

    /// A connection to the test database, for arranging and asserting directly.
    pub fn conn(&self) -> db::PooledConnection {
        self.state.ctx.db.get().expect("database connection")
    }

    pub fn with_conn<T>(&self, work: impl FnOnce(&mut DbConnection) -> T) -> T {
        work(&mut self.conn())
    }

    pub fn create_user(&self, email: &str, name: &str, role: Role) -> UserId {
        let hash = voxdial::auth::password::hash_blocking(PASSWORD).unwrap();
        let email = Email::parse(email).unwrap();
        let name = PersonName::parse(name).unwrap();
        self.with_conn(|conn| db::users::insert(conn, &email, &name, &hash, role, db::now()).unwrap())
    }

    /// Creates an admin and logs the default session in as them.
    pub async fn login_as_admin(&self) -> UserId {
        self.login_as("admin@example.com", "Ada Admin", Role::Admin).await
    }

    pub async fn login_as(&self, email: &str, name: &str, role: Role) -> UserId {
        let id = self.create_user(email, name, role);
        let response = self.login(email, PASSWORD).await;
        assert_is_redirect_to(&response, "/");
        id
    }
}

/// One browser: a cookie jar, no automatic redirects, and the session's CSRF token.
pub struct TestSession {
    pub address: String,
    pub client: reqwest::Client,
    csrf: Mutex<Option<String>>,
}

impl TestSession {
    fn new(address: &str) -> TestSession {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .cookie_store(true)
            .build()
            .expect("HTTP client");
        TestSession { address: address.to_owned(), client, csrf: Mutex::new(None) }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// GET a page that must answer 200, returning its HTML.
    pub async fn get_html(&self, path: &str) -> String {
        let response = self.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let html = response.text().await.unwrap();
        self.remember_csrf_from(&html);
        html
    }

    /// The CSRF token of this session, read from a page once and then cached.
    pub async fn csrf_token(&self) -> String {
        if let Some(token) = self.csrf.lock().unwrap().clone() {
            return token;
        }
        // Whichever of these pages answers (the others redirect) carries the token.
        let mut token = None;
        for page in ["/login", "/setup", "/profile"] {
            token = extract_csrf(&self.get(page).await.text().await.unwrap());
            if token.is_some() {
                break;
            }
        }
        let token = token.expect("a page with a CSRF token");
        *self.csrf.lock().unwrap() = Some(token.clone());
        token
    }

    pub fn remember_csrf_from(&self, html: &str) {
        if let Some(token) = extract_csrf(html) {
            *self.csrf.lock().unwrap() = Some(token);
        }
    }

    /// POST a form with the session's CSRF token added.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf_token", &token));
        self.client.post(self.url(path)).form(&body).send().await.expect("POST")
    }

    /// POST as htmx does: the token in a header and `HX-Request: true`.
    pub async fn post_htmx(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        self.client
            .post(self.url(path))
            .header("HX-Request", "true")
            .header("X-CSRF-Token", token)
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// Logs out (the session and its CSRF token end).
    pub async fn logout(&self) -> reqwest::Response {
        let response = self.post_form("/logout", &[]).await;
        *self.csrf.lock().unwrap() = None;
        response
    }

    /// Logs in (the CSRF token changes at login).
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        let response = self.post_form("/login", &[("email", email), ("password", password)]).await;
        *self.csrf.lock().unwrap() = None;
        response
    }
}

pub fn extract_csrf(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

pub fn assert_is_redirect_to(response: &reqwest::Response, location: &str) {
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "expected a redirect to {location}");
    assert_eq!(response.headers().get("location").and_then(|v| v.to_str().ok()), Some(location));
}

/// Where screenshots from browser tests go (looked at by people, not asserted).
pub fn screenshot_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The id at the end of a redirect's location, e.g. `/campaigns/7/ai-agents` → 7.
pub fn id_from_location<Id: std::str::FromStr>(response: &reqwest::Response, prefix: &str) -> Id {
    let location = response.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or_else(|| {
        panic!("expected a redirect, got {}", response.status());
    });
    location
        .strip_prefix(prefix)
        .and_then(|rest| rest.split(['/', '?']).next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no id in {location}"))
}

/// Setting up the catalog through the pages, as a user would.
impl TestSession {
    pub async fn add_connection(&self, name: &str, base_url: &str) -> ConnectionId {
        let response = self
            .post_form(
                "/settings/providers",
                &[
                    ("kind", "elevenlabs"),
                    ("name", name),
                    ("api_base_url", base_url),
                    ("api_key", crate::fake_provider::API_KEY),
                    ("webhook_secret", "whsec_test_secret"),
                    ("inbound_token", "inbound_test_token"),
                ],
            )
            .await;
        id_from_location(&response, "/settings/providers/")
    }

    pub async fn add_number(
        &self,
        connection_id: ConnectionId,
        e164: &str,
        label: &str,
        provider_id: &str,
    ) -> PhoneNumberId {
        let response = self
            .post_form(
                "/phone-numbers",
                &[
                    ("provider_connection_id", &connection_id.to_string()),
                    ("e164", e164),
                    ("region", "US"),
                    ("label", label),
                    ("provider_phone_number_id", provider_id),
                    ("telephony", "twilio"),
                ],
            )
            .await;
        assert_is_redirect_to(&response, "/phone-numbers");
        self.last_id("phone_numbers", provider_id).await
    }

    pub async fn add_agent(
        &self,
        connection_id: ConnectionId,
        name: &str,
        agent_id: &str,
        default_number: Option<PhoneNumberId>,
    ) -> AgentId {
        let number = default_number.map(|n| n.to_string()).unwrap_or_default();
        let response = self
            .post_form(
                "/agents",
                &[
                    ("name", name),
                    ("provider_connection_id", &connection_id.to_string()),
                    ("provider_agent_id", agent_id),
                    ("default_phone_number_id", &number),
                ],
            )
            .await;
        assert_is_redirect_to(&response, "/agents");
        self.last_id("voice_agents", agent_id).await
    }

    pub async fn add_template(&self, name: &str, system_prompt: &str, first_message: &str) -> TemplateId {
        let response = self
            .post_form(
                "/templates",
                &[("name", name), ("system_prompt", system_prompt), ("first_message", first_message)],
            )
            .await;
        id_from_location(&response, "/templates/")
    }

    pub async fn add_campaign(&self, name: &str) -> CampaignId {
        let response = self
            .post_form(
                "/campaigns",
                &[("name", name), ("status", "active"), ("timezone", "America/New_York"), ("default_region", "US")],
            )
            .await;
        id_from_location(&response, "/campaigns/")
    }

    /// Finds the id of a row by its provider id through the list pages' HTML ids.
    async fn last_id<Id: std::str::FromStr>(&self, table: &str, provider_id: &str) -> Id {
        let (page, marker) = match table {
            "phone_numbers" => ("/phone-numbers", "id=\"number-"),
            _ => ("/agents", "id=\"agent-"),
        };
        let html = self.get_html(page).await;
        let at = html.find(provider_id).unwrap_or_else(|| panic!("{provider_id} not listed on {page}"));
        let start = html[..at].rfind(marker).expect("row id") + marker.len();
        let end = start + html[start..].find('"').unwrap();
        html[start..end].parse().unwrap_or_else(|_| panic!("no id for {provider_id}"))
    }
}

/// Lead imports through the pages.
impl TestSession {
    /// Uploads a CSV file to a campaign; the response is the redirect to the mapping step.
    pub async fn upload_csv(&self, campaign_id: CampaignId, file_name: &str, bytes: Vec<u8>) -> reqwest::Response {
        let token = self.csrf_token().await;
        let part = reqwest::multipart::Part::bytes(bytes).file_name(file_name.to_owned()).mime_str("text/csv").unwrap();
        self.client
            .post(self.url(&format!("/campaigns/{campaign_id}/imports")))
            .multipart(reqwest::multipart::Form::new().text("csrf_token", token).part("file", part))
            .send()
            .await
            .expect("upload")
    }
}

impl TestApp {
    /// Runs the import worker once, as the background loop would.
    pub async fn run_imports(&self) -> Option<voxdial::ids::ImportId> {
        let ctx = self.ctx().clone();
        tokio::task::spawn_blocking(move || voxdial::imports::step(&ctx, db::now(), &|| true)).await.unwrap().unwrap()
    }
}
