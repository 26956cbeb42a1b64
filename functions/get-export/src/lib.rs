//! `GET /v2/exports/{id}`: an export job, for whoever started it (admins: every one):
//! `running`, `done` (with a short-lived `url` that downloads the archive), `failed`, or
//! `expired` once the archive is past its days; what it holds so far.

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::export::show_export;
use tickets_domain::store::{ArchiveStore, ExportJobs};
use tickets_domain::Timestamp;
use tickets_http::{request, respond, Api, ApiError, Reply};

pub async fn handle<S: ExportJobs, F: ArchiveStore>(
    api: &Api<S, F>,
    req: Request,
) -> Result<Response<Body>, Error> {
    Ok(respond(&req, get_export(api, &req).await))
}

async fn get_export<S: ExportJobs, F: ArchiveStore>(
    api: &Api<S, F>,
    req: &Request,
) -> Result<Reply, ApiError> {
    let caller = api.auth.caller(req)?;
    let id = request::path_id(req, "id")?;
    let export = show_export(&api.store, &api.files, &caller, &id, Timestamp::now()).await?;
    Ok(Reply::ok(&export))
}
