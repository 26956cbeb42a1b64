//! Test support for the API functions: requests shaped exactly like API Gateway's HTTP API
//! events (payload 2.0, with the JWT authorizer's claims), built through the runtime's own parser.

use lambda_http::{Body, Request, Response};
use serde_json::{json, Map, Value};

/// Builds one API Gateway HTTP API request.
#[derive(Clone, Debug)]
pub struct TestRequest {
    method: &'static str,
    path: String,
    path_parameters: Map<String, Value>,
    query: Map<String, Value>,
    headers: Map<String, Value>,
    claims: Option<Map<String, Value>>,
    body: Option<String>,
    base64: bool,
}

impl TestRequest {
    pub fn new(method: &'static str, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            path_parameters: Map::new(),
            query: Map::new(),
            headers: Map::new(),
            claims: None,
            body: None,
            base64: false,
        }
    }

    /// As if API Gateway's JWT authorizer verified an ID token for `sub` with this role: a
    /// member of the role's group (`admins`, `agents`; a client is in none), the groups claim
    /// rendered as API Gateway renders an array claim.
    pub fn caller(mut self, sub: &str, role: &str) -> Self {
        let mut claims = Map::new();
        claims.insert("sub".into(), json!(sub));
        match role {
            "admin" => claims.insert("cognito:groups".into(), json!("[admins]")),
            "agent" => claims.insert("cognito:groups".into(), json!("[agents]")),
            "client" => None,
            other => claims.insert("cognito:groups".into(), json!(format!("[{other}]"))),
        };
        self.claims = Some(claims);
        self
    }

    pub fn ticket(mut self, id: &str) -> Self {
        self.path_parameters.insert("id".into(), json!(id));
        self
    }

    /// Any path parameter (`{id}` of a webhook, `{deliveryId}`).
    pub fn path(mut self, name: &str, value: &str) -> Self {
        self.path_parameters.insert(name.into(), json!(value));
        self
    }

    pub fn attachment(mut self, id: &str) -> Self {
        self.path_parameters
            .insert("attachmentId".into(), json!(id));
        self
    }

    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.query.insert(name.into(), json!(value));
        self
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.insert(name.to_ascii_lowercase(), json!(value));
        self
    }

    /// A JSON body, sent as `application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.header("content-type", "application/json")
            .raw_body(&body.to_string())
    }

    pub fn raw_body(mut self, body: &str) -> Self {
        self.body = Some(body.to_owned());
        self
    }

    /// Bytes that are not text, which API Gateway hands over base64-encoded.
    pub fn binary_body(mut self, body: &[u8]) -> Self {
        use base64::Engine;
        self.body = Some(base64::engine::general_purpose::STANDARD.encode(body));
        self.base64 = true;
        self
    }

    pub fn build(self) -> Request {
        let raw_query = self
            .query
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
            .join("&");
        let mut context = json!({
            "accountId": "123456789012",
            "apiId": "local",
            "domainName": "local",
            "domainPrefix": "local",
            "http": {
                "method": self.method,
                "path": self.path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": "tests"
            },
            "requestId": "test-request",
            "routeKey": "$default",
            "stage": "$default",
            "time": "24/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_i64
        });
        if let Some(claims) = self.claims {
            context["authorizer"] = json!({ "jwt": { "claims": claims, "scopes": null } });
        }
        let event = json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": raw_query,
            "headers": self.headers,
            "queryStringParameters": self.query,
            "pathParameters": self.path_parameters,
            "requestContext": context,
            "body": self.body,
            "isBase64Encoded": self.base64
        });
        lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway event")
    }
}

/// The status and the parsed JSON body of a response.
pub fn read(response: Response<Body>) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = match response.body() {
        Body::Text(text) => serde_json::from_str(text).expect("a JSON body"),
        Body::Binary(bytes) => serde_json::from_slice(bytes).expect("a JSON body"),
        _ => Value::Null,
    };
    (status, body)
}
