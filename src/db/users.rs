//! Team members.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::users;
use crate::domain::user::{Email, PersonName, Role};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl User {
    pub fn role(&self) -> Role {
        // The CHECK constraint admits only known roles; anything else is treated as least privilege.
        Role::parse(&self.role).unwrap_or(Role::Member)
    }

    pub fn is_admin(&self) -> bool {
        self.role() == Role::Admin
    }
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUserRow<'a> {
    email: &'a str,
    name: &'a str,
    password_hash: &'a str,
    role: &'a str,
    disabled: bool,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

pub fn count(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

pub fn count_active_admins(conn: &mut DbConnection) -> QueryResult<i64> {
    users::table.filter(users::role.eq(Role::Admin.as_str())).filter(users::disabled.eq(false)).count().get_result(conn)
}

/// On PostgreSQL, blocks other first-admin setups until the caller's transaction ends
/// (SQLite's `BEGIN IMMEDIATE` already serialises writers).
pub fn lock_for_first_setup(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Pg(pg) = conn {
        diesel::sql_query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE").execute(pg)?;
    }
    Ok(())
}

pub fn insert(
    conn: &mut DbConnection,
    email: &Email,
    name: &PersonName,
    password_hash: &str,
    role: Role,
) -> QueryResult<i64> {
    let now = super::now();
    diesel::insert_into(users::table)
        .values(NewUserRow {
            email: email.as_str(),
            name: name.as_str(),
            password_hash,
            role: role.as_str(),
            disabled: false,
            created_at: now,
            updated_at: now,
        })
        .returning(users::id)
        .get_result(conn)
}

pub fn find(conn: &mut DbConnection, id: i64) -> QueryResult<User> {
    users::table.find(id).select(User::as_select()).get_result(conn)
}

pub fn find_by_email(conn: &mut DbConnection, email: &str) -> QueryResult<Option<User>> {
    users::table.filter(users::email.eq(email)).select(User::as_select()).get_result(conn).optional()
}

pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<User>> {
    users::table.order((users::disabled.asc(), users::name.asc(), users::id.asc())).select(User::as_select()).load(conn)
}

pub fn set_role(conn: &mut DbConnection, id: i64, role: Role) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::role.eq(role.as_str()), users::updated_at.eq(super::now())))
        .execute(conn)
}

pub fn set_disabled(conn: &mut DbConnection, id: i64, disabled: bool) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::disabled.eq(disabled), users::updated_at.eq(super::now())))
        .execute(conn)
}

pub fn set_password_hash(conn: &mut DbConnection, id: i64, hash: &str) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(super::now())))
        .execute(conn)
}
