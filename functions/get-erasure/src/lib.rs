//! `GET /v2/erasures/{id}`: an erasure job (admins): `running`, `done` or `failed`, who asked
//! and when, and what it removed so far. The client's id is not kept once it is done.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::lifecycle::show_erasure;
use tickets_domain::store::ErasureJobs;
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S: ErasureJobs>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, get_erasure(api, &req).await))
}

async fn get_erasure<S: ErasureJobs>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    caller.ensure_admin()?;
    let id = request::path_id(req, "id")?;
    Ok(Reply::ok(&show_erasure(&api.store, &caller, &id).await?))
}
