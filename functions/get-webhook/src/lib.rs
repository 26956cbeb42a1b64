//! `GET /v2/webhooks/{id}`: one subscription (admins), its version as the `ETag`; never its
//! secret.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::WebhookStore;
use tickets_domain::webhook::manage::show;
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S: WebhookStore>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, get_webhook(api, &req).await))
}

async fn get_webhook<S: WebhookStore>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    caller.ensure_admin()?;
    let id = request::path_id(req, "id")?;
    let subscription = show(&api.store, &caller, &id).await?;
    let version = subscription.version;
    Ok(Reply::ok(&subscription).with_etag(version))
}
