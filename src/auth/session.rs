//! Typed access to the session: the logged-in user, the CSRF token and one-shot flashes.

use actix_session::{Session, SessionExt as _};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use serde::{Deserialize, Serialize};

use crate::crypto::random_token;
use crate::error::AppError;
use crate::ids::UserId;

pub const USER_ID_KEY: &str = "user_id";
const CSRF_KEY: &str = "csrf";
const FLASH_KEY: &str = "flash";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlashKind {
    Success,
    Error,
}

/// A message shown once on the next page.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Flash {
    pub kind: FlashKind,
    pub message: String,
}

pub struct TypedSession(Session);

impl TypedSession {
    pub fn from_request(req: &HttpRequest) -> TypedSession {
        TypedSession(req.get_session())
    }

    pub fn user_id(&self) -> Option<UserId> {
        self.0.get::<UserId>(USER_ID_KEY).ok().flatten()
    }

    /// Starts an authenticated session under a new key (no session fixation) with a fresh
    /// CSRF token.
    pub fn log_in(&self, user_id: UserId) -> Result<(), AppError> {
        self.0.renew();
        self.insert(USER_ID_KEY, user_id)?;
        self.insert(CSRF_KEY, random_token())
    }

    /// Ends the session here and in the store.
    pub fn log_out(&self) {
        self.0.purge();
    }

    /// Moves the session to a new key, keeping its state (after a password change).
    pub fn renew(&self) {
        self.0.renew();
    }

    /// The session's CSRF token, created on first use.
    pub fn csrf_token(&self) -> Result<String, AppError> {
        if let Some(token) = self.stored_csrf_token() {
            return Ok(token);
        }
        let token = random_token();
        self.insert(CSRF_KEY, &token)?;
        Ok(token)
    }

    pub fn stored_csrf_token(&self) -> Option<String> {
        self.0.get::<String>(CSRF_KEY).ok().flatten()
    }

    pub fn flash(&self, kind: FlashKind, message: impl Into<String>) -> Result<(), AppError> {
        self.insert(FLASH_KEY, Flash { kind, message: message.into() })
    }

    pub fn has_flash(&self) -> bool {
        self.0.contains_key(FLASH_KEY)
    }

    pub fn take_flash(&self) -> Option<Flash> {
        self.0.remove_as::<Flash>(FLASH_KEY).and_then(Result::ok)
    }

    fn insert(&self, key: &str, value: impl Serialize) -> Result<(), AppError> {
        self.0
            .insert(key, value)
            .map_err(|e| AppError::Unexpected(anyhow::anyhow!("{e}").context("writing the session")))
    }
}

impl FromRequest for TypedSession {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<TypedSession, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(TypedSession::from_request(req)))
    }
}
