//! What kind of request htmx made, to answer with a fragment or a whole page.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};

#[derive(Debug, Clone, Copy)]
pub struct HxRequest {
    pub is_htmx: bool,
    pub boosted: bool,
    pub history_restore: bool,
}

impl HxRequest {
    pub fn from_http(req: &HttpRequest) -> HxRequest {
        let flag = |name: &str| req.headers().get(name).is_some_and(|v| v.as_bytes() == b"true");
        HxRequest {
            is_htmx: flag("hx-request"),
            boosted: flag("hx-boosted"),
            history_restore: flag("hx-history-restore-request"),
        }
    }

    /// A fragment is wanted only for plain htmx swaps; boosted navigation and history
    /// restores need the whole page.
    pub fn wants_fragment(&self) -> bool {
        self.is_htmx && !self.boosted && !self.history_restore
    }
}

impl FromRequest for HxRequest {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<HxRequest, actix_web::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(HxRequest::from_http(req)))
    }
}
