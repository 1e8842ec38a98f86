//! Phone numbers: add by hand, import from the provider, relabel, delete.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::htmx::HxRequest;
use super::{PageCtx, redirect_with_flash, respond, respond_with_status};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::connections;
use crate::db::phone_numbers::{NewPhoneNumber, NumberListItem, PhoneNumber};
use crate::db::providers::ProviderConnection;
use crate::db::{self, write_tx};
use crate::domain::campaign::parse_name;
use crate::domain::phone::{E164, Region};
use crate::error::AppError;
use crate::provider::{RemotePhoneNumber, Telephony};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(numbers_page)
        .service(create_number)
        .service(import_page)
        .service(import_numbers)
        .service(set_label)
        .service(delete_number);
}

#[derive(Template, WebTemplate)]
#[template(path = "phone_numbers/page.html")]
struct NumbersPage {
    ctx: PageCtx,
    numbers: Vec<NumberListItem>,
    connections: Vec<ProviderConnection>,
    form: NumberForm,
    error: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "phone_numbers/_row.html")]
struct NumberRow {
    ctx: PageCtx,
    item: NumberListItem,
}

#[derive(Debug, Default, Deserialize)]
struct NumberForm {
    #[serde(default)]
    provider_connection_id: String,
    e164: String,
    #[serde(default)]
    region: String,
    label: String,
    provider_phone_number_id: String,
    #[serde(default)]
    telephony: String,
}

async fn load_page_data(state: &AppState) -> Result<(Vec<NumberListItem>, Vec<ProviderConnection>), AppError> {
    state.db.run(|conn| Ok((db::phone_numbers::list(conn)?, db::providers::list(conn)?))).await
}

#[get("")]
async fn numbers_page(state: web::Data<AppState>, ctx: PageCtx) -> Result<NumbersPage, AppError> {
    let (numbers, connections) = load_page_data(&state).await?;
    let form = NumberForm { telephony: "twilio".into(), region: "US".into(), ..NumberForm::default() };
    Ok(NumbersPage { ctx, numbers, connections, form, error: None })
}

struct NumberInput {
    provider_connection_id: i64,
    e164: E164,
    label: String,
    provider_phone_number_id: String,
    telephony: Telephony,
}

fn parse_number(form: &NumberForm) -> Result<NumberInput, String> {
    let provider_connection_id =
        form.provider_connection_id.parse().map_err(|_| "Choose the provider connection".to_owned())?;
    let region = match form.region.trim() {
        "" => None,
        code => Some(Region::parse(code)?),
    };
    let e164 = E164::parse(&form.e164, region.as_ref())?;
    let label = form.label.trim();
    let label = if label.is_empty() { e164.to_string() } else { parse_name(label, "Label")? };
    let provider_phone_number_id = form.provider_phone_number_id.trim();
    if provider_phone_number_id.is_empty() {
        return Err("The provider's phone number id is required (ElevenLabs: phone_number_id)".into());
    }
    Ok(NumberInput {
        provider_connection_id,
        e164,
        label,
        provider_phone_number_id: provider_phone_number_id.to_owned(),
        telephony: Telephony::parse(&form.telephony)?,
    })
}

#[post("")]
async fn create_number(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<NumberForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let failure = match parse_number(&form) {
        Ok(input) => {
            let actor = user.actor();
            let number = input.e164.to_string();
            let created = state
                .db
                .run(move |conn| {
                    write_tx(conn, |conn| {
                        // A missing connection is a bad choice, not a missing page.
                        let connection = match db::providers::find(conn, input.provider_connection_id) {
                            Err(diesel::result::Error::NotFound) => {
                                return Ok(Err("Choose the provider connection".to_owned()));
                            }
                            other => other?,
                        };
                        let new = NewPhoneNumber {
                            provider_connection_id: connection.id,
                            e164: input.e164.as_str(),
                            label: &input.label,
                            provider_phone_number_id: &input.provider_phone_number_id,
                            telephony: input.telephony.as_str(),
                        };
                        let Some(id) = db::unless_duplicate(conn, |c| db::phone_numbers::insert(c, &new))? else {
                            return Ok(Err(format!(
                                "“{}” already has a number with the id {}",
                                connection.name, input.provider_phone_number_id
                            )));
                        };
                        let summary = format!("Added the number {} ({})", input.e164, input.label);
                        audit::record(conn, &actor, "phone_number.create", "phone_number", Some(id), &summary)?;
                        Ok::<_, AppError>(Ok(id))
                    })
                })
                .await?;
            match created {
                Ok(_) => {
                    return redirect_with_flash(
                        &req,
                        "/phone-numbers",
                        FlashKind::Success,
                        format!("Number {number} added."),
                    );
                }
                Err(message) => message,
            }
        }
        Err(message) => message,
    };
    let (numbers, connections) = load_page_data(&state).await?;
    let page = NumbersPage { ctx, numbers, connections, form, error: Some(failure) };
    Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY))
}

/// A number offered for import, and whether voxdial already has it.
pub struct ImportCandidate {
    pub remote: RemotePhoneNumber,
    pub already_imported: bool,
}

impl ImportCandidate {
    pub fn telephony_label(&self) -> &'static str {
        self.remote.telephony.map_or("not callable from voxdial", Telephony::label)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "phone_numbers/import.html")]
struct ImportPage {
    ctx: PageCtx,
    connections: Vec<ProviderConnection>,
    connection: Option<ProviderConnection>,
    candidates: Vec<ImportCandidate>,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ImportQuery {
    connection: Option<i64>,
}

/// The provider's numbers, marked with those already imported.
async fn candidates(
    state: &AppState,
    connection_id: i64,
) -> Result<(ProviderConnection, Result<Vec<ImportCandidate>, String>), AppError> {
    let (connection, client) = connections::load_client(state, connection_id).await?;
    let remote = match client.list_phone_numbers().await {
        Ok(remote) => remote,
        Err(err) => {
            return Ok((connection, Err(format!("Could not list the provider's numbers: {err}"))));
        }
    };
    let ids: Vec<String> = remote.iter().map(|r| r.phone_number_id.clone()).collect();
    let existing = state
        .db
        .run(move |conn| {
            ids.iter()
                .map(|id| Ok(db::phone_numbers::find_by_provider_id(conn, connection_id, id)?.is_some()))
                .collect::<Result<Vec<bool>, AppError>>()
        })
        .await?;
    let candidates = remote
        .into_iter()
        .zip(existing)
        .map(|(remote, already_imported)| ImportCandidate { remote, already_imported })
        .collect();
    Ok((connection, Ok(candidates)))
}

#[get("/import")]
async fn import_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ImportQuery>,
) -> Result<ImportPage, AppError> {
    let connections = state.db.run(|conn| Ok(db::providers::list(conn)?)).await?;
    let chosen = query.connection.or_else(|| (connections.len() == 1).then(|| connections[0].id));
    let (connection, candidates, error) = match chosen {
        Some(id) => {
            let (connection, listed) = candidates(&state, id).await?;
            match listed {
                Ok(candidates) => (Some(connection), candidates, None),
                Err(error) => (Some(connection), Vec::new(), Some(error)),
            }
        }
        None => (None, Vec::new(), None),
    };
    Ok(ImportPage { ctx, connections, connection, candidates, error })
}

#[post("/import")]
async fn import_numbers(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let fields = form.into_inner();
    let connection_id: i64 = fields
        .iter()
        .find(|(k, _)| k == "connection")
        .and_then(|(_, v)| v.parse().ok())
        .ok_or_else(|| AppError::validation("Choose the provider connection"))?;
    let chosen: Vec<String> = fields.into_iter().filter(|(k, _)| k == "phone_number_id").map(|(_, v)| v).collect();
    if chosen.is_empty() {
        return redirect_with_flash(
            &req,
            &format!("/phone-numbers/import?connection={connection_id}"),
            FlashKind::Error,
            "Choose at least one number to import.",
        );
    }
    // Take the details from the provider, not from the form.
    let (connection, listed) = candidates(&state, connection_id).await?;
    let listed = listed.map_err(AppError::Conflict)?;
    let to_import: Vec<RemotePhoneNumber> = listed
        .into_iter()
        .filter(|c| chosen.contains(&c.remote.phone_number_id) && !c.already_imported)
        .map(|c| c.remote)
        .collect();
    let actor = user.actor();
    let (imported, skipped) = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let (mut imported, mut skipped) = (Vec::new(), Vec::new());
                for remote in &to_import {
                    let (Some(telephony), Ok(e164)) = (remote.telephony, E164::parse(&remote.phone_number, None))
                    else {
                        skipped.push(remote.phone_number.clone());
                        continue;
                    };
                    let label =
                        if remote.label.trim().is_empty() { e164.to_string() } else { remote.label.trim().to_owned() };
                    let new = NewPhoneNumber {
                        provider_connection_id: connection.id,
                        e164: e164.as_str(),
                        label: &label,
                        provider_phone_number_id: &remote.phone_number_id,
                        telephony: telephony.as_str(),
                    };
                    let id = db::phone_numbers::insert(conn, &new)?;
                    let summary = format!("Imported the number {e164} ({label}) from “{}”", connection.name);
                    audit::record(conn, &actor, "phone_number.import", "phone_number", Some(id), &summary)?;
                    imported.push(e164.to_string());
                }
                Ok::<_, AppError>((imported, skipped))
            })
        })
        .await?;
    let mut message = match imported.len() {
        0 => "Nothing new to import.".to_owned(),
        n => format!("Imported {n} number(s): {}.", imported.join(", ")),
    };
    if !skipped.is_empty() {
        message.push_str(&format!(
            " Skipped (not a Twilio or SIP-trunk number voxdial can call from): {}.",
            skipped.join(", ")
        ));
    }
    redirect_with_flash(&req, "/phone-numbers", FlashKind::Success, message)
}

#[derive(Debug, Deserialize)]
struct LabelForm {
    label: String,
}

#[post("/{id}/label")]
async fn set_label(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<LabelForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let label = parse_name(&form.label, "Label").map_err(AppError::Validation)?;
    let actor = user.actor();
    let item = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let number = db::phone_numbers::find(conn, id)?;
                db::phone_numbers::set_label(conn, id, &label)?;
                let summary = format!("Relabelled {} from “{}” to “{label}”", number.e164, number.label);
                audit::record(conn, &actor, "phone_number.update", "phone_number", Some(id), &summary)?;
                let connection = db::providers::find(conn, number.provider_connection_id)?;
                Ok::<_, AppError>(NumberListItem {
                    number: PhoneNumber { label, ..number },
                    connection_name: connection.name,
                })
            })
        })
        .await?;
    if HxRequest::from_http(&req).is_htmx {
        return Ok(respond(NumberRow { ctx, item }, &req));
    }
    redirect_with_flash(&req, "/phone-numbers", FlashKind::Success, format!("{} relabelled.", item.number.e164))
}

#[post("/{id}/delete")]
async fn delete_number(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let actor = user.actor();
    let e164 = state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let number = db::phone_numbers::find(conn, id)?;
                let (campaigns, agents) = db::phone_numbers::users_of(conn, id)?;
                if !campaigns.is_empty() || !agents.is_empty() {
                    let mut users = Vec::new();
                    if !campaigns.is_empty() {
                        users.push(format!("campaign(s) {}", campaigns.join(", ")));
                    }
                    if !agents.is_empty() {
                        users.push(format!("agent(s) {}", agents.join(", ")));
                    }
                    return Err(AppError::conflict(format!(
                        "{} is still used by {}. Choose another number there first.",
                        number.e164,
                        users.join(" and ")
                    )));
                }
                db::phone_numbers::delete(conn, id)?;
                audit::record(
                    conn,
                    &actor,
                    "phone_number.delete",
                    "phone_number",
                    Some(id),
                    &format!("Deleted the number {}", number.e164),
                )?;
                Ok(number.e164)
            })
        })
        .await?;
    redirect_with_flash(&req, "/phone-numbers", FlashKind::Success, format!("Number {e164} deleted."))
}
