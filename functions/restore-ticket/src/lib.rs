//! `POST /v2/support-tickets/{id}/restore`: undoes a soft delete, for admins.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_http::{change_ticket, respond, Api, ApiError, Reply};

pub async fn handle<S>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error>
where
    S: TicketReader + TicketWriter,
{
    Ok(respond(&req, restore_ticket(api, &req).await))
}

async fn restore_ticket<S>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError>
where
    S: TicketReader + TicketWriter,
{
    let caller = api.auth.caller(req)?;
    change_ticket(api, req, &caller, |ticket, _| {
        ticket.restored(&caller).map(Some)
    })
    .await
}
