//! The LLM connection the post-call pipeline uses: any OpenAI-compatible chat-completions
//! endpoint. The key is write-only (its hint is shown); "Test connection" asks the model for
//! a structured answer as a run would.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use super::connections::{CheckResult, parse_base_url};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::llm_connections::LlmConnection;
use crate::domain::campaign::parse_name;
use crate::error::AppError;
use crate::services::pipeline::{self, LlmInput};
use crate::web::htmx::HxRequest;
use crate::web::{PageCtx, redirect_with_flash, respond, respond_with_status};

#[derive(Debug, Deserialize)]
pub struct LlmForm {
    name: String,
    base_url: String,
    model: String,
    #[serde(default)]
    api_key: String,
    #[serde(default)]
    remove_key: Option<String>,
    timeout_secs: String,
    max_concurrent: String,
    #[serde(default)]
    input_price: String,
    #[serde(default)]
    output_price: String,
}

impl Default for LlmForm {
    fn default() -> Self {
        LlmForm {
            name: "LLM".into(),
            base_url: "https://api.openai.com/v1".into(),
            model: String::new(),
            api_key: String::new(),
            remove_key: None,
            timeout_secs: "60".into(),
            max_concurrent: "2".into(),
            input_price: String::new(),
            output_price: String::new(),
        }
    }
}

impl LlmForm {
    fn of(connection: &LlmConnection) -> Self {
        let price = |p: Option<f64>| p.map(|p| p.to_string()).unwrap_or_default();
        LlmForm {
            name: connection.name.clone(),
            base_url: connection.base_url.clone(),
            model: connection.model.clone(),
            timeout_secs: connection.timeout_secs.to_string(),
            max_concurrent: connection.max_concurrent.to_string(),
            input_price: price(connection.input_usd_per_mtok),
            output_price: price(connection.output_usd_per_mtok),
            ..LlmForm::default()
        }
    }

    fn parse(&self) -> Result<LlmInput, AppError> {
        let name = parse_name(&self.name, "Name").map_err(AppError::Validation)?;
        let base_url = parse_base_url(&self.base_url).map_err(AppError::Validation)?;
        let model = self.model.trim();
        if model.is_empty() || model.chars().count() > 200 {
            return Err(AppError::validation("Name the model (at most 200 characters), e.g. gpt-4o-mini"));
        }
        let whole = |input: &str, label: &str, range: std::ops::RangeInclusive<i32>| {
            input.trim().parse::<i32>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                AppError::validation(format!(
                    "{label} must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ))
            })
        };
        let price = |input: &str, label: &str| -> Result<Option<f64>, AppError> {
            let input = input.trim().trim_start_matches('$');
            if input.is_empty() {
                return Ok(None);
            }
            input.parse::<f64>().ok().filter(|p| p.is_finite() && *p >= 0.0 && *p <= 10_000.0).map(Some).ok_or_else(
                || AppError::validation(format!("{label} must be a price in US dollars per million tokens, e.g. 0.15")),
            )
        };
        Ok(LlmInput {
            name: name.to_string(),
            base_url,
            model: model.to_owned(),
            api_key: Some(self.api_key.trim().to_owned()).filter(|k| !k.is_empty()),
            remove_key: self.remove_key.is_some(),
            timeout_secs: whole(&self.timeout_secs, "The timeout", 1..=600)?,
            max_concurrent: whole(&self.max_concurrent, "Requests at once", 1..=32)?,
            input_usd_per_mtok: price(&self.input_price, "The input price")?,
            output_usd_per_mtok: price(&self.output_price, "The output price")?,
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "settings/llm.html")]
struct LlmPage {
    ctx: PageCtx,
    existing: Option<LlmConnection>,
    form: LlmForm,
    error: Option<String>,
}

#[get("/llm")]
pub async fn llm_page(state: web::Data<AppState>, ctx: PageCtx) -> Result<LlmPage, AppError> {
    let existing = pipeline::llm_connection(&state.ctx).await?;
    let form = existing.as_ref().map(LlmForm::of).unwrap_or_default();
    Ok(LlmPage { ctx, existing, form, error: None })
}

#[post("/llm")]
pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<LlmForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = form.into_inner();
    let saved = match form.parse() {
        Ok(input) => pipeline::save_llm_connection(&state.ctx, user.actor(), input).await,
        Err(error) => Err(error),
    };
    match saved {
        Ok(()) => {
            redirect_with_flash(&req, "/settings/llm", FlashKind::Success, "LLM connection saved. Test it below.")
        }
        Err(error) => {
            let Some(message) = error.user_message() else { return Err(error) };
            // A key just typed is never sent back to the browser.
            form.api_key.clear();
            let existing = pipeline::llm_connection(&state.ctx).await?;
            let page = LlmPage { ctx, existing, form, error: Some(message) };
            Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY))
        }
    }
}

#[post("/llm/test")]
pub async fn test(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let check = pipeline::test_llm_connection(&state.ctx).await?;
    if HxRequest::from_http(&req).is_htmx {
        return Ok(respond(CheckResult { ok: check.ok, message: check.message }, &req));
    }
    let kind = if check.ok { FlashKind::Success } else { FlashKind::Error };
    redirect_with_flash(&req, "/settings/llm", kind, check.message)
}

#[post("/llm/delete")]
pub async fn delete(req: HttpRequest, state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    pipeline::delete_llm_connection(&state.ctx, user.actor()).await?;
    redirect_with_flash(
        &req,
        "/settings/llm",
        FlashKind::Success,
        "LLM connection removed. Pipeline runs wait until one is added.",
    )
}
