//! Static files, compiled into the binary. htmx is vendored from the npm package
//! `htmx.org` 2.0.11 (`dist/htmx.min.js`); its version is in the file name.

use std::sync::LazyLock;

use actix_web::{HttpResponse, get, web};

const HTMX_JS: &str = include_str!("../../static/htmx-2.0.11.min.js");
const APP_CSS: &str = include_str!("../../static/app.css");
const EDITOR_JS: &str = include_str!("../../static/editor.js");
const TIMEZONE_JS: &str = include_str!("../../static/timezone.js");
const FAVICON: &str = include_str!("../../static/favicon.svg");

/// Changes whenever our own assets change, for cache-busting `?v=` parameters.
static VERSION: LazyLock<String> = LazyLock::new(|| {
    let digest = crate::crypto::sha256_hex([APP_CSS, EDITOR_JS, TIMEZONE_JS].concat().as_bytes());
    digest[..12].to_owned()
});

pub fn version() -> &'static str {
    &VERSION
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(asset);
}

#[get("/static/{name}")]
async fn asset(name: web::Path<String>) -> HttpResponse {
    let (body, content_type) = match name.as_str() {
        "htmx-2.0.11.min.js" => (HTMX_JS, "text/javascript; charset=utf-8"),
        "app.css" => (APP_CSS, "text/css; charset=utf-8"),
        "editor.js" => (EDITOR_JS, "text/javascript; charset=utf-8"),
        "timezone.js" => (TIMEZONE_JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (FAVICON, "image/svg+xml"),
        _ => {
            return HttpResponse::NotFound().content_type("text/plain").body("not found");
        }
    };
    HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("cache-control", "public, max-age=31536000, immutable"))
        .body(body)
}
