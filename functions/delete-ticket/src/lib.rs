//! `DELETE /v2/support-tickets/{id}`: soft delete, for admins. The ticket leaves every list
//! and count and can be restored.
//!
//! `?purge=true` erases a soft-deleted ticket for good instead (admins; a ticket that is not
//! deleted is a 409): its items, files, history and counts, as the purge does after the
//! retention period. It cannot be undone.

use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use tickets_domain::lifecycle::purge_ticket;
use tickets_domain::store::{FileStore, Removed, TicketEraser, TicketReader, TicketWriter};
use tickets_http::request::{self, QueryParams};
use tickets_http::{change_ticket, respond, Api, ApiError, Reply};

pub async fn handle<S, F>(api: &Api<S, F>, req: Request) -> Result<Response<Body>, Error>
where
    S: TicketReader + TicketWriter + TicketEraser,
    F: FileStore,
{
    Ok(respond(&req, delete_ticket(api, &req).await))
}

/// What a purge answers.
#[derive(Serialize)]
struct Purged {
    #[serde(rename = "_id")]
    id: String,
    purged: bool,
    removed: Removed,
}

async fn delete_ticket<S, F>(api: &Api<S, F>, req: &Request) -> Result<Reply, ApiError>
where
    S: TicketReader + TicketWriter + TicketEraser,
    F: FileStore,
{
    let caller = api.auth.caller(req)?;
    let mut params = QueryParams::read(req, &["purge"])?;
    let purge = params.one_of("purge", &[true, false]).unwrap_or(false);
    params.finish()?;
    if purge {
        let id = request::ticket_id(req)?;
        let removed = purge_ticket(&api.store, &api.files, &caller, &id).await?;
        return Ok(Reply::ok(&Purged {
            id,
            purged: true,
            removed,
        }));
    }
    change_ticket(api, req, &caller, |ticket, now| {
        ticket.soft_deleted(&caller, now).map(Some)
    })
    .await
}
