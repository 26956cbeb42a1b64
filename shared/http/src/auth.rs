//! Who is calling: the claims of a token API Gateway's JWT authorizer already verified, or,
//! only when `LOCAL_AUTH=unverified-jwt` is set (local runs, never in the template), the same
//! claims read from the bearer token without checking its signature.

use std::collections::HashMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::Value;
use tickets_domain::{Caller, Role};

use crate::error::ApiError;

/// The environment switch for local runs, and its one accepted value.
pub const LOCAL_AUTH_VAR: &str = "LOCAL_AUTH";
pub const LOCAL_AUTH_UNVERIFIED: &str = "unverified-jwt";
const DEFAULT_ROLE_CLAIM: &str = "custom:role";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthMode {
    /// Claims from `requestContext.authorizer.jwt.claims` (API Gateway verified the token).
    Authorizer,
    /// Claims from the unverified payload of `Authorization: Bearer <jwt>`. Local runs only.
    UnverifiedLocalJwt,
}

#[derive(Clone, Debug)]
pub struct Auth {
    mode: AuthMode,
    role_claim: String,
}

impl Default for Auth {
    /// The deployed setting: claims from API Gateway's JWT authorizer, role in `custom:role`.
    fn default() -> Self {
        Self::new(AuthMode::Authorizer, DEFAULT_ROLE_CLAIM)
    }
}

impl Auth {
    pub fn new(mode: AuthMode, role_claim: impl Into<String>) -> Self {
        Self {
            mode,
            role_claim: role_claim.into(),
        }
    }

    /// `LOCAL_AUTH=unverified-jwt` selects the local mode; `ROLE_CLAIM` names the role claim.
    pub fn from_settings(settings: &tickets_lambda::Settings) -> Self {
        let mode = match settings.get(LOCAL_AUTH_VAR) {
            Some(LOCAL_AUTH_UNVERIFIED) => {
                tracing::warn!("LOCAL_AUTH=unverified-jwt: token signatures are NOT checked");
                AuthMode::UnverifiedLocalJwt
            }
            _ => AuthMode::Authorizer,
        };
        let role_claim = settings.get("ROLE_CLAIM").unwrap_or(DEFAULT_ROLE_CLAIM);
        Self::new(mode, role_claim)
    }

    pub fn caller(&self, req: &Request) -> Result<Caller, ApiError> {
        let claims = match self.mode {
            AuthMode::Authorizer => authorizer_claims(req)?,
            AuthMode::UnverifiedLocalJwt => bearer_claims(req)?,
        };
        let id = claims
            .get("sub")
            .filter(|sub| !sub.trim().is_empty())
            .ok_or_else(|| ApiError::unauthorized("The token names no subject"))?;
        let role = match claims.get(&self.role_claim) {
            None => Role::Client,
            Some(role) => role
                .parse()
                .map_err(|_| ApiError::unauthorized("The token's role is not recognised"))?,
        };
        Ok(Caller::new(id.clone(), role))
    }
}

fn authorizer_claims(req: &Request) -> Result<HashMap<String, String>, ApiError> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .map(|jwt| jwt.claims.clone())
            .ok_or_else(|| ApiError::unauthorized("Authentication is required")),
        _ => Err(ApiError::unauthorized("Authentication is required")),
    }
}

/// Reads the claims of an unsigned local token; still refuses malformed and expired ones.
fn bearer_claims(req: &Request) -> Result<HashMap<String, String>, ApiError> {
    let malformed = || ApiError::unauthorized("The bearer token is malformed");
    let header = req
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| ApiError::unauthorized("Authentication is required"))?;
    let token = header
        .strip_prefix("Bearer ")
        .or_else(|| header.strip_prefix("bearer "))
        .ok_or_else(malformed)?;
    let mut parts = token.trim().split('.');
    let payload = match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(_), Some(payload), Some(_), None) => payload,
        _ => return Err(malformed()),
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .map_err(|_| malformed())?;
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(&bytes) else {
        return Err(malformed());
    };
    if let Some(exp) = object.get("exp") {
        let exp = exp.as_f64().ok_or_else(malformed)?;
        if exp <= chrono::Utc::now().timestamp() as f64 {
            return Err(ApiError::unauthorized("The bearer token has expired"));
        }
    }
    // API Gateway hands claims over as strings; do the same here.
    Ok(object
        .into_iter()
        .map(|(name, value)| {
            let text = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
            (name, text)
        })
        .collect())
}
