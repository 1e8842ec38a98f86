//! Phone numbers voxdial calls from.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::{campaigns, phone_numbers, provider_connections, voice_agents};
use super::types::typed_row;
use crate::domain::phone::E164;
use crate::ids::{ConnectionId, PhoneNumberId};
use crate::provider::Telephony;

typed_row! {
    pub struct PhoneNumber in phone_numbers as PhoneNumberRaw {
        pub id: PhoneNumberId,
        pub provider_connection_id: ConnectionId,
        pub e164: E164,
        pub label: String,
        pub provider_phone_number_id: String,
        pub telephony: Telephony,
        pub created_at: NaiveDateTime,
        pub updated_at: NaiveDateTime,
    }
}

/// A number with its connection's name, for lists and pickers.
#[derive(Debug, Clone)]
pub struct NumberListItem {
    pub number: PhoneNumber,
    pub connection_name: String,
}

pub struct NewPhoneNumber<'a> {
    pub provider_connection_id: ConnectionId,
    pub e164: &'a E164,
    pub label: &'a str,
    pub provider_phone_number_id: &'a str,
    pub telephony: Telephony,
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<NumberListItem>> {
    let rows: Vec<(PhoneNumber, String)> = phone_numbers::table
        .inner_join(provider_connections::table)
        .order((phone_numbers::label.asc(), phone_numbers::e164.asc()))
        .select((PhoneNumber::as_select(), provider_connections::name))
        .load(conn)?;
    Ok(rows.into_iter().map(|(number, connection_name)| NumberListItem { number, connection_name }).collect())
}

pub fn find(conn: &mut DbConnection, id: PhoneNumberId) -> QueryResult<PhoneNumber> {
    phone_numbers::table.find(id).select(PhoneNumber::as_select()).get_result(conn)
}

pub fn find_many(conn: &mut DbConnection, ids: &[PhoneNumberId]) -> QueryResult<Vec<PhoneNumber>> {
    phone_numbers::table.filter(phone_numbers::id.eq_any(ids)).select(PhoneNumber::as_select()).load(conn)
}

pub fn find_by_provider_id(
    conn: &mut DbConnection,
    provider_connection_id: ConnectionId,
    provider_phone_number_id: &str,
) -> QueryResult<Option<PhoneNumber>> {
    phone_numbers::table
        .filter(phone_numbers::provider_connection_id.eq(provider_connection_id))
        .filter(phone_numbers::provider_phone_number_id.eq(provider_phone_number_id))
        .select(PhoneNumber::as_select())
        .get_result(conn)
        .optional()
}

pub fn insert(conn: &mut DbConnection, new: &NewPhoneNumber<'_>, now: NaiveDateTime) -> QueryResult<PhoneNumberId> {
    diesel::insert_into(phone_numbers::table)
        .values((
            phone_numbers::provider_connection_id.eq(new.provider_connection_id),
            phone_numbers::e164.eq(new.e164.as_str()),
            phone_numbers::label.eq(new.label),
            phone_numbers::provider_phone_number_id.eq(new.provider_phone_number_id),
            phone_numbers::telephony.eq(new.telephony.as_str()),
            phone_numbers::created_at.eq(now),
            phone_numbers::updated_at.eq(now),
        ))
        .returning(phone_numbers::id)
        .get_result(conn)
}

pub fn set_label(conn: &mut DbConnection, id: PhoneNumberId, label: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(phone_numbers::table.find(id))
        .set((phone_numbers::label.eq(label), phone_numbers::updated_at.eq(now)))
        .execute(conn)
}

/// Names of the campaigns and agents that use the number.
pub fn users_of(conn: &mut DbConnection, id: PhoneNumberId) -> QueryResult<(Vec<String>, Vec<String>)> {
    let campaigns = campaigns::table
        .filter(campaigns::phone_number_id.eq(id))
        .select(campaigns::name)
        .order(campaigns::name.asc())
        .load(conn)?;
    let agents = voice_agents::table
        .filter(voice_agents::default_phone_number_id.eq(id))
        .select(voice_agents::name)
        .order(voice_agents::name.asc())
        .load(conn)?;
    Ok((campaigns, agents))
}

pub fn delete(conn: &mut DbConnection, id: PhoneNumberId) -> QueryResult<usize> {
    diesel::delete(phone_numbers::table.find(id)).execute(conn)
}
