//! One's own account: creating the first admin, logging in (throttled, every attempt
//! recorded) and changing one's own password. Passwords are hashed and verified by the
//! [`PasswordHasher`] on the blocking pool, never inside a transaction.

use crate::audit::{self, Actor, Change};
use crate::auth::password::{self, PasswordHasher};
use crate::auth::throttle::LoginThrottle;
use crate::db;
use crate::domain::user::{Email, NewPassword, PersonName, Role};
use crate::error::AppError;
use crate::ids::UserId;
use crate::services::Ctx;

/// Whether the first admin exists (until then every page leads to setup).
pub async fn is_set_up(ctx: &Ctx) -> Result<bool, AppError> {
    Ok(ctx.db.run(|conn| Ok(db::users::count(conn)?)).await? > 0)
}

/// The first admin, validated.
pub struct FirstAdmin {
    pub name: PersonName,
    pub email: Email,
    pub password: NewPassword,
}

/// Creates the first admin; refused once anyone exists, even when two setups race.
pub async fn set_up(ctx: &Ctx, hasher: &PasswordHasher, admin: FirstAdmin) -> Result<UserId, AppError> {
    let hash = hasher.hash(admin.password.expose().to_owned()).await?;
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            db::users::lock_for_first_setup(conn)?;
            if db::users::count(conn)? > 0 {
                return Err(AppError::conflict("voxdial is already set up. Log in with your account."));
            }
            let (name, email) = (&admin.name, &admin.email);
            let id = db::users::insert(conn, email, name, &hash, Role::Admin, now)?;
            let summary = format!("Created the first admin {} <{}>", name.as_str(), email.as_str());
            let change =
                Change { action: "user.create", object_kind: "user", object_id: Some(id.get()), summary: &summary };
            audit::record(conn, &Actor::user(id, name.as_str()), change, now)?;
            Ok(id)
        })
        .await
}

/// A login form as submitted (no `Debug`: it holds the password).
pub struct LoginAttempt {
    /// Trimmed and lower-cased; not necessarily a valid address.
    pub email: String,
    pub password: String,
    /// The client address, for throttling and the record.
    pub client_ip: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginVerdict {
    Accepted(UserId),
    /// Wrong email or password, or a disabled account: the same answer for all three.
    Refused,
}

/// Checks a login attempt and records it. Throttled attempts are refused with
/// [`AppError::TooManyRequests`] before the password is looked at. A hash made with older
/// parameters is upgraded on success.
pub async fn log_in(
    ctx: &Ctx,
    hasher: &PasswordHasher,
    throttle: LoginThrottle,
    attempt: LoginAttempt,
) -> Result<LoginVerdict, AppError> {
    let LoginAttempt { email, password, client_ip } = attempt;
    let now = ctx.clock.now();
    let (lookup_email, lookup_ip) = (email.clone(), client_ip.clone());
    let user = ctx
        .db
        .run(move |conn| {
            throttle.check(conn, &lookup_email, &lookup_ip, now)?;
            match Email::parse(&lookup_email) {
                Ok(email) => Ok(db::users::find_by_email(conn, &email)?),
                Err(_) => Ok(None),
            }
        })
        .await
        .inspect_err(|e| {
            if matches!(e, AppError::TooManyRequests(_)) {
                tracing::warn!(%client_ip, "login throttled");
            }
        })?;

    // Verified even without an account, so a miss takes as long as a hit.
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let password_ok = hasher.verify(password.clone(), stored_hash).await?;
    let accepted = user.filter(|u| password_ok && !u.disabled);
    let upgraded_hash = match &accepted {
        Some(user) if password::needs_rehash(&user.password_hash) => Some(hasher.hash(password).await?),
        _ => None,
    };
    let (user_id, record_ip) = (accepted.as_ref().map(|u| u.id), client_ip.clone());
    ctx.db
        .write(move |conn| {
            db::login_attempts::record(conn, &email, &record_ip, user_id.is_some(), now)?;
            if let (Some(id), Some(hash)) = (user_id, upgraded_hash) {
                db::users::set_password_hash(conn, id, &hash, now)?;
            }
            Ok(())
        })
        .await?;
    match user_id {
        Some(user_id) => {
            tracing::info!(%user_id, %client_ip, "login succeeded");
            Ok(LoginVerdict::Accepted(user_id))
        }
        None => {
            tracing::info!(%client_ip, "login failed");
            Ok(LoginVerdict::Refused)
        }
    }
}

/// A new password as typed twice (no `Debug`). It is checked against the policy for the
/// account it is for, which must not appear in it.
pub struct PasswordEntry {
    pub password: String,
    pub confirmation: String,
}

impl PasswordEntry {
    pub(crate) fn check(&self, email: &Email) -> Result<NewPassword, AppError> {
        NewPassword::parse(&self.password, &self.confirmation, Some(email)).map_err(AppError::Validation)
    }
}

/// Changes one's own password after checking the current one, and ends every session of
/// the user (the caller keeps its own under a new key).
pub async fn change_own_password(
    ctx: &Ctx,
    hasher: &PasswordHasher,
    user_id: UserId,
    current_password: String,
    new_password: PasswordEntry,
) -> Result<(), AppError> {
    let user = ctx.db.run(move |conn| Ok(db::users::find(conn, user_id)?)).await?;
    if !hasher.verify(current_password, Some(user.password_hash.clone())).await? {
        return Err(AppError::validation("Your current password is not correct"));
    }
    let password = new_password.check(&user.email)?;
    let hash = hasher.hash(password.expose().to_owned()).await?;
    let now = ctx.clock.now();
    let actor = Actor::user(user.id, &user.name);
    ctx.db
        .write(move |conn| {
            db::users::set_password_hash(conn, user_id, &hash, now)?;
            db::sessions::delete_for_user(conn, user_id)?;
            let change = Change {
                action: "user.password_change",
                object_kind: "user",
                object_id: Some(user_id.get()),
                summary: "Changed their password",
            };
            Ok(audit::record(conn, &actor, change, now)?)
        })
        .await
}
