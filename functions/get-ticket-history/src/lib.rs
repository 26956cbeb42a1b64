//! `GET /v2/support-tickets/{id}/history`: who changed which field of the ticket, from what to
//! what, and when; oldest first, paged. For agents and admins.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::{HistoryStore, PageQuery, TicketReader};
use tickets_http::request::{self, QueryParams};
use tickets_http::{respond, Api, ApiError, Reply};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 100;

pub async fn handle<S>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error>
where
    S: TicketReader + HistoryStore,
{
    Ok(respond(&req, get_ticket_history(api, &req).await))
}

async fn get_ticket_history<S>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError>
where
    S: TicketReader + HistoryStore,
{
    let caller = api.auth.caller(req)?;
    let id = request::ticket_id(req)?;
    let mut params = QueryParams::read(req, &["limit", "cursor"])?;
    let limit = params.number("limit", 1..=MAX_LIMIT, DEFAULT_LIMIT);
    let cursor = params.text("cursor", 512);
    params.finish()?;

    let ticket = api.store.get_summary(&id).await?;
    caller.ensure_can_read_history(ticket.as_ref())?;
    let page = api
        .store
        .list_history(&id, &PageQuery { limit, cursor })
        .await?;
    Ok(Reply::cursor_page(&page.entries, limit, page.next_cursor))
}
