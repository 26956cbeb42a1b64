//! Who is calling.
//!
//! Deployed, API Gateway's JWT authorizer has verified the caller's ID token (signature, issuer,
//! audience, expiry) and hands its claims over in `requestContext.authorizer.jwt.claims`; the
//! functions read them there and nowhere else. Locally there is no authorizer, so the run
//! command gives the functions the local user pool's public keys (`LOCAL_JWKS`) and they verify
//! the bearer token themselves, as the authorizer would. An event that already carries
//! authorizer claims (an `events/*.json` fixture, shaped as API Gateway delivers it) is read as
//! deployed. The template never sets `LOCAL_JWKS` (tests/infra checks it).
//!
//! The role comes from the caller's groups (`cognito:groups`), which only an administrator of the
//! user pool can change: no user can grant themselves a role. No mapped group: a client.

use std::collections::HashMap;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use serde_json::Value;
use tickets_domain::{Caller, Role};
use tickets_lambda::{SettingError, Settings};

use crate::error::ApiError;

/// The claim that names the caller's groups, and which group grants which role.
const DEFAULT_ROLE_CLAIM: &str = "cognito:groups";
const DEFAULT_ROLE_GROUPS: &str = "admins:admin,agents:agent";

#[derive(Clone, Debug)]
pub struct Auth {
    roles: Roles,
    /// Local runs only: verifies bearer tokens where no authorizer did.
    local: Option<LocalVerifier>,
}

impl Default for Auth {
    /// The deployed setting: claims from API Gateway's JWT authorizer, roles from
    /// `cognito:groups` (`admins` → admin, `agents` → agent).
    fn default() -> Self {
        Self {
            roles: Roles::parse(DEFAULT_ROLE_CLAIM, DEFAULT_ROLE_GROUPS).expect("valid default"),
            local: None,
        }
    }
}

impl Auth {
    /// `ROLE_CLAIM` names the groups claim, `ROLE_GROUPS` maps groups to roles
    /// (`group:role,...`); `LOCAL_JWKS` (with `JWT_ISSUER` and `JWT_AUDIENCE`) turns on local
    /// verification.
    pub fn from_settings(settings: &Settings) -> Result<Self, SettingError> {
        let claim = settings.get("ROLE_CLAIM").unwrap_or(DEFAULT_ROLE_CLAIM);
        let groups = settings.get("ROLE_GROUPS").unwrap_or(DEFAULT_ROLE_GROUPS);
        let roles = Roles::parse(claim, groups)
            .map_err(|problem| SettingError::new("ROLE_GROUPS", problem))?;
        let local = match settings.get("LOCAL_JWKS") {
            None => None,
            Some(jwks) => {
                tracing::warn!("LOCAL_JWKS is set: bearer tokens are verified in the function");
                Some(LocalVerifier::new(
                    jwks,
                    settings.required("JWT_ISSUER")?,
                    settings.required("JWT_AUDIENCE")?,
                )?)
            }
        };
        Ok(Self { roles, local })
    }

    pub fn caller(&self, req: &Request) -> Result<Caller, ApiError> {
        let claims = match (authorizer_claims(req), &self.local) {
            (Some(claims), _) => claims,
            (None, Some(verifier)) => verifier.verify(req)?,
            (None, None) => return Err(ApiError::unauthorized("Authentication is required")),
        };
        let id = claims
            .get("sub")
            .filter(|sub| !sub.trim().is_empty())
            .ok_or_else(|| ApiError::unauthorized("The token names no subject"))?;
        let caller = Caller::new(id.clone(), self.roles.of(&claims));
        Ok(match verified_email(&claims) {
            Some(address) => caller.with_verified_email(address),
            None => caller,
        })
    }
}

/// The token's address, when the identity provider says it verified it: `email_verified` is
/// the boolean `true` in a token, which API Gateway's authorizer (and moto's pool, always)
/// hands over as the text `"true"`.
fn verified_email(claims: &HashMap<String, String>) -> Option<&str> {
    let verified = claims
        .get("email_verified")
        .is_some_and(|value| value.trim().eq_ignore_ascii_case("true"));
    claims.get("email").map(String::as_str).filter(|_| verified)
}

/// Which group grants which role.
#[derive(Clone, Debug)]
struct Roles {
    claim: String,
    groups: Vec<(String, Role)>,
}

impl Roles {
    fn parse(claim: &str, groups: &str) -> Result<Self, String> {
        let groups = groups
            .split(',')
            .map(str::trim)
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let (group, role) = pair
                    .split_once(':')
                    .ok_or_else(|| format!("`{pair}` is not `group:role`"))?;
                let role = role
                    .trim()
                    .parse()
                    .map_err(|_| format!("`{role}` is not a role (admin, agent, client)"))?;
                Ok((group.trim().to_owned(), role))
            })
            .collect::<Result<_, String>>()?;
        Ok(Self {
            claim: claim.to_owned(),
            groups,
        })
    }

    /// The highest role any of the caller's groups grants; a client without one.
    fn of(&self, claims: &HashMap<String, String>) -> Role {
        let member_of = claims
            .get(&self.claim)
            .map(|value| group_names(value))
            .unwrap_or_default();
        let granted = |role: Role| {
            self.groups
                .iter()
                .any(|(group, grants)| *grants == role && member_of.contains(&group.as_str()))
        };
        if granted(Role::Admin) {
            Role::Admin
        } else if granted(Role::Agent) {
            Role::Agent
        } else {
            Role::Client
        }
    }
}

/// The group names of a groups claim as API Gateway hands it over: an array claim becomes
/// `[admins agents]`; a plain string may list names separated by commas or spaces.
fn group_names(value: &str) -> Vec<&str> {
    let inner = value
        .strip_prefix('[')
        .and_then(|rest| rest.strip_suffix(']'))
        .unwrap_or(value);
    inner
        .split([' ', ','])
        .map(str::trim)
        .filter(|name| !name.is_empty())
        .collect()
}

fn authorizer_claims(req: &Request) -> Option<HashMap<String, String>> {
    match req.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .authorizer
            .as_ref()
            .and_then(|authorizer| authorizer.jwt.as_ref())
            .map(|jwt| jwt.claims.clone()),
        _ => None,
    }
}

/// What API Gateway's JWT authorizer checks, done in the function for local runs: an RS256
/// signature by one of the pool's keys, the issuer, the audience (the app client) and the
/// expiry.
#[derive(Clone)]
struct LocalVerifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

impl std::fmt::Debug for LocalVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalVerifier")
            .field("keys", &self.keys.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl LocalVerifier {
    fn new(jwks: &str, issuer: &str, audience: &str) -> Result<Self, SettingError> {
        let invalid = |problem: String| SettingError::new("LOCAL_JWKS", problem);
        let set: JwkSet =
            serde_json::from_str(jwks).map_err(|err| invalid(format!("is not a JWKS: {err}")))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let kid = jwk.common.key_id.clone().unwrap_or_default();
            let key = DecodingKey::from_jwk(jwk)
                .map_err(|err| invalid(format!("key `{kid}` is not usable: {err}")))?;
            keys.insert(kid, key);
        }
        if keys.is_empty() {
            return Err(invalid("holds no key".into()));
        }
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 0;
        Ok(Self { keys, validation })
    }

    /// The claims of a valid bearer token, as API Gateway would hand them over (strings; arrays
    /// as `[a b]`).
    fn verify(&self, req: &Request) -> Result<HashMap<String, String>, ApiError> {
        let header = req
            .headers()
            .get("authorization")
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| ApiError::unauthorized("Authentication is required"))?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .ok_or_else(|| ApiError::unauthorized("The bearer token is malformed"))?;
        let refused = || ApiError::unauthorized("The bearer token is not valid");
        let kid = jsonwebtoken::decode_header(token)
            .map_err(|_| refused())?
            .kid
            .unwrap_or_default();
        let key = self.keys.get(&kid).ok_or_else(refused)?;
        let data = jsonwebtoken::decode::<HashMap<String, Value>>(token, key, &self.validation)
            .map_err(|err| match err.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                    ApiError::unauthorized("The bearer token has expired")
                }
                _ => refused(),
            })?;
        Ok(data
            .claims
            .into_iter()
            .map(|(name, value)| (name, claim_text(value)))
            .collect())
    }
}

/// A claim as API Gateway's authorizer hands it over: strings as they are, arrays as
/// `[a b]`, anything else as JSON text.
fn claim_text(value: Value) -> String {
    match value {
        Value::String(text) => text,
        Value::Array(items) => {
            let items: Vec<String> = items.into_iter().map(claim_text).collect();
            format!("[{}]", items.join(" "))
        }
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_role_is_the_highest_a_group_grants_and_a_client_without_one() {
        let roles = Auth::default().roles;
        let of = |groups: &str| roles.of(&claims(&[("cognito:groups", groups)]));
        assert_eq!(of("[admins]"), Role::Admin);
        assert_eq!(of("[agents admins]"), Role::Admin);
        assert_eq!(of("[agents]"), Role::Agent);
        assert_eq!(of("agents"), Role::Agent);
        assert_eq!(of("[customers]"), Role::Client);
        assert_eq!(of("[]"), Role::Client);
        assert_eq!(roles.of(&claims(&[])), Role::Client);
        // A self-written attribute grants nothing.
        assert_eq!(roles.of(&claims(&[("custom:role", "admin")])), Role::Client);
    }

    #[test]
    fn the_mapping_is_configurable_and_checked() {
        let roles = Roles::parse("groups", "support-leads:admin, support:agent").unwrap();
        assert_eq!(roles.of(&claims(&[("groups", "[support]")])), Role::Agent);
        assert!(Roles::parse("groups", "support:boss").is_err());
        assert!(Roles::parse("groups", "support").is_err());
    }

    #[test]
    fn local_verification_needs_usable_keys_an_issuer_and_an_audience() {
        let settings = |pairs: &[(&str, &str)]| Settings::from_pairs(pairs.iter().copied());
        let with = |jwks| {
            [
                ("LOCAL_JWKS", jwks),
                ("JWT_ISSUER", "i"),
                ("JWT_AUDIENCE", "a"),
            ]
        };
        for bad in ["{}", r#"{"keys": []}"#, "not json"] {
            let err = Auth::from_settings(&settings(&with(bad))).unwrap_err();
            assert_eq!(err.name(), "LOCAL_JWKS", "{bad}");
        }
        let jwks =
            r#"{"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "n": "AQAB", "e": "AQAB"}]}"#;
        let err = Auth::from_settings(&settings(&[("LOCAL_JWKS", jwks)])).unwrap_err();
        assert_eq!(err.name(), "JWT_ISSUER");
        let err = Auth::from_settings(&settings(&[("LOCAL_JWKS", jwks), ("JWT_ISSUER", "i")]))
            .unwrap_err();
        assert_eq!(err.name(), "JWT_AUDIENCE");
        let auth = Auth::from_settings(&settings(&[
            ("LOCAL_JWKS", jwks),
            ("JWT_ISSUER", "i"),
            ("JWT_AUDIENCE", "a"),
        ]))
        .unwrap();
        assert!(auth.local.is_some());
        assert!(Auth::from_settings(&settings(&[])).unwrap().local.is_none());
        let err = Auth::from_settings(&settings(&[("ROLE_GROUPS", "x:y")])).unwrap_err();
        assert_eq!(err.name(), "ROLE_GROUPS");
    }

    #[test]
    fn an_address_counts_only_when_the_token_says_it_is_verified() {
        let of = |pairs: &[(&str, &str)]| {
            let claims = claims(pairs);
            verified_email(&claims).map(|address| {
                Caller::new("u", Role::Client)
                    .with_verified_email(address)
                    .email()
                    .map(str::to_owned)
            })
        };
        assert_eq!(
            of(&[("email", " Alice@Example.COM "), ("email_verified", "true")]),
            Some(Some("alice@example.com".into()))
        );
        assert_eq!(
            of(&[("email", "a@b.example"), ("email_verified", "True")]),
            Some(Some("a@b.example".into()))
        );
        assert_eq!(
            of(&[("email", "a@b.example"), ("email_verified", "false")]),
            None
        );
        assert_eq!(of(&[("email", "a@b.example")]), None);
        assert_eq!(
            of(&[("email", "not an address"), ("email_verified", "true")]),
            Some(None)
        );
    }

    #[test]
    fn array_claims_read_as_api_gateway_renders_them() {
        let value = serde_json::json!(["agents", "admins"]);
        assert_eq!(claim_text(value), "[agents admins]");
        assert_eq!(group_names("[agents admins]"), ["agents", "admins"]);
        assert_eq!(group_names("agents,admins"), ["agents", "admins"]);
    }
}
