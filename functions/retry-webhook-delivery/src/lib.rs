//! `POST /v2/webhooks/{id}/deliveries/{deliveryId}/retry`: sends a logged delivery once more
//! (admins), with its `webhook-id`, through the webhook queue; `202` with the delivery as
//! it stood. One attempt, logged like the others; the subscription must be active.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::{DeliveryQueue, WebhookStore};
use tickets_domain::webhook::manage::retry;
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S: WebhookStore, Q: DeliveryQueue>(
    api: &Api<S, Q>,
    req: Request,
) -> Result<Response<Body>, Error> {
    Ok(respond(&req, retry_delivery(api, &req).await))
}

async fn retry_delivery<S: WebhookStore, Q: DeliveryQueue>(
    api: &Api<S, Q>,
    req: &Request,
) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    caller.ensure_admin()?;
    let id = request::path_id(req, "id")?;
    let delivery = request::path_id(req, "deliveryId")?;
    let record = retry(&api.store, &api.files, &caller, &id, &delivery).await?;
    Ok(Reply::new(StatusCode::ACCEPTED, &record, &()))
}
