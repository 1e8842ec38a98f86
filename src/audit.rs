//! Writes the audit log. Called inside the transaction that makes the change, so the
//! record and the change commit together.

use diesel::QueryResult;

use crate::db::{self, DbConnection};

/// Who did it: a team member, or an operator at the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
}

impl Actor {
    pub fn user(id: i64, name: &str) -> Actor {
        Actor { user_id: Some(id), name: name.to_owned() }
    }

    pub fn system(name: &str) -> Actor {
        Actor { user_id: None, name: name.to_owned() }
    }
}

/// Records `action` (e.g. `user.disable`) on an object (`user`, 42) with a readable summary.
pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    object_kind: &str,
    object_id: Option<i64>,
    summary: &str,
) -> QueryResult<()> {
    db::audit::insert(
        conn,
        &db::audit::NewAuditEntry {
            user_id: actor.user_id,
            actor: &actor.name,
            action,
            object_kind,
            object_id,
            summary,
            created_at: db::now(),
        },
    )?;
    Ok(())
}
