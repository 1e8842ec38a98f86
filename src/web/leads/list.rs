//! The lead lists: one campaign's (its Leads tab) and every campaign's, with filters,
//! search, sort and keyset paging both ways.

use std::collections::HashMap;

use actix_web::{get, web};
use askama::Template;
use askama_web::WebTemplate;
use serde::Deserialize;

use crate::app::AppState;
use crate::db::lead_lists::{Cursor, LeadPage, LeadSort, PageAt};
use crate::domain::lead::LeadStatus;
use crate::domain::outcome::Outcome;
use crate::error::AppError;
use crate::ids::{CampaignId, LeadId};
use crate::services::leads::{self, LeadList, LeadQuery};
use crate::web::PageCtx;
use crate::web::campaigns::CampaignHeader;
use crate::web::errors::urlencode;

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub test: String,
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub after: String,
    #[serde(default)]
    pub before: String,
}

impl ListQuery {
    /// What to list; filters that do not parse are left out.
    pub fn lead_query(&self, campaign_id: Option<CampaignId>) -> LeadQuery {
        LeadQuery {
            campaign_id,
            status: LeadStatus::parse(&self.status).ok(),
            is_test: match self.test.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            search: self.q.clone(),
            sort: LeadSort::parse(&self.sort),
            at: match (Cursor::decode(&self.after), Cursor::decode(&self.before)) {
                (Some(c), _) => PageAt::After(c),
                (None, Some(c)) => PageAt::Before(c),
                _ => PageAt::First,
            },
        }
    }

    /// The list's address with these filters and another cursor (for paging links).
    pub fn link(&self, base: &str, cursor: Option<(&str, &str)>) -> String {
        let mut pairs =
            vec![("status", self.status.as_str()), ("test", &self.test), ("q", &self.q), ("sort", &self.sort)];
        if let Some(c) = cursor {
            pairs.push(c);
        }
        let query: Vec<String> =
            pairs.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        if query.is_empty() { base.to_owned() } else { format!("{base}?{}", query.join("&")) }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "leads/list.html")]
pub(super) struct ListPage {
    ctx: PageCtx,
    header: Option<CampaignHeader>,
    query: ListQuery,
    base: String,
    page: LeadPage,
    last_outcomes: HashMap<LeadId, Outcome>,
    total: Option<i32>,
    truncated_search: bool,
    statuses: &'static [LeadStatus],
    sorts: [LeadSort; 4],
}

impl ListPage {
    fn new(ctx: PageCtx, query: ListQuery, base: String, list: LeadList) -> ListPage {
        let header = list.campaign.map(|campaign| CampaignHeader { campaign, tab: "leads" });
        ListPage {
            ctx,
            total: header.as_ref().map(|h| h.campaign.lead_count),
            header,
            query,
            base,
            page: list.page,
            last_outcomes: list.last_outcomes,
            truncated_search: list.truncated_search,
            statuses: LeadStatus::ALL,
            sorts: LeadSort::ALL,
        }
    }

    fn last_outcome(&self, lead: &LeadId) -> Option<&Outcome> {
        self.last_outcomes.get(lead)
    }

    fn next_link(&self) -> Option<String> {
        self.page.next.as_deref().map(|c| self.query.link(&self.base, Some(("after", c))))
    }

    fn prev_link(&self) -> Option<String> {
        self.page.prev.as_deref().map(|c| self.query.link(&self.base, Some(("before", c))))
    }

    /// This very page, for coming back after a bulk action.
    /// The CSV download of everything these filters match.
    fn export_link(&self) -> String {
        self.query.link(&format!("{}/export.csv", self.base), None)
    }

    fn here(&self) -> String {
        let cursor = if !self.query.after.is_empty() {
            Some(("after", self.query.after.as_str()))
        } else if !self.query.before.is_empty() {
            Some(("before", self.query.before.as_str()))
        } else {
            None
        };
        self.query.link(&self.base, cursor)
    }
}

#[get("/leads")]
pub(super) async fn all_leads(
    state: web::Data<AppState>,
    ctx: PageCtx,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let query = query.into_inner();
    let list = leads::list(&state.ctx, query.lead_query(None)).await?;
    Ok(ListPage::new(ctx, query, "/leads".into(), list))
}

#[get("/{id}/leads")]
pub(super) async fn campaign_leads(
    state: web::Data<AppState>,
    ctx: PageCtx,
    path: web::Path<CampaignId>,
    query: web::Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let id = path.into_inner();
    let query = query.into_inner();
    let list = leads::list(&state.ctx, query.lead_query(Some(id))).await?;
    Ok(ListPage::new(ctx, query, format!("/campaigns/{id}/leads"), list))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_links_keep_the_filters() {
        let q = ListQuery { status: "new".into(), q: "ana lima".into(), ..ListQuery::default() };
        assert_eq!(q.link("/leads", Some(("after", "42"))), "/leads?status=new&q=ana+lima&after=42");
        assert_eq!(ListQuery::default().link("/leads", None), "/leads");
    }

    #[test]
    fn unknown_filters_are_left_out_and_cursors_pick_the_page() {
        let q = ListQuery { status: "hot".into(), test: "no".into(), before: "7".into(), ..ListQuery::default() };
        let query = q.lead_query(None);
        assert_eq!((query.status, query.is_test), (None, Some(false)));
        assert!(matches!(query.at, PageAt::Before(ref c) if c.id.get() == 7));
    }
}
