//! `POST /v2/support-tickets/{id}/threads`: writes a message in the ticket's thread. The
//! message's type follows the caller's role; only agents and admins write internal notes. The
//! message and what it does to the ticket (reopen, first response, version) are one write.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::service::post_message;
use tickets_domain::store::{ContactStore, JobQueue, RekeyJobs, ThreadWriter, TicketReader};
use tickets_domain::NewMessage;
use tickets_http::{request, respond, Api, ApiError, Reply};
use tickets_lambda::metrics::{self, Metric};

pub async fn handle<S, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: Request,
) -> Result<Response<Body>, Error>
where
    S: TicketReader + ThreadWriter + ContactStore + RekeyJobs,
{
    Ok(respond(&req, add_thread_message(api, &req).await))
}

async fn add_thread_message<S, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: &Request,
) -> Result<Reply, ApiError>
where
    S: TicketReader + ThreadWriter + ContactStore + RekeyJobs,
{
    let caller = api.auth.caller(req)?;
    tickets_http::remember_contact(&api.store, &api.jobs, &caller).await;
    let message: NewMessage = request::json_body(req)?;
    let id = request::ticket_id(req)?;
    let stored = post_message(&api.store, &id, &caller, message).await?;
    metrics::count(Metric::MessagesPosted, 1);
    Ok(Reply::created(&stored))
}
