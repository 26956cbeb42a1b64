//! `POST /v2/support-tickets/{id}/attachments`: declares a file (`{filename, size, type}`). The
//! declaration is checked against the limits before any URL is issued; the answer is the
//! `pending` attachment and a short-lived presigned `PUT` to a key the server chose.

use lambda_http::{Body, Error, Request, Response};
use serde::Serialize;
use tickets_domain::service::request_upload;
use tickets_domain::store::{AttachmentWriter, FileStore, PresignedUpload, TicketReader};
use tickets_domain::{Attachment, NewUpload, UploadRules};
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S, F>(
    api: &Api<S, F>,
    rules: &UploadRules,
    req: Request,
) -> Result<Response<Body>, Error>
where
    S: TicketReader + AttachmentWriter,
    F: FileStore,
{
    Ok(respond(&req, create_attachment(api, rules, &req).await))
}

#[derive(Serialize)]
struct Created {
    #[serde(flatten)]
    attachment: Attachment,
    upload: PresignedUpload,
}

async fn create_attachment<S, F>(
    api: &Api<S, F>,
    rules: &UploadRules,
    req: &Request,
) -> Result<Reply, ApiError>
where
    S: TicketReader + AttachmentWriter,
    F: FileStore,
{
    let caller = api.auth.caller(req)?;
    let upload: NewUpload = request::json_body(req)?;
    let id = request::ticket_id(req)?;
    let (attachment, upload) =
        request_upload(&api.store, &api.files, &id, &caller, upload, rules).await?;
    Ok(Reply::created(&Created { attachment, upload }))
}
