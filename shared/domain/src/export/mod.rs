//! Handing a client everything the desk holds about them (docs/API.md, Data lifecycle): an
//! admin, or the client itself, starts an export; a job writes one archive, step by step, in
//! the requester's view (a client's own export never holds an internal note, nor a ticket's
//! history, which clients do not read); the requester downloads it through a short-lived link
//! for `ARCHIVE_DAYS` days.
//!
//! The archive (`.tar.gz`): `export.json` (the job: who asked, for whom, when, in which view),
//! then per ticket `tickets/<id>/ticket.json` (`{"ticket", "messages", "attachments",
//! "history"}`) and each uploaded file under `tickets/<id>/files/<attachmentId>/<filename>`.

pub mod archive;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::Duration;
use serde::Serialize;
use serde_json::{json, Value};

use crate::access::{Caller, Role};
use crate::attachment::object_key;
use crate::error::{DomainError, StoreError};
use crate::history::DomainEvent;
use crate::model::{new_id, AttachmentStatus, Timestamp};
use crate::store::{
    ArchiveStore, EventPublisher, ExportJob, ExportJobs, ExportProgress, Exported, HistoryStore,
    JobKind, JobQueue, JobStatus, PageQuery, ThreadReader, TicketReader,
};
use crate::validation::Checker;
use archive::ArchiveWriter;

/// How many tickets one step writes at most.
pub const EXPORT_STEP: u32 = 25;
/// A step takes no further ticket once it has copied this many bytes of files: a step is one
/// invocation, well within its time limit, whatever the tickets hold.
pub const EXPORT_STEP_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// How long an archive is kept (the bucket's lifecycle rule deletes it then).
pub const ARCHIVE_DAYS: i64 = 7;
/// Messages and history entries read per request.
const PAGE: u32 = 100;

/// Where a client's exports are stored: under a prefix of their own, which erasing the client
/// deletes (the id encoded, so that no client's prefix holds another's).
pub fn exports_prefix(client: &str) -> String {
    format!("exports/{}/", URL_SAFE_NO_PAD.encode(client))
}

/// `POST /v2/clients/{id}/export`: the requester starts an export of `client` (`me` for
/// itself). Admins export anyone; a client only itself (another client's id is answered as
/// not found); an agent only itself.
pub async fn start_export<S, Q>(
    store: &S,
    queue: &Q,
    caller: &Caller,
    client: &str,
    now: Timestamp,
) -> Result<ExportJob, DomainError>
where
    S: ExportJobs,
    Q: JobQueue,
{
    let mut check = Checker::default();
    let named = check.principal("id", client);
    check.finish()?;
    let client = caller.export_subject(&named.unwrap_or_default())?;
    let id = new_id();
    let archive = format!("{}{id}/export-{id}.tar.gz", exports_prefix(&client));
    let job = ExportJob {
        id,
        status: JobStatus::Running,
        client,
        requested_by: caller.id.clone(),
        created_at: now,
        updated_at: now,
        finished_at: None,
        exported: Exported::default(),
        progress: ExportProgress {
            role: caller.role().as_str().to_owned(),
            archive,
            ..ExportProgress::default()
        },
    };
    store.start_export(&job).await?;
    queue.next_step(&job.id, JobKind::Export).await?;
    Ok(job)
}

/// An export as `GET /v2/exports/{id}` answers it: the job, and once it is done and the
/// archive kept, a link that downloads it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportView {
    #[serde(flatten)]
    pub job: ExportJob,
    /// Until when the archive is kept (done jobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub archive_expires_at: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url_expires_at: Option<Timestamp>,
}

impl ExportView {
    /// A job that is not done: nothing to download.
    fn plain(job: ExportJob) -> Self {
        Self {
            job,
            archive_expires_at: None,
            url: None,
            url_expires_at: None,
        }
    }
}

/// `GET /v2/exports/{id}`: the requester's own export (admins: anyone's); anyone else's is
/// answered as not found. A done export whose archive is past its days is `expired`.
pub async fn show_export<S, F>(
    store: &S,
    files: &F,
    caller: &Caller,
    id: &str,
    now: Timestamp,
) -> Result<ExportView, DomainError>
where
    S: ExportJobs,
    F: ArchiveStore,
{
    let mut job = store
        .export(id)
        .await?
        .filter(|job| caller.may_follow(&job.requested_by))
        .ok_or(DomainError::NotFound)?;
    let (JobStatus::Done, Some(finished)) = (job.status, job.finished_at) else {
        return Ok(ExportView::plain(job));
    };
    let expires = Timestamp::from(finished.as_datetime() + Duration::days(ARCHIVE_DAYS));
    let link = if now < expires {
        let filename = format!(
            "support-export-{}.tar.gz",
            finished.as_datetime().date_naive()
        );
        Some(
            files
                .presign_archive(&job.progress.archive, &filename)
                .await?,
        )
    } else {
        job.status = JobStatus::Expired;
        None
    };
    Ok(ExportView {
        archive_expires_at: Some(expires),
        url_expires_at: link.as_ref().map(|(_, until)| *until),
        url: link.map(|(url, _)| url),
        job,
    })
}

/// What one step of an export did.
#[derive(Clone, Debug, PartialEq)]
pub enum ExportStep {
    /// Wrote a batch of tickets; the next step is queued.
    Continued,
    /// Wrote the last of them and ended the job.
    Finished(Exported),
    /// Nothing to do: no such export, or it ended already (a redelivered step).
    Idle,
}

/// One step of export `id`: the client's next tickets in the requester's view, appended to
/// the archive, every whole part uploaded, the rest carried to the next step, and the
/// progress stored only if nobody stored this step before (a step run twice writes once). The
/// last step uploads the last part, completes the archive, announces
/// `SupportClient.Exported` and ends the job.
pub async fn export_step<S, F, Q, P>(
    store: &S,
    files: &F,
    queue: &Q,
    events: &P,
    id: &str,
    now: Timestamp,
) -> Result<ExportStep, StoreError>
where
    S: ExportJobs + TicketReader + ThreadReader + HistoryStore,
    F: ArchiveStore,
    Q: JobQueue,
    P: EventPublisher,
{
    let Some(job) = store.export(id).await? else {
        return Ok(ExportStep::Idle);
    };
    if job.status != JobStatus::Running {
        return Ok(ExportStep::Idle);
    }
    if job.progress.complete {
        return complete(store, files, events, &job, now).await;
    }
    let mut progress = job.progress.clone();
    let role: Role = progress
        .role
        .parse()
        .map_err(|()| StoreError::Internal(format!("export {id}: unknown role")))?;
    let requester = Caller::new(job.requested_by.clone(), role);
    let upload = match &progress.upload {
        Some(upload) => upload.clone(),
        None => files.start_upload(&progress.archive).await?,
    };
    let carry = match &progress.carry {
        Some(key) => files.read(key).await?.ok_or_else(|| {
            StoreError::Internal(format!("export {id}: the carried bytes are missing"))
        })?,
        None => Vec::new(),
    };
    let mtime = job.created_at.as_datetime().timestamp().max(0) as u64;
    let mut writer = Writer {
        files,
        archive: ArchiveWriter::resume(carry, mtime),
        key: progress.archive.clone(),
        upload: upload.clone(),
        parts: progress.parts.clone(),
    };
    if progress.step == 0 {
        let manifest = json!({
            "jobId": job.id,
            "client": job.client,
            "requestedBy": job.requested_by,
            "view": if requester.is_staff() { "staff" } else { "client" },
            "createdAt": job.created_at,
            "contents": "tickets/<id>/ticket.json: the ticket, its messages, its attachments and (staff) its history; tickets/<id>/files/<attachmentId>/<filename>: each uploaded file",
        });
        writer.append("export.json", &to_json(&manifest)?).await?;
    }

    let page = store
        .client_tickets(
            &job.client,
            role == Role::Admin,
            progress.cursor.as_deref(),
            EXPORT_STEP,
        )
        .await?;
    let mut exported = Exported::default();
    let mut next = page.next.clone();
    for (index, (ticket, after)) in page.ids.iter().enumerate() {
        exported += write_ticket(store, &mut writer, &requester, ticket, now).await?;
        if exported.file_bytes >= EXPORT_STEP_FILE_BYTES && index + 1 < page.ids.len() {
            next = Some(after.clone());
            break;
        }
    }

    let Writer {
        archive, mut parts, ..
    } = writer;
    progress.upload = Some(upload.clone());
    progress.cursor = next.clone();
    let old_carry = progress.carry.take();
    if next.is_some() {
        let carry = archive.finish_step().map_err(archive_failed)?;
        // Named anew by every attempt: a step delivered twice at once cannot overwrite the
        // carry that the progress stored by the other names.
        let key = format!(
            "{}carry-{}-{}",
            job_prefix(&job),
            progress.step + 1,
            new_id()
        );
        files.put(&key, carry).await?;
        progress.carry = Some(key);
    } else {
        let last = archive.finish_archive().map_err(archive_failed)?;
        let number = parts.len() as u32 + 1;
        let etag = files
            .upload_part(&progress.archive, &upload, number, last)
            .await?;
        parts.push(crate::store::ArchivePart { number, etag });
        progress.complete = true;
    }
    progress.parts = parts;
    progress.attempt = new_id();
    let step = progress.step;
    progress.step += 1;
    if !store
        .save_export_step(id, step, &progress, &exported, now)
        .await?
    {
        // Refused: either another delivery of this step stored its own first (its parts and
        // carry stand), or this very write was stored and only its answer was lost (the SDK
        // sent it again, and the second one found the step moved on).
        let stored = store.export(id).await?.map(|job| job.progress);
        if stored.as_ref() != Some(&progress) {
            return Ok(ExportStep::Idle);
        }
    }
    if let Some(old) = old_carry {
        // Best effort: a carry left behind is swept with the others by the last step.
        let _ = files.remove(&old).await;
    }
    if next.is_some() {
        queue.next_step(id, JobKind::Export).await?;
        return Ok(ExportStep::Continued);
    }
    let job = ExportJob {
        progress,
        exported: {
            let mut total = job.exported;
            total += exported;
            total
        },
        ..job
    };
    complete(store, files, events, &job, now).await
}

/// The last of an export: the archive's upload completed, `SupportClient.Exported`
/// announced (at least once), the job ended. When the job is gone meanwhile (the client was
/// erased), the archive goes too.
async fn complete<S, F, P>(
    store: &S,
    files: &F,
    events: &P,
    job: &ExportJob,
    now: Timestamp,
) -> Result<ExportStep, StoreError>
where
    S: ExportJobs,
    F: ArchiveStore,
    P: EventPublisher,
{
    let progress = &job.progress;
    let upload = progress
        .upload
        .as_deref()
        .ok_or_else(|| StoreError::Internal(format!("export {}: no upload", job.id)))?;
    files
        .complete_upload(&progress.archive, upload, &progress.parts)
        .await?;
    files
        .delete_under(&format!("{}carry-", job_prefix(job)))
        .await?;
    let event = DomainEvent {
        detail_type: "SupportClient.Exported".into(),
        detail: json!({
            "jobId": job.id,
            "client": job.client,
            "requestedBy": job.requested_by,
            "tickets": job.exported.tickets,
            "at": now,
        }),
    };
    events.publish(&[event]).await?;
    if !store.finish_export(&job.id, now).await? {
        if store.export(&job.id).await?.is_none() {
            files.delete_under(&job_prefix(job)).await?;
        }
        return Ok(ExportStep::Idle);
    }
    Ok(ExportStep::Finished(job.exported))
}

/// The objects of one export job: its archive and its carries.
fn job_prefix(job: &ExportJob) -> String {
    format!("{}{}/", exports_prefix(&job.client), job.id)
}

/// Appends to the archive, uploading each whole part as it fills.
struct Writer<'a, F> {
    files: &'a F,
    archive: ArchiveWriter,
    key: String,
    upload: String,
    parts: Vec<crate::store::ArchivePart>,
}

impl<F: ArchiveStore> Writer<'_, F> {
    async fn append(&mut self, path: &str, bytes: &[u8]) -> Result<(), StoreError> {
        self.archive.append(path, bytes).map_err(archive_failed)?;
        if let Some(part) = self.archive.take_part() {
            let number = self.parts.len() as u32 + 1;
            let etag = self
                .files
                .upload_part(&self.key, &self.upload, number, part)
                .await?;
            self.parts.push(crate::store::ArchivePart { number, etag });
        }
        Ok(())
    }
}

/// Writes ticket `id` as `requester` sees it now: nothing when it is gone or not theirs to
/// see (a client's soft-deleted ticket).
async fn write_ticket<S, F>(
    store: &S,
    writer: &mut Writer<'_, F>,
    requester: &Caller,
    id: &str,
    now: Timestamp,
) -> Result<Exported, StoreError>
where
    S: TicketReader + ThreadReader + HistoryStore,
    F: ArchiveStore,
{
    let Some(ticket) = store.get_ticket(id).await? else {
        return Ok(Exported::default());
    };
    if !requester.can_see(&ticket) {
        return Ok(Exported::default());
    }
    let ticket = ticket.visible_to(requester, now);
    let view = requester
        .thread_view(Some(&ticket.summary))
        .map_err(|_| StoreError::Internal("an export's ticket turned invisible".into()))?;

    // The ticket came with the first page of its thread (as the requester reads it); the rest
    // follows from where that page ends.
    let mut messages = ticket.threads.clone();
    let mut cursor = ticket.threads_next_cursor.clone();
    while let Some(after) = cursor {
        let page = store
            .list_messages(
                id,
                &PageQuery {
                    limit: PAGE,
                    cursor: Some(after),
                },
            )
            .await?;
        messages.extend(page.messages.into_iter().filter(|m| view.shows(m)));
        cursor = page.next_cursor;
    }
    let mut history = Vec::new();
    if requester.is_staff() {
        let mut cursor = None;
        loop {
            let page = store
                .list_history(
                    id,
                    &PageQuery {
                        limit: PAGE,
                        cursor,
                    },
                )
                .await?;
            history.extend(page.entries);
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
    }

    let mut exported = Exported {
        tickets: 1,
        messages: messages.len() as u64,
        history_entries: history.len() as u64,
        ..Exported::default()
    };
    let mut attachments = Vec::new();
    let mut copies = Vec::new();
    for attachment in &ticket.attachments {
        let mut shown = serde_json::to_value(attachment).map_err(json_failed)?;
        // A soft-deleted ticket's files are shown to no one until it is restored (the access
        // rule): its export lists the records, without the files.
        if attachment.status == AttachmentStatus::Available && !ticket.is_deleted() {
            let path = format!(
                "tickets/{id}/files/{}/{}",
                attachment.id, attachment.filename
            );
            shown["file"] = json!(path);
            copies.push((path, object_key(id, &attachment.id)));
        }
        attachments.push(shown);
    }
    let mut document = json!({
        "ticket": ticket.summary,
        "messages": messages,
        "attachments": attachments,
    });
    if requester.is_staff() {
        document["history"] = json!(history);
    }
    writer
        .append(&format!("tickets/{id}/ticket.json"), &to_json(&document)?)
        .await?;
    for (path, key) in copies {
        // A file deleted since the ticket was read is left out (its record says so).
        if let Some(bytes) = writer.files.read(&key).await? {
            exported.attachments += 1;
            exported.file_bytes += bytes.len() as u64;
            writer.append(&path, &bytes).await?;
        }
    }
    Ok(exported)
}

fn to_json(value: &Value) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec_pretty(value).map_err(json_failed)
}

fn json_failed(err: serde_json::Error) -> StoreError {
    StoreError::Internal(format!("export document: {err}"))
}

fn archive_failed(err: std::io::Error) -> StoreError {
    StoreError::Internal(format!("export archive: {err}"))
}
