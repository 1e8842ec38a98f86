//! One's own account: creating the first admin, logging in (throttled, every attempt
//! recorded) and changing one's own password. Passwords are hashed and verified by the
//! [`PasswordHasher`] on the blocking pool, never inside a transaction.

use crate::audit::{self, Actor, Change};
use crate::auth::password::{self, PasswordHasher};
use crate::auth::throttle::{Admission, LoginThrottle};
use crate::db;
use crate::db::users::User;
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

/// Creates the first admin; refused once anyone exists, even when two setups race. Nothing
/// is hashed once an account exists, and setups count against the address's login limit.
pub async fn set_up(
    ctx: &Ctx,
    hasher: &PasswordHasher,
    throttle: LoginThrottle,
    client_ip: String,
    admin: FirstAdmin,
) -> Result<UserId, AppError> {
    if is_set_up(ctx).await? {
        return Err(already_set_up());
    }
    let (attempt_id, admission, _) = reserve(ctx, throttle, admin.email.as_str().to_owned(), client_ip).await?;
    if let Admission::Refused(message) = admission {
        return Err(AppError::TooManyRequests(message));
    }
    let hash = hasher.hash(admin.password.expose().to_owned()).await?;
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            db::users::lock_for_first_setup(conn)?;
            if db::users::count(conn)? > 0 {
                return Err(already_set_up());
            }
            let (name, email) = (&admin.name, &admin.email);
            let id = db::users::insert(conn, email, name, &hash, Role::Admin, now)?;
            db::login_attempts::mark_succeeded(conn, attempt_id)?;
            let summary = format!("Created the first admin {} <{}>", name.as_str(), email.as_str());
            let change =
                Change { action: "user.create", object_kind: "user", object_id: Some(id.get()), summary: &summary };
            audit::record(conn, &Actor::user(id, name.as_str()), change, now)?;
            Ok(id)
        })
        .await
}

fn already_set_up() -> AppError {
    AppError::conflict("voxdial is already set up. Log in with your account.")
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

/// Checks a login attempt. The attempt is counted (as a failure until it succeeds) before
/// its password is hashed; an address over its limit is refused with
/// [`AppError::TooManyRequests`], an account over its limit is answered after a wait (see
/// [`LoginThrottle`]). A hash made with older parameters is upgraded on success.
pub async fn log_in(
    ctx: &Ctx,
    hasher: &PasswordHasher,
    throttle: LoginThrottle,
    attempt: LoginAttempt,
) -> Result<LoginVerdict, AppError> {
    let LoginAttempt { email, password, client_ip } = attempt;
    let (attempt_id, admission, user) = reserve(ctx, throttle, email, client_ip.clone()).await?;
    match admission {
        Admission::Refused(message) => {
            tracing::warn!(%client_ip, "login throttled");
            return Err(AppError::TooManyRequests(message));
        }
        Admission::Proceed(wait) if !wait.is_zero() => {
            tracing::warn!(%client_ip, wait_ms = wait.as_millis() as u64, "login slowed down");
            tokio::time::sleep(wait).await;
        }
        Admission::Proceed(_) => {}
    }

    // Verified even without an account, so a miss takes as long as a hit.
    let stored_hash = user.as_ref().map(|u| u.password_hash.clone());
    let password_ok = hasher.verify(password.clone(), stored_hash).await?;
    let Some(user) = user.filter(|u| password_ok && !u.disabled) else {
        tracing::info!(%client_ip, "login failed");
        return Ok(LoginVerdict::Refused);
    };
    let upgraded_hash = match password::needs_rehash(&user.password_hash) {
        true => Some(hasher.hash(password).await?),
        false => None,
    };
    let (user_id, now) = (user.id, ctx.clock.now());
    ctx.db
        .write(move |conn| {
            db::login_attempts::mark_succeeded(conn, attempt_id)?;
            if let Some(hash) = upgraded_hash {
                db::users::set_password_hash(conn, user_id, &hash, now)?;
            }
            Ok(())
        })
        .await?;
    tracing::info!(%user_id, %client_ip, "login succeeded");
    Ok(LoginVerdict::Accepted(user_id))
}

/// Counts and records an attempt in one serialised transaction, and looks up its account
/// when it may go on.
async fn reserve(
    ctx: &Ctx,
    throttle: LoginThrottle,
    email: String,
    client_ip: String,
) -> Result<(i64, Admission, Option<User>), AppError> {
    let now = ctx.clock.now();
    ctx.db
        .write(move |conn| {
            db::login_attempts::lock_for_counting(conn)?;
            let admission = throttle.admit(conn, &email, &client_ip, now)?;
            let attempt_id = db::login_attempts::record_failed(conn, &email, &client_ip, now)?;
            let user = match (&admission, Email::parse(&email)) {
                (Admission::Proceed(_), Ok(email)) => db::users::find_by_email(conn, &email)?,
                _ => None,
            };
            Ok((attempt_id, admission, user))
        })
        .await
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
