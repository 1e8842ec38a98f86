//! Importing phone numbers from a provider account: how they are shown and worded (the
//! page and form are the shared ones in [`crate::web::provider_import`]).

use askama::Template;
use askama_web::WebTemplate;

use crate::domain::plural::counted;
use crate::services::phone_numbers::NumberImport;
use crate::services::provider_import::{ImportReport, Review};
use crate::web::PageCtx;
use crate::web::provider_import::ImportPages;

#[derive(Template, WebTemplate)]
#[template(path = "phone_numbers/import.html")]
pub(in crate::web) struct NumberImportPage {
    ctx: PageCtx,
    review: Review<NumberImport>,
}

impl ImportPages for NumberImport {
    const LIST_URL: &'static str = "/phone-numbers";
    const ID_FIELD: &'static str = "phone_number_id";
    const NOTHING_CHOSEN: &'static str = "Choose at least one number to import.";

    type Page = NumberImportPage;

    fn page(ctx: PageCtx, review: Review<NumberImport>) -> NumberImportPage {
        NumberImportPage { ctx, review }
    }

    fn flash(report: &ImportReport) -> String {
        let mut message = match report.added.len() {
            0 => "Nothing new to import.".to_owned(),
            n => format!("Imported {}: {}.", counted(n, "number"), report.added.join(", ")),
        };
        if !report.skipped.is_empty() {
            message.push_str(&format!(
                " Skipped (not a Twilio or SIP-trunk number voxdial can call from): {}.",
                report.skipped.join(", ")
            ));
        }
        message
    }
}
