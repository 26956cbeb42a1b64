//! `GET /v2/support-tickets/{id}/attachments/{attachmentId}`: `302` to a presigned download
//! (5 minutes, `Content-Disposition: attachment`) for callers who may see the ticket; for an
//! external link, `302` only to a host of `EXTERNAL_LINK_HOSTS`, else `200` with the link for the
//! caller to decide; `409` while the upload is pending; `404` when it was rejected or the ticket
//! is not theirs.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::attachment::{object_key, LinkPolicy};
use tickets_domain::service::find_attachment;
use tickets_domain::store::{AttachmentReader, FileStore};
use tickets_domain::{AttachmentStatus, DomainError};
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S, F>(
    api: &Api<S, F>,
    links: &LinkPolicy,
    req: Request,
) -> Result<Response<Body>, Error>
where
    S: AttachmentReader,
    F: FileStore,
{
    Ok(respond(&req, get_attachment(api, links, &req).await))
}

async fn get_attachment<S, F>(
    api: &Api<S, F>,
    links: &LinkPolicy,
    req: &Request,
) -> Result<Reply, ApiError>
where
    S: AttachmentReader,
    F: FileStore,
{
    let caller = api.auth.caller(req)?;
    let ticket_id = request::ticket_id(req)?;
    let attachment_id = request::attachment_id(req)?;
    let (_, attachment) = find_attachment(&api.store, &ticket_id, &attachment_id, &caller).await?;
    let url = match attachment.status {
        AttachmentStatus::Available => {
            let key = object_key(&ticket_id, &attachment_id);
            api.files.presign_download(&key, &attachment).await?
        }
        AttachmentStatus::External if links.redirects_to(&attachment.url) => attachment.url,
        AttachmentStatus::External => return Ok(Reply::link(&attachment.url)),
        AttachmentStatus::Pending => {
            let waiting = "the file has not been uploaded and checked yet";
            return Err(DomainError::Conflict(waiting.into()).into());
        }
        AttachmentStatus::Rejected => return Err(ApiError::not_found()),
    };
    Ok(Reply::redirect(url))
}
