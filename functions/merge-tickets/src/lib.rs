//! `POST /v2/support-tickets/{id}/merge`: agents and admins close duplicate tickets of one
//! client into the ticket of the path, all in one write. With an `Idempotency-Key`, a retry of
//! the same request gets the first answer and merges nothing again.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use tickets_domain::merge::{merge_tickets, MergeRequest, Merged};
use tickets_domain::store::{IdempotencyStore, TicketMerger, TicketReader};
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error>
where
    S: TicketReader + TicketMerger + IdempotencyStore,
{
    Ok(respond(&req, merge(api, &req).await))
}

async fn merge<S>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError>
where
    S: TicketReader + TicketMerger + IdempotencyStore,
{
    let caller = api.auth.caller(req)?;
    let target = request::ticket_id(req)?;
    let body: MergeRequest = request::json_body(req)?;
    let key = request::idempotency_key(req, &caller)?;
    let merged = merge_tickets(&api.store, &caller, &target, &body, key, |ticket| {
        Reply::ok(ticket).body().to_owned()
    })
    .await?;
    let answer = match merged {
        Merged::Done { answer, .. } | Merged::Replayed { answer } => answer,
    };
    // The answer is the target as the merge left it; a replay carries that version too.
    let version = version_of(&answer);
    let reply = Reply::raw(StatusCode::OK, answer);
    Ok(match version {
        Some(version) => reply.with_etag(version),
        None => reply,
    })
}

/// The ticket version an answer's `data` holds.
fn version_of(answer: &str) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Answer {
        data: Version,
    }
    #[derive(serde::Deserialize)]
    struct Version {
        version: u64,
    }
    serde_json::from_str::<Answer>(answer)
        .ok()
        .map(|answer| answer.data.version)
}
