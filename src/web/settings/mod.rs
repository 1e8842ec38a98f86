//! Settings (admins only): provider connections with their secrets, webhook URLs and
//! inbound routing, the post-call pipeline's LLM connection, the log of webhooks received,
//! and the audit log.

mod audit_log;
mod connections;
mod inbound;
mod llm;
mod webhook_events;

use actix_web::web;
use serde::Deserialize;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(connections::list_page)
        .service(connections::new_page)
        .service(connections::create)
        .service(audit_log::page)
        .service(webhook_events::log_page)
        .service(webhook_events::event_page)
        .service(webhook_events::retry)
        .service(connections::edit_page)
        .service(connections::update)
        .service(connections::test)
        .service(connections::rotate_inbound_token)
        .service(llm::llm_page)
        .service(llm::save)
        .service(llm::test)
        .service(llm::delete)
        .service(inbound::page)
        .service(inbound::set_default)
        .service(connections::delete);
}

/// `?before=` of a list read newest first: the key of the last row of the page before.
#[derive(Debug, Deserialize)]
struct BeforeQuery<K> {
    before: Option<K>,
}
