//! Provider connections: the list with each one's last test, adding and editing (secrets
//! are never shown again, only their hints), testing, a new inbound token, deleting.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::providers::ProviderConnection;
use crate::domain::campaign::parse_name;
use crate::error::AppError;
use crate::ids::ConnectionId;
use crate::provider::ProviderKind;
use crate::services::connections::{self, ConnectionDetails, INBOUND_TOKEN_HEADER, SavedConnection, SecretInputs};
use crate::web::htmx::HxRequest;
use crate::web::{PageCtx, redirect_with_flash, respond, respond_with_status};

/// A connection as the settings pages show it: never the secrets, only their hints.
pub struct ConnectionView {
    pub connection: ProviderConnection,
    pub post_call_url: String,
    pub initiation_url: String,
}

impl ConnectionView {
    fn new(connection: ProviderConnection, public_url: &str) -> Self {
        let (post_call_url, initiation_url) = connections::webhook_urls(public_url, connection.id);
        ConnectionView { connection, post_call_url, initiation_url }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/page.html")]
struct ListPage {
    ctx: PageCtx,
    connections: Vec<ConnectionView>,
    inbound_header: &'static str,
}

#[get("")]
pub async fn list_page(state: web::Data<AppState>, ctx: PageCtx) -> Result<ListPage, AppError> {
    let connections = connections::list(&state.ctx).await?;
    let connections = connections.into_iter().map(|c| ConnectionView::new(c, &state.public_url)).collect();
    Ok(ListPage { ctx, connections, inbound_header: INBOUND_TOKEN_HEADER })
}

#[derive(Debug, Default, Deserialize)]
pub struct ConnectionForm {
    #[serde(default)]
    kind: String,
    name: String,
    api_base_url: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    webhook_secret: String,
    #[serde(default)]
    inbound_token: String,
}

impl ConnectionForm {
    /// The form for a stored connection: its details, never its secrets.
    fn of(connection: &ProviderConnection) -> Self {
        ConnectionForm {
            kind: connection.kind.as_str().into(),
            name: connection.name.clone(),
            api_base_url: connection.api_base_url.clone(),
            ..ConnectionForm::default()
        }
    }

    fn parse(&self) -> Result<(ConnectionDetails, SecretInputs), AppError> {
        let kind = ProviderKind::parse(if self.kind.is_empty() { "elevenlabs" } else { &self.kind })
            .map_err(AppError::Validation)?;
        let name = parse_name(&self.name, "Name").map_err(AppError::Validation)?;
        let api_base_url = parse_base_url(&self.api_base_url).map_err(AppError::Validation)?;
        let secret = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
        let secrets = SecretInputs {
            api_key: secret(&self.api_key),
            webhook_secret: secret(&self.webhook_secret),
            inbound_token: secret(&self.inbound_token),
        };
        Ok((ConnectionDetails { kind, name, api_base_url }, secrets))
    }
}

pub(super) fn parse_base_url(input: &str) -> Result<String, String> {
    let trimmed = input.trim().trim_end_matches('/');
    let url = reqwest::Url::parse(trimmed).map_err(|_| format!("“{trimmed}” is not a URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("The API base URL must be an http:// or https:// address".into());
    }
    if !url.username().is_empty() || url.password().is_some() || url.query().is_some() {
        return Err("The API base URL must not contain credentials or a query".into());
    }
    Ok(trimmed.to_owned())
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/connection_form.html")]
struct FormPage {
    ctx: PageCtx,
    /// `None` while creating.
    existing: Option<ConnectionView>,
    form: ConnectionForm,
    error: Option<String>,
    inbound_header: &'static str,
    /// A freshly generated inbound token, shown once in this response and never stored in
    /// plain text anywhere (not even in the session's flash).
    revealed_token: Option<String>,
}

impl FormPage {
    fn new(ctx: PageCtx, existing: Option<ConnectionView>, form: ConnectionForm) -> Self {
        FormPage { ctx, existing, form, error: None, inbound_header: INBOUND_TOKEN_HEADER, revealed_token: None }
    }

    /// The page of a stored connection.
    fn editing(ctx: PageCtx, connection: ProviderConnection, public_url: &str) -> Self {
        let form = ConnectionForm::of(&connection);
        FormPage::new(ctx, Some(ConnectionView::new(connection, public_url)), form)
    }

    /// The connection's page showing a just-generated inbound token once.
    fn revealing(ctx: PageCtx, saved: SavedConnection, public_url: &str) -> Self {
        FormPage { revealed_token: saved.generated_token, ..FormPage::editing(ctx, saved.connection, public_url) }
    }

    /// The form again with what the user can fix, or the error for anything else.
    fn refused(
        req: &HttpRequest,
        ctx: PageCtx,
        existing: Option<ConnectionView>,
        mut form: ConnectionForm,
        error: AppError,
    ) -> Result<HttpResponse, AppError> {
        let Some(message) = error.user_message() else {
            return Err(error);
        };
        // Secrets are never sent back to the browser, not even the ones just typed.
        form.api_key.clear();
        form.webhook_secret.clear();
        form.inbound_token.clear();
        let page = FormPage { error: Some(message), ..FormPage::new(ctx, existing, form) };
        Ok(respond_with_status(page, req, StatusCode::UNPROCESSABLE_ENTITY))
    }
}

#[get("/providers/new")]
pub async fn new_page(req: HttpRequest, ctx: PageCtx) -> HttpResponse {
    let form = ConnectionForm {
        kind: ProviderKind::ElevenLabs.as_str().into(),
        api_base_url: ProviderKind::ElevenLabs.default_base_url().into(),
        ..ConnectionForm::default()
    };
    respond(FormPage::new(ctx, None, form), &req)
}

#[post("/providers")]
pub async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<ConnectionForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let saved = match form.parse() {
        Ok((details, secrets)) => connections::create(&state.ctx, user.actor(), details, secrets).await,
        Err(error) => Err(error),
    };
    let saved = match saved {
        Ok(saved) => saved,
        Err(error) => return FormPage::refused(&req, ctx, None, form, error),
    };
    if saved.generated_token.is_some() {
        return Ok(respond(FormPage::revealing(ctx, saved, &state.public_url), &req));
    }
    let connection = &saved.connection;
    let message =
        format!("Connection “{}” added. Test it, then paste the webhook URLs into the provider.", connection.name);
    redirect_with_flash(&req, &format!("/settings/providers/{}", connection.id), FlashKind::Success, message)
}

#[get("/providers/{id}")]
pub async fn edit_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<ConnectionId>,
) -> Result<HttpResponse, AppError> {
    let connection = connections::find(&state.ctx, path.into_inner()).await?;
    Ok(respond(FormPage::editing(ctx, connection, &state.public_url), &req))
}

#[post("/providers/{id}")]
pub async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<ConnectionId>,
    form: web::Form<ConnectionForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let updated = match form.parse() {
        Ok((details, secrets)) => connections::update(&state.ctx, user.actor(), id, details, secrets).await,
        Err(error) => Err(error),
    };
    match updated {
        Ok(()) => redirect_with_flash(&req, "/settings", FlashKind::Success, "Connection saved."),
        Err(error) if error.user_message().is_some() => {
            // The form is shown again beside what it edits.
            let existing = ConnectionView::new(connections::find(&state.ctx, id).await?, &state.public_url);
            FormPage::refused(&req, ctx, Some(existing), form, error)
        }
        Err(error) => Err(error),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/_check.html")]
pub(super) struct CheckResult {
    pub(super) ok: bool,
    pub(super) message: String,
}

#[post("/providers/{id}/test")]
pub async fn test(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<ConnectionId>,
) -> Result<HttpResponse, AppError> {
    let verdict = connections::test(&state.ctx, path.into_inner()).await?;
    if HxRequest::from_http(&req).is_htmx {
        return Ok(respond(CheckResult { ok: verdict.ok, message: verdict.message }, &req));
    }
    let kind = if verdict.ok { FlashKind::Success } else { FlashKind::Error };
    redirect_with_flash(&req, "/settings", kind, verdict.message)
}

#[post("/providers/{id}/inbound-token")]
pub async fn rotate_inbound_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<ConnectionId>,
) -> Result<HttpResponse, AppError> {
    let saved = connections::rotate_inbound_token(&state.ctx, user.actor(), path.into_inner()).await?;
    Ok(respond(FormPage::revealing(ctx, saved, &state.public_url), &req))
}

#[post("/providers/{id}/delete")]
pub async fn delete(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<ConnectionId>,
) -> Result<HttpResponse, AppError> {
    let name = connections::delete(&state.ctx, user.actor(), path.into_inner()).await?;
    redirect_with_flash(&req, "/settings", FlashKind::Success, format!("Connection “{name}” deleted."))
}

#[cfg(test)]
mod tests {
    use super::parse_base_url;

    #[test]
    fn base_urls_must_be_plain_http_addresses() {
        assert_eq!(parse_base_url(" https://api.elevenlabs.io/ ").unwrap(), "https://api.elevenlabs.io");
        assert_eq!(parse_base_url("http://127.0.0.1:9000").unwrap(), "http://127.0.0.1:9000");
        assert!(parse_base_url("ftp://example.com").is_err());
        assert!(parse_base_url("not a url").is_err());
        assert!(parse_base_url("https://user:pw@example.com").is_err());
        assert!(parse_base_url("javascript:alert(1)").is_err());
    }
}
