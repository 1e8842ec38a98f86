//! How voice agents are shown and worded when imported from a provider account (the page
//! and form are the shared ones in [`crate::web::provider_import`]).

use askama::Template;
use askama_web::WebTemplate;

use crate::domain::plural::counted;
use crate::services::agents::AgentImport;
use crate::services::provider_import::{ImportReport, Review};
use crate::web::PageCtx;
use crate::web::provider_import::ImportPages;

#[derive(Template, WebTemplate)]
#[template(path = "agents/import.html")]
pub(in crate::web) struct AgentImportPage {
    ctx: PageCtx,
    review: Review<AgentImport>,
}

impl ImportPages for AgentImport {
    const LIST_URL: &'static str = "/agents";
    const ID_FIELD: &'static str = "agent_id";
    const NOTHING_CHOSEN: &'static str = "Choose at least one agent to import.";
    const CHANGES_AI_SETUP: bool = true;

    type Page = AgentImportPage;

    fn page(ctx: PageCtx, review: Review<AgentImport>) -> AgentImportPage {
        AgentImportPage { ctx, review }
    }

    fn flash(report: &ImportReport) -> String {
        format!("Imported {}.", counted(report.added.len(), "new agent"))
    }
}
