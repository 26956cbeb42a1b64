//! `GET /v2/webhooks/{id}/deliveries`: the subscription's recent deliveries (admins), newest
//! first, each with its event, where it stands and every attempt (when, status code, duration,
//! error); paged by `cursor`, `limit` 1-100 (default 20).

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::{PageQuery, WebhookStore};
use tickets_domain::webhook::manage::deliveries;
use tickets_http::request::QueryParams;
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S: WebhookStore>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, list_deliveries(api, &req).await))
}

async fn list_deliveries<S: WebhookStore>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    caller.ensure_admin()?;
    let id = request::path_id(req, "id")?;
    let mut params = QueryParams::read(req, &["limit", "cursor"])?;
    let limit = params.number("limit", 1..=100, 20);
    let cursor = params.text("cursor", 2_048);
    params.finish()?;
    let page = deliveries(&api.store, &caller, &id, &PageQuery { limit, cursor }).await?;
    Ok(Reply::cursor_page(
        &page.deliveries,
        limit,
        page.next_cursor,
    ))
}
