//! `POST /v2/clients/{id}/erase`: an admin starts erasing everything the desk holds about a
//! client (docs/API.md, Data lifecycle). Answers `202` with the job; `GET /v2/erasures/{id}`
//! follows it. The work runs in `run-data-jobs`, step by step.

use lambda_http::http::StatusCode;
use lambda_http::{Body, Error, Request, RequestExt, Response};
use tickets_domain::lifecycle::start_erasure;
use tickets_domain::store::{ErasureJobs, JobQueue};
use tickets_domain::Timestamp;
use tickets_http::{respond, Api, ApiError, Reply};

pub async fn handle<S: ErasureJobs, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: Request,
) -> Result<Response<Body>, Error> {
    Ok(respond(&req, erase(api, &req).await))
}

async fn erase<S: ErasureJobs, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: &Request,
) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    caller.ensure_admin()?;
    let client = req
        .path_parameters_ref()
        .and_then(|params| params.first("id"))
        .unwrap_or_default()
        .to_owned();
    let job = start_erasure(&api.store, &api.jobs, &caller, &client, Timestamp::now()).await?;
    Ok(Reply::new(StatusCode::ACCEPTED, &job, &()))
}
