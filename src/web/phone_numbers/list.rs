//! The numbers page: the list with inline relabelling, adding a number by hand, deleting.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::auth::session::FlashKind;
use crate::db::phone_numbers::NumberListItem;
use crate::db::providers::ProviderConnection;
use crate::domain::campaign::parse_name;
use crate::domain::phone::{E164, Region};
use crate::error::AppError;
use crate::ids::PhoneNumberId;
use crate::provider::Telephony;
use crate::services::phone_numbers::{self, NumberInput, NumbersOverview};
use crate::web::htmx::HxRequest;
use crate::web::{PageCtx, redirect_with_flash, respond, respond_with_status};

#[derive(Template, WebTemplate)]
#[template(path = "phone_numbers/page.html")]
struct NumbersPage {
    ctx: PageCtx,
    numbers: Vec<NumberListItem>,
    connections: Vec<ProviderConnection>,
    form: NumberForm,
    error: Option<String>,
}

impl NumbersPage {
    fn new(ctx: PageCtx, overview: NumbersOverview, form: NumberForm, error: Option<String>) -> Self {
        NumbersPage { ctx, numbers: overview.numbers, connections: overview.connections, form, error }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "phone_numbers/_row.html")]
struct NumberRow {
    ctx: PageCtx,
    item: NumberListItem,
}

/// The add form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub(super) struct NumberForm {
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

impl NumberForm {
    fn parse(&self) -> Result<NumberInput, AppError> {
        self.parse_fields().map_err(AppError::Validation)
    }

    fn parse_fields(&self) -> Result<NumberInput, String> {
        let provider_connection_id =
            self.provider_connection_id.parse().map_err(|_| "Choose the provider connection".to_owned())?;
        let region = match self.region.trim() {
            "" => None,
            code => Some(Region::parse(code)?),
        };
        let e164 = E164::parse(&self.e164, region.as_ref())?;
        let label = match self.label.trim() {
            "" => e164.to_string(),
            label => parse_name(label, "Label")?,
        };
        let provider_phone_number_id = self.provider_phone_number_id.trim();
        if provider_phone_number_id.is_empty() {
            return Err("The provider's phone number id is required (ElevenLabs: phone_number_id)".into());
        }
        Ok(NumberInput {
            provider_connection_id,
            e164,
            label,
            provider_phone_number_id: provider_phone_number_id.to_owned(),
            telephony: Telephony::parse(&self.telephony)?,
        })
    }
}

#[get("")]
pub(super) async fn numbers_page(state: web::Data<AppState>, ctx: PageCtx) -> Result<NumbersPage, AppError> {
    let overview = phone_numbers::overview(&state.ctx).await?;
    let form = NumberForm { telephony: "twilio".into(), region: "US".into(), ..NumberForm::default() };
    Ok(NumbersPage::new(ctx, overview, form, None))
}

#[post("")]
pub(super) async fn create_number(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    form: web::Form<NumberForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let created = async {
        let input = form.parse()?;
        let number = input.e164.clone();
        phone_numbers::create(&state.ctx, &user.actor(), input).await?;
        Ok::<_, AppError>(number)
    }
    .await;
    let err = match created {
        Ok(number) => {
            let message = format!("Number {number} added.");
            return redirect_with_flash(&req, "/phone-numbers", FlashKind::Success, message);
        }
        Err(err) => err,
    };
    let Some(message) = err.user_message() else { return Err(err) };
    let overview = phone_numbers::overview(&state.ctx).await?;
    let page = NumbersPage::new(ctx, overview, form, Some(message));
    Ok(respond_with_status(page, &req, StatusCode::UNPROCESSABLE_ENTITY))
}

#[derive(Debug, Deserialize)]
pub(super) struct LabelForm {
    label: String,
}

#[post("/{id}/label")]
pub(super) async fn set_label(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: PageCtx,
    user: CurrentUser,
    path: web::Path<PhoneNumberId>,
    form: web::Form<LabelForm>,
) -> Result<HttpResponse, AppError> {
    let label = parse_name(&form.label, "Label").map_err(AppError::Validation)?;
    let item = phone_numbers::relabel(&state.ctx, &user.actor(), path.into_inner(), label).await?;
    if HxRequest::from_http(&req).is_htmx {
        return Ok(respond(NumberRow { ctx, item }, &req));
    }
    redirect_with_flash(&req, "/phone-numbers", FlashKind::Success, format!("{} relabelled.", item.number.e164))
}

#[post("/{id}/delete")]
pub(super) async fn delete_number(
    req: HttpRequest,
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<PhoneNumberId>,
) -> Result<HttpResponse, AppError> {
    let e164 = phone_numbers::delete(&state.ctx, &user.actor(), path.into_inner()).await?;
    redirect_with_flash(&req, "/phone-numbers", FlashKind::Success, format!("Number {e164} deleted."))
}
