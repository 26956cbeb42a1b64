//! `POST /v2/clients/{id}/export`: an admin, or a client for itself (`me`), starts an export
//! of everything the desk holds about the client (docs/API.md, Data lifecycle). Answers `202`
//! with the job; `GET /v2/exports/{id}` follows it and, once it is done, links the archive.
//! The work runs in `run-data-jobs`, step by step.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use tickets_domain::export::start_export;
use tickets_domain::store::{ExportJobs, JobQueue};
use tickets_domain::Timestamp;
use tickets_http::{respond, Api, ApiError, Reply};

pub async fn handle<S: ExportJobs, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: Request,
) -> Result<Response<Body>, Error> {
    Ok(respond(&req, export(api, &req).await))
}

async fn export<S: ExportJobs, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: &Request,
) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    let client = req
        .path_parameters_ref()
        .and_then(|params| params.first("id"))
        .unwrap_or_default()
        .to_owned();
    let job = start_export(&api.store, &api.jobs, &caller, &client, Timestamp::now()).await?;
    Ok(Reply::new(StatusCode::ACCEPTED, &job, &()))
}
