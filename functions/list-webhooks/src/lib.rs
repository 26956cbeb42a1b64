//! `GET /v2/webhooks`: the desk's subscriptions (admins), oldest first, never their secrets.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::WebhookStore;
use tickets_domain::webhook::manage::list;
use tickets_http::{respond, Api, ApiError, Reply};

pub async fn handle<S: WebhookStore>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, list_webhooks(api, &req).await))
}

async fn list_webhooks<S: WebhookStore>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    Ok(Reply::ok(&list(&api.store, &caller).await?))
}
