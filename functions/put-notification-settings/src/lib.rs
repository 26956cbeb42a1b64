//! `PUT /v2/me/notifications` `{"email": false}`: the caller switches their own notifications
//! off (or on again). 409 when the desk knows no address of theirs.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::mail::{choose_notifications, NewNotificationChoice};
use tickets_domain::store::{ContactStore, JobQueue, RekeyJobs};
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S: ContactStore + RekeyJobs, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: Request,
) -> Result<Response<Body>, Error> {
    Ok(respond(&req, put_settings(api, &req).await))
}

async fn put_settings<S: ContactStore + RekeyJobs, Q: JobQueue>(
    api: &Api<S, (), Q>,
    req: &Request,
) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    let choice: NewNotificationChoice = request::json_body(req)?;
    Ok(Reply::ok(
        &choose_notifications(&api.store, &api.jobs, &caller, choice).await?,
    ))
}
