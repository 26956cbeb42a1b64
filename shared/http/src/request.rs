//! Reading requests: the JSON body, path ids, query parameters and the headers the API honours.

use std::collections::BTreeMap;
use std::fmt::Display;
use std::ops::RangeInclusive;

use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use tickets_domain::idempotency::IdempotencyKey;
use tickets_domain::{is_valid_id, Caller, FieldError};

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

/// The id in the path parameter `name`. An id this service could not have issued names
/// nothing: 404.
pub fn path_id(req: &Request, name: &str) -> Result<String, ApiError> {
    req.path_parameters_ref()
        .and_then(|params| params.first(name))
        .filter(|id| is_valid_id(id))
        .map(str::to_owned)
        .ok_or_else(ApiError::not_found)
}

/// The ticket id of the path (`{id}`).
pub fn ticket_id(req: &Request) -> Result<String, ApiError> {
    path_id(req, "id")
}

/// The attachment id of the path (`{attachmentId}`).
pub fn attachment_id(req: &Request) -> Result<String, ApiError> {
    path_id(req, "attachmentId")
}

/// `If-Match: <version>` (quoted or not, weak or not), when present.
pub fn if_match(req: &Request) -> Result<Option<u64>, ApiError> {
    let Some(value) = header(req, "if-match") else {
        return Ok(None);
    };
    // `*` matches any current version (RFC 9110): no precondition beyond existence.
    if value.trim() == "*" {
        return Ok(None);
    }
    let version = value.trim().trim_start_matches("W/").trim_matches('"');
    version.parse().map(Some).map_err(|_| {
        ApiError::invalid_header("If-Match", "must be the ticket's version, e.g. \"3\"")
    })
}

/// The longest `Idempotency-Key` kept.
const IDEMPOTENCY_KEY_MAX: usize = 255;

/// `Idempotency-Key`, when present, as the key of `caller`'s request: 1 to 255 visible ASCII
/// characters (400 otherwise).
pub fn idempotency_key(req: &Request, caller: &Caller) -> Result<Option<IdempotencyKey>, ApiError> {
    let Some(key) = header(req, "idempotency-key") else {
        return Ok(None);
    };
    let valid = !key.is_empty()
        && key.len() <= IDEMPOTENCY_KEY_MAX
        && key.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(Some(IdempotencyKey::of_caller(caller, key)))
    } else {
        Err(ApiError::invalid_header(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ))
    }
}

/// The query string, read strictly: each parameter at most once and one of those the route
/// knows. Values are then read one by one, collecting every problem, so that one 400 answer
/// reports them all.
pub struct QueryParams {
    params: BTreeMap<String, String>,
    problems: Vec<FieldError>,
}

impl QueryParams {
    pub fn read(req: &Request, allowed: &[&str]) -> Result<Self, ApiError> {
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
            Ok(Self { params, problems })
        } else {
            Err(ApiError::invalid_query(problems))
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    pub fn fail(&mut self, name: &str, message: impl Into<String>) {
        self.problems.push(FieldError::new(name, message));
    }

    /// A whole number in `range`, or `default` when absent.
    pub fn number(&mut self, name: &str, range: RangeInclusive<u32>, default: u32) -> u32 {
        match self.get(name).map(str::parse::<u32>) {
            None => default,
            Some(Ok(n)) if range.contains(&n) => n,
            Some(_) => {
                let message = format!(
                    "must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                );
                self.fail(name, message);
                default
            }
        }
    }

    /// One of `all`, matched on its text form.
    pub fn one_of<T: Copy + Display>(&mut self, name: &str, all: &[T]) -> Option<T> {
        let value = self.get(name)?;
        let found = all.iter().find(|v| v.to_string() == value).copied();
        if found.is_none() {
            let allowed: Vec<String> = all.iter().map(ToString::to_string).collect();
            self.fail(name, format!("must be one of: {}", allowed.join(", ")));
        }
        found
    }

    /// Trimmed text of 1..=max characters.
    pub fn text(&mut self, name: &str, max: usize) -> Option<String> {
        let value = self.get(name)?.trim().to_owned();
        if (1..=max).contains(&value.chars().count()) {
            Some(value)
        } else {
            self.fail(name, format!("must be 1 to {max} characters"));
            None
        }
    }

    /// `Err` with every problem found, if any.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid_query(self.problems))
        }
    }
}
