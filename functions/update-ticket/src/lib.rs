//! `PATCH /v2/support-tickets/{id}`: changes fields of a ticket, following the workflow and the
//! permissions; `If-Match: <version>` makes the change conditional.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::service::modify_ticket;
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_domain::TicketPatch;
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error>
where
    S: TicketReader + TicketWriter,
{
    Ok(respond(&req, update_ticket(api, &req).await))
}

async fn update_ticket<S>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError>
where
    S: TicketReader + TicketWriter,
{
    let caller = api.auth.caller(req)?;
    let id = request::ticket_id(req)?;
    let expected_version = request::if_match(req)?;
    let patch: TicketPatch = request::json_body(req)?;
    let ticket = modify_ticket(&api.store, &id, &caller, expected_version, |ticket, now| {
        patch.apply(ticket, &caller, now)
    })
    .await?;
    let version = ticket.version;
    Ok(Reply::ok(&ticket.visible_to(&caller)).with_etag(version))
}
