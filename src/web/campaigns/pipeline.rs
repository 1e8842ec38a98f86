//! The Pipeline tab (R-PIPELINE): the LLM steps (analysis, extracted fields, a scoring
//! rubric), which provider data-collection fields drive the outcome, an opt-out and a
//! callback, and "Try it" on a past call without saving. Rows are posted as indexed fields
//! (`field_0_name` …); a blank row is skipped.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;

use super::CampaignHeader;
use crate::app::AppState;
use crate::auth::AiSetupEditor;
use crate::auth::session::FlashKind;
use crate::db::call_lists::TimelineEntry;
use crate::domain::pipeline::answer::RunResult;
use crate::domain::pipeline::config::{
    CopyTarget, Criterion, ExtractionField, FieldKind, MAX_CRITERIA, MAX_FIELDS, PipelineConfig, ProviderFields,
    parse_choices,
};
use crate::error::AppError;
use crate::ids::{CampaignId, InteractionId};
use crate::services::{campaigns, pipeline};
use crate::web::{LocalTimes, PageCtx, redirect_with_flash, respond, respond_with_status};

/// Blank rows offered below the filled ones.
const SPARE_ROWS: usize = 2;

/// A field row as typed.
#[derive(Debug, Clone, Default)]
struct FieldRow {
    name: String,
    kind: String,
    description: String,
    choices: String,
    copy: String,
}

#[derive(Debug, Clone, Default)]
struct CriterionRow {
    name: String,
    weight: String,
    description: String,
}

/// The whole form as typed, kept for showing it again.
#[derive(Debug, Clone, Default)]
struct PipelineForm {
    llm_enabled: bool,
    analysis: bool,
    fields: Vec<FieldRow>,
    criteria: Vec<CriterionRow>,
    outcome_field: String,
    opt_out_field: String,
    callback_field: String,
    call_id: String,
}

impl PipelineForm {
    fn of(config: &PipelineConfig) -> Self {
        let provider = &config.provider_fields;
        PipelineForm {
            llm_enabled: config.llm_enabled,
            analysis: config.analysis,
            fields: config
                .fields
                .iter()
                .map(|f| FieldRow {
                    name: f.name.clone(),
                    kind: f.kind.as_str().to_owned(),
                    description: f.description.clone(),
                    choices: f.choices.join(", "),
                    copy: f.copy_to.map(|c| c.as_str().to_owned()).unwrap_or_default(),
                })
                .collect(),
            criteria: config
                .rubric
                .iter()
                .map(|c| CriterionRow {
                    name: c.name.clone(),
                    weight: c.weight.to_string(),
                    description: c.description.clone(),
                })
                .collect(),
            outcome_field: provider.outcome.clone().unwrap_or_default(),
            opt_out_field: provider.opt_out.clone().unwrap_or_default(),
            callback_field: provider.callback.clone().unwrap_or_default(),
            call_id: String::new(),
        }
    }

    fn from_pairs(pairs: &[(String, String)]) -> Self {
        let get =
            |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
        let rows = |prefix: &str, max: usize| -> Vec<String> {
            (0..max + SPARE_ROWS).map(|i| format!("{prefix}_{i}_")).collect()
        };
        let fields = rows("field", MAX_FIELDS)
            .into_iter()
            .map(|p| FieldRow {
                name: get(&format!("{p}name")),
                kind: get(&format!("{p}kind")),
                description: get(&format!("{p}description")),
                choices: get(&format!("{p}choices")),
                copy: get(&format!("{p}copy")),
            })
            .filter(|r| !r.name.is_empty() || !r.description.is_empty())
            .collect();
        let criteria = rows("criterion", MAX_CRITERIA)
            .into_iter()
            .map(|p| CriterionRow {
                name: get(&format!("{p}name")),
                weight: get(&format!("{p}weight")),
                description: get(&format!("{p}description")),
            })
            .filter(|r| !r.name.is_empty() || !r.description.is_empty())
            .collect();
        PipelineForm {
            llm_enabled: !get("llm_enabled").is_empty(),
            analysis: !get("analysis").is_empty(),
            fields,
            criteria,
            outcome_field: get("outcome_field"),
            opt_out_field: get("opt_out_field"),
            callback_field: get("callback_field"),
            call_id: get("call_id"),
        }
    }

    fn config(&self) -> Result<PipelineConfig, AppError> {
        let mut fields = Vec::new();
        for (i, row) in self.fields.iter().enumerate() {
            let kind = FieldKind::from_code(if row.kind.is_empty() { "string" } else { &row.kind })
                .ok_or_else(|| AppError::validation(format!("Field {}: choose a type", i + 1)))?;
            let copy_to = match row.copy.as_str() {
                "" => None,
                code => Some(
                    CopyTarget::from_code(code)
                        .ok_or_else(|| AppError::validation(format!("Field {}: choose where to copy it", i + 1)))?,
                ),
            };
            let choices = if kind == FieldKind::Choice { parse_choices(&row.choices) } else { Vec::new() };
            fields.push(ExtractionField {
                name: row.name.clone(),
                kind,
                description: row.description.clone(),
                choices,
                copy_to,
            });
        }
        let mut rubric = Vec::new();
        for (i, row) in self.criteria.iter().enumerate() {
            let weight = row.weight.parse::<u32>().map_err(|_| {
                AppError::validation(format!("Criterion {}: the weight must be a whole number from 1 to 100", i + 1))
            })?;
            rubric.push(Criterion { name: row.name.clone(), weight, description: row.description.clone() });
        }
        let named = |name: &str| Some(name.to_owned()).filter(|n| !n.is_empty());
        Ok(PipelineConfig {
            llm_enabled: self.llm_enabled,
            analysis: self.analysis,
            fields,
            rubric,
            provider_fields: ProviderFields {
                outcome: named(&self.outcome_field),
                opt_out: named(&self.opt_out_field),
                callback: named(&self.callback_field),
            },
        })
    }

    /// The rows to show: the filled ones and a few blank ones, within the limits.
    fn field_rows(&self) -> Vec<FieldRow> {
        let mut rows = self.fields.clone();
        rows.resize((rows.len() + SPARE_ROWS).min(MAX_FIELDS.max(rows.len())), FieldRow::default());
        rows
    }

    fn criterion_rows(&self) -> Vec<CriterionRow> {
        let mut rows = self.criteria.clone();
        rows.resize((rows.len() + SPARE_ROWS).min(MAX_CRITERIA.max(rows.len())), CriterionRow::default());
        rows
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/pipeline.html")]
struct PipelinePage {
    ctx: PageCtx,
    header: CampaignHeader,
    form: PipelineForm,
    error: Option<String>,
    has_llm: bool,
    recent: Vec<TimelineEntry>,
    kinds: &'static [FieldKind],
    targets: &'static [CopyTarget],
}

async fn page(
    state: &AppState,
    ctx: PageCtx,
    id: CampaignId,
    form: Option<PipelineForm>,
    error: Option<String>,
) -> Result<PipelinePage, AppError> {
    let campaign = campaigns::find(&state.ctx, id).await?;
    let form = match form {
        Some(form) => form,
        None => PipelineForm::of(&pipeline::campaign_config(&state.ctx, id).await?),
    };
    let has_llm = pipeline::llm_connection(&state.ctx).await?.is_some();
    let recent = pipeline::recent_completed_calls(&state.ctx, id).await?;
    Ok(PipelinePage {
        ctx,
        header: CampaignHeader { campaign, tab: "pipeline" },
        form,
        error,
        has_llm,
        recent,
        kinds: FieldKind::ALL,
        targets: CopyTarget::ALL,
    })
}

#[get("/{id}/pipeline")]
pub(super) async fn pipeline_tab(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
) -> Result<PipelinePage, AppError> {
    page(&state, ctx, path.into_inner(), None, None).await
}

#[post("/{id}/pipeline")]
pub(super) async fn save_pipeline(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    AiSetupEditor(user): AiSetupEditor,
    path: web::Path<CampaignId>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = PipelineForm::from_pairs(&form);
    let saved = match form.config() {
        Ok(config) => pipeline::save_campaign_config(&state.ctx, user.actor(), id, config).await,
        Err(error) => Err(error),
    };
    match saved {
        Ok(()) => {
            redirect_with_flash(&req, &format!("/campaigns/{id}/pipeline"), FlashKind::Success, "Pipeline saved.")
        }
        Err(error) => {
            let Some(message) = error.user_message() else { return Err(error) };
            let page = page(&state, ctx, id, Some(form), Some(message)).await?;
            Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "campaigns/_pipeline_try.html")]
struct TryResult {
    ctx: LocalTimes,
    result: Option<RunResult>,
    error: Option<String>,
    usage: String,
}

/// Runs the form's configuration (saved or not) on a chosen call and shows what it found.
#[post("/{id}/pipeline/try")]
pub(super) async fn try_pipeline(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: LocalTimes,
    _editor: AiSetupEditor,
    path: web::Path<CampaignId>,
    form: web::Form<Vec<(String, String)>>,
) -> Result<HttpResponse, AppError> {
    let form = PipelineForm::from_pairs(&form);
    let shown = match (form.config(), form.call_id.parse::<i64>()) {
        (Err(error), _) => Err(error),
        (_, Err(_)) => Err(AppError::validation("Choose a call to try it on")),
        (Ok(config), Ok(call)) => {
            pipeline::try_config(&state.ctx, path.into_inner(), InteractionId::new(call), config).await
        }
    };
    let page = match shown {
        Ok(pipeline::Trial::Found { findings, cost_usd }) => {
            let usage = &findings.usage;
            let mut text = format!("Answered in {} ms", usage.latency.as_millis());
            if let (Some(prompt), Some(answer)) = (usage.prompt_tokens, usage.completion_tokens) {
                text.push_str(&format!(" · {prompt} prompt + {answer} answer tokens"));
            }
            if let Some(cost) = cost_usd {
                text.push_str(&format!(" · ${cost:.4}"));
            }
            TryResult { ctx, result: Some(findings.result), error: None, usage: text }
        }
        Ok(pipeline::Trial::Failed(message)) => {
            TryResult { ctx, result: None, error: Some(message), usage: String::new() }
        }
        Err(error) => {
            let Some(message) = error.user_message() else { return Err(error) };
            TryResult { ctx, result: None, error: Some(message), usage: String::new() }
        }
    };
    Ok(respond(page, &req))
}
