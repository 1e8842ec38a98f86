//! Importing what lives at a provider account (voice agents, phone numbers): list it at the
//! provider, mark what voxdial already has, and add what a person ticked, each with an audit
//! entry. One flow for every kind of item; an [`ImportKind`] says how its items are listed,
//! found, stored and refreshed.
//!
//! The provider is asked before any transaction opens, and again when importing: the details
//! stored come from the provider, never from the form.

use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::{Ctx, connections};
use crate::audit::{self, Actor, Change};
use crate::db::providers::ProviderConnection;
use crate::db::{self, DbConnection};
use crate::error::AppError;
use crate::ids::ConnectionId;
use crate::provider::{ProviderError, VoiceProvider};

/// A row an import wrote: its id and summary for the audit entry, and what to call it in
/// the report.
pub struct Written {
    pub id: i64,
    pub label: String,
    pub summary: String,
}

/// A kind of item that can be imported from a provider account.
#[async_trait]
pub trait ImportKind: Send + Sync + 'static {
    /// The item as the provider lists it.
    type Remote: Send + Sync + 'static;
    /// What voxdial would store for a remote item.
    type Prepared: Send + Sync + 'static;
    /// voxdial's row for an item already imported.
    type Existing: Send + 'static;

    /// How the items are called in messages ("agents", "numbers").
    const PLURAL: &'static str;
    /// The audit action of an import, e.g. `voice_agent.import`.
    const AUDIT_ACTION: &'static str;
    /// The audit object kind, e.g. `voice_agent`.
    const OBJECT_KIND: &'static str;

    async fn list(client: &dyn VoiceProvider) -> Result<Vec<Self::Remote>, ProviderError>;

    /// The provider's id of the item (what the import form sends back).
    fn remote_id(remote: &Self::Remote) -> &str;

    /// The item in the report of what was skipped.
    fn label(remote: &Self::Remote) -> String;

    /// What voxdial would store, or `None` when voxdial cannot use the item at all.
    fn prepare(remote: &Self::Remote) -> Option<Self::Prepared>;

    fn find(
        conn: &mut DbConnection,
        connection_id: ConnectionId,
        remote_id: &str,
    ) -> QueryResult<Option<Self::Existing>>;

    fn insert(
        conn: &mut DbConnection,
        connection: &ProviderConnection,
        remote: &Self::Remote,
        prepared: &Self::Prepared,
        now: NaiveDateTime,
    ) -> QueryResult<Written>;
}

/// An item at the provider, and what voxdial has of it.
pub struct Candidate<K: ImportKind> {
    pub remote: K::Remote,
    pub existing: Option<K::Existing>,
    prepared: Option<K::Prepared>,
}

impl<K: ImportKind> Candidate<K> {
    /// voxdial can use the item.
    pub fn is_usable(&self) -> bool {
        self.prepared.is_some()
    }

    /// Not in voxdial yet, and usable: offered ticked.
    pub fn is_new(&self) -> bool {
        self.existing.is_none() && self.is_usable()
    }
}

/// The import page: the connections to choose from, and the chosen one's items.
pub struct Review<K: ImportKind> {
    pub connections: Vec<ProviderConnection>,
    /// The connection listed: the one asked for, else the only one there is.
    pub connection: Option<ProviderConnection>,
    pub candidates: Vec<Candidate<K>>,
    /// Why the provider could not list its items.
    pub error: Option<String>,
}

/// Lists the items of a connection (the only one when none is given) for the import page.
pub async fn review<K: ImportKind>(ctx: &Ctx, connection_id: Option<ConnectionId>) -> Result<Review<K>, AppError> {
    let connections = ctx.db.run(|conn| Ok(db::providers::list(conn)?)).await?;
    let only = || (connections.len() == 1).then(|| connections[0].id);
    let Some(connection_id) = connection_id.or_else(only) else {
        return Ok(Review { connections, connection: None, candidates: Vec::new(), error: None });
    };
    let (connection, client) = connections::load_client(ctx, connection_id).await?;
    let (candidates, error) = match K::list(&*client).await {
        Ok(remote) => (mark::<K>(ctx, connection_id, remote).await?, None),
        Err(err) => (Vec::new(), Some(listing_failed::<K>(&err))),
    };
    Ok(Review { connections, connection: Some(connection), candidates, error })
}

/// What an import did.
#[derive(Debug, Default)]
pub struct ImportReport {
    pub added: Vec<String>,
    /// Ticked, but voxdial cannot use them.
    pub skipped: Vec<String>,
}

/// Imports the ticked items of a connection as the provider lists them now, in one
/// transaction. Items already in voxdial are left alone (their names there are voxdial's own).
pub async fn import<K: ImportKind>(
    ctx: &Ctx,
    actor: &Actor,
    connection_id: ConnectionId,
    chosen: Vec<String>,
) -> Result<ImportReport, AppError> {
    let (connection, client) = connections::load_client(ctx, connection_id).await?;
    let listed = K::list(&*client).await.map_err(|err| AppError::Conflict(listing_failed::<K>(&err)))?;
    let selected: Vec<K::Remote> =
        listed.into_iter().filter(|remote| chosen.iter().any(|id| id == K::remote_id(remote))).collect();
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let mut report = ImportReport::default();
            for remote in &selected {
                let existing = K::find(conn, connection.id, K::remote_id(remote))?;
                match (existing, K::prepare(remote)) {
                    (Some(_), _) => {}
                    (None, None) => report.skipped.push(K::label(remote)),
                    (None, Some(prepared)) => {
                        // `None`: a concurrent import added it meanwhile, which is what was asked.
                        let insert = |c: &mut DbConnection| K::insert(c, &connection, remote, &prepared, now);
                        if let Some(written) = db::unless_duplicate(conn, insert)? {
                            record::<K>(conn, &actor, &written, now)?;
                            report.added.push(written.label);
                        }
                    }
                }
            }
            Ok(report)
        })
        .await
}

/// Pairs each remote item with voxdial's row for it.
async fn mark<K: ImportKind>(
    ctx: &Ctx,
    connection_id: ConnectionId,
    remote: Vec<K::Remote>,
) -> Result<Vec<Candidate<K>>, AppError> {
    ctx.db
        .run(move |conn| {
            remote
                .into_iter()
                .map(|remote| {
                    let existing = K::find(conn, connection_id, K::remote_id(&remote))?;
                    let prepared = K::prepare(&remote);
                    Ok(Candidate { remote, existing, prepared })
                })
                .collect()
        })
        .await
}

fn listing_failed<K: ImportKind>(err: &ProviderError) -> String {
    format!("Could not list the provider's {}: {err}", K::PLURAL)
}

fn record<K: ImportKind>(
    conn: &mut DbConnection,
    actor: &Actor,
    written: &Written,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let change = Change {
        action: K::AUDIT_ACTION,
        object_kind: K::OBJECT_KIND,
        object_id: Some(written.id),
        summary: &written.summary,
    };
    audit::record(conn, actor, change, now)
}
