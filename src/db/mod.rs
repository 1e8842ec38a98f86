//! The one data layer. Query functions take `&mut DbConnection` and return `QueryResult`;
//! the caller decides where the transaction starts and ends.
//!
//! Lookups by a unique key use `get_result`, not `first`: `first` adds `LIMIT ?`, and SQLite
//! re-prepares a statement whose LIMIT is a bound parameter each time it runs, which costs
//! more than the lookup itself.

mod connection;
pub mod schema;
pub mod types;

pub mod agents;
pub mod analytics;
pub mod audit;
pub mod call_lists;
pub mod campaigns;
pub mod dashboard;
pub mod dial_queue;
pub mod dialer;
pub mod imports;
pub mod inbound;
pub mod installation;
pub mod interactions;
pub mod invites;
pub mod lead_lists;
pub mod leads;
pub mod leases;
pub mod llm_connections;
pub mod login_attempts;
pub mod paging;
pub mod phone_numbers;
pub mod pipeline;
pub mod problems;
pub mod providers;
pub mod recordings;
pub mod sessions;
pub mod suppression;
pub mod templates;
pub mod users;
pub mod webhook_events;
pub mod workspace;

use std::time::Duration;

use anyhow::Context as _;
use diesel::connection::{AnsiTransactionManager, TransactionManager};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub use connection::{Backend, ConnectionManager, DbConnection, sqlite_path};

use crate::error::AppError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Any fixed number works; it only has to be the same for every voxdial instance.
const MIGRATION_LOCK_KEY: i64 = 0x0076_6f78_6469_616c;

pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// The connection pool, cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: r2d2::Pool<ConnectionManager>,
    backend: Backend,
}

impl Db {
    /// Builds the pool without opening connections yet, so the app still starts (and
    /// `/readyz` says why) when the database is briefly away.
    pub fn connect(url: &str, pool_size: u32) -> anyhow::Result<Db> {
        let manager = ConnectionManager::new(url, 5_000);
        let backend = manager.backend();
        if backend == Backend::Sqlite {
            // A new file switches to WAL on its first connection; done once here, so that the
            // pool's first connections do not race for it (and log "database is locked").
            manager.establish().with_context(|| format!("opening the SQLite database {}", sqlite_path(url)))?;
        }
        let pool = r2d2::Pool::builder()
            .max_size(pool_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            .build_unchecked(manager);
        Ok(Db { pool, backend })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Connections open and idle now, and the most the pool opens (for `/metrics`).
    pub fn pool_usage(&self) -> (r2d2::State, u32) {
        (self.pool.state(), self.pool.max_size())
    }

    /// A pooled connection for blocking contexts (CLI, background workers already on a
    /// blocking thread). Async code uses [`Db::run`].
    pub fn get(&self) -> Result<PooledConnection, AppError> {
        self.pool.get().map_err(|e| AppError::Unavailable(anyhow::anyhow!(e).context("no database connection")))
    }

    /// Runs blocking database work on the blocking thread pool, keeping the tracing span.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        let db = self.clone();
        let span = tracing::Span::current();
        tokio::task::spawn_blocking(move || {
            let _entered = span.enter();
            let mut conn = db.get()?;
            work(&mut conn)
        })
        .await
        .map_err(|e| AppError::Unexpected(anyhow::anyhow!(e).context("database task panicked")))?
    }

    /// Whether the database answers a trivial query (readiness).
    pub async fn ping(&self) -> Result<(), AppError> {
        self.run(|conn| Ok(diesel::sql_query("SELECT 1").execute(conn).map(drop)?)).await
    }

    /// Runs blocking work in one read-write transaction ([`write_tx`]) on the blocking pool.
    pub async fn write<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, AppError> + Send + 'static,
        T: Send + 'static,
    {
        self.run(move |conn| write_tx(conn, work)).await
    }

    /// Applies pending migrations; safe to call from several instances at once.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut conn = self.get().map_err(anyhow::Error::from)?;
        run_migrations(&mut conn)
    }
}

/// Runs the embedded migrations of the connection's backend. On PostgreSQL an advisory
/// lock serialises concurrent starters (diesel takes none).
pub fn run_migrations(conn: &mut DbConnection) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .iter()
            .map(ToString::to_string)
            .collect(),
        DbConnection::Pg(c) => {
            diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
                .execute(c)
                .context("taking the migration lock")?;
            let result = c
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.iter().map(ToString::to_string).collect())
                .map_err(|e| anyhow::anyhow!("{e}"));
            diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))
                .execute(c)
                .context("releasing the migration lock")?;
            result?
        }
    };
    Ok(applied)
}

/// Reverts every migration (used by the round-trip test).
pub fn revert_all_migrations(conn: &mut DbConnection) -> anyhow::Result<()> {
    match conn {
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(drop),
        DbConnection::Pg(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(drop),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))
}

/// A read-write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so a transaction
/// that reads before it writes waits for the write lock (honouring `busy_timeout`) instead
/// of failing with SQLITE_BUSY when it upgrades.
pub fn write_tx<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<DieselError>,
{
    match conn {
        DbConnection::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConnection::Pg(c) => AnsiTransactionManager::begin_transaction(c)?,
    }
    match work(conn) {
        Ok(value) => {
            DbConnection::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            DbConnection::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

/// Runs a write that a unique constraint may refuse; `None` when it did. The write runs in
/// a savepoint: on PostgreSQL a failed statement would otherwise poison the surrounding
/// transaction, and its COMMIT would silently roll everything back.
pub fn unless_duplicate<T>(
    conn: &mut DbConnection,
    write: impl FnOnce(&mut DbConnection) -> QueryResult<T>,
) -> QueryResult<Option<T>> {
    match conn.transaction(write) {
        Ok(value) => Ok(Some(value)),
        Err(e) if is_unique_violation(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// True when the error is a violation of a unique constraint or index.
pub fn is_unique_violation(err: &DieselError) -> bool {
    matches!(err, DieselError::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
}

/// The current time as stored in the database: UTC, microsecond precision (PostgreSQL's).
pub fn now() -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}
