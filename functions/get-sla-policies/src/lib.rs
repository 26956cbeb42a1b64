//! `GET /v2/sla-policies`: the desk's service-level policies (agents and admins), with their
//! version as the `ETag`.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::sla::settings::read_policies;
use tickets_domain::store::SlaStore;
use tickets_http::{respond, Api, ApiError, Reply};

pub async fn handle<S: SlaStore>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, get_policies(api, &req).await))
}

async fn get_policies<S: SlaStore>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    let stored = read_policies(&api.store, &caller).await?;
    let version = stored.version;
    Ok(Reply::ok(&stored).with_etag(version))
}
