//! `GET /v2/support-tickets/{id}`: the whole ticket, as the caller may see it.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::TicketReader;
use tickets_domain::Timestamp;
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S: TicketReader>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, get_ticket(api, &req).await))
}

async fn get_ticket<S: TicketReader>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    let id = request::ticket_id(req)?;
    let ticket = caller.visible(api.store.get_ticket(&id).await?)?;
    let version = ticket.version;
    Ok(Reply::ok(&ticket.visible_to(&caller, Timestamp::now())).with_etag(version))
}
