//! The do-not-call lists: the page with its filters and the form to add a number, CSV
//! import and export, and removal after confirmation. Every member may use them all, so
//! whoever takes a "do not call me" request can honour it at once.

mod export;
mod import;
mod list;
mod remove;

use actix_web::web;
use serde::Deserialize;

use super::errors::urlencode;
use crate::db::suppression::{EntryFilter, ListScope};
use crate::domain::phone::Region;
use crate::error::AppError;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::list_page)
        .service(list::add)
        .service(import::resource())
        .service(export::export_csv)
        .service(remove::confirm_remove)
        .service(remove::remove);
}

/// National numbers are read in this region unless the form names another.
const DEFAULT_REGION: &str = "US";

/// Which entries the page and the export show: `list` is empty (all lists), `global` or a
/// campaign id; `prefix` is how the numbers start.
#[derive(Debug, Default, Clone, Deserialize)]
struct ListQuery {
    #[serde(default)]
    list: String,
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    before: String,
}

impl ListQuery {
    fn filter(&self) -> EntryFilter {
        let list = match self.list.as_str() {
            "global" => Some(ListScope::Global),
            other => other.parse().ok().map(ListScope::Campaign),
        };
        // Whatever is typed around the digits, the search is a number prefix.
        let digits: String = self.prefix.chars().filter(char::is_ascii_digit).collect();
        EntryFilter { list, phone_prefix: (!digits.is_empty()).then(|| format!("+{digits}")) }
    }

    /// `path` with this filter (and `before`, to continue below an entry).
    fn link(&self, path: &str, before: Option<String>) -> String {
        let pairs = [("list", Some(&self.list)), ("prefix", Some(&self.prefix)), ("before", before.as_ref())];
        let query: Vec<String> = pairs
            .iter()
            .filter_map(|(k, v)| v.filter(|v| !v.is_empty()).map(|v| format!("{k}={}", urlencode(v))))
            .collect();
        if query.is_empty() { path.to_owned() } else { format!("{path}?{}", query.join("&")) }
    }
}

/// The list a number goes on, as the add and import forms post it: empty for the global
/// list, else a campaign id.
fn list_choice(campaign: &str) -> Result<ListScope, AppError> {
    match campaign.trim() {
        "" => Ok(ListScope::Global),
        id => id.parse().map(ListScope::Campaign).map_err(|_| AppError::validation("Choose a list")),
    }
}

fn region_choice(region: &str) -> Result<Region, AppError> {
    let region = if region.trim().is_empty() { DEFAULT_REGION } else { region };
    Region::parse(region).map_err(AppError::Validation)
}
