//! Settings of the whole team: one row, created by its migration.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::workspace_settings;

const THE_ROW: i32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = workspace_settings)]
pub struct WorkspaceSettings {
    /// Members may change prompt templates, voice agents and campaigns' AI Agents settings
    /// (otherwise only admins may).
    pub members_edit_ai_setup: bool,
    /// The zone times are shown in to users who have not got their own.
    pub timezone: String,
}

impl Default for WorkspaceSettings {
    fn default() -> Self {
        WorkspaceSettings { members_edit_ai_setup: false, timezone: "UTC".into() }
    }
}

impl WorkspaceSettings {
    /// The workspace's zone (UTC should the stored name ever be unknown).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }
}

pub fn settings(conn: &mut DbConnection) -> QueryResult<WorkspaceSettings> {
    let row = workspace_settings::table.find(THE_ROW).select(WorkspaceSettings::as_select()).get_result(conn);
    // The migration creates the row; the defaults stand in should it ever be missing.
    Ok(row.optional()?.unwrap_or_default())
}

pub fn set_members_edit_ai_setup(conn: &mut DbConnection, allowed: bool, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(workspace_settings::table.find(THE_ROW))
        .set((workspace_settings::members_edit_ai_setup.eq(allowed), workspace_settings::updated_at.eq(now)))
        .execute(conn)
}

pub fn set_timezone(conn: &mut DbConnection, zone: chrono_tz::Tz, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(workspace_settings::table.find(THE_ROW))
        .set((workspace_settings::timezone.eq(zone.name()), workspace_settings::updated_at.eq(now)))
        .execute(conn)
}
