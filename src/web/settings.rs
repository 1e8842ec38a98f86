//! Settings (admins only): provider connections with their secrets and webhook URLs, and
//! the audit log.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{PageCtx, redirect_with_flash, respond, respond_with_status};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::connections::{self, INBOUND_TOKEN_HEADER};
use crate::crypto::random_token;
use crate::db::audit::AuditEntry;
use crate::db::providers::{NewConnection, ProviderConnection, SecretField};
use crate::db::{self, write_tx};
use crate::domain::campaign::parse_name;
use crate::error::AppError;
use crate::provider::ProviderKind;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(settings_page)
        .service(new_connection_page)
        .service(create_connection)
        .service(audit_page)
        .service(webhooks_page)
        .service(webhook_event_page)
        .service(edit_connection_page)
        .service(update_connection)
        .service(test_connection)
        .service(regenerate_inbound_token)
        .service(delete_connection);
}

/// A connection as the settings page shows it: never the secrets, only their hints.
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

    pub fn kind_label(&self) -> &'static str {
        ProviderKind::parse(&self.connection.kind).map_or("Unknown", ProviderKind::label)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/page.html")]
struct SettingsPage {
    ctx: PageCtx,
    connections: Vec<ConnectionView>,
    inbound_header: &'static str,
}

#[get("")]
async fn settings_page(state: web::Data<AppState>, ctx: PageCtx) -> Result<SettingsPage, AppError> {
    let connections = state.db.run(|conn| Ok(db::providers::list(conn)?)).await?;
    let connections = connections.into_iter().map(|c| ConnectionView::new(c, &state.public_url)).collect();
    Ok(SettingsPage { ctx, connections, inbound_header: INBOUND_TOKEN_HEADER })
}

#[derive(Debug, Default, Deserialize)]
struct ConnectionForm {
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

#[derive(Template, WebTemplate)]
#[template(path = "settings/connection_form.html")]
struct ConnectionFormPage {
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

impl ConnectionFormPage {
    fn new(ctx: PageCtx, existing: Option<ConnectionView>, form: ConnectionForm) -> Self {
        ConnectionFormPage {
            ctx,
            existing,
            form,
            error: None,
            inbound_header: INBOUND_TOKEN_HEADER,
            revealed_token: None,
        }
    }
}

/// Validated connection details (secrets stay optional: blank keeps the stored value).
struct ConnectionInput {
    kind: ProviderKind,
    name: String,
    api_base_url: String,
    api_key: Option<String>,
    webhook_secret: Option<String>,
    inbound_token: Option<String>,
}

fn parse_connection(form: &ConnectionForm) -> Result<ConnectionInput, String> {
    let kind = ProviderKind::parse(if form.kind.is_empty() { "elevenlabs" } else { &form.kind })?;
    let name = parse_name(&form.name, "Name")?;
    let api_base_url = parse_base_url(&form.api_base_url)?;
    let secret = |value: &str| Some(value.trim().to_owned()).filter(|v| !v.is_empty());
    Ok(ConnectionInput {
        kind,
        name,
        api_base_url,
        api_key: secret(&form.api_key),
        webhook_secret: secret(&form.webhook_secret),
        inbound_token: secret(&form.inbound_token),
    })
}

fn parse_base_url(input: &str) -> Result<String, String> {
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

#[get("/providers/new")]
async fn new_connection_page(req: HttpRequest, ctx: PageCtx) -> HttpResponse {
    let form = ConnectionForm {
        kind: ProviderKind::ElevenLabs.as_str().into(),
        api_base_url: ProviderKind::ElevenLabs.default_base_url().into(),
        ..ConnectionForm::default()
    };
    respond(ConnectionFormPage::new(ctx, None, form), &req)
}

fn form_error(
    req: &HttpRequest,
    ctx: PageCtx,
    existing: Option<ConnectionView>,
    mut form: ConnectionForm,
    error: String,
) -> HttpResponse {
    // Secrets are never sent back to the browser, not even the ones just typed.
    form.api_key.clear();
    form.webhook_secret.clear();
    form.inbound_token.clear();
    let page = ConnectionFormPage { error: Some(error), ..ConnectionFormPage::new(ctx, existing, form) };
    respond_with_status(page, req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY)
}

#[post("/providers")]
async fn create_connection(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<ConnectionForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let input = match parse_connection(&form) {
        Ok(input) => input,
        Err(error) => return Ok(form_error(&req, ctx, None, form, error)),
    };
    let Some(api_key) = input.api_key.clone() else {
        return Ok(form_error(&req, ctx, None, form, "The API key is required".into()));
    };
    // The inbound token is ours to choose: generate one unless the admin typed one.
    let (inbound_token, generated_token) = match input.inbound_token.clone() {
        Some(token) => (token, false),
        None => (random_token(), true),
    };
    let sealed_token = connections::seal(&state.secrets, SecretField::InboundToken, &inbound_token);
    let secrets = state.secrets.clone();
    let actor = user.actor();
    let name = input.name.clone();
    let created = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let new = NewConnection {
                    kind: input.kind.as_str(),
                    name: &input.name,
                    api_base_url: &input.api_base_url,
                    api_key: connections::seal(&secrets, SecretField::ApiKey, &api_key),
                    webhook_secret: input
                        .webhook_secret
                        .as_deref()
                        .map(|s| connections::seal(&secrets, SecretField::WebhookSecret, s)),
                    inbound_token: Some(sealed_token),
                };
                let Some(id) = db::unless_duplicate(conn, |c| db::providers::insert(c, new))? else {
                    return Ok(None);
                };
                let summary = format!("Added the {} connection “{}”", input.kind.label(), input.name);
                audit::record(conn, &actor, "provider_connection.create", "provider_connection", Some(id), &summary)?;
                Ok::<_, AppError>(Some(id))
            })
        })
        .await?;
    let Some(id) = created else {
        return Ok(form_error(&req, ctx, None, form, format!("A connection named “{name}” already exists")));
    };
    let message = format!("Connection “{name}” added. Test it, then paste the webhook URLs into the provider.");
    if generated_token {
        return show_with_token(&req, &state, ctx, id, inbound_token).await;
    }
    redirect_with_flash(&req, &format!("/settings/providers/{id}"), FlashKind::Success, message)
}

/// The connection's page with a just-generated inbound token displayed once.
async fn show_with_token(
    req: &HttpRequest,
    state: &AppState,
    ctx: PageCtx,
    id: i64,
    token: String,
) -> Result<HttpResponse, AppError> {
    let connection = state.db.run(move |conn| Ok(db::providers::find(conn, id)?)).await?;
    let form = ConnectionForm {
        kind: connection.kind.clone(),
        name: connection.name.clone(),
        api_base_url: connection.api_base_url.clone(),
        ..ConnectionForm::default()
    };
    let existing = Some(ConnectionView::new(connection, &state.public_url));
    let page = ConnectionFormPage { revealed_token: Some(token), ..ConnectionFormPage::new(ctx, existing, form) };
    Ok(respond(page, req))
}

#[get("/providers/{id}")]
async fn edit_connection_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let connection = state.db.run(move |conn| Ok(db::providers::find(conn, id)?)).await?;
    let form = ConnectionForm {
        kind: connection.kind.clone(),
        name: connection.name.clone(),
        api_base_url: connection.api_base_url.clone(),
        ..ConnectionForm::default()
    };
    let existing = Some(ConnectionView::new(connection, &state.public_url));
    Ok(respond(ConnectionFormPage::new(ctx, existing, form), &req))
}

#[post("/providers/{id}")]
async fn update_connection(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<ConnectionForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let existing = state.db.run(move |conn| Ok(db::providers::find(conn, id)?)).await?;
    let form = form.into_inner();
    let input = match parse_connection(&form) {
        Ok(input) => input,
        Err(error) => {
            return Ok(form_error(&req, ctx, Some(ConnectionView::new(existing, &state.public_url)), form, error));
        }
    };
    let secrets = state.secrets.clone();
    let actor = user.actor();
    let updated = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let details =
                    |c: &mut db::DbConnection| db::providers::update_details(c, id, &input.name, &input.api_base_url);
                if db::unless_duplicate(conn, details)?.is_none() {
                    return Ok(false);
                }
                let mut changed = Vec::new();
                for (field, value) in [
                    (SecretField::ApiKey, &input.api_key),
                    (SecretField::WebhookSecret, &input.webhook_secret),
                    (SecretField::InboundToken, &input.inbound_token),
                ] {
                    if let Some(value) = value {
                        db::providers::set_secret(conn, id, field, &connections::seal(&secrets, field, value))?;
                        changed.push(field.label());
                    }
                }
                let mut summary = format!("Updated the connection “{}”", input.name);
                if !changed.is_empty() {
                    summary.push_str(&format!(" and replaced its {}", changed.join(", ")));
                }
                audit::record(conn, &actor, "provider_connection.update", "provider_connection", Some(id), &summary)?;
                Ok::<_, AppError>(true)
            })
        })
        .await?;
    if !updated {
        let existing = Some(ConnectionView::new(existing, &state.public_url));
        return Ok(form_error(&req, ctx, existing, form, "Another connection already has that name".into()));
    }
    redirect_with_flash(&req, "/settings", FlashKind::Success, "Connection saved.")
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/_check.html")]
struct CheckResult {
    ok: bool,
    message: String,
}

#[post("/providers/{id}/test")]
async fn test_connection(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let verdict = connections::test(&state, id).await?;
    let result = match verdict {
        Ok(message) => CheckResult { ok: true, message },
        Err(message) => CheckResult { ok: false, message },
    };
    if super::htmx::HxRequest::from_http(&req).is_htmx {
        return Ok(respond(result, &req));
    }
    let kind = if result.ok { FlashKind::Success } else { FlashKind::Error };
    redirect_with_flash(&req, "/settings", kind, result.message)
}

#[post("/providers/{id}/inbound-token")]
async fn regenerate_inbound_token(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let token = random_token();
    let sealed = connections::seal(&state.secrets, SecretField::InboundToken, &token);
    let actor = user.actor();
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let connection = db::providers::find(conn, id)?;
                db::providers::set_secret(conn, id, SecretField::InboundToken, &sealed)?;
                let summary = format!("Generated a new inbound-webhook token for “{}”", connection.name);
                audit::record(
                    conn,
                    &actor,
                    "provider_connection.inbound_token",
                    "provider_connection",
                    Some(id),
                    &summary,
                )?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    show_with_token(&req, &state, ctx, id, token).await
}

#[post("/providers/{id}/delete")]
async fn delete_connection(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.actor();
    let name = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let connection = db::providers::find(conn, id)?;
                let (numbers, agents) = db::providers::usage(conn, id)?;
                if numbers > 0 || agents > 0 {
                    return Err(AppError::conflict(format!(
                        "“{}” still has {numbers} phone number(s) and {agents} agent(s). Delete or move them first.",
                        connection.name
                    )));
                }
                db::providers::delete(conn, id)?;
                let summary = format!("Deleted the connection “{}”", connection.name);
                audit::record(conn, &actor, "provider_connection.delete", "provider_connection", Some(id), &summary)?;
                Ok(connection.name)
            })
        })
        .await?;
    redirect_with_flash(&req, "/settings", FlashKind::Success, format!("Connection “{name}” deleted."))
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/audit.html")]
struct AuditPage {
    ctx: PageCtx,
    entries: Vec<AuditEntry>,
    next_before: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct AuditQuery {
    before: Option<i64>,
}

const AUDIT_PAGE_SIZE: i64 = 50;

#[get("/audit")]
async fn audit_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<AuditQuery>,
) -> Result<AuditPage, AppError> {
    let before = query.before;
    let mut entries = state.db.run(move |conn| Ok(db::audit::page(conn, before, AUDIT_PAGE_SIZE + 1)?)).await?;
    let next_before = if entries.len() as i64 > AUDIT_PAGE_SIZE {
        entries.truncate(AUDIT_PAGE_SIZE as usize);
        entries.last().map(|e| e.id)
    } else {
        None
    };
    Ok(AuditPage { ctx, entries, next_before })
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

#[derive(Template, WebTemplate)]
#[template(path = "settings/webhooks.html")]
struct WebhooksPage {
    ctx: PageCtx,
    events: Vec<crate::db::webhook_events::WebhookEvent>,
    next_before: Option<i64>,
}

#[get("/webhooks")]
async fn webhooks_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<AuditQuery>,
) -> Result<WebhooksPage, AppError> {
    let before = query.before;
    let mut events = state.db.run(move |conn| Ok(db::webhook_events::page(conn, before, AUDIT_PAGE_SIZE + 1)?)).await?;
    let next_before = if events.len() as i64 > AUDIT_PAGE_SIZE {
        events.truncate(AUDIT_PAGE_SIZE as usize);
        events.last().map(|e| e.id)
    } else {
        None
    };
    Ok(WebhooksPage { ctx, events, next_before })
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/webhook_event.html")]
struct WebhookEventPage {
    ctx: PageCtx,
    event: crate::db::webhook_events::WebhookEvent,
    body: String,
}

#[get("/webhooks/{id}")]
async fn webhook_event_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<i64>,
) -> Result<WebhookEventPage, AppError> {
    let id = path.into_inner();
    let event = state.db.run(move |conn| Ok(db::webhook_events::find(conn, id)?)).await?;
    let body = serde_json::from_str::<serde_json::Value>(&event.raw_body)
        .ok()
        .and_then(|json| serde_json::to_string_pretty(&json).ok())
        .unwrap_or_else(|| event.raw_body.clone());
    Ok(WebhookEventPage { ctx, event, body })
}
