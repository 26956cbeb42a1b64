//! `PATCH /v2/support-tickets/{id}`: changes fields of a ticket, following the workflow and the
//! permissions; `If-Match: <version>` makes the change conditional.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_domain::TicketPatch;
use tickets_http::{change_ticket, respond, Api, ApiError, Reply};

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
    let patch: TicketPatch = tickets_http::request::json_body(req)?;
    change_ticket(api, req, &caller, |ticket, now| {
        patch.apply(ticket, &caller, now)
    })
    .await
}
