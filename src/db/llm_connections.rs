//! The workspace's LLM connection (at most one): an OpenAI-compatible endpoint the post-call
//! pipeline asks, its key sealed by the caller.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::llm_connections;
use super::types::typed_row;
use crate::ids::LlmConnectionId;

typed_row! {
    pub struct LlmConnection in llm_connections as LlmConnectionRaw {
        pub id: LlmConnectionId,
        pub name: String,
        pub base_url: String,
        pub model: String,
        pub api_key_enc: Option<String>,
        pub api_key_hint: Option<String>,
        pub timeout_secs: i32,
        pub max_concurrent: i32,
        pub input_usd_per_mtok: Option<f64>,
        pub output_usd_per_mtok: Option<f64>,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
    }
}

/// The connection's settings as saved; the key is sealed by the caller.
pub struct LlmFields<'a> {
    pub name: &'a str,
    pub base_url: &'a str,
    pub model: &'a str,
    /// `Some` replaces the key (`Some((None, None))` removes it); `None` keeps it.
    pub api_key: Option<(Option<&'a str>, Option<&'a str>)>,
    pub timeout_secs: i32,
    pub max_concurrent: i32,
    pub input_usd_per_mtok: Option<f64>,
    pub output_usd_per_mtok: Option<f64>,
}

/// The workspace's LLM connection (there is at most one).
pub fn find(conn: &mut DbConnection) -> QueryResult<Option<LlmConnection>> {
    llm_connections::table.order(llm_connections::id.asc()).select(LlmConnection::as_select()).first(conn).optional()
}

pub fn save(conn: &mut DbConnection, fields: &LlmFields<'_>, now: NaiveDateTime) -> QueryResult<()> {
    let settings = (
        llm_connections::name.eq(fields.name),
        llm_connections::base_url.eq(fields.base_url),
        llm_connections::model.eq(fields.model),
        llm_connections::timeout_secs.eq(fields.timeout_secs),
        llm_connections::max_concurrent.eq(fields.max_concurrent),
        llm_connections::input_usd_per_mtok.eq(fields.input_usd_per_mtok),
        llm_connections::output_usd_per_mtok.eq(fields.output_usd_per_mtok),
        llm_connections::updated_at.eq(now),
    );
    let id = match find(conn)? {
        Some(current) => {
            diesel::update(llm_connections::table.find(current.id)).set(settings).execute(conn)?;
            current.id
        }
        None => diesel::insert_into(llm_connections::table)
            .values((settings, llm_connections::created_at.eq(now)))
            .returning(llm_connections::id)
            .get_result(conn)?,
    };
    if let Some((sealed, hint)) = fields.api_key {
        diesel::update(llm_connections::table.find(id))
            .set((llm_connections::api_key_enc.eq(sealed), llm_connections::api_key_hint.eq(hint)))
            .execute(conn)?;
    }
    Ok(())
}

pub fn delete(conn: &mut DbConnection) -> QueryResult<usize> {
    diesel::delete(llm_connections::table).execute(conn)
}
