//! Team access (R-AUTH): passwords, server-side sessions, CSRF, roles, login throttling.

pub mod csrf;
pub mod middleware;
pub mod multipart_token;
pub mod password;
pub mod session;
pub mod session_store;
pub mod throttle;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpMessage as _, HttpRequest};

use crate::audit::Actor;
use crate::db::users::User;
use crate::domain::user::Role;
use crate::error::AppError;
use crate::ids::UserId;

/// The logged-in user, loaded fresh from the database on every request (so a role change
/// or a disable takes effect at once) and put in the request extensions by `require_login`.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl CurrentUser {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.name)
    }
}

impl From<&User> for CurrentUser {
    fn from(user: &User) -> Self {
        CurrentUser { id: user.id, email: user.email.to_string(), name: user.name.clone(), role: user.role }
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = std::future::Ready<Result<CurrentUser, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(req.extensions().get::<CurrentUser>().cloned().ok_or(AppError::Unauthenticated))
    }
}
