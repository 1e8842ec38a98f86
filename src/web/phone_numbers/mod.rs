//! Phone numbers: add by hand, import from the provider, relabel, delete.

mod import;
mod list;

use actix_web::web;

use super::provider_import;
use crate::services::phone_numbers::NumberImport;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(list::numbers_page)
        .service(list::create_number)
        .service(
            web::resource("/import")
                .get(provider_import::import_page::<NumberImport>)
                .post(provider_import::import_chosen::<NumberImport>),
        )
        .service(list::set_label)
        .service(list::delete_number);
}
