//! The team, as admins manage it: members, their roles, disabling and password resets,
//! with at least one active admin kept at all times, and what members may change. Invite
//! links are in [`super::invites`].

use chrono::NaiveDateTime;

use super::accounts::PasswordEntry;
use crate::audit::{self, Actor, Change};
use crate::auth::password::PasswordHasher;
use crate::db::invites::Invite;
use crate::db::users::User;
use crate::db::workspace::WorkspaceSettings;
use crate::db::{self, DbConnection};
use crate::domain::user::{Email, NewPassword, PersonName, Role};
use crate::error::AppError;
use crate::ids::UserId;
use crate::services::Ctx;

/// What the Team page shows.
pub struct TeamOverview {
    /// Everyone, active first, by name.
    pub members: Vec<User>,
    /// The invite links neither used nor revoked (expired ones too).
    pub open_invites: Vec<Invite>,
    pub settings: WorkspaceSettings,
}

pub async fn overview(ctx: &Ctx) -> Result<TeamOverview, AppError> {
    ctx.db
        .run(|conn| {
            Ok(TeamOverview {
                members: db::users::list(conn)?,
                open_invites: db::invites::open(conn)?,
                settings: db::workspace::settings(conn)?,
            })
        })
        .await
}

/// Lets members change prompt templates, voice agents and campaigns' AI Agents settings, or
/// keeps those to admins (the default). Returns whether the setting changed.
pub async fn set_members_edit_ai_setup(ctx: &Ctx, actor: Actor, allowed: bool) -> Result<bool, AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            if db::workspace::settings(conn)?.members_edit_ai_setup == allowed {
                return Ok(false);
            }
            db::workspace::set_members_edit_ai_setup(conn, allowed, now)?;
            let summary = if allowed {
                "Allowed members to edit prompt templates, voice agents and campaigns' AI Agents settings"
            } else {
                "Kept prompt templates, voice agents and campaigns' AI Agents settings to admins"
            };
            let change = Change {
                action: "workspace.members_edit_ai_setup",
                object_kind: "workspace",
                object_id: None,
                summary,
            };
            audit::record(conn, &actor, change, now)?;
            Ok(true)
        })
        .await
}

/// A new team member, validated.
pub struct NewMember {
    pub name: PersonName,
    pub email: Email,
    pub role: Role,
    pub password: NewPassword,
}

/// Adds a member who can log in at once; an email already in the team is refused.
pub async fn add(ctx: &Ctx, hasher: &PasswordHasher, actor: Actor, member: NewMember) -> Result<UserId, AppError> {
    let hash = hasher.hash(member.password.expose().to_owned()).await?;
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let NewMember { name, email, role, .. } = &member;
            let insert = |c: &mut DbConnection| db::users::insert(c, email, name, &hash, *role, now);
            let Some(id) = db::unless_duplicate(conn, insert)? else {
                return Err(AppError::conflict(format!("A user with the email {} already exists", email.as_str())));
            };
            let summary = format!("Added {} <{}> as {}", name.as_str(), email.as_str(), role.label());
            record(conn, &actor, "user.create", id, &summary, now)?;
            Ok(id)
        })
        .await
}

/// Gives a member another role; returns their name. Demoting the last active admin is
/// refused.
pub async fn change_role(ctx: &Ctx, actor: Actor, id: UserId, role: Role) -> Result<String, AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let target = db::users::find(conn, id)?;
            if target.role == role {
                return Ok(target.name);
            }
            if role != Role::Admin {
                ensure_an_admin_remains(conn, &target)?;
            }
            db::users::set_role(conn, id, role, now)?;
            let summary = format!("Changed the role of {} to {}", target.name, role.label());
            record(conn, &actor, "user.role", id, &summary, now)?;
            Ok(target.name)
        })
        .await
}

/// Disables a member and ends their sessions at once; returns their name. Nobody disables
/// themselves or the last active admin.
pub async fn disable(ctx: &Ctx, actor: Actor, id: UserId) -> Result<String, AppError> {
    if actor.user_id == Some(id) {
        return Err(AppError::conflict("You cannot disable your own account."));
    }
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let target = db::users::find(conn, id)?;
            ensure_an_admin_remains(conn, &target)?;
            db::users::set_disabled(conn, id, true, now)?;
            db::sessions::delete_for_user(conn, id)?;
            let revoked = db::invites::revoke_open(conn, id, now)? > 0;
            let link = if revoked { " and revoked their invite link" } else { "" };
            let summary = format!("Disabled {} and ended their sessions{link}", target.name);
            record(conn, &actor, "user.disable", id, &summary, now)?;
            Ok(target.name)
        })
        .await
}

/// Lets a disabled member log in again; returns their name.
pub async fn enable(ctx: &Ctx, actor: Actor, id: UserId) -> Result<String, AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let target = db::users::find(conn, id)?;
            db::users::set_disabled(conn, id, false, now)?;
            record(conn, &actor, "user.enable", id, &format!("Enabled {}", target.name), now)?;
            Ok(target.name)
        })
        .await
}

/// Sets a member's password and ends all their sessions; returns their name.
pub async fn reset_password(
    ctx: &Ctx,
    hasher: &PasswordHasher,
    actor: Actor,
    id: UserId,
    password: PasswordEntry,
) -> Result<String, AppError> {
    let target = ctx.db.run(move |conn| Ok(db::users::find(conn, id)?)).await?;
    let password = password.check(&target.email)?;
    let hash = hasher.hash(password.expose().to_owned()).await?;
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            db::users::set_password_hash(conn, id, &hash, now)?;
            db::sessions::delete_for_user(conn, id)?;
            // A password set here closes the member's invite link, if any.
            let revoked = db::invites::revoke_open(conn, id, now)? > 0;
            let link = if revoked { " and revoked their invite link" } else { "" };
            let summary = format!("Reset the password of {} and ended their sessions{link}", target.name);
            record(conn, &actor, "user.password_reset", id, &summary, now)?;
            Ok(target.name)
        })
        .await
}

/// Refuses a change that would leave no active admin.
fn ensure_an_admin_remains(conn: &mut DbConnection, target: &User) -> Result<(), AppError> {
    let admins = db::users::lock_active_admins(conn)?;
    if admins.contains(&target.id) && admins.len() <= 1 {
        return Err(AppError::conflict(format!(
            "{} is the only active admin. Make someone else an admin first.",
            target.name
        )));
    }
    Ok(())
}

/// Records a change to a member in the audit log.
pub(super) fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    id: UserId,
    summary: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let change = Change { action, object_kind: "user", object_id: Some(id.get()), summary };
    Ok(audit::record(conn, actor, change, now)?)
}
