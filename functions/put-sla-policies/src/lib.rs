//! `PUT /v2/sla-policies`: replaces the desk's service-level policies (admins). The whole
//! document is checked first; `If-Match: <version>` makes the change conditional.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::sla::settings::replace_policies;
use tickets_domain::sla::SlaDocument;
use tickets_domain::store::SlaStore;
use tickets_domain::Timestamp;
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S: SlaStore>(api: &Api<S>, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(&req, put_policies(api, &req).await))
}

async fn put_policies<S: SlaStore>(api: &Api<S>, req: &Request) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    let document: SlaDocument = request::json_body(req)?;
    let expected = request::if_match(req)?;
    let stored =
        replace_policies(&api.store, &caller, document, expected, Timestamp::now()).await?;
    let version = stored.version;
    Ok(Reply::ok(&stored).with_etag(version))
}
