//! Calls: the list with filters and paging, the call page with its transcript as a
//! conversation (updating live while the call runs) and its recording, "Call now", and a
//! person settling a call whose outcome is unknown.

mod actions;
mod detail;
mod list;

use actix_web::web;

pub use detail::clock;
pub use list::ListQuery;

pub fn routes(cfg: &mut web::ServiceConfig) {
    // The export before `/interactions/{id}`, which would take it for a call id.
    cfg.service(list::list_page)
        .service(crate::web::exports::all_calls)
        .service(detail::call_page)
        .service(detail::status_panel)
        .service(detail::recording)
        .service(actions::call_now)
        .service(actions::settle)
        .service(actions::rerun_pipeline);
}

/// Routes inside `/campaigns`.
pub fn campaign_routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::campaign_calls).service(crate::web::exports::campaign_calls);
}
