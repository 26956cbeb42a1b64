//! Reading requests: the JSON body, path ids, query parameters and the headers the API honours.

use std::collections::BTreeMap;

use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use tickets_domain::{is_valid_id, FieldError};

use crate::error::ApiError;

/// Bodies larger than this are refused with 413 before they are parsed.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Parses a JSON body into `T`: 415 unless it is sent as JSON, 413 when too large, 400 when it
/// is not UTF-8, not JSON, or not the expected shape (wrong types, unknown fields).
pub fn json_body<T: DeserializeOwned>(req: &Request) -> Result<T, ApiError> {
    let content_type = header(req, "content-type").unwrap_or_default();
    if !is_json(content_type) {
        return Err(ApiError::unsupported_media_type());
    }
    let bytes: &[u8] = match req.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::payload_too_large(MAX_BODY_BYTES));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::invalid_body("A JSON body is required"));
    }
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::invalid_body("The request body is not valid UTF-8"))?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(body_error)?;
    deserializer
        .end()
        .map_err(|_| ApiError::invalid_body("The request body is not valid JSON"))?;
    Ok(value)
}

fn body_error(err: serde_path_to_error::Error<serde_json::Error>) -> ApiError {
    let path = err.path().to_string();
    let inner = err.into_inner();
    if !inner.is_data() {
        return ApiError::invalid_body("The request body is not valid JSON");
    }
    let field = if path == "." {
        "body".to_string()
    } else {
        path
    };
    ApiError::invalid_body("The request body does not have the expected fields and types")
        .with_details(vec![FieldError::new(
            field,
            strip_position(&inner.to_string()),
        )])
}

/// serde_json appends "at line L column C"; the field path already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

fn is_json(content_type: &str) -> bool {
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    media_type == "application/json"
        || (media_type.starts_with("application/") && media_type.ends_with("+json"))
}

pub fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
}

/// The ticket id of the path. An id this service could not have issued names no ticket: 404.
pub fn ticket_id(req: &Request) -> Result<String, ApiError> {
    req.path_parameters_ref()
        .and_then(|params| params.first("id"))
        .filter(|id| is_valid_id(id))
        .map(str::to_owned)
        .ok_or_else(ApiError::not_found)
}

/// `If-Match: <version>` (quoted or not, weak or not), when present.
pub fn if_match(req: &Request) -> Result<Option<u64>, ApiError> {
    let Some(value) = header(req, "if-match") else {
        return Ok(None);
    };
    let version = value.trim().trim_start_matches("W/").trim_matches('"');
    version.parse().map(Some).map_err(|_| {
        ApiError::invalid_header("If-Match", "must be the ticket's version, e.g. \"3\"")
    })
}

/// The query parameters, each at most once and each one of `allowed`; anything else is 400.
pub fn query(req: &Request, allowed: &[&str]) -> Result<BTreeMap<String, String>, ApiError> {
    let mut params = BTreeMap::new();
    let mut problems = Vec::new();
    if let Some(map) = req.query_string_parameters_ref() {
        for (name, value) in map.iter() {
            if !allowed.contains(&name) {
                problems.push(FieldError::new(name, "is not a known parameter"));
            } else if params.insert(name.to_string(), value.to_string()).is_some() {
                problems.push(FieldError::new(name, "may be given only once"));
            }
        }
    }
    if problems.is_empty() {
        Ok(params)
    } else {
        Err(ApiError::invalid_query(problems))
    }
}
