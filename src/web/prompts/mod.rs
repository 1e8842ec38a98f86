//! Voice prompt templates: the list, an editor of the draft with a live preview (htmx,
//! debounced) for a chosen lead and contact type and a variable reference, publishing, and
//! the version history with each version's changes and restore.

mod editor;
mod list;
mod version;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::list_page)
        .service(editor::new_page)
        .service(editor::create)
        .service(editor::preview_partial)
        .service(editor::editor_page)
        .service(editor::save)
        .service(version::publish)
        .service(version::version_page)
        .service(version::restore);
}
