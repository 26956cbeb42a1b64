//! Exporting a client's data: the export jobs, the pages of a client's tickets they read, and
//! the store of the archives they write (one multipart upload per archive, a part at a time).

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::model::Timestamp;

use super::JobStatus;

/// What an export holds, counted as it is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Exported {
    pub tickets: u64,
    pub messages: u64,
    pub attachments: u64,
    pub history_entries: u64,
    /// The attachment files' bytes (before compression).
    pub file_bytes: u64,
}

impl std::ops::AddAssign for Exported {
    fn add_assign(&mut self, other: Exported) {
        self.tickets += other.tickets;
        self.messages += other.messages;
        self.attachments += other.attachments;
        self.history_entries += other.history_entries;
        self.file_bytes += other.file_bytes;
    }
}

/// A client's export, as `GET /v2/exports/{id}` shows it (the download link is added there).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportJob {
    #[serde(rename = "_id")]
    pub id: String,
    pub status: JobStatus,
    pub client: String,
    pub requested_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub exported: Exported,
    /// Where the job stands (never shown).
    #[serde(skip, default)]
    pub progress: ExportProgress,
}

/// An export's progress between its steps: whose view it is written in, where the next step
/// starts, and the archive's upload so far.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportProgress {
    /// The requester's role when it asked (`client`, `agent`, `admin`): the view the archive
    /// is written in.
    pub role: String,
    /// Steps done so far: the condition of the next step's write (a redelivered step finds it
    /// moved on and writes nothing).
    pub step: u32,
    /// Where the client's next tickets start (`None`: at the first).
    pub cursor: Option<String>,
    /// The archive's object key.
    pub archive: String,
    /// The archive's multipart upload, once the first step started it.
    pub upload: Option<String>,
    /// The parts uploaded so far, in order.
    pub parts: Vec<ArchivePart>,
    /// The compressed bytes written but not uploaded yet (under a part's minimum size), kept
    /// as an object of their own for the next step.
    pub carry: Option<String>,
    /// Every part is uploaded: what is left is completing the upload and ending the job.
    pub complete: bool,
    /// Which attempt stored this progress (new for every attempt of every step): an attempt
    /// whose write was stored but whose answer was lost recognises its own progress.
    #[serde(default)]
    pub attempt: String,
}

/// One uploaded part of an archive.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchivePart {
    pub number: u32,
    pub etag: String,
}

/// One page of a client's ticket ids.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IdPage {
    /// Each id with the position just after it (where a page that stops there resumes).
    pub ids: Vec<(String, String)>,
    /// Where the next page starts (perhaps past the last id: a page may read tickets it does
    /// not answer); `None` after the last.
    pub next: Option<String>,
}

/// The export jobs (in the same table as the erasures, each kind reading only its own).
pub trait ExportJobs: Send + Sync {
    /// Stores a new running job, and a note under the client that the job exists (so that
    /// erasing the client finds it).
    fn start_export(&self, job: &ExportJob) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn export(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<ExportJob>, StoreError>> + Send;

    /// Stores the progress of one more step and adds `exported` to the job's counts, if the
    /// job is running and still at `step`; whether it was.
    fn save_export_step(
        &self,
        id: &str,
        step: u32,
        progress: &ExportProgress,
        exported: &Exported,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Ends a running job as `done`; whether it was running.
    fn finish_export(
        &self,
        id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// One page of the client's tickets, oldest first: those it sees, and with
    /// `include_deleted` the soft-deleted ones after them. At most `limit` ids.
    fn client_tickets(
        &self,
        client: &str,
        include_deleted: bool,
        start: Option<&str>,
        limit: u32,
    ) -> impl Future<Output = Result<IdPage, StoreError>> + Send;
}

/// Where the archives are written, and the files they copy.
pub trait ArchiveStore: Send + Sync {
    /// Starts a multipart upload to `key`; its id.
    fn start_upload(&self, key: &str) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// Uploads part `number` (every part but the last at least 5 MiB); its ETag.
    fn upload_part(
        &self,
        key: &str,
        upload: &str,
        number: u32,
        bytes: Vec<u8>,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// Completes the upload from `parts`. Completing one that was completed already, whose
    /// object is there, succeeds.
    fn complete_upload(
        &self,
        key: &str,
        upload: &str,
        parts: &[ArchivePart],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stores a whole object.
    fn put(&self, key: &str, bytes: Vec<u8>)
        -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A whole object's bytes; `None` when there is none.
    fn read(&self, key: &str) -> impl Future<Output = Result<Option<Vec<u8>>, StoreError>> + Send;

    /// Deletes one object; deleting one that does not exist succeeds.
    fn remove(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Deletes every object whose key starts with `prefix`; how many.
    fn delete_under(&self, prefix: &str) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// A short-lived URL that downloads `key` under `filename`, and when it expires.
    fn presign_archive(
        &self,
        key: &str,
        filename: &str,
    ) -> impl Future<Output = Result<(String, Timestamp), StoreError>> + Send;
}
