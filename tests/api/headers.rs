//! Security headers on pages, fragments, errors and static files; htmx-aware errors.

use reqwest::StatusCode;

use crate::helpers::spawn_app;

fn assert_security_headers(response: &reqwest::Response) {
    let headers = response.headers();
    let csp = headers.get("content-security-policy").expect("CSP").to_str().unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(csp.contains("object-src 'none'") && csp.contains("base-uri 'none'"), "{csp}");
    assert_eq!(headers.get("x-content-type-options").unwrap(), "nosniff");
    assert_eq!(headers.get("referrer-policy").unwrap(), "same-origin");
    assert_eq!(headers.get("x-frame-options").unwrap(), "DENY");
    assert!(headers.get("x-request-id").is_some());
    let vary: Vec<_> = headers.get_all("vary").iter().map(|v| v.to_str().unwrap().to_lowercase()).collect();
    assert!(vary.iter().any(|v| v.contains("hx-request")), "{vary:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_app().await;
    app.login_as_admin().await;

    for path in ["/", "/team", "/profile", "/static/app.css", "/healthz", "/does-not-exist"] {
        let response = app.get(path).await;
        assert_security_headers(&response);
    }
    let fragment = app.client.get(app.url("/does-not-exist")).header("HX-Request", "true").send().await.unwrap();
    assert_security_headers(&fragment);
    let forbidden = app.client.post(app.url("/team")).send().await.unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    assert_security_headers(&forbidden);
}

#[tokio::test(flavor = "multi_thread")]
async fn errors_are_full_pages_or_htmx_fragments() {
    let app = spawn_app().await;
    app.login_as_admin().await;

    let page = app.get("/nowhere").await;
    assert_eq!(page.status(), StatusCode::NOT_FOUND);
    let html = page.text().await.unwrap();
    assert!(html.contains("<!doctype html>") && html.contains("Not found"));

    let fragment = app.client.get(app.url("/nowhere")).header("HX-Request", "true").send().await.unwrap();
    assert_eq!(fragment.status(), StatusCode::NOT_FOUND);
    assert_eq!(fragment.headers().get("hx-retarget").unwrap(), "#messages");
    assert_eq!(fragment.headers().get("hx-reswap").unwrap(), "innerHTML");
    let html = fragment.text().await.unwrap();
    assert!(!html.contains("<!doctype html>") && html.contains("Not found"));
}

#[tokio::test(flavor = "multi_thread")]
async fn htmx_is_vendored_and_pinned_and_pages_need_no_inline_script() {
    let app = spawn_app().await;
    let js = app.get("/static/htmx-2.0.11.min.js").await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers().get("content-type").unwrap().to_str().unwrap().starts_with("text/javascript"));
    assert!(js.text().await.unwrap().contains("version:\"2.0.11\""));

    app.login_as_admin().await;
    for path in ["/", "/team", "/profile"] {
        let html = app.get_html(path).await;
        assert!(!html.contains("<script>") && !html.contains("style=\""), "{path} has inline script or style");
        assert!(html.contains("/static/htmx-2.0.11.min.js"));
    }
}
