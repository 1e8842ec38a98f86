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
use crate::db::workspace::WorkspaceSettings;
use crate::domain::user::Role;
use crate::error::AppError;
use crate::ids::UserId;

/// The logged-in user, loaded fresh from the database on every request (so a role change,
/// a disable or a change of what members may do takes effect at once) and put in the
/// request extensions by `require_login`.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// May change prompt templates, voice agents and campaigns' AI Agents settings: admins
    /// always, members when the workspace allows it.
    pub may_edit_ai_setup: bool,
    /// The zone the user reads times in: their own, else the workspace's.
    pub zone: chrono_tz::Tz,
}

impl CurrentUser {
    /// `user`, under the workspace's settings.
    pub fn new(user: &User, workspace: &WorkspaceSettings) -> CurrentUser {
        CurrentUser {
            id: user.id,
            email: user.email.to_string(),
            name: user.name.clone(),
            role: user.role,
            may_edit_ai_setup: user.is_admin() || workspace.members_edit_ai_setup,
            zone: user.timezone.unwrap_or_else(|| workspace.zone()),
        }
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn actor(&self) -> Actor {
        Actor::user(self.id, &self.name)
    }

    /// Refuses (403, with [`AI_SETUP_ADMINS_ONLY`]) a user who may not change prompt
    /// templates, voice agents or campaigns' AI Agents settings.
    pub fn ensure_may_edit_ai_setup(&self) -> Result<(), AppError> {
        if self.may_edit_ai_setup {
            return Ok(());
        }
        tracing::warn!(user_id = %self.id, "member refused a change to the AI setup");
        Err(AppError::NotAllowed(AI_SETUP_ADMINS_ONLY))
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = std::future::Ready<Result<CurrentUser, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(req.extensions().get::<CurrentUser>().cloned().ok_or(AppError::Unauthenticated))
    }
}

/// Why a member is refused a change to the AI setup.
pub const AI_SETUP_ADMINS_ONLY: &str = "Only admins can change prompt templates, voice agents and campaigns' AI \
     Agents settings here. Ask an admin to make the change, or to let members edit these on the Team page.";

/// The logged-in user, when they may change prompt templates, voice agents and campaigns'
/// AI Agents settings; anyone else is refused with 403 and [`AI_SETUP_ADMINS_ONLY`]. Every
/// handler that changes one of those takes it instead of [`CurrentUser`].
#[derive(Debug, Clone)]
pub struct AiSetupEditor(pub CurrentUser);

impl FromRequest for AiSetupEditor {
    type Error = AppError;
    type Future = std::future::Ready<Result<AiSetupEditor, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let user = req.extensions().get::<CurrentUser>().cloned().ok_or(AppError::Unauthenticated);
        std::future::ready(user.and_then(|user| user.ensure_may_edit_ai_setup().map(|()| AiSetupEditor(user))))
    }
}
