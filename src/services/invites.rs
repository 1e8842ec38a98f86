//! Team onboarding without shared passwords: an admin adds a member and gets a one-time link
//! with which the member sets their own password. A link works once, for
//! [`INVITE_LIFETIME`]; only the SHA-256 of its token is stored, and the token is handed to
//! the admin once, in the answer to the request that issued it.

use chrono::{Duration, NaiveDateTime};

use super::accounts::PasswordEntry;
use super::team::record;
use crate::audit::Actor;
use crate::auth::password::PasswordHasher;
use crate::crypto::{random_token, sha256_hex};
use crate::db::invites::InviteState;
use crate::db::users::User;
use crate::db::{self, DbConnection};
use crate::domain::user::{Email, NO_PASSWORD_HASH, PersonName, Role};
use crate::error::AppError;
use crate::ids::UserId;
use crate::services::Ctx;

/// How long a link works after it is issued.
pub const INVITE_LIFETIME: Duration = Duration::hours(72);

/// A member to invite, validated.
pub struct Invitee {
    pub name: PersonName,
    pub email: Email,
    pub role: Role,
}

/// A link just issued. The token leaves voxdial only here (no `Debug`).
pub struct IssuedInvite {
    pub name: String,
    pub email: String,
    pub token: String,
    pub expires_at: NaiveDateTime,
}

/// Adds a member who has no password yet, with an invite link to set one. An email
/// already in the team is refused.
pub async fn invite_member(ctx: &Ctx, actor: &Actor, invitee: Invitee) -> Result<IssuedInvite, AppError> {
    let now = ctx.clock.now();
    let actor = actor.clone();
    ctx.db
        .write(move |conn| {
            let Invitee { name, email, role } = &invitee;
            let insert = |c: &mut DbConnection| db::users::insert(c, email, name, NO_PASSWORD_HASH, *role, now);
            let Some(user_id) = db::unless_duplicate(conn, insert)? else {
                return Err(AppError::conflict(format!("A user with the email {} already exists", email.as_str())));
            };
            let summary = format!("Added {} <{}> as {}", name.as_str(), email.as_str(), role.label());
            record(conn, &actor, "user.create", user_id, &summary, now)?;
            let user = db::users::find(conn, user_id)?;
            issue(conn, &actor, &user, now)
        })
        .await
}

/// A new link for a member who has not set a password yet; the previous link stops working.
pub async fn reissue(ctx: &Ctx, actor: &Actor, user_id: UserId) -> Result<IssuedInvite, AppError> {
    let now = ctx.clock.now();
    let actor = actor.clone();
    ctx.db
        .write(move |conn| {
            let user = db::users::find(conn, user_id)?;
            if user.has_password() {
                return Err(AppError::conflict(format!(
                    "{} has set a password already. Use “Reset password” instead.",
                    user.name
                )));
            }
            if user.disabled {
                return Err(AppError::conflict(format!("{} is disabled. Enable them first.", user.name)));
            }
            db::invites::revoke_open(conn, user_id, now)?;
            issue(conn, &actor, &user, now)
        })
        .await
}

/// Withdraws a member's open link; returns their name.
pub async fn revoke(ctx: &Ctx, actor: &Actor, user_id: UserId) -> Result<String, AppError> {
    let now = ctx.clock.now();
    let actor = actor.clone();
    ctx.db
        .write(move |conn| {
            let user = db::users::find(conn, user_id)?;
            if db::invites::revoke_open(conn, user_id, now)? == 0 {
                return Err(AppError::conflict(format!("{} has no open invite link.", user.name)));
            }
            let summary = format!("Revoked the invite link of {} <{}>", user.name, user.email);
            record(conn, &actor, "user.invite_revoke", user_id, &summary, now)?;
            Ok(user.name)
        })
        .await
}

/// Stores a new link for `user` (who has no open one) and records it.
fn issue(conn: &mut DbConnection, actor: &Actor, user: &User, now: NaiveDateTime) -> Result<IssuedInvite, AppError> {
    let token = random_token();
    let expires_at = now + INVITE_LIFETIME;
    let insert = |c: &mut DbConnection| {
        db::invites::insert(c, user.id, &sha256_hex(token.as_bytes()), actor.user_id, now, expires_at)
    };
    if db::unless_duplicate(conn, insert)?.is_none() {
        // Another admin issued one for this member at the same moment.
        return Err(AppError::conflict(format!("A link for {} was just issued. Reload the page.", user.name)));
    }
    let hours = INVITE_LIFETIME.num_hours();
    let summary = format!("Issued an invite link for {} <{}>, valid for {hours} hours", user.name, user.email);
    record(conn, actor, "user.invite_create", user.id, &summary, now)?;
    Ok(IssuedInvite { name: user.name.clone(), email: user.email.to_string(), token, expires_at })
}

/// What a link leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Link {
    /// The member it is for may set their password with it.
    Usable {
        name: String,
        email: Email,
        expires_at: NaiveDateTime,
    },
    /// It was used to set a password already.
    Used,
    Expired,
    /// An admin withdrew it (or issued a newer one, or disabled the member).
    Revoked,
    /// No such link.
    Unknown,
}

/// Where the link with `token` stands now.
pub async fn look_up(ctx: &Ctx, token: &str) -> Result<Link, AppError> {
    let hash = sha256_hex(token.as_bytes());
    let now = ctx.clock.now();
    ctx.db
        .run(move |conn| {
            let Some(invite) = db::invites::find_by_token_hash(conn, &hash)? else {
                return Ok(Link::Unknown);
            };
            Ok(match invite.state(now) {
                InviteState::Open => {
                    let user = db::users::find(conn, invite.user_id)?;
                    Link::Usable { name: user.name, email: user.email, expires_at: invite.expires_at }
                }
                InviteState::Accepted => Link::Used,
                InviteState::Expired => Link::Expired,
                InviteState::Revoked => Link::Revoked,
            })
        })
        .await
}

/// Sets the member's password through their link, which stops working; returns the member,
/// to be logged in. The password is checked against the policy before anything is hashed; a
/// link that is not usable (any more) is [`AppError::Conflict`] with the reason.
pub async fn accept(ctx: &Ctx, hasher: &PasswordHasher, token: &str, entry: PasswordEntry) -> Result<UserId, AppError> {
    let hash = sha256_hex(token.as_bytes());
    let (invite, user) = ctx
        .db
        .run(move |conn| {
            let invite = db::invites::find_by_token_hash(conn, &hash)?.ok_or(AppError::NotFound)?;
            let user = db::users::find(conn, invite.user_id)?;
            Ok((invite, user))
        })
        .await?;
    if invite.state(ctx.clock.now()) != InviteState::Open {
        return Err(AppError::conflict("This invite link cannot be used any more."));
    }
    let password = entry.check(&user.email)?;
    let password_hash = hasher.hash(password.expose().to_owned()).await?;
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            let user = db::users::find(conn, user.id)?;
            if user.disabled || db::invites::accept(conn, invite.id, now)? == 0 {
                return Err(AppError::conflict("This invite link was used or withdrawn a moment ago."));
            }
            db::users::set_password_hash(conn, user.id, &password_hash, now)?;
            let actor = Actor::user(user.id, &user.name);
            record(conn, &actor, "user.invite_accept", user.id, "Accepted their invite and set their password", now)?;
            Ok(user.id)
        })
        .await
}
