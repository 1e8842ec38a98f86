//! Voice agents: a searchable, filterable list (htmx partial), inline create and edit,
//! default number, activate/deactivate, delete, and import from the provider.

mod edit;
pub(super) mod import;
mod list;

use actix_web::web;
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::PageCtx;
use crate::db::agents::AgentListItem;
use crate::db::phone_numbers::NumberListItem;
use crate::domain::campaign::parse_name;
use crate::error::AppError;
use crate::services::agents::{AgentDetail, AgentImport, AgentInput};

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `/import` before `/{id}`, which would otherwise take it for an id.
    cfg.service(list::agents_page)
        .service(list::agent_list)
        .service(list::create_agent)
        .service(
            web::resource("/import")
                .get(super::provider_import::import_page::<AgentImport>)
                .post(super::provider_import::import_chosen::<AgentImport>),
        )
        .service(edit::edit_row)
        .service(edit::show_row)
        .service(edit::update_agent)
        .service(list::set_active)
        .service(list::delete_agent);
}

/// One agent's row in the list.
#[derive(Template, WebTemplate)]
#[template(path = "agents/_row.html")]
struct AgentRow {
    ctx: PageCtx,
    item: AgentListItem,
    numbers: Vec<NumberListItem>,
}

impl AgentRow {
    fn new(ctx: PageCtx, detail: AgentDetail) -> AgentRow {
        AgentRow { ctx, item: detail.item, numbers: detail.choices.numbers }
    }
}

/// The fields of the create and edit forms, as typed.
#[derive(Debug, Default, Deserialize)]
struct AgentForm {
    name: String,
    #[serde(default)]
    spoken_name: String,
    #[serde(default)]
    provider_connection_id: String,
    provider_agent_id: String,
    #[serde(default)]
    default_phone_number_id: String,
}

impl AgentForm {
    fn from_item(item: &AgentListItem) -> AgentForm {
        AgentForm {
            name: item.agent.name.clone(),
            spoken_name: item.agent.spoken_name.clone(),
            provider_connection_id: item.agent.provider_connection_id.to_string(),
            provider_agent_id: item.agent.provider_agent_id.clone(),
            default_phone_number_id: item.agent.default_phone_number_id.map(|id| id.to_string()).unwrap_or_default(),
        }
    }

    fn parse(&self) -> Result<AgentInput, AppError> {
        let name = parse_name(&self.name, "Label").map_err(AppError::Validation)?;
        let spoken_name = match self.spoken_name.trim() {
            "" => String::new(),
            spoken => parse_name(spoken, "Spoken name").map_err(AppError::Validation)?,
        };
        let provider_connection_id =
            self.provider_connection_id.parse().map_err(|_| AppError::validation("Choose the provider connection"))?;
        let provider_agent_id = self.provider_agent_id.trim();
        if provider_agent_id.is_empty() {
            return Err(AppError::validation("The provider's agent id is required (ElevenLabs: agent_id)"));
        }
        let default_phone_number_id = match self.default_phone_number_id.trim() {
            "" => None,
            id => Some(id.parse().map_err(|_| AppError::validation("Choose a phone number from the list"))?),
        };
        Ok(AgentInput {
            name,
            spoken_name,
            provider_connection_id,
            provider_agent_id: provider_agent_id.to_owned(),
            default_phone_number_id,
        })
    }
}
