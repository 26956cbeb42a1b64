//! `PATCH /v2/webhooks/{id}`: changes a subscription (admins): its URL (resolved and judged
//! as at registration), events, description, `status` (`paused`, or `active` to resume, also
//! after it was disabled), and `rotateSecret` (the new secret is answered once; the old one
//! signs beside it for 24 hours). `If-Match: <version>` makes the change conditional.

use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use tickets_domain::store::{HostResolver, WebhookStore};
use tickets_domain::webhook::manage::change;
use tickets_domain::webhook::{Reach, Subscription, SubscriptionPatch};
use tickets_domain::Timestamp;
use tickets_http::{request, respond, Api, ApiError, Reply};

/// What the route works with: the table, the name resolver, and where deliveries may go.
pub struct Routes<S, R> {
    pub api: Api<S>,
    pub resolver: R,
    pub reach: Reach,
}

/// The subscription, with its new secret when this change rotated it.
#[derive(Serialize)]
struct Changed {
    #[serde(flatten)]
    subscription: Subscription,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret: Option<String>,
}

pub async fn handle<S: WebhookStore, R: HostResolver>(
    routes: &Routes<S, R>,
    req: Request,
) -> Result<Response<Body>, Error> {
    Ok(respond(&req, update(routes, &req).await))
}

async fn update<S: WebhookStore, R: HostResolver>(
    routes: &Routes<S, R>,
    req: &Request,
) -> Result<Reply, ApiError> {
    let caller = routes.api.auth.caller(req)?;
    caller.ensure_admin()?;
    let id = request::path_id(req, "id")?;
    let patch: SubscriptionPatch = request::json_body(req)?;
    let expected = request::if_match(req)?;
    let (subscription, secret) = change(
        &routes.api.store,
        &routes.resolver,
        &caller,
        &id,
        &patch,
        expected,
        routes.reach,
        Timestamp::now(),
    )
    .await?;
    let version = subscription.version;
    Ok(Reply::ok(&Changed {
        subscription,
        secret,
    })
    .with_etag(version))
}
