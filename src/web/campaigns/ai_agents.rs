//! The AI Agents tab (R-AI-TAB): four pickers (htmx partials that filter as one types),
//! and a panel showing what a real and a test lead would get, refreshed on every change.

use std::collections::HashMap;
use std::str::FromStr;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::CampaignHeader;
use crate::app::AppState;
use crate::auth::AiSetupEditor;
use crate::auth::session::FlashKind;
use crate::db::campaigns::AiAgentsSettings;
use crate::error::AppError;
use crate::ids::CampaignId;
use crate::services::ai_agents::{self, AiAgentsTab, Catalog, Resolved};
use crate::web::LocalTimes;
use crate::web::{PageCtx, redirect_with_flash, respond_with_status};

/// The AI Agents form as posted (ids as strings; empty means none).
#[derive(Debug, Default, Deserialize)]
struct AiAgentsForm {
    #[serde(default)]
    production_agent_id: String,
    #[serde(default)]
    test_agent_id: String,
    #[serde(default)]
    prompt_template_id: String,
    #[serde(default)]
    phone_number_id: String,
}

impl AiAgentsForm {
    fn settings(&self) -> Result<AiAgentsSettings, AppError> {
        fn choice<T: FromStr>(value: &str, what: &str) -> Result<Option<T>, AppError> {
            match value.trim() {
                "" => Ok(None),
                v => v.parse().map(Some).map_err(|_| AppError::validation(format!("Choose the {what} from the list"))),
            }
        }
        Ok(AiAgentsSettings {
            production_agent_id: choice(&self.production_agent_id, "production agent")?,
            test_agent_id: choice(&self.test_agent_id, "test agent")?,
            prompt_template_id: choice(&self.prompt_template_id, "prompt template")?,
            phone_number_id: choice(&self.phone_number_id, "phone number")?,
        })
    }
}

/// The four pickers, named by their form field.
#[derive(Debug, Clone, Copy)]
enum Field {
    ProductionAgent,
    TestAgent,
    Template,
    Number,
}

impl Field {
    const ALL: [Field; 4] = [Field::ProductionAgent, Field::TestAgent, Field::Template, Field::Number];

    fn name(self) -> &'static str {
        match self {
            Field::ProductionAgent => "production_agent_id",
            Field::TestAgent => "test_agent_id",
            Field::Template => "prompt_template_id",
            Field::Number => "phone_number_id",
        }
    }

    fn parse(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    fn selected(self, settings: &AiAgentsSettings) -> Option<i64> {
        match self {
            Field::ProductionAgent => settings.production_agent_id.map(|id| id.get()),
            Field::TestAgent => settings.test_agent_id.map(|id| id.get()),
            Field::Template => settings.prompt_template_id.map(|id| id.get()),
            Field::Number => settings.phone_number_id.map(|id| id.get()),
        }
    }
}

/// One picker: its field, its options and the current choice.
struct Picker {
    field: &'static str,
    label: &'static str,
    none_label: &'static str,
    options: Vec<PickerOption>,
    selected: Option<i64>,
    query: String,
}

struct PickerOption {
    id: i64,
    label: String,
    detail: String,
}

/// A picker's options matching `query` (the current choice always stays).
fn picker(catalog: &Catalog, field: Field, selected: Option<i64>, query: &str) -> Picker {
    // Inactive agents are offered only when already chosen.
    let agent_options = || {
        catalog
            .agents
            .iter()
            .filter(|a| a.agent.active || Some(a.agent.id.get()) == selected)
            .map(|a| PickerOption {
                id: a.agent.id.get(),
                label: a.agent.name.clone(),
                detail: format!("{}{}", a.connection_name, if a.agent.active { "" } else { " · inactive" }),
            })
            .collect::<Vec<_>>()
    };
    let (label, none_label, options) = match field {
        Field::ProductionAgent => ("Production agent", "No agent", agent_options()),
        Field::TestAgent => ("Test agent", "None: test leads get the production agent", agent_options()),
        Field::Template => (
            "Prompt template",
            "None: the agent's own prompt",
            catalog
                .templates
                .iter()
                .map(|t| PickerOption {
                    id: t.template.id.get(),
                    label: t.template.name.clone(),
                    detail: t.published.map_or_else(|| "no version".to_owned(), |p| format!("v{}", p.version)),
                })
                .collect(),
        ),
        Field::Number => (
            "Campaign phone number",
            "None: the agent's default number",
            catalog
                .numbers
                .iter()
                .map(|n| PickerOption {
                    id: n.number.id.get(),
                    label: n.number.label.clone(),
                    detail: format!("{} · {}", n.number.e164, n.connection_name),
                })
                .collect(),
        ),
    };
    let q = query.trim().to_lowercase();
    let options = options
        .into_iter()
        .filter(|o| {
            q.is_empty()
                || Some(o.id) == selected
                || o.label.to_lowercase().contains(&q)
                || o.detail.to_lowercase().contains(&q)
        })
        .collect();
    Picker { field: field.name(), label, none_label, options, selected, query: query.to_owned() }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/ai_agents.html")]
struct AiAgentsPage {
    ctx: PageCtx,
    header: CampaignHeader,
    pickers: Vec<Picker>,
    resolution: ResolutionPanel,
    /// Why the settings were not saved.
    problems: Vec<String>,
}

impl AiAgentsPage {
    fn new(ctx: PageCtx, tab: AiAgentsTab, problems: Vec<String>) -> AiAgentsPage {
        let pickers = Field::ALL.map(|field| picker(&tab.catalog, field, field.selected(&tab.settings), "")).into();
        AiAgentsPage {
            resolution: ResolutionPanel { ctx: ctx.times(), resolved: tab.resolved },
            ctx,
            header: CampaignHeader { campaign: tab.campaign, tab: "ai-agents" },
            pickers,
            problems,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/_resolution.html")]
struct ResolutionPanel {
    ctx: LocalTimes,
    resolved: Resolved,
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/_picker.html")]
struct PickerPartial {
    campaign_id: CampaignId,
    picker: Picker,
}

#[get("/{id}/ai-agents")]
pub(super) async fn ai_agents_tab(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
) -> Result<AiAgentsPage, AppError> {
    let tab = ai_agents::tab(&state.ctx, path.into_inner(), None).await?;
    Ok(AiAgentsPage::new(ctx, tab, Vec::new()))
}

#[post("/{id}/ai-agents/resolution")]
pub(super) async fn resolution_panel(
    state: web::Data<AppState>,
    ctx: LocalTimes,
    path: web::Path<CampaignId>,
    form: web::Form<AiAgentsForm>,
) -> Result<ResolutionPanel, AppError> {
    let resolved = ai_agents::preview(&state.ctx, path.into_inner(), form.settings()?).await?;
    Ok(ResolutionPanel { ctx, resolved })
}

#[get("/{id}/ai-agents/pickers/{field}")]
pub(super) async fn picker_partial(
    state: web::Data<AppState>,
    path: web::Path<(CampaignId, String)>,
    query: web::Query<HashMap<String, String>>,
) -> Result<PickerPartial, AppError> {
    let (id, field) = path.into_inner();
    let field = Field::parse(&field).ok_or(AppError::NotFound)?;
    // The filter text, and the current choice under the field's own name (the select's).
    let search = query.get("q").map_or("", String::as_str);
    let selected = query.get(field.name()).and_then(|v| v.parse().ok());
    let catalog = ai_agents::catalog(&state.ctx, id).await?;
    Ok(PickerPartial { campaign_id: id, picker: picker(&catalog, field, selected, search) })
}

#[post("/{id}/ai-agents")]
pub(super) async fn save_ai_agents(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    AiSetupEditor(user): AiSetupEditor,
    path: web::Path<CampaignId>,
    form: web::Form<AiAgentsForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let settings = form.settings()?;
    match ai_agents::save(&state.ctx, &user.actor(), id, settings).await {
        Ok(()) => {
            redirect_with_flash(&req, &format!("/campaigns/{id}/ai-agents"), FlashKind::Success, "AI agents saved.")
        }
        Err(e) => {
            // One problem a line.
            let problems = e.user_message().ok_or(e)?.lines().map(str::to_owned).collect();
            let tab = ai_agents::tab(&state.ctx, id, Some(settings)).await?;
            Ok(respond_with_status(AiAgentsPage::new(ctx, tab, problems), &req, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[derive(Debug, Deserialize)]
pub(super) struct InboundForm {
    /// `yes` to answer inbound calls, anything else to stop.
    answer: String,
}

/// Marks the campaign to answer inbound calls to its number and agent, or stops it.
#[post("/{id}/ai-agents/inbound")]
pub(super) async fn set_inbound(
    req: HttpRequest,
    state: web::Data<AppState>,
    AiSetupEditor(user): AiSetupEditor,
    path: web::Path<CampaignId>,
    form: web::Form<InboundForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let answer = form.answer == "yes";
    let back = format!("/campaigns/{id}/ai-agents");
    match crate::services::inbound_routing::set_answering(&state.ctx, user.actor(), id, answer).await {
        Ok(()) => {
            let message = if answer {
                "This campaign answers inbound calls now."
            } else {
                "This campaign no longer answers inbound calls."
            };
            redirect_with_flash(&req, &back, FlashKind::Success, message)
        }
        Err(error) => match error.user_message() {
            Some(message) => redirect_with_flash(&req, &back, FlashKind::Error, message),
            None => Err(error),
        },
    }
}
