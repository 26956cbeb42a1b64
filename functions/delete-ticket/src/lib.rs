//! `DELETE /v2/support-tickets/{id}`: soft delete, for admins. The ticket leaves every list
//! and count and can be restored.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_http::{change_ticket, respond, Api, ApiError, Reply};

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
    change_ticket(api, req, &caller, |ticket, now| {
        ticket.soft_deleted(&caller, now).map(Some)
    })
    .await
}
