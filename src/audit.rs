//! Writes the audit log. Called inside the transaction that makes the change, so the
//! record and the change commit together.

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::db::{self, DbConnection};
use crate::ids::UserId;

/// Who did it: a team member, or voxdial itself (the command line, the dialer).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<UserId>,
    pub name: String,
}

impl Actor {
    pub fn user(id: UserId, name: &str) -> Actor {
        Actor { user_id: Some(id), name: name.to_owned() }
    }

    pub fn system(name: &str) -> Actor {
        Actor { user_id: None, name: name.to_owned() }
    }
}

/// What changed: an action (e.g. `user.disable`) on an object (`user`, 42), with a summary
/// people can read.
pub struct Change<'a> {
    pub action: &'a str,
    pub object_kind: &'a str,
    pub object_id: Option<i64>,
    pub summary: &'a str,
}

pub fn record(conn: &mut DbConnection, actor: &Actor, change: Change<'_>, now: NaiveDateTime) -> QueryResult<()> {
    db::audit::insert(
        conn,
        &db::audit::NewAuditEntry {
            user_id: actor.user_id,
            actor: &actor.name,
            action: change.action,
            object_kind: change.object_kind,
            object_id: change.object_id,
            summary: change.summary,
            created_at: now,
        },
    )?;
    Ok(())
}
