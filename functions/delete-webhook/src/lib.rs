//! `DELETE /v2/webhooks/{id}`: removes a subscription (admins). Deliveries still queued for it
//! are dropped; its delivery log expires after 30 days.

use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use tickets_domain::store::WebhookStore;
use tickets_domain::webhook::manage::remove;
use tickets_http::{request, respond, Api, ApiError, Reply};

#[derive(Serialize)]
struct Deleted {
    #[serde(rename = "_id")]
    id: String,
    deleted: bool,
}

pub async fn handle<S: WebhookStore>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, delete_webhook(api, &req).await))
}

async fn delete_webhook<S: WebhookStore>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    caller.ensure_admin()?;
    let id = request::path_id(req, "id")?;
    remove(&api.store, &caller, &id).await?;
    Ok(Reply::ok(&Deleted { id, deleted: true }))
}
