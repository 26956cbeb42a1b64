//! `POST /v2/support-tickets`: opens a ticket. With an `Idempotency-Key`, a retry of the same
//! request returns the first result and creates nothing.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use tickets_domain::store::{CreateOutcome, IdempotencyRecord, TicketCreator};
use tickets_domain::{Caller, DomainError, NewTicket, Timestamp};
use tickets_http::{request, respond, Api, ApiError, Reply};

const IDEMPOTENCY_KEY_MAX: usize = 255;

pub async fn handle<S: TicketCreator>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, create_ticket(api, &req).await))
}

async fn create_ticket<S: TicketCreator>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    let command: NewTicket = request::json_body(req)?;
    let key = idempotency_key(req)?;
    let fingerprint = command.fingerprint(&caller);
    let ticket = command.into_ticket(&caller, Timestamp::now())?;
    let reply = Reply::created(&ticket).with_etag(ticket.version);
    let record = key.map(|key| IdempotencyRecord {
        key: scoped_key(&caller, key),
        fingerprint: fingerprint.clone(),
        response: reply.body().to_owned(),
    });
    match api.store.create_ticket(&ticket, record.as_ref()).await? {
        CreateOutcome::Created => Ok(reply),
        CreateOutcome::Replayed {
            fingerprint: first,
            response,
        } if first == fingerprint => {
            // The first answer again, with its ETag: the replayed body is the ticket as it was
            // created, at the version every new ticket starts at.
            Ok(Reply::raw(StatusCode::CREATED, response).with_etag(ticket.version))
        }
        CreateOutcome::Replayed { .. } => Err(DomainError::IdempotencyKeyReused.into()),
    }
}

fn idempotency_key(req: &Request) -> Result<Option<&str>, ApiError> {
    let Some(key) = request::header(req, "idempotency-key") else {
        return Ok(None);
    };
    let valid = !key.is_empty()
        && key.len() <= IDEMPOTENCY_KEY_MAX
        && key.bytes().all(|b| b.is_ascii_graphic());
    if valid {
        Ok(Some(key))
    } else {
        Err(ApiError::invalid_header(
            "Idempotency-Key",
            "must be 1 to 255 visible ASCII characters",
        ))
    }
}

/// Keys are the caller's own: the same key from two callers names two records.
fn scoped_key(caller: &Caller, key: &str) -> String {
    format!("{}:{}#{key}", caller.id.len(), caller.id)
}
