//! The team page (admins only): add members with an invite link (shown once), see, renew
//! and revoke the links still pending, change roles, disable, reset passwords, and choose
//! what members may change.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use chrono::NaiveDateTime;
use serde::Deserialize;

use super::invite::no_store;
use super::{PageCtx, redirect_with_flash, respond, respond_with_status};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::invites::{Invite, InviteState};
use crate::db::users::User;
use crate::domain::campaign::parse_timezone;
use crate::domain::user::{Email, PersonName, Role};
use crate::error::AppError;
use crate::ids::UserId;
use crate::services::accounts::PasswordEntry;
use crate::services::invites::{self, INVITE_LIFETIME, Invitee, IssuedInvite};
use crate::services::team::{self, TeamOverview};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(team_page)
        .service(add_user)
        .service(set_permissions)
        .service(set_workspace_timezone)
        .service(change_role)
        .service(disable_user)
        .service(enable_user)
        .service(reset_password)
        .service(reissue_invite)
        .service(revoke_invite);
}

#[derive(Template, WebTemplate)]
#[template(path = "team/page.html")]
struct TeamPage {
    ctx: PageCtx,
    members: Vec<Member>,
    members_edit_ai_setup: bool,
    /// The zone of people who have not chosen their own.
    workspace_zone: String,
    zones: &'static [chrono_tz::Tz],
    form: NewUserForm,
    error: Option<String>,
    /// A link just issued, shown in this response only.
    revealed: Option<RevealedLink>,
    lifetime_hours: i64,
}

/// A row of the team table.
struct Member {
    user: User,
    /// Set while the member has not set a password yet.
    pending: Option<Pending>,
}

/// A member who has not set a password yet, and where their link stands.
struct Pending {
    link: PendingLink,
    invited_by: Option<String>,
}

enum PendingLink {
    Open {
        expires_at: NaiveDateTime,
    },
    Expired {
        expired_at: NaiveDateTime,
    },
    /// Revoked (or never issued): a new one must be issued.
    None,
}

impl Pending {
    /// Whether a link is open (even if expired), to be revoked.
    fn has_link(&self) -> bool {
        !matches!(self.link, PendingLink::None)
    }
}

impl Member {
    fn awaits_password(&self) -> bool {
        self.pending.is_some() && !self.user.disabled
    }
}

struct RevealedLink {
    name: String,
    email: String,
    url: String,
    expires_at: NaiveDateTime,
}

impl TeamPage {
    fn new(ctx: PageCtx, overview: TeamOverview, now: NaiveDateTime) -> TeamPage {
        let TeamOverview { members, open_invites, settings } = overview;
        let names: HashMap<UserId, String> = members.iter().map(|u| (u.id, u.name.clone())).collect();
        let mut invites: HashMap<UserId, Invite> = open_invites.into_iter().map(|i| (i.user_id, i)).collect();
        let members = members
            .into_iter()
            .map(|user| {
                let invite = invites.remove(&user.id);
                let pending = (!user.has_password()).then(|| Pending {
                    invited_by: invite.as_ref().and_then(|i| i.created_by).and_then(|id| names.get(&id).cloned()),
                    link: match invite {
                        Some(i) if i.state(now) == InviteState::Open => PendingLink::Open { expires_at: i.expires_at },
                        Some(i) => PendingLink::Expired { expired_at: i.expires_at },
                        None => PendingLink::None,
                    },
                });
                Member { user, pending }
            })
            .collect();
        TeamPage {
            ctx,
            members,
            members_edit_ai_setup: settings.members_edit_ai_setup,
            workspace_zone: settings.timezone,
            zones: &chrono_tz::TZ_VARIANTS,
            form: NewUserForm { role: Role::Member.as_str().into(), ..NewUserForm::default() },
            error: None,
            revealed: None,
            lifetime_hours: INVITE_LIFETIME.num_hours(),
        }
    }

    async fn load(state: &AppState, ctx: PageCtx) -> Result<TeamPage, AppError> {
        let overview = team::overview(&state.ctx).await?;
        Ok(TeamPage::new(ctx, overview, state.ctx.clock.now()))
    }

    fn pending(&self) -> impl Iterator<Item = &Member> {
        self.members.iter().filter(|m| m.awaits_password())
    }

    fn has_pending(&self) -> bool {
        self.pending().next().is_some()
    }

    /// The page showing a link just issued, once (never stored, not even in a flash).
    fn revealing(mut self, req: &HttpRequest, state: &AppState, issued: IssuedInvite) -> HttpResponse {
        self.revealed = Some(RevealedLink {
            url: format!("{}/invite/{}", state.public_url, issued.token),
            name: issued.name,
            email: issued.email,
            expires_at: issued.expires_at,
        });
        no_store(respond(self, req))
    }
}

#[derive(Debug, Default, Deserialize)]
struct NewUserForm {
    name: String,
    email: String,
    role: String,
}

impl NewUserForm {
    fn parse(&self) -> Result<Invitee, String> {
        let name = PersonName::parse(&self.name)?;
        let email = Email::parse(&self.email)?;
        let role = Role::parse(&self.role)?;
        Ok(Invitee { name, email, role })
    }
}

#[get("")]
async fn team_page(req: HttpRequest, state: web::Data<AppState>, ctx: PageCtx) -> Result<HttpResponse, AppError> {
    Ok(respond(TeamPage::load(&state, ctx).await?, &req))
}

/// Adds a member without a password and shows their invite link.
#[post("")]
async fn add_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    admin: CurrentUser,
    form: web::Form<NewUserForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let invited = match form.parse().map_err(AppError::Validation) {
        Ok(invitee) => invites::invite_member(&state.ctx, &admin.actor(), invitee).await,
        Err(error) => Err(error),
    };
    let error = match invited {
        Ok(issued) => return Ok(TeamPage::load(&state, ctx).await?.revealing(&req, &state, issued)),
        Err(error) => error.user_message().ok_or(error)?,
    };
    let page = TeamPage { form, error: Some(error), ..TeamPage::load(&state, ctx).await? };
    Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY))
}

/// A new link for a member who has not set a password; the previous one stops working.
#[post("/{id}/invite")]
async fn reissue_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    admin: CurrentUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let issued = invites::reissue(&state.ctx, &admin.actor(), path.into_inner()).await?;
    Ok(TeamPage::load(&state, ctx).await?.revealing(&req, &state, issued))
}

#[post("/{id}/invite/revoke")]
async fn revoke_invite(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let name = invites::revoke(&state.ctx, &admin.actor(), path.into_inner()).await?;
    redirect_with_flash(&req, "/team", FlashKind::Success, format!("{name}'s invite link no longer works."))
}

#[derive(Debug, Deserialize)]
struct PermissionsForm {
    /// A ticked checkbox sends `yes`; an unticked one sends nothing.
    #[serde(default)]
    members_edit_ai_setup: Option<String>,
}

#[post("/permissions")]
async fn set_permissions(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    form: web::Form<PermissionsForm>,
) -> Result<HttpResponse, AppError> {
    let allowed = form.members_edit_ai_setup.as_deref() == Some("yes");
    let changed = team::set_members_edit_ai_setup(&state.ctx, admin.actor(), allowed).await?;
    let message = match (changed, allowed) {
        (false, _) => "Nothing changed.",
        (true, true) => "Members may now edit prompt templates, voice agents and campaigns' AI Agents settings.",
        (true, false) => "Only admins may now edit prompt templates, voice agents and campaigns' AI Agents settings.",
    };
    redirect_with_flash(&req, "/team#member-permissions", FlashKind::Success, message)
}

#[derive(Debug, Deserialize)]
struct TimezoneForm {
    timezone: String,
}

#[post("/timezone")]
async fn set_workspace_timezone(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    form: web::Form<TimezoneForm>,
) -> Result<HttpResponse, AppError> {
    let zone = parse_timezone(&form.timezone).map_err(AppError::Validation)?;
    crate::services::timezones::set_workspace(&state.ctx, admin.actor(), zone).await?;
    let message = format!("People who have not chosen a zone now see times in {}.", zone.name());
    redirect_with_flash(&req, "/team#workspace-timezone", FlashKind::Success, message)
}

#[derive(Debug, Deserialize)]
struct RoleForm {
    role: String,
}

#[post("/{id}/role")]
async fn change_role(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<UserId>,
    form: web::Form<RoleForm>,
) -> Result<HttpResponse, AppError> {
    let role = Role::parse(&form.role).map_err(AppError::Validation)?;
    let name = team::change_role(&state.ctx, admin.actor(), path.into_inner(), role).await?;
    redirect_with_flash(&req, "/team", FlashKind::Success, format!("{name} is now {}.", role.label().to_lowercase()))
}

#[post("/{id}/disable")]
async fn disable_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let name = team::disable(&state.ctx, admin.actor(), path.into_inner()).await?;
    redirect_with_flash(&req, "/team", FlashKind::Success, format!("{name} is disabled and logged out."))
}

#[post("/{id}/enable")]
async fn enable_user(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<UserId>,
) -> Result<HttpResponse, AppError> {
    let name = team::enable(&state.ctx, admin.actor(), path.into_inner()).await?;
    redirect_with_flash(&req, "/team", FlashKind::Success, format!("{name} can log in again."))
}

#[derive(Deserialize)]
struct ResetPasswordForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirmation: String,
}

#[post("/{id}/password")]
async fn reset_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: CurrentUser,
    path: web::Path<UserId>,
    form: web::Form<ResetPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let user_id = path.into_inner();
    let ResetPasswordForm { password, password_confirmation } = form.into_inner();
    let entry = PasswordEntry { password, confirmation: password_confirmation };
    let name = team::reset_password(&state.ctx, &state.hasher, admin.actor(), user_id, entry).await?;
    let message = if user_id == admin.id {
        "Your password was changed. Log in again with the new password.".to_owned()
    } else {
        format!("{name} has a new password and was logged out everywhere.")
    };
    redirect_with_flash(&req, "/team", FlashKind::Success, message)
}
