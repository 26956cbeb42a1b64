//! `GET /v2/support-tickets/{id}/threads`: the ticket's thread, oldest first, one page per
//! request (`limit`, `cursor`). Clients never see internal notes.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::{PageQuery, ThreadReader};
use tickets_http::request::{self, QueryParams};
use tickets_http::{respond, Api, ApiError, Reply};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 100;

pub async fn handle<S: ThreadReader>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, list_thread_messages(api, &req).await))
}

async fn list_thread_messages<S: ThreadReader>(
    api: &Api<S>,
    req: &Request,
) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    let id = request::ticket_id(req)?;
    let mut params = QueryParams::read(req, &["limit", "cursor"])?;
    let limit = params.number("limit", 1..=MAX_LIMIT, DEFAULT_LIMIT);
    let cursor = params.text("cursor", 256);
    params.finish()?;

    let page = api
        .store
        .list_messages(&id, &PageQuery { limit, cursor })
        .await?;
    let view = caller.thread_view(page.ticket.as_ref())?;
    let messages: Vec<_> = page
        .messages
        .into_iter()
        .filter(|m| view.shows(m))
        .collect();
    Ok(Reply::cursor_page(&messages, limit, page.next_cursor))
}
