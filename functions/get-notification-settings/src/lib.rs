//! `GET /v2/me/notifications`: the caller's own notification choice: the address the desk
//! writes to (from their verified token or their mail; none when it knows none) and whether
//! it does.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::mail::notification_choice;
use tickets_domain::store::{ContactStore, JobQueue, RekeyJobs};
use tickets_http::{respond, Api, ApiError, Reply};

pub async fn handle<S: ContactStore + RekeyJobs, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: Request,
) -> Result<Response<Body>, Error> {
    Ok(respond(&req, get_settings(api, &req).await))
}

async fn get_settings<S: ContactStore + RekeyJobs, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: &Request,
) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    Ok(Reply::ok(
        &notification_choice(&api.store, &api.jobs, &caller).await?,
    ))
}
