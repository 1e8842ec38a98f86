//! CSRF tokens: where a visitor's token lives, and how it is shown on a page.
//!
//! A logged-in user's token lives in their server-side session. A visitor who is not logged
//! in has no session row at all (nothing is stored for the login page); their token is a
//! random value in a cookie of its own, signed with the installation key so that a cookie
//! planted from a sibling site does not pass, and a form must present the same value.
//!
//! Pages never carry a token as is: each response shows it masked with a fresh random pad
//! (`pad ‖ token ⊕ pad`), so that a compressed response that also reflects input reveals
//! nothing about the token from its length (BREACH).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::{HttpMessage as _, HttpRequest};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use crate::app::AppState;
use crate::crypto::{MasterKey, random_token};

/// Over https the cookie is bound to this host alone (`__Host-`: Secure, path /, no domain).
fn cookie_name(secure: bool) -> &'static str {
    if secure { "__Host-voxdial_csrf" } else { "voxdial_csrf" }
}

/// The anonymous token a page of this request handed out, to be set as a cookie on its
/// response.
#[derive(Debug, Clone)]
pub struct IssuedCookie(pub String);

/// The token of a visitor who is not logged in: the signed cookie's value, or a new one
/// (remembered for the response).
pub fn anonymous_token(req: &HttpRequest, state: &AppState) -> String {
    if let Some(issued) = req.extensions().get::<IssuedCookie>() {
        return issued.0.clone();
    }
    if let Some(value) = presented_cookie(req, state) {
        return value;
    }
    let nonce = random_token();
    let value = format!("{nonce}.{}", signature(&state.key, &nonce));
    req.extensions_mut().insert(IssuedCookie(value.clone()));
    value
}

/// The visitor's anonymous token, when their cookie carries one this installation signed.
pub fn presented_cookie(req: &HttpRequest, state: &AppState) -> Option<String> {
    let cookie = req.cookie(cookie_name(state.settings.cookies_secure()))?;
    let (nonce, presented) = cookie.value().split_once('.')?;
    let valid: bool = signature(&state.key, nonce).as_bytes().ct_eq(presented.as_bytes()).into();
    valid.then(|| cookie.value().to_owned())
}

/// The cookie for a newly issued anonymous token: for this site's pages only, not for
/// scripts, and ending with the browser session.
pub fn cookie(value: String, secure: bool) -> Cookie<'static> {
    Cookie::build(cookie_name(secure), value).path("/").http_only(true).secure(secure).same_site(SameSite::Lax).finish()
}

fn signature(key: &MasterKey, nonce: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&key.derive("voxdial anonymous csrf token")[..32])
        .expect("HMAC takes any key length");
    mac.update(nonce.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// The token as one response shows it: different every time, the same token underneath.
pub fn mask(token: &str) -> String {
    let mut pad = vec![0u8; token.len()];
    rand::rng().fill_bytes(&mut pad);
    let masked: Vec<u8> = token.bytes().zip(&pad).map(|(byte, key)| byte ^ key).collect();
    pad.extend(masked);
    URL_SAFE_NO_PAD.encode(pad)
}

/// Whether a token a request presented (masked) is `expected`, compared in constant time.
pub fn matches(presented: &str, expected: &str) -> bool {
    let Ok(bytes) = URL_SAFE_NO_PAD.decode(presented) else { return false };
    if bytes.len() != 2 * expected.len() {
        return false;
    }
    let (pad, masked) = bytes.split_at(expected.len());
    let token: Vec<u8> = masked.iter().zip(pad).map(|(byte, key)| byte ^ key).collect();
    token.ct_eq(expected.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_auth_masked_tokens_differ_every_time_and_still_match() {
        let token = random_token();
        let (one, two) = (mask(&token), mask(&token));
        assert_ne!(one, two);
        assert!(!one.contains(&token));
        assert!(matches(&one, &token) && matches(&two, &token));
        assert!(!matches(&one, &random_token()));
        assert!(!matches(&token, &token), "an unmasked token is not accepted");
        assert!(!matches("not base64!", &token));
    }
}
