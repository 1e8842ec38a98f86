//! The connection type shared by both backends and the r2d2 manager that picks one.
//!
//! `#[derive(MultiConnection)]` emits a module of its own into the enclosing module, so it
//! lives alone here.

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{Error as R2d2Error, R2D2Connection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    /// `postgres://` and `postgresql://` URLs name PostgreSQL; anything else is a SQLite file
    /// (an optional `sqlite://` prefix is accepted).
    pub fn from_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// Strips an optional `sqlite://` scheme so the rest is a file path SQLite understands.
pub fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://").unwrap_or(url)
}

/// Chooses the backend by URL scheme instead of the derive's try-each `establish`, so a
/// PostgreSQL failure reports its real cause rather than "invalid connection url".
#[derive(Debug, Clone)]
pub struct ConnectionManager {
    url: String,
    backend: Backend,
    sqlite_busy_timeout_ms: u32,
}

impl ConnectionManager {
    pub fn new(url: &str, sqlite_busy_timeout_ms: u32) -> Self {
        ConnectionManager { url: url.to_owned(), backend: Backend::from_url(url), sqlite_busy_timeout_ms }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Opens one connection, configured as the pool would configure it.
    pub fn establish(&self) -> Result<DbConnection, R2d2Error> {
        match self.backend {
            Backend::Postgres => {
                PgConnection::establish(&self.url).map(DbConnection::Pg).map_err(R2d2Error::ConnectionError)
            }
            Backend::Sqlite => {
                let mut conn =
                    SqliteConnection::establish(sqlite_path(&self.url)).map_err(R2d2Error::ConnectionError)?;
                // busy_timeout first, so the WAL switch itself waits for a busy file.
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {};
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA cache_size = -16000;
                     PRAGMA temp_store = MEMORY;",
                    self.sqlite_busy_timeout_ms
                ))
                .map_err(|e| R2d2Error::ConnectionError(ConnectionError::CouldntSetupConfiguration(e)))?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = R2d2Error;

    fn connect(&self) -> Result<DbConnection, R2d2Error> {
        self.establish()
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), R2d2Error> {
        match conn {
            // A SQLite connection is an open file: nothing to lose between checkouts.
            DbConnection::Sqlite(_) => Ok(()),
            DbConnection::Pg(_) => conn.ping().map_err(R2d2Error::QueryError),
        }
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}
