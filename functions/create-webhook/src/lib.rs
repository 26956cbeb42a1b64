//! `POST /v2/webhooks`: registers a subscription (admins). The URL's host is resolved and
//! refused when it leads to this machine or a private network; the answer carries the signing
//! secret, shown this once.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::{HostResolver, WebhookStore};
use tickets_domain::webhook::manage::register;
use tickets_domain::webhook::{NewSubscription, Reach};
use tickets_domain::Timestamp;
use tickets_http::{request, respond, Api, ApiError, Reply};

/// What the route works with: the table, the name resolver, and where deliveries may go.
pub struct Routes<S, R> {
    pub api: Api<S>,
    pub resolver: R,
    pub reach: Reach,
}

pub async fn handle<S: WebhookStore, R: HostResolver>(
    routes: &Routes<S, R>,
    req: Request,
) -> Result<Response<Body>, Error> {
    Ok(respond(&req, create(routes, &req).await))
}

async fn create<S: WebhookStore, R: HostResolver>(
    routes: &Routes<S, R>,
    req: &Request,
) -> Result<Reply, ApiError> {
    let caller = routes.api.auth.caller(req)?;
    caller.ensure_admin()?;
    let body: NewSubscription = request::json_body(req)?;
    let registered = register(
        &routes.api.store,
        &routes.resolver,
        &caller,
        &body,
        routes.reach,
        Timestamp::now(),
    )
    .await?;
    let version = registered.subscription.version;
    Ok(Reply::created(&registered).with_etag(version))
}
