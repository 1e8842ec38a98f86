//! The user's own profile: change password.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{PageCtx, redirect_with_flash, respond, respond_with_status};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::session::{FlashKind, TypedSession};
use crate::db::{self, write_tx};
use crate::domain::user::{Email, NewPassword};
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(profile_page).service(change_password);
}

#[derive(Template, WebTemplate)]
#[template(path = "profile/page.html")]
struct ProfilePage {
    ctx: PageCtx,
    error: Option<String>,
}

#[get("/profile")]
async fn profile_page(req: HttpRequest, ctx: PageCtx) -> HttpResponse {
    respond(ProfilePage { ctx, error: None }, &req)
}

#[derive(Debug, Deserialize)]
struct ChangePasswordForm {
    current_password: String,
    password: String,
    password_confirmation: String,
}

#[post("/profile/password")]
async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.id;
    let stored = state.db.run(move |conn| Ok(db::users::find(conn, user_id)?.password_hash)).await?;
    let current_ok = state.hasher.verify(form.current_password.clone(), Some(stored)).await?;
    let email = Email::parse(&user.email).ok();
    let checked = if current_ok {
        NewPassword::parse(&form.password, &form.password_confirmation, email.as_ref())
    } else {
        Err("Your current password is not correct".to_owned())
    };
    let password = match checked {
        Ok(password) => password,
        Err(message) => {
            let page = ProfilePage { ctx, error: Some(message) };
            return Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY));
        }
    };
    let hash = state.hasher.hash(password.expose().to_owned()).await?;
    let actor = user.actor();
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                db::users::set_password_hash(conn, user_id, &hash)?;
                // Every other session ends; this one continues under a new key below.
                db::sessions::delete_for_user(conn, user_id)?;
                audit::record(conn, &actor, "user.password_change", "user", Some(user_id), "Changed their password")?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    TypedSession::from_request(&req).renew();
    redirect_with_flash(&req, "/profile", FlashKind::Success, "Password changed. Your other sessions were logged out.")
}
