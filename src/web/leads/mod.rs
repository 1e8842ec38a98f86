//! Leads: the lists (per campaign and across campaigns) with keyset paging, sort, filters
//! and bulk actions; the lead page with its fields and call timeline; adding a lead by hand.

mod bulk;
mod detail;
mod form;
mod list;

pub use list::ListQuery;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // `/leads/bulk` and the export before `/leads/{id}`, which would take them for lead ids.
    cfg.service(list::all_leads)
        .service(bulk::bulk)
        .service(crate::web::exports::all_leads)
        .service(detail::lead_page)
        .service(form::update_lead);
}

/// Routes under `/campaigns/{id}`.
pub fn campaign_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::campaign_leads)
        .service(crate::web::exports::campaign_leads)
        .service(form::new_lead_page)
        .service(form::create_lead);
}
