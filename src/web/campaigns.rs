//! Campaigns: list, create, edit, and the AI Agents tab (R-AI-TAB) whose pickers are htmx
//! partials and whose resolution panel shows what real and test leads would get.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::{PageCtx, redirect_with_flash, respond_with_status};
use crate::app::AppState;
use crate::audit;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::campaign_setup::{self, Chosen, Effective};
use crate::db::agents::{AgentFilter, AgentListItem};
use crate::db::campaigns::{AiAgentsSettings, Campaign, CampaignFields};
use crate::db::phone_numbers::NumberListItem;
use crate::db::templates::TemplateListItem;
use crate::db::{self, DbConnection, write_tx};
use crate::domain::campaign::{CampaignStatus, parse_name, parse_timezone, timezone_names};
use crate::domain::phone::Region;
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list_page)
        .service(new_page)
        .service(create)
        .service(overview)
        .service(update)
        .service(ai_agents_tab)
        .service(save_ai_agents)
        .service(resolution_preview)
        .service(picker_partial)
        .service(outcomes_tab)
        .service(save_outcomes);
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/list.html")]
struct ListPage {
    ctx: PageCtx,
    campaigns: Vec<Campaign>,
    show_archived: bool,
}

#[derive(Debug, Deserialize)]
struct ListQuery {
    #[serde(default)]
    archived: bool,
}

#[get("")]
async fn list_page(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let show_archived = query.archived;
    let campaigns = state.db.run(move |conn| Ok(db::campaigns::list(conn, show_archived)?)).await?;
    Ok(ListPage { ctx, campaigns, show_archived })
}

#[derive(Debug, Default, Deserialize)]
struct CampaignForm {
    name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    status: String,
    timezone: String,
    #[serde(default)]
    default_region: String,
}

impl CampaignForm {
    fn from_campaign(c: &Campaign) -> CampaignForm {
        CampaignForm {
            name: c.name.clone(),
            description: c.description.clone(),
            status: c.status.clone(),
            timezone: c.timezone.clone(),
            default_region: c.default_region.clone(),
        }
    }
}

struct CampaignInput {
    name: String,
    description: String,
    status: CampaignStatus,
    timezone: String,
    region: String,
}

fn parse_campaign(form: &CampaignForm) -> Result<CampaignInput, String> {
    let description = form.description.trim();
    if description.chars().count() > 2000 {
        return Err("The description must be at most 2000 characters".into());
    }
    Ok(CampaignInput {
        name: parse_name(&form.name, "Name")?,
        description: description.to_owned(),
        status: CampaignStatus::parse(if form.status.is_empty() { "draft" } else { &form.status })?,
        timezone: parse_timezone(&form.timezone)?.name().to_owned(),
        region: Region::parse(if form.default_region.trim().is_empty() { "US" } else { &form.default_region })?.code(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/new.html")]
struct NewPage {
    ctx: PageCtx,
    form: CampaignForm,
    error: Option<String>,
    timezones: Vec<&'static str>,
    statuses: [CampaignStatus; 4],
}

#[get("/new")]
async fn new_page(ctx: PageCtx) -> NewPage {
    let form = CampaignForm {
        status: "draft".into(),
        timezone: "America/New_York".into(),
        default_region: "US".into(),
        ..CampaignForm::default()
    };
    NewPage { ctx, form, error: None, timezones: timezone_names().collect(), statuses: CampaignStatus::ALL }
}

#[post("")]
async fn create(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<CampaignForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let failure = match parse_campaign(&form) {
        Err(message) => message,
        Ok(input) => {
            let actor = user.actor();
            let created = state
                .db
                .run(move |conn| {
                    write_tx(conn, |conn| {
                        let fields = CampaignFields {
                            name: &input.name,
                            description: &input.description,
                            status: input.status.as_str(),
                            timezone: &input.timezone,
                            default_region: &input.region,
                        };
                        let Some(id) = db::unless_duplicate(conn, |c| db::campaigns::insert(c, &fields))? else {
                            return Ok(Err(format!("A campaign named “{}” already exists", input.name)));
                        };
                        audit::record(
                            conn,
                            &actor,
                            "campaign.create",
                            "campaign",
                            Some(id),
                            &format!("Created the campaign “{}”", input.name),
                        )?;
                        Ok::<_, AppError>(Ok(id))
                    })
                })
                .await?;
            match created {
                Ok(id) => {
                    return redirect_with_flash(
                        &req,
                        &format!("/campaigns/{id}/ai-agents"),
                        FlashKind::Success,
                        "Campaign created. Choose its agents, prompt and number next.",
                    );
                }
                Err(message) => message,
            }
        }
    };
    let page = NewPage {
        ctx,
        form,
        error: Some(failure),
        timezones: timezone_names().collect(),
        statuses: CampaignStatus::ALL,
    };
    Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY))
}

/// The campaign header and tabs every campaign page shows.
pub struct CampaignHeader {
    pub campaign: Campaign,
    pub tab: &'static str,
}

impl CampaignHeader {
    pub fn status_label(&self) -> &'static str {
        CampaignStatus::parse(&self.campaign.status).map_or("Unknown", CampaignStatus::label)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/overview.html")]
struct OverviewPage {
    ctx: PageCtx,
    header: CampaignHeader,
    form: CampaignForm,
    error: Option<String>,
    timezones: Vec<&'static str>,
    statuses: [CampaignStatus; 4],
    summary: Option<Chosen>,
}

#[get("/{id}")]
async fn overview(state: web::Data<AppState>, ctx: PageCtx, path: web::Path<i64>) -> Result<OverviewPage, AppError> {
    let id = path.into_inner();
    let (campaign, chosen) = state
        .db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            let chosen = campaign_setup::load_chosen(conn, &campaign.ai_agents()).ok();
            Ok((campaign, chosen))
        })
        .await?;
    let form = CampaignForm::from_campaign(&campaign);
    Ok(OverviewPage {
        ctx,
        header: CampaignHeader { campaign, tab: "overview" },
        form,
        error: None,
        timezones: timezone_names().collect(),
        statuses: CampaignStatus::ALL,
        summary: chosen,
    })
}

#[post("/{id}")]
async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<CampaignForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let failure = match parse_campaign(&form) {
        Err(message) => message,
        Ok(input) => {
            let actor = user.actor();
            let saved = state
                .db
                .run(move |conn| {
                    write_tx(conn, |conn| {
                        let before = db::campaigns::find(conn, id)?;
                        let fields = CampaignFields {
                            name: &input.name,
                            description: &input.description,
                            status: input.status.as_str(),
                            timezone: &input.timezone,
                            default_region: &input.region,
                        };
                        if db::unless_duplicate(conn, |c| db::campaigns::update(c, id, &fields))?.is_none() {
                            return Ok(Err(format!("A campaign named “{}” already exists", input.name)));
                        }
                        let mut summary = format!("Edited the campaign “{}”", input.name);
                        if before.status != input.status.as_str() {
                            summary.push_str(&format!(" (status {} → {})", before.status, input.status.as_str()));
                        }
                        audit::record(conn, &actor, "campaign.update", "campaign", Some(id), &summary)?;
                        Ok::<_, AppError>(Ok(()))
                    })
                })
                .await?;
            match saved {
                Ok(()) => {
                    return redirect_with_flash(
                        &req,
                        &format!("/campaigns/{id}"),
                        FlashKind::Success,
                        "Campaign saved.",
                    );
                }
                Err(message) => message,
            }
        }
    };
    let (campaign, chosen) = state
        .db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            let chosen = campaign_setup::load_chosen(conn, &campaign.ai_agents()).ok();
            Ok((campaign, chosen))
        })
        .await?;
    let page = OverviewPage {
        ctx,
        header: CampaignHeader { campaign, tab: "overview" },
        form,
        error: Some(failure),
        timezones: timezone_names().collect(),
        statuses: CampaignStatus::ALL,
        summary: chosen,
    };
    Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY))
}

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
        let id = |value: &str, what: &str| -> Result<Option<i64>, AppError> {
            match value.trim() {
                "" => Ok(None),
                v => v.parse().map(Some).map_err(|_| AppError::validation(format!("Choose the {what} from the list"))),
            }
        };
        Ok(AiAgentsSettings {
            production_agent_id: id(&self.production_agent_id, "production agent")?,
            test_agent_id: id(&self.test_agent_id, "test agent")?,
            prompt_template_id: id(&self.prompt_template_id, "prompt template")?,
            phone_number_id: id(&self.phone_number_id, "phone number")?,
        })
    }
}

/// One picker: its field, its options and the current choice.
pub struct Picker {
    pub field: &'static str,
    pub label: &'static str,
    pub none_label: &'static str,
    pub options: Vec<PickerOption>,
    pub selected: Option<i64>,
    pub query: String,
}

pub struct PickerOption {
    pub id: i64,
    pub label: String,
    pub detail: String,
}

/// The pickable things, loaded once per page.
struct Catalog {
    agents: Vec<AgentListItem>,
    templates: Vec<TemplateListItem>,
    numbers: Vec<NumberListItem>,
}

fn load_catalog(conn: &mut DbConnection) -> Result<Catalog, AppError> {
    Ok(Catalog {
        agents: db::agents::list(conn, &AgentFilter::default())?,
        templates: db::templates::list(conn)?,
        numbers: db::phone_numbers::list(conn)?,
    })
}

const PICKER_FIELDS: [&str; 4] = ["production_agent_id", "test_agent_id", "prompt_template_id", "phone_number_id"];

fn build_picker(catalog: &Catalog, field: &str, selected: Option<i64>, query: &str) -> Option<Picker> {
    let q = query.trim().to_lowercase();
    let agent_options = || {
        catalog
            .agents
            .iter()
            .filter(|a| a.agent.active || Some(a.agent.id) == selected)
            .map(|a| PickerOption {
                id: a.agent.id,
                label: a.agent.name.clone(),
                detail: format!("{}{}", a.connection_name, if a.agent.active { "" } else { " · inactive" }),
            })
            .collect::<Vec<_>>()
    };
    let (label, none_label, options) = match field {
        "production_agent_id" => ("Production agent", "No agent", agent_options()),
        "test_agent_id" => ("Test agent", "None: test leads get the production agent", agent_options()),
        "prompt_template_id" => (
            "Prompt template",
            "None: the agent's own prompt",
            catalog
                .templates
                .iter()
                .map(|t| PickerOption {
                    id: t.template.id,
                    label: t.template.name.clone(),
                    detail: format!("v{}", t.latest_version),
                })
                .collect(),
        ),
        "phone_number_id" => (
            "Campaign phone number",
            "None: the agent's default number",
            catalog
                .numbers
                .iter()
                .map(|n| PickerOption {
                    id: n.number.id,
                    label: n.number.label.clone(),
                    detail: format!("{} · {}", n.number.e164, n.connection_name),
                })
                .collect(),
        ),
        _ => return None,
    };
    let field = PICKER_FIELDS.into_iter().find(|f| *f == field)?;
    let options = options
        .into_iter()
        .filter(|o| {
            q.is_empty()
                || Some(o.id) == selected
                || o.label.to_lowercase().contains(&q)
                || o.detail.to_lowercase().contains(&q)
        })
        .collect();
    Some(Picker { field, label, none_label, options, selected, query: query.to_owned() })
}

fn pickers(catalog: &Catalog, settings: &AiAgentsSettings) -> Vec<Picker> {
    [
        ("production_agent_id", settings.production_agent_id),
        ("test_agent_id", settings.test_agent_id),
        ("prompt_template_id", settings.prompt_template_id),
        ("phone_number_id", settings.phone_number_id),
    ]
    .into_iter()
    .filter_map(|(field, selected)| build_picker(catalog, field, selected, ""))
    .collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/ai_agents.html")]
struct AiAgentsPage {
    ctx: PageCtx,
    header: CampaignHeader,
    pickers: Vec<Picker>,
    resolution: ResolutionPanel,
    problems: Vec<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/_resolution.html")]
struct ResolutionPanel {
    effective: Option<Effective>,
    problems: Vec<String>,
    unsaved: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/_picker.html")]
struct PickerPartial {
    campaign_id: i64,
    picker: Picker,
}

/// The resolution panel for some settings, with the problems found without the provider.
fn resolution_panel(
    conn: &mut DbConnection,
    campaign: &Campaign,
    settings: &AiAgentsSettings,
    unsaved: bool,
) -> Result<ResolutionPanel, AppError> {
    let chosen = match campaign_setup::load_chosen(conn, settings) {
        Ok(chosen) => chosen,
        Err(AppError::Validation(message)) => {
            return Ok(ResolutionPanel { effective: None, problems: vec![message], unsaved });
        }
        Err(e) => return Err(e),
    };
    let effective = campaign_setup::effective(conn, settings, &chosen)?;
    let problems = campaign_setup::local_problems(conn, campaign, settings, &chosen)?;
    Ok(ResolutionPanel { effective: Some(effective), problems, unsaved })
}

fn ai_agents_page(
    conn: &mut DbConnection,
    ctx: PageCtx,
    campaign: Campaign,
    settings: AiAgentsSettings,
    problems: Vec<String>,
    unsaved: bool,
) -> Result<AiAgentsPage, AppError> {
    let catalog = load_catalog(conn)?;
    let resolution = resolution_panel(conn, &campaign, &settings, unsaved)?;
    Ok(AiAgentsPage {
        ctx,
        header: CampaignHeader { campaign, tab: "ai-agents" },
        pickers: pickers(&catalog, &settings),
        resolution,
        problems,
    })
}

#[get("/{id}/ai-agents")]
async fn ai_agents_tab(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<i64>,
) -> Result<AiAgentsPage, AppError> {
    let id = path.into_inner();
    state
        .db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            let settings = campaign.ai_agents();
            ai_agents_page(conn, ctx, campaign, settings, Vec::new(), false)
        })
        .await
}

#[post("/{id}/ai-agents/resolution")]
async fn resolution_preview(
    state: web::Data<AppState>,
    path: web::Path<i64>,
    form: web::Form<AiAgentsForm>,
) -> Result<ResolutionPanel, AppError> {
    let id = path.into_inner();
    let settings = form.settings()?;
    state
        .db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            let unsaved = campaign.ai_agents() != settings;
            resolution_panel(conn, &campaign, &settings, unsaved)
        })
        .await
}

#[get("/{id}/ai-agents/pickers/{field}")]
async fn picker_partial(
    state: web::Data<AppState>,
    path: web::Path<(i64, String)>,
    query: web::Query<std::collections::HashMap<String, String>>,
) -> Result<PickerPartial, AppError> {
    let (id, field) = path.into_inner();
    // The filter text, and the current choice under the field's own name (the select's).
    let search = query.get("q").cloned().unwrap_or_default();
    let selected = query.get(&field).and_then(|v| v.parse().ok());
    state
        .db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            let catalog = load_catalog(conn)?;
            let picker = build_picker(&catalog, &field, selected, &search).ok_or(AppError::NotFound)?;
            Ok(PickerPartial { campaign_id: campaign.id, picker })
        })
        .await
}

#[post("/{id}/ai-agents")]
async fn save_ai_agents(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<AiAgentsForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let settings = form.settings()?;
    // Checks against the database first, then the provider (outside any transaction).
    let (campaign, chosen, mut problems) = state
        .db
        .run(move |conn| {
            let campaign = db::campaigns::find(conn, id)?;
            let chosen = campaign_setup::load_chosen(conn, &settings)?;
            let problems = campaign_setup::local_problems(conn, &campaign, &settings, &chosen)?;
            Ok((campaign, chosen, problems))
        })
        .await?;
    if problems.is_empty() {
        problems = campaign_setup::provider_problems(&state, &chosen).await?;
    }
    if !problems.is_empty() {
        let page = state.db.run(move |conn| ai_agents_page(conn, ctx, campaign, settings, problems, true)).await?;
        return Ok(respond_with_status(page, &req, actix_web::http::StatusCode::UNPROCESSABLE_ENTITY));
    }
    let actor = user.actor();
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                db::campaigns::set_ai_agents(conn, id, &settings)?;
                let name = |agent: &Option<crate::db::agents::VoiceAgent>| {
                    agent.as_ref().map_or("none".to_owned(), |a| a.name.clone())
                };
                let summary = format!(
                    "Set the AI agents of “{}”: production {}, test {}, template {}, number {}",
                    campaign.name,
                    name(&chosen.production),
                    name(&chosen.test),
                    chosen.template_name.as_deref().unwrap_or("none"),
                    chosen.number.as_ref().map_or("none".to_owned(), |n| n.e164.clone()),
                );
                audit::record(conn, &actor, "campaign.ai_agents", "campaign", Some(id), &summary)?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    redirect_with_flash(&req, &format!("/campaigns/{id}/ai-agents"), FlashKind::Success, "AI agents saved.")
}

/// One row of the outcome → status table.
pub struct OutcomeRow {
    pub outcome: crate::domain::outcome::Outcome,
    pub status: Option<crate::domain::lead::LeadStatus>,
    pub is_default: bool,
}

impl OutcomeRow {
    pub fn is(&self, status: &crate::domain::lead::LeadStatus) -> bool {
        self.status == Some(*status)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/outcomes.html")]
struct OutcomesPage {
    ctx: PageCtx,
    header: CampaignHeader,
    rows: Vec<OutcomeRow>,
    statuses: [crate::domain::lead::LeadStatus; 8],
}

fn outcome_rows(campaign: &Campaign) -> Vec<OutcomeRow> {
    use crate::domain::outcome::{Outcome, StatusMap};
    let map = StatusMap::from_json(campaign.outcome_status_map.as_deref());
    Outcome::ALL
        .into_iter()
        .map(|outcome| OutcomeRow { outcome, status: map.status_for(outcome), is_default: map.is_default(outcome) })
        .collect()
}

#[get("/{id}/outcomes")]
async fn outcomes_tab(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<i64>,
) -> Result<OutcomesPage, AppError> {
    let id = path.into_inner();
    let campaign = state.db.run(move |conn| Ok(db::campaigns::find(conn, id)?)).await?;
    let rows = outcome_rows(&campaign);
    Ok(OutcomesPage {
        ctx,
        header: CampaignHeader { campaign, tab: "outcomes" },
        rows,
        statuses: crate::domain::lead::LeadStatus::ALL,
    })
}

#[post("/{id}/outcomes")]
async fn save_outcomes(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<i64>,
    form: web::Form<std::collections::HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    use crate::domain::lead::LeadStatus;
    use crate::domain::outcome::{Outcome, StatusMap};
    let id = path.into_inner();
    let mut map = StatusMap::default();
    // Outcomes the form leaves out keep their default.
    for outcome in Outcome::ALL {
        let status = match form.get(outcome.as_str()).map(String::as_str) {
            None => continue,
            Some("keep") => None,
            Some(value) => Some(LeadStatus::parse(value).map_err(AppError::Validation)?),
        };
        map.set(outcome, status);
    }
    let actor = user.actor();
    state
        .db
        .run(move |conn| {
            write_tx(conn, |conn| {
                let campaign = db::campaigns::find(conn, id)?;
                db::campaigns::set_outcome_status_map(conn, id, &map.to_json())?;
                let summary = format!("Changed the outcome → lead status map of “{}”", campaign.name);
                audit::record(conn, &actor, "campaign.outcomes", "campaign", Some(id), &summary)?;
                Ok::<_, AppError>(())
            })
        })
        .await?;
    redirect_with_flash(&req, &format!("/campaigns/{id}/outcomes"), FlashKind::Success, "Outcome rules saved.")
}
