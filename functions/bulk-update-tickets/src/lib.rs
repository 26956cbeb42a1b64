//! `PATCH /v2/support-tickets`: agents and admins apply one change to up to 100 tickets. Each
//! ticket is changed on its own, as by `PATCH /v2/support-tickets/{id}`, and answered with its
//! own status; with an `Idempotency-Key`, a retry of the same request gets the first answer.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use tickets_domain::bulk::{bulk_update, BulkPatch, BulkResult};
use tickets_domain::store::{IdempotencyStore, TicketReader, TicketWriter};
use tickets_domain::FieldError;
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error>
where
    S: TicketReader + TicketWriter + IdempotencyStore,
{
    Ok(respond(&req, update(api, &req).await))
}

async fn update<S>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError>
where
    S: TicketReader + TicketWriter + IdempotencyStore,
{
    let caller = api.auth.caller(req)?;
    let body: BulkPatch = request::json_body(req)?;
    let key = request::idempotency_key(req, &caller)?;
    let answer = bulk_update(&api.store, &caller, &body, key, answer).await?;
    Ok(Reply::raw(StatusCode::OK, answer))
}

/// One ticket's line of the answer: what a single change of it would have answered, without
/// the ticket (a hundred tickets would not fit a response).
#[derive(Serialize)]
#[serde(untagged)]
enum Line {
    Changed {
        #[serde(rename = "_id")]
        id: String,
        status: u16,
        version: u64,
    },
    Refused {
        #[serde(rename = "_id")]
        id: String,
        status: u16,
        code: &'static str,
        error: String,
        details: Vec<FieldError>,
    },
}

/// `{"success": true, "data": [line, ...]}` in the order of the request.
fn answer(results: Vec<BulkResult>) -> String {
    let lines: Vec<Line> = results
        .into_iter()
        .map(|result| match result.outcome {
            Ok(ticket) => Line::Changed {
                id: result.id,
                status: StatusCode::OK.as_u16(),
                version: ticket.version,
            },
            Err(err) => {
                let err = ApiError::from(err);
                Line::Refused {
                    id: result.id,
                    status: err.status.as_u16(),
                    code: err.code,
                    error: err.message,
                    details: err.details,
                }
            }
        })
        .collect();
    Reply::ok(&lines).body().to_owned()
}
