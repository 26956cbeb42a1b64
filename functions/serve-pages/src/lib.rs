//! The pages people look at, served on the API's own origin without a token: `GET /docs` (the
//! interactive API reference over `docs/openapi.yaml`) and `GET /dashboard` (a lead's reports),
//! and their files under `GET /pages/{file}`. Every file is built into the binary (the
//! third-party ones are vendored, see `pages/vendor/README.md`): nothing is fetched from
//! anywhere at run time, and the pages talk to this API and the user pool only, as their
//! Content-Security-Policy says.
//!
//! Each answer carries an `ETag` (a `304` for a matching `If-None-Match`), and is gzipped once
//! per container for callers that accept it.

use std::sync::OnceLock;

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Error, Request, Response};
use sha2::{Digest, Sha256};
use tickets_http::{respond, ApiError};
use tickets_lambda::Settings;

/// How long a browser may keep a file without asking again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Freshness {
    /// Ours: asked again every time (an `ETag` makes that a `304`).
    Revalidate,
    /// Vendored at a pinned version: a day.
    Day,
}

struct Asset {
    name: &'static str,
    content_type: &'static str,
    freshness: Freshness,
    body: &'static [u8],
}

const fn asset(
    name: &'static str,
    content_type: &'static str,
    freshness: Freshness,
    body: &'static [u8],
) -> Asset {
    Asset {
        name,
        content_type,
        freshness,
        body,
    }
}

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

/// Every file, by the name it is served under (`/pages/<name>`, the two pages at their own
/// paths). `openapi.yaml` is the repository's reference, its servers replaced (`openapi`).
static ASSETS: [Asset; 9] = [
    asset(
        "docs.html",
        HTML,
        Freshness::Revalidate,
        include_bytes!("../pages/docs.html"),
    ),
    asset(
        "dashboard.html",
        HTML,
        Freshness::Revalidate,
        include_bytes!("../pages/dashboard.html"),
    ),
    asset(
        "docs.js",
        JS,
        Freshness::Revalidate,
        include_bytes!("../pages/docs.js"),
    ),
    asset(
        "dashboard.js",
        JS,
        Freshness::Revalidate,
        include_bytes!("../pages/dashboard.js"),
    ),
    asset(
        "pages.css",
        CSS,
        Freshness::Revalidate,
        include_bytes!("../pages/pages.css"),
    ),
    asset(
        "dashboard.css",
        CSS,
        Freshness::Revalidate,
        include_bytes!("../pages/dashboard.css"),
    ),
    asset(
        "swagger-ui-bundle.js",
        JS,
        Freshness::Day,
        include_bytes!("../pages/vendor/swagger-ui-dist/swagger-ui-bundle.js"),
    ),
    asset(
        "swagger-ui.css",
        CSS,
        Freshness::Day,
        include_bytes!("../pages/vendor/swagger-ui-dist/swagger-ui.css"),
    ),
    asset(
        "chart.umd.min.js",
        JS,
        Freshness::Day,
        include_bytes!("../pages/vendor/chart.js/chart.umd.min.js"),
    ),
];

const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");

/// A file ready to send: its bytes, their gzip, and the `ETag` of both.
struct Prepared {
    body: Vec<u8>,
    gzipped: Vec<u8>,
    etag: String,
}

impl Prepared {
    fn of(body: Vec<u8>) -> Self {
        let digest = Sha256::digest(&body);
        let etag = format!(
            "\"{}\"",
            digest
                .iter()
                .take(12)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        // Writing to a Vec cannot fail.
        let _ = std::io::Write::write_all(&mut encoder, &body);
        let gzipped = encoder.finish().unwrap_or_default();
        Prepared {
            body,
            gzipped,
            etag,
        }
    }
}

/// What the pages need to know about this deployment, and the files prepared once.
pub struct Pages {
    /// `config.json`: where the dashboard signs in.
    config: String,
    /// Where the pages may connect besides this API (the user pool's endpoint).
    connect: String,
    prepared: [OnceLock<Prepared>; 9],
    openapi: OnceLock<Prepared>,
    config_prepared: OnceLock<Prepared>,
}

impl Pages {
    /// `PAGES_COGNITO_ENDPOINT` (the user pool's API; in AWS, the region's, from `AWS_REGION`)
    /// and `PAGES_CLIENT_ID` (the app client the dashboard signs in with; `JWT_AUDIENCE` when
    /// unset; none: the dashboard only takes pasted tokens).
    pub fn from_settings(settings: &Settings) -> Self {
        let region = settings.get("AWS_REGION").unwrap_or("us-east-1");
        let endpoint = settings
            .get("PAGES_COGNITO_ENDPOINT")
            .map(str::to_owned)
            .unwrap_or_else(|| format!("https://cognito-idp.{region}.amazonaws.com/"));
        let client_id = settings
            .get("PAGES_CLIENT_ID")
            .or_else(|| settings.get("JWT_AUDIENCE"));
        Self::new(&endpoint, client_id)
    }

    pub fn new(cognito_endpoint: &str, client_id: Option<&str>) -> Self {
        let config =
            serde_json::json!({"cognitoEndpoint": cognito_endpoint, "clientId": client_id});
        // The endpoint's origin: a CSP source has no path.
        let origin = cognito_endpoint
            .split_once("://")
            .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or(rest)))
            .unwrap_or_default();
        Self {
            config: config.to_string(),
            connect: origin,
            prepared: Default::default(),
            openapi: OnceLock::new(),
            config_prepared: OnceLock::new(),
        }
    }

    fn policy(&self) -> String {
        format!(
            "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
             img-src 'self' data:; font-src 'self' data:; connect-src 'self' {}; \
             base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
            self.connect
        )
    }

    /// The file served at `path`: its prepared bytes, type and freshness.
    fn find(&self, path: &str) -> Option<(&Prepared, &'static str, Freshness)> {
        let name = match path.trim_end_matches('/') {
            "/docs" => "docs.html",
            "/dashboard" => "dashboard.html",
            other => other.strip_prefix("/pages/")?,
        };
        match name {
            "openapi.yaml" => Some((
                self.openapi
                    .get_or_init(|| Prepared::of(openapi().into_bytes())),
                "application/yaml; charset=utf-8",
                Freshness::Revalidate,
            )),
            "config.json" => Some((
                self.config_prepared
                    .get_or_init(|| Prepared::of(self.config.clone().into_bytes())),
                "application/json",
                Freshness::Revalidate,
            )),
            _ => {
                let index = ASSETS.iter().position(|asset| asset.name == name)?;
                let asset = &ASSETS[index];
                let prepared =
                    self.prepared[index].get_or_init(|| Prepared::of(asset.body.to_vec()));
                Some((prepared, asset.content_type, asset.freshness))
            }
        }
    }
}

/// The reference as the page reads it: its one server is the origin that serves the page (a
/// relative URL), so that "try it" calls this API, wherever it is deployed.
fn openapi() -> String {
    let Some(start) = OPENAPI.find("\nservers:\n") else {
        return OPENAPI.to_string();
    };
    let rest = &OPENAPI[start + "\nservers:\n".len()..];
    // The block ends at the next line that is not indented.
    let end = rest
        .match_indices('\n')
        .map(|(at, _)| at + 1)
        .find(|at| {
            rest[*at..]
                .chars()
                .next()
                .is_some_and(|c| !c.is_whitespace())
        })
        .unwrap_or(rest.len());
    format!(
        "{}\nservers:\n  - url: /\n    description: The API that serves this page.\n{}",
        &OPENAPI[..start],
        &rest[end..]
    )
}

fn accepts_gzip(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            parts
                .next()
                .is_some_and(|name| name.eq_ignore_ascii_case("gzip"))
                && !parts.any(|p| p.replace(' ', "") == "q=0")
        })
}

pub async fn handle(pages: &Pages, req: Request) -> Result<Response<Body>, Error> {
    let Some((file, content_type, freshness)) = pages.find(req.uri().path()) else {
        return Ok(respond(&req, Err(ApiError::page_not_found())));
    };
    let unchanged = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == file.etag));
    let gzip = accepts_gzip(&req) && file.gzipped.len() < file.body.len();
    let mut response = if unchanged {
        let mut response = Response::new(Body::Empty);
        *response.status_mut() = StatusCode::NOT_MODIFIED;
        response
    } else if gzip {
        Response::new(Body::Binary(file.gzipped.clone()))
    } else {
        // Every file is UTF-8 text: sent as text, it is not base64-encoded on its way out.
        Response::new(Body::Text(String::from_utf8_lossy(&file.body).into_owned()))
    };
    let headers = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, content_type);
    set(header::ETAG, &file.etag);
    set(header::VARY, "Accept-Encoding");
    set(
        header::CACHE_CONTROL,
        match freshness {
            Freshness::Revalidate => "no-cache",
            Freshness::Day => "public, max-age=86400",
        },
    );
    if gzip && !unchanged {
        set(header::CONTENT_ENCODING, "gzip");
    }
    set(header::CONTENT_SECURITY_POLICY, &pages.policy());
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    Ok(response)
}
