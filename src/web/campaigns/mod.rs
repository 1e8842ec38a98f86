//! Campaigns: the list, creating one, its overview with the details form, the AI Agents
//! tab (R-AI-TAB) whose pickers are htmx partials, and the Outcomes tab. This module holds
//! the routes and what several pages share: the campaign header and the details form.

mod ai_agents;
mod dialer;
mod dialer_preview;
mod list;
mod new;
mod outcomes;
mod overview;
mod pipeline;

use actix_web::web;
use serde::Deserialize;

use crate::db::campaigns::Campaign;
use crate::domain::campaign::{CampaignStatus, parse_name, parse_timezone};
use crate::domain::phone::Region;
use crate::error::AppError;
use crate::services::campaigns::CampaignInput;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::list_page)
        .service(new::new_page)
        .service(new::create)
        .service(overview::overview_page)
        .service(overview::update)
        .service(ai_agents::ai_agents_tab)
        .service(ai_agents::save_ai_agents)
        .service(ai_agents::resolution_panel)
        .service(ai_agents::picker_partial)
        .service(ai_agents::set_inbound)
        .service(outcomes::outcomes_tab)
        .service(outcomes::save_outcomes)
        .service(dialer::dialer_tab)
        .service(dialer::status_panel)
        .service(dialer::save_rules)
        .service(dialer::switch)
        .service(dialer::profiles)
        .service(dialer_preview::preview)
        .service(dialer_preview::preview_csv)
        .service(pipeline::pipeline_tab)
        .service(pipeline::save_pipeline)
        .service(pipeline::try_pipeline);
}

/// The campaign header and tabs every campaign page shows.
pub struct CampaignHeader {
    pub campaign: Campaign,
    pub tab: &'static str,
}

impl CampaignHeader {
    pub fn status_label(&self) -> &'static str {
        self.campaign.status.label()
    }

    pub fn status_class(&self) -> &'static str {
        status_class(self.campaign.status)
    }
}

/// The extra class of a status badge.
fn status_class(status: CampaignStatus) -> &'static str {
    match status {
        CampaignStatus::Active => " badge-ok",
        CampaignStatus::Paused => " badge-warn",
        CampaignStatus::Draft | CampaignStatus::Archived => "",
    }
}

/// The details form as posted, kept as typed for showing it again.
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
            status: c.status.as_str().to_owned(),
            timezone: c.timezone.name().to_owned(),
            default_region: c.default_region.code(),
        }
    }

    /// The details, validated; a blank status is a draft and a blank country the US.
    fn input(&self) -> Result<CampaignInput, AppError> {
        let description = self.description.trim();
        if description.chars().count() > 2000 {
            return Err(AppError::validation("The description must be at most 2000 characters"));
        }
        let status = if self.status.is_empty() { "draft" } else { &self.status };
        let region = if self.default_region.trim().is_empty() { "US" } else { &self.default_region };
        Ok(CampaignInput {
            name: parse_name(&self.name, "Name").map_err(AppError::Validation)?,
            description: description.to_owned(),
            status: CampaignStatus::parse(status).map_err(AppError::Validation)?,
            timezone: parse_timezone(&self.timezone).map_err(AppError::Validation)?,
            default_region: Region::parse(region).map_err(AppError::Validation)?,
        })
    }
}
