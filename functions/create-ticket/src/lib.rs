//! `POST /v2/support-tickets`: opens a ticket. With an `Idempotency-Key`, a retry of the same
//! request returns the first result and creates nothing.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use tickets_domain::create::{open_ticket, Opened};
use tickets_domain::store::{ContactStore, JobQueue, RekeyJobs, TicketCreator};
use tickets_domain::{NewTicket, Timestamp, INITIAL_VERSION};
use tickets_http::{request, respond, Api, ApiError, Reply};
use tickets_lambda::metrics::{self, Metric};

pub async fn handle<S: TicketCreator + ContactStore + RekeyJobs, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: Request,
) -> Result<Response<Body>, Error> {
    Ok(respond(&req, create_ticket(api, &req).await))
}

async fn create_ticket<S: TicketCreator + ContactStore + RekeyJobs, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: &Request,
) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    tickets_http::remember_contact(&api.store, &api.jobs, &caller).await;
    let command: NewTicket = request::json_body(req)?;
    let key = request::idempotency_key(req, &caller)?;
    let opened = open_ticket(
        &api.store,
        &caller,
        command,
        key,
        Timestamp::now(),
        |ticket| {
            let shown = ticket.clone().visible_to(&caller, Timestamp::now());
            Reply::created(&shown).body().to_owned()
        },
    )
    .await?;
    // A replay is the first answer again with its ETag: the ticket as it was created, at the
    // version every new ticket starts at.
    let answer = match opened {
        Opened::Created { answer, .. } => {
            metrics::count(Metric::TicketsCreated, 1);
            answer
        }
        Opened::Replayed { answer } => answer,
    };
    Ok(Reply::raw(StatusCode::CREATED, answer).with_etag(INITIAL_VERSION))
}
