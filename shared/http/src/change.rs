//! The shape every route that changes one ticket shares: which ticket, `If-Match`, apply the
//! change under optimistic concurrency, answer the ticket as the caller may see it.

use lambda_http::Request;
use tickets_domain::service::modify_ticket;
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_domain::{Caller, DomainError, TicketSummary, Timestamp};

use crate::{request, Api, ApiError, Reply};

/// Applies `change` to the ticket of the request's path for `caller`. `change` returns `None`
/// when it changes nothing, and nothing is then written.
pub async fn change_ticket<S, Files, F>(
    api: &Api<S, Files>,
    req: &Request,
    caller: &Caller,
    change: F,
) -> Result<Reply, ApiError>
where
    S: TicketReader + TicketWriter,
    F: Fn(&TicketSummary, Timestamp) -> Result<Option<TicketSummary>, DomainError>,
{
    let id = request::ticket_id(req)?;
    let expected_version = request::if_match(req)?;
    let ticket = modify_ticket(&api.store, &id, caller, expected_version, change).await?;
    let version = ticket.version;
    Ok(Reply::ok(&ticket.visible_to(caller, Timestamp::now())).with_etag(version))
}
