//! The response envelope: `{"success": true, "data": ...}` or the error shape, always JSON.

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use tickets_domain::FieldError;
use tickets_lambda::metrics::{self, Metric};

use crate::error::ApiError;

/// The success envelope, members in the documented order.
#[derive(Serialize)]
struct Envelope<'a, T, E> {
    success: bool,
    data: &'a T,
    #[serde(flatten)]
    extra: &'a E,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ErrorEnvelope<'a> {
    success: bool,
    error: &'a str,
    code: &'a str,
    details: &'a [FieldError],
    request_id: String,
}

/// The body of an answer that names a URL.
#[derive(Serialize)]
struct Target<'a> {
    url: &'a str,
}

/// A successful answer, before it becomes a response.
#[derive(Debug)]
pub struct Reply {
    status: StatusCode,
    body: String,
    etag: Option<u64>,
    location: Option<String>,
}

impl Reply {
    /// `{"success": true, "data": data}` plus the members of `extra` (pagination, counts).
    pub fn new<T: Serialize, E: Serialize>(status: StatusCode, data: &T, extra: &E) -> Self {
        let envelope = Envelope {
            success: true,
            data,
            extra,
        };
        Self {
            status,
            // Serialising plain data cannot fail; an empty body would show it if it did.
            body: serde_json::to_string(&envelope).unwrap_or_default(),
            etag: None,
            location: None,
        }
    }

    pub fn ok<T: Serialize>(data: &T) -> Self {
        Self::new(StatusCode::OK, data, &())
    }

    pub fn created<T: Serialize>(data: &T) -> Self {
        Self::new(StatusCode::CREATED, data, &())
    }

    /// One page of a list paged by cursor only:
    /// `{"data": [...], "pagination": {"limit", "nextCursor"}}`.
    pub fn cursor_page<T: Serialize>(items: &[T], limit: u32, next_cursor: Option<String>) -> Self {
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Pagination {
            limit: u32,
            next_cursor: Option<String>,
        }
        #[derive(Serialize)]
        struct Members {
            pagination: Pagination,
        }
        let members = Members {
            pagination: Pagination { limit, next_cursor },
        };
        Self::new(StatusCode::OK, &items, &members)
    }

    /// A body produced earlier (an idempotent replay), sent again unchanged.
    pub fn raw(status: StatusCode, body: String) -> Self {
        Self {
            status,
            body,
            etag: None,
            location: None,
        }
    }

    /// `302 Found` to a short-lived URL, never cached; the body names the URL too, for clients
    /// that do not follow redirects.
    pub fn redirect(url: String) -> Self {
        let mut reply = Self::new(StatusCode::FOUND, &Target { url: &url }, &());
        reply.location = Some(url);
        reply
    }

    /// `200` naming a URL without sending the caller there: `{"url": ...}`, no `Location`.
    pub fn link(url: &str) -> Self {
        Self::ok(&Target { url })
    }

    /// Sends the ticket's version as its `ETag`, for `If-Match`.
    pub fn with_etag(mut self, version: u64) -> Self {
        self.etag = Some(version);
        self
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn body(&self) -> &str {
        &self.body
    }
}

/// Turns a handler's outcome into the HTTP response. Errors carry the request id and nothing
/// internal; the details of server-side failures went to the log where they happened.
pub fn respond(req: &Request, outcome: Result<Reply, ApiError>) -> Response<Body> {
    let (status, body, etag, retry_after, location) = match outcome {
        Ok(reply) => (reply.status, reply.body, reply.etag, None, reply.location),
        Err(err) => {
            let body = ErrorEnvelope {
                success: false,
                error: &err.message,
                code: err.code,
                details: &err.details,
                request_id: request_id(req),
            };
            let body = serde_json::to_string(&body).unwrap_or_default();
            if err.status.is_server_error() {
                metrics::count(Metric::Failures, 1);
            }
            (err.status, body, None, err.retry_after, None)
        }
    };
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(version) = etag {
        if let Ok(value) = HeaderValue::from_str(&format!("\"{version}\"")) {
            headers.insert(header::ETAG, value);
        }
    }
    if let Some(url) = location.and_then(|url| HeaderValue::from_str(&url).ok()) {
        headers.insert(header::LOCATION, url);
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if let Some(seconds) = retry_after {
        headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// The invocation's request id (the one the logs carry), or API Gateway's when run without one.
pub fn request_id(req: &Request) -> String {
    if let Some(context) = req.lambda_context_ref() {
        return context.request_id.clone();
    }
    match req.request_context_ref() {
        Some(lambda_http::request::RequestContext::ApiGatewayV2(context)) => {
            context.request_id.clone().unwrap_or_default()
        }
        _ => String::new(),
    }
}
