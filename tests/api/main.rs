//! Black-box tests: each test starts the real application on a random port with its own
//! fresh database (SQLite by default, PostgreSQL when VOXDIAL_TEST_POSTGRES_URL is set).
//! All tests build into this one binary.

mod helpers;

mod auth;
mod browser;
mod cli;
mod csrf;
mod headers;
mod health;
mod schema;
mod team;
