//! The installation's secret key, checked against the database (several instances share
//! one key, or refuse to start).
//!
//! The first instance to start on a database seals a known constant with its key and stores
//! it. Every later start opens it: with another key the seal does not open, and the
//! instance stops with a message instead of running with a key of its own — which would
//! seal provider secrets its peers cannot read and fail to read theirs.

use anyhow::bail;

use crate::db;
use crate::services::Ctx;

const PURPOSE: &str = "installation key check";
const CONSTANT: &str = "voxdial installation key check";

/// Records the key check on a new database, or verifies it; a different key is an error
/// that says what to do.
pub async fn require_matching_key(ctx: &Ctx) -> anyhow::Result<()> {
    let secrets = ctx.secrets.clone();
    let now = ctx.clock.now();
    let stored = ctx
        .db
        .write(move |conn| {
            if db::installation::key_check(conn)?.is_none() {
                db::installation::record_key_check(conn, &secrets.seal(PURPOSE, CONSTANT), now)?;
            }
            Ok(db::installation::key_check(conn)?)
        })
        .await?;
    match stored.map(|sealed| ctx.secrets.open(PURPOSE, &sealed)) {
        Some(Ok(constant)) if constant == CONSTANT => Ok(()),
        _ => bail!(
            "the secret key does not match the one this database was set up with; every instance on a database \
             needs the same key: set secret_key (VOXDIAL_SECRET_KEY) or secret_key_file to the key of the first \
             instance"
        ),
    }
}
