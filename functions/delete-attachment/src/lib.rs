//! `DELETE /v2/support-tickets/{id}/attachments/{attachmentId}`: removes the file and its
//! record, for the uploader, agents and admins.

use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use tickets_domain::service::remove_attachment;
use tickets_domain::store::{AttachmentReader, AttachmentWriter, FileStore};
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S, F>(api: &Api<S, F>, req: Request) -> Result<Response<Body>, Error>
where
    S: AttachmentReader + AttachmentWriter,
    F: FileStore,
{
    Ok(respond(&req, delete_attachment(api, &req).await))
}

#[derive(Serialize)]
struct Deleted {
    #[serde(rename = "_id")]
    id: String,
    deleted: bool,
}

async fn delete_attachment<S, F>(api: &Api<S, F>, req: &Request) -> Result<Reply, ApiError>
where
    S: AttachmentReader + AttachmentWriter,
    F: FileStore,
{
    let caller = api.auth.caller(req)?;
    let ticket_id = request::ticket_id(req)?;
    let attachment_id = request::attachment_id(req)?;
    remove_attachment(&api.store, &api.files, &ticket_id, &attachment_id, &caller).await?;
    Ok(Reply::ok(&Deleted {
        id: attachment_id,
        deleted: true,
    }))
}
