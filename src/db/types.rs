//! Rows typed at the edge: ids, enums, `E164`, zones and emails instead of strings. A value
//! the database holds but voxdial cannot read is an error that names the table, the row
//! and the column, never a silent fallback.

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use crate::domain::interaction::{CallOrigin, CallStatus, ContactType, Direction};
use crate::domain::outcome::Outcome;
use crate::domain::phone::E164;
use crate::domain::user::{Email, Role};
use crate::domain::{campaign::CampaignStatus, lead::LeadStatus};
use crate::ids::*;
use crate::provider::{ProviderKind, SignatureVerdict, Telephony};

/// A column value as the database keeps it, and how voxdial reads it back.
pub trait Stored: Sized {
    type Raw;
    fn from_stored(raw: Self::Raw) -> Result<Self, String>;
}

impl<T: Stored> Stored for Option<T> {
    type Raw = Option<T::Raw>;

    fn from_stored(raw: Self::Raw) -> Result<Self, String> {
        raw.map(T::from_stored).transpose()
    }
}

macro_rules! stored_as_is {
    ($($ty:ty),* $(,)?) => {$(
        impl Stored for $ty {
            type Raw = $ty;

            fn from_stored(raw: $ty) -> Result<$ty, String> {
                Ok(raw)
            }
        }
    )*};
}

stored_as_is!(i64, i32, f64, bool, String, Vec<u8>, NaiveDateTime);
stored_as_is!(
    UserId,
    ConnectionId,
    PhoneNumberId,
    AgentId,
    TemplateId,
    TemplateVersionId,
    CampaignId,
    LeadId,
    InteractionId,
    ImportId,
    WebhookEventId,
    SuppressionId,
    RecordingId,
    ProblemId,
    LlmConnectionId,
    PipelineRunId,
);

/// Enumerations declared with `domain::codes!`, stored as their code.
macro_rules! stored_code {
    ($($ty:ty),* $(,)?) => {$(
        impl Stored for $ty {
            type Raw = String;

            fn from_stored(raw: String) -> Result<$ty, String> {
                <$ty>::from_code(&raw).ok_or_else(|| format!("unknown value “{raw}”"))
            }
        }
    )*};
}

stored_code!(
    CallStatus,
    CallOrigin,
    ContactType,
    Direction,
    Outcome,
    LeadStatus,
    CampaignStatus,
    Role,
    Telephony,
    ProviderKind,
    SignatureVerdict,
    crate::imports::DuplicateMode,
    crate::imports::ImportStatus,
    crate::domain::suppression::SuppressionSource,
    crate::domain::webhook::ProcessingState,
    crate::domain::dialing::rules::LeadOrder,
    crate::domain::dialing::rules::DialBlock,
    crate::domain::lead::LeadSource,
    crate::db::problems::ProblemKind,
    crate::domain::pipeline::RunStatus,
);

impl Stored for E164 {
    type Raw = String;

    fn from_stored(raw: String) -> Result<E164, String> {
        E164::from_stored(raw)
    }
}

impl Stored for Email {
    type Raw = String;

    fn from_stored(raw: String) -> Result<Email, String> {
        Email::parse(&raw)
    }
}

impl Stored for crate::domain::phone::Region {
    type Raw = String;

    fn from_stored(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl Stored for crate::domain::dialing::windows::WeeklyWindows {
    type Raw = String;

    fn from_stored(raw: String) -> Result<Self, String> {
        Self::parse(&raw)
    }
}

impl Stored for Vec<LeadStatus> {
    type Raw = String;

    fn from_stored(raw: String) -> Result<Self, String> {
        crate::domain::dialing::rules::DialerRules::parse_statuses(&raw)
    }
}

impl Stored for Tz {
    type Raw = String;

    fn from_stored(raw: String) -> Result<Tz, String> {
        raw.parse().map_err(|_| format!("unknown timezone “{raw}”"))
    }
}

/// Reads one column value loaded outside a typed row (an aggregate, a single column); an
/// unreadable value is an error naming the table and column.
pub fn read_column<T: Stored>(table: &'static str, column: &'static str, raw: T::Raw) -> diesel::QueryResult<T> {
    T::from_stored(raw).map_err(|problem| {
        diesel::result::Error::DeserializationError(BadRow::boxed(table, "(query)", column, problem))
    })
}

/// A stored value voxdial cannot read.
#[derive(Debug)]
pub struct BadRow {
    pub table: &'static str,
    pub id: String,
    pub column: &'static str,
    pub problem: String,
}

impl BadRow {
    pub fn boxed(table: &'static str, id: &str, column: &'static str, problem: String) -> Box<BadRow> {
        Box::new(BadRow { table, id: id.to_owned(), column, problem })
    }
}

impl std::fmt::Display for BadRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} row {} has an unreadable {}: {}", self.table, self.id, self.column, self.problem)
    }
}

impl std::error::Error for BadRow {}

/// Declares a typed row and the raw row diesel loads, read into the typed one with
/// [`Stored`]. `in table` rows are also `Selectable` from that table; `from "label"` rows
/// are loaded from a hand-written select (joins). The key field (`id`, or the one named by
/// `keyed by`) names the row in errors.
macro_rules! typed_row {
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $table:ident as $raw:ident {
            $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        $crate::db::types::typed_row! {
            $(#[$meta])*
            pub struct $name in $table keyed by id as $raw { $($(#[$fmeta])* pub $field: $ty,)* }
        }
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident in $table:ident keyed by $key:ident as $raw:ident {
            $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        $crate::db::types::typed_row!(@typed $(#[$meta])* $name $raw $key (stringify!($table)) { $($(#[$fmeta])* $field: $ty,)* });

        #[doc(hidden)]
        #[derive(diesel::Queryable, diesel::Selectable)]
        #[diesel(table_name = $table)]
        pub struct $raw {
            $($field: <$ty as $crate::db::types::Stored>::Raw,)*
        }

        impl<DB: diesel::backend::Backend> diesel::Selectable<DB> for $name
        where
            $raw: diesel::Selectable<DB>,
        {
            type SelectExpression = <$raw as diesel::Selectable<DB>>::SelectExpression;

            fn construct_selection() -> Self::SelectExpression {
                <$raw as diesel::Selectable<DB>>::construct_selection()
            }
        }
    };
    (
        $(#[$meta:meta])*
        pub struct $name:ident from $label:literal as $raw:ident {
            $($(#[$fmeta:meta])* pub $field:ident: $ty:ty,)*
        }
    ) => {
        $crate::db::types::typed_row!(@typed $(#[$meta])* $name $raw id ($label) { $($(#[$fmeta])* $field: $ty,)* });

        #[doc(hidden)]
        #[derive(diesel::Queryable)]
        pub struct $raw {
            $($field: <$ty as $crate::db::types::Stored>::Raw,)*
        }
    };
    (@typed $(#[$meta:meta])* $name:ident $raw:ident $key:ident ($label:expr) { $($(#[$fmeta:meta])* $field:ident: $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
        }

        impl<ST, DB: diesel::backend::Backend> diesel::Queryable<ST, DB> for $name
        where
            $raw: diesel::Queryable<ST, DB>,
        {
            type Row = <$raw as diesel::Queryable<ST, DB>>::Row;

            fn build(row: Self::Row) -> diesel::deserialize::Result<$name> {
                let raw = <$raw as diesel::Queryable<ST, DB>>::build(row)?;
                let id = raw.$key.to_string();
                Ok($name {
                    $($field: $crate::db::types::Stored::from_stored(raw.$field).map_err(|problem| {
                        $crate::db::types::BadRow::boxed($label, &id, stringify!($field), problem)
                    })?,)*
                })
            }
        }
    };
}

pub(crate) use typed_row;
