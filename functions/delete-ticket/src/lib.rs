//! `DELETE /v2/support-tickets/{id}`: soft delete, for admins. The ticket leaves every list
//! and count and can be restored.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::service::modify_ticket;
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error>
where
    S: TicketReader + TicketWriter,
{
    Ok(respond(&req, delete_ticket(api, &req).await))
}

async fn delete_ticket<S>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError>
where
    S: TicketReader + TicketWriter,
{
    let caller = api.auth.caller(req)?;
    let id = request::ticket_id(req)?;
    let expected_version = request::if_match(req)?;
    let ticket = modify_ticket(&api.store, &id, &caller, expected_version, |ticket, now| {
        ticket.soft_deleted(&caller, now).map(Some)
    })
    .await?;
    let version = ticket.version;
    Ok(Reply::ok(&ticket.visible_to(&caller)).with_etag(version))
}
