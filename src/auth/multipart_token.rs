//! The CSRF token of a multipart upload, read from the form's first field before any of the
//! file is: our upload forms put the hidden `csrf_token` field first, so a forged upload is
//! refused without its file being read, and the token never has to travel in the URL.

use actix_web::HttpMessage as _;
use actix_web::dev::{Payload, ServiceRequest};
use actix_web::error::PayloadError;
use actix_web::web::{Bytes, BytesMut};
use futures_util::StreamExt as _;

/// How much of the body may come before the first field ends.
const FIRST_FIELD_LIMIT: usize = 8 * 1024;

/// The value of the first field when it is named `field`; the bytes read are put back in
/// front of the rest of the body for the handler.
pub async fn first_field(req: &mut ServiceRequest, field: &str) -> Result<Option<String>, PayloadError> {
    let Some(boundary) = boundary(req) else { return Ok(None) };
    let mut payload = req.take_payload();
    let mut read = BytesMut::new();
    let mut value = None;
    while read.len() < FIRST_FIELD_LIMIT {
        let Some(chunk) = payload.next().await else { break };
        read.extend_from_slice(&chunk?);
        if let Some(found) = parse_first_field(&read, &boundary, field) {
            value = found;
            break;
        }
    }
    let rest = futures_util::stream::once(async move { Ok::<Bytes, PayloadError>(read.freeze()) }).chain(payload);
    req.set_payload(Payload::Stream { payload: Box::pin(rest) });
    Ok(value)
}

fn boundary(req: &ServiceRequest) -> Option<String> {
    let mime = req.mime_type().ok()??;
    (mime.essence_str() == "multipart/form-data").then(|| mime.get_param("boundary").map(|b| b.to_string()))?
}

/// `None` while the first field has not been read whole; then its value if it is `field`.
fn parse_first_field(body: &[u8], boundary: &str, field: &str) -> Option<Option<String>> {
    let opening = format!("--{boundary}\r\n");
    if body.len() < opening.len() {
        return None;
    }
    let Some(after_opening) = body.strip_prefix(opening.as_bytes()) else { return Some(None) };
    let headers_end = find(after_opening, b"\r\n\r\n")?;
    let headers = String::from_utf8_lossy(&after_opening[..headers_end]).to_ascii_lowercase();
    let content = &after_opening[headers_end + 4..];
    let end = find(content, format!("\r\n--{boundary}").as_bytes())?;
    let named = headers.lines().any(|line| {
        line.starts_with("content-disposition:")
            && line.contains(&format!("name=\"{field}\""))
            && !line.contains("filename")
    });
    Some(named.then(|| String::from_utf8_lossy(&content[..end]).into_owned()))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::parse_first_field;

    const BODY: &str = "--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nt0ken\r\n--XyZ\r\n\
                        Content-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\r\nphone\r\n--XyZ--\r\n";

    #[test]
    fn csrf_the_first_field_is_read_once_complete() {
        assert_eq!(parse_first_field(BODY.as_bytes(), "XyZ", "csrf_token"), Some(Some("t0ken".into())));
        assert_eq!(parse_first_field(&BODY.as_bytes()[..60], "XyZ", "csrf_token"), None, "not complete yet");
        assert_eq!(parse_first_field(BODY.as_bytes(), "XyZ", "other"), Some(None));
        let file_first = BODY.replacen("name=\"csrf_token\"", "name=\"csrf_token\"; filename=\"x\"", 1);
        assert_eq!(parse_first_field(file_first.as_bytes(), "XyZ", "csrf_token"), Some(None));
        assert_eq!(parse_first_field(b"garbage that is long enough", "XyZ", "csrf_token"), Some(None));
    }
}
