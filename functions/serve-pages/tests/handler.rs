//! `serve-pages` in-process: each page and file with its type, an `ETag` that turns a repeat
//! into a `304`, the same bytes gzipped, the reference pointing at the API that serves it, a
//! policy that lets the pages reach only this API and the user pool, and a 404 for the rest.

use std::io::Read;

use lambda_http::{Body, Response};
use serve_pages::{handle, Pages};
use tickets_http::testing::TestRequest;

fn pages() -> Pages {
    Pages::new("http://127.0.0.1:5005/", Some("local-client-id"))
}

async fn get(pages: &Pages, path: &str, headers: &[(&str, &str)]) -> Response<Body> {
    let mut req = TestRequest::new("GET", path);
    for (name, value) in headers {
        req = req.header(name, value);
    }
    handle(pages, req.build()).await.unwrap()
}

fn bytes(response: &Response<Body>) -> Vec<u8> {
    match response.body() {
        Body::Binary(bytes) => bytes.clone(),
        Body::Text(text) => text.clone().into_bytes(),
        Body::Empty => vec![],
        _ => panic!("an unexpected body"),
    }
}

fn header<'a>(response: &'a Response<Body>, name: &str) -> &'a str {
    response.headers()[name].to_str().unwrap()
}

#[tokio::test]
async fn the_pages_and_their_files_come_with_their_types() {
    let pages = pages();
    for (path, content_type, holds) in [
        ("/docs", "text/html; charset=utf-8", "swagger-ui-bundle.js"),
        ("/dashboard", "text/html; charset=utf-8", "chart.umd.min.js"),
        (
            "/pages/docs.js",
            "text/javascript; charset=utf-8",
            "SwaggerUIBundle",
        ),
        (
            "/pages/dashboard.js",
            "text/javascript; charset=utf-8",
            "InitiateAuth",
        ),
        (
            "/pages/swagger-ui-bundle.js",
            "text/javascript; charset=utf-8",
            "SwaggerUIBundle",
        ),
        (
            "/pages/chart.umd.min.js",
            "text/javascript; charset=utf-8",
            "Chart",
        ),
        (
            "/pages/swagger-ui.css",
            "text/css; charset=utf-8",
            ".swagger-ui",
        ),
        (
            "/pages/openapi.yaml",
            "application/yaml; charset=utf-8",
            "/v2/reports",
        ),
    ] {
        let response = get(&pages, path, &[]).await;
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(header(&response, "content-type"), content_type, "{path}");
        let body = String::from_utf8(bytes(&response)).unwrap();
        assert!(body.contains(holds), "{path} holds {holds}");
        let policy = header(&response, "content-security-policy");
        assert!(policy.contains("script-src 'self';"), "{policy}");
        assert!(
            policy.contains("connect-src 'self' http://127.0.0.1:5005;"),
            "{policy}"
        );
        assert!(policy.contains("frame-ancestors 'none'"));
        assert_eq!(header(&response, "x-content-type-options"), "nosniff");
    }
    let vendored = get(&pages, "/pages/chart.umd.min.js", &[]).await;
    assert_eq!(header(&vendored, "cache-control"), "public, max-age=86400");
    let ours = get(&pages, "/dashboard", &[]).await;
    assert_eq!(header(&ours, "cache-control"), "no-cache");
}

#[tokio::test]
async fn the_reference_points_at_the_api_that_serves_it_and_the_rest_is_unchanged() {
    let response = get(&pages(), "/pages/openapi.yaml", &[]).await;
    let served = String::from_utf8(bytes(&response)).unwrap();
    let original = include_str!("../../../docs/openapi.yaml");
    assert!(served.contains("\nservers:\n  - url: /\n"));
    assert!(
        !served.contains("127.0.0.1:9000"),
        "the local server is gone"
    );
    let paths = |text: &str| text[text.find("\npaths:").unwrap()..].to_string();
    assert_eq!(paths(&served), paths(original));
}

#[tokio::test]
async fn the_dashboard_learns_where_to_sign_in() {
    let response = get(&pages(), "/pages/config.json", &[]).await;
    let config: serde_json::Value = serde_json::from_slice(&bytes(&response)).unwrap();
    assert_eq!(config["cognitoEndpoint"], "http://127.0.0.1:5005/");
    assert_eq!(config["clientId"], "local-client-id");
    let without = Pages::new("https://cognito-idp.eu-west-1.amazonaws.com/", None);
    let response = get(&without, "/pages/config.json", &[]).await;
    let config: serde_json::Value = serde_json::from_slice(&bytes(&response)).unwrap();
    assert!(config["clientId"].is_null(), "only pasted tokens then");
    let response = get(&without, "/docs", &[]).await;
    assert!(header(&response, "content-security-policy")
        .contains("connect-src 'self' https://cognito-idp.eu-west-1.amazonaws.com;"));
}

#[tokio::test]
async fn a_repeat_is_a_304_and_gzip_holds_the_same_bytes() {
    let pages = pages();
    let plain = get(&pages, "/pages/swagger-ui-bundle.js", &[]).await;
    let etag = header(&plain, "etag").to_string();
    let again = get(
        &pages,
        "/pages/swagger-ui-bundle.js",
        &[("If-None-Match", &etag)],
    )
    .await;
    assert_eq!(again.status(), 304);
    assert!(bytes(&again).is_empty());

    let zipped = get(
        &pages,
        "/pages/swagger-ui-bundle.js",
        &[("Accept-Encoding", "br, gzip")],
    )
    .await;
    assert_eq!(header(&zipped, "content-encoding"), "gzip");
    assert_eq!(header(&zipped, "etag"), etag);
    let compressed = bytes(&zipped);
    assert!(
        compressed.len() * 3 < bytes(&plain).len(),
        "{} bytes",
        compressed.len()
    );
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(compressed.as_slice())
        .read_to_end(&mut unzipped)
        .unwrap();
    assert_eq!(unzipped, bytes(&plain));
    let refused = get(
        &pages,
        "/pages/swagger-ui-bundle.js",
        &[("Accept-Encoding", "gzip;q=0")],
    )
    .await;
    assert!(refused.headers().get("content-encoding").is_none());
}

#[tokio::test]
async fn anything_else_is_a_404_in_the_envelope() {
    let pages = pages();
    for path in [
        "/pages/",
        "/pages/../Cargo.toml",
        "/pages/vendor/chart.js/LICENSE.md",
        "/pages/nope.js",
        "/docsx",
    ] {
        let response = get(&pages, path, &[]).await;
        assert_eq!(response.status(), 404, "{path}");
        let body: serde_json::Value = serde_json::from_slice(&bytes(&response)).unwrap();
        assert_eq!(body["success"], false);
    }
}
