//! Phone numbers voxdial calls from: added by hand, relabelled, deleted while unused, and
//! imported from the provider (through [`provider_import`](super::provider_import)).

use async_trait::async_trait;
use chrono::NaiveDateTime;
use diesel::{OptionalExtension, QueryResult};

use super::Ctx;
use super::provider_import::{Candidate, ImportKind, Written};
use crate::audit::{self, Actor, Change};
use crate::db::phone_numbers::{NewPhoneNumber, NumberListItem, PhoneNumber};
use crate::db::providers::ProviderConnection;
use crate::db::{self, DbConnection};
use crate::domain::phone::E164;
use crate::error::AppError;
use crate::ids::{ConnectionId, PhoneNumberId};
use crate::provider::{ProviderError, RemotePhoneNumber, Telephony, VoiceProvider};

/// The numbers page: every number, and the connections a new one may belong to.
pub struct NumbersOverview {
    pub numbers: Vec<NumberListItem>,
    pub connections: Vec<ProviderConnection>,
}

/// A number as a person entered it, already parsed.
#[derive(Debug, Clone)]
pub struct NumberInput {
    pub provider_connection_id: ConnectionId,
    pub e164: E164,
    pub label: String,
    pub provider_phone_number_id: String,
    pub telephony: Telephony,
}

pub async fn overview(ctx: &Ctx) -> Result<NumbersOverview, AppError> {
    ctx.db
        .run(|conn| {
            Ok(NumbersOverview { numbers: db::phone_numbers::list(conn)?, connections: db::providers::list(conn)? })
        })
        .await
}

pub async fn create(ctx: &Ctx, actor: &Actor, input: NumberInput) -> Result<PhoneNumberId, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            // A missing connection is a bad choice, not a missing page.
            let connection = db::providers::find(conn, input.provider_connection_id)
                .optional()?
                .ok_or_else(|| AppError::validation("Choose the provider connection"))?;
            let new = NewPhoneNumber {
                provider_connection_id: connection.id,
                e164: &input.e164,
                label: &input.label,
                provider_phone_number_id: &input.provider_phone_number_id,
                telephony: input.telephony,
            };
            let Some(id) = db::unless_duplicate(conn, |c| db::phone_numbers::insert(c, &new, now))? else {
                return Err(AppError::conflict(format!(
                    "“{}” already has a number with the id {}",
                    connection.name, input.provider_phone_number_id
                )));
            };
            let summary = format!("Added the number {} ({})", input.e164, input.label);
            record(conn, &actor, "phone_number.create", id, &summary, now)?;
            Ok(id)
        })
        .await
}

/// Gives a number a new label; returns it as it is now.
pub async fn relabel(ctx: &Ctx, actor: &Actor, id: PhoneNumberId, label: String) -> Result<NumberListItem, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let number = db::phone_numbers::find(conn, id)?;
            db::phone_numbers::set_label(conn, id, &label, now)?;
            let summary = format!("Relabelled {} from “{}” to “{label}”", number.e164, number.label);
            record(conn, &actor, "phone_number.update", id, &summary, now)?;
            let connection = db::providers::find(conn, number.provider_connection_id)?;
            Ok(NumberListItem { number: PhoneNumber { label, ..number }, connection_name: connection.name })
        })
        .await
}

/// Deletes a number no campaign or agent uses; returns it.
pub async fn delete(ctx: &Ctx, actor: &Actor, id: PhoneNumberId) -> Result<E164, AppError> {
    let actor = actor.clone();
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let number = db::phone_numbers::find(conn, id)?;
            let (campaigns, agents) = db::phone_numbers::users_of(conn, id)?;
            let mut users = Vec::new();
            if !campaigns.is_empty() {
                users.push(format!("campaign(s) {}", campaigns.join(", ")));
            }
            if !agents.is_empty() {
                users.push(format!("agent(s) {}", agents.join(", ")));
            }
            if !users.is_empty() {
                return Err(AppError::conflict(format!(
                    "{} is still used by {}. Choose another number there first.",
                    number.e164,
                    users.join(" and ")
                )));
            }
            db::phone_numbers::delete(conn, id)?;
            record(conn, &actor, "phone_number.delete", id, &format!("Deleted the number {}", number.e164), now)?;
            Ok(number.e164)
        })
        .await
}

fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    id: PhoneNumberId,
    summary: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let change = Change { action, object_kind: "phone_number", object_id: Some(id.get()), summary };
    audit::record(conn, actor, change, now)
}

/// Phone numbers as [`provider_import`](super::provider_import) imports them. Only Twilio
/// and SIP-trunk numbers can be called from voxdial; others are listed but not offered.
pub struct NumberImport;

/// A provider's number as voxdial stores it.
pub struct ImportedNumber {
    e164: E164,
    label: String,
    telephony: Telephony,
}

#[async_trait]
impl ImportKind for NumberImport {
    type Remote = RemotePhoneNumber;
    type Prepared = ImportedNumber;
    type Existing = PhoneNumber;

    const PLURAL: &'static str = "numbers";
    const AUDIT_ACTION: &'static str = "phone_number.import";
    const OBJECT_KIND: &'static str = "phone_number";

    async fn list(client: &dyn VoiceProvider) -> Result<Vec<RemotePhoneNumber>, ProviderError> {
        client.list_phone_numbers().await
    }

    fn remote_id(remote: &RemotePhoneNumber) -> &str {
        &remote.phone_number_id
    }

    fn label(remote: &RemotePhoneNumber) -> String {
        remote.phone_number.clone()
    }

    fn prepare(remote: &RemotePhoneNumber) -> Option<ImportedNumber> {
        let telephony = remote.telephony?;
        let e164 = E164::parse(&remote.phone_number, None).ok()?;
        let label = match remote.label.trim() {
            "" => e164.to_string(),
            label => label.to_owned(),
        };
        Some(ImportedNumber { e164, label, telephony })
    }

    fn find(conn: &mut DbConnection, connection_id: ConnectionId, remote_id: &str) -> QueryResult<Option<PhoneNumber>> {
        db::phone_numbers::find_by_provider_id(conn, connection_id, remote_id)
    }

    fn insert(
        conn: &mut DbConnection,
        connection: &ProviderConnection,
        remote: &RemotePhoneNumber,
        number: &ImportedNumber,
        now: NaiveDateTime,
    ) -> QueryResult<Written> {
        let new = NewPhoneNumber {
            provider_connection_id: connection.id,
            e164: &number.e164,
            label: &number.label,
            provider_phone_number_id: &remote.phone_number_id,
            telephony: number.telephony,
        };
        let id = db::phone_numbers::insert(conn, &new, now)?;
        let summary = format!("Imported the number {} ({}) from “{}”", number.e164, number.label, connection.name);
        Ok(Written { id: id.get(), label: number.e164.to_string(), summary })
    }
}

impl Candidate<NumberImport> {
    pub fn telephony_label(&self) -> &'static str {
        self.remote.telephony.map_or("not callable from voxdial", Telephony::label)
    }
}
