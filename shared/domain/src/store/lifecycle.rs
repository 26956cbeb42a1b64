//! Erasing tickets for good: what one erasure removes, recorded before anything is removed,
//! and the removal itself.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::model::Timestamp;

/// What erasing removes, counted once per ticket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Removed {
    pub tickets: u64,
    pub messages: u64,
    pub attachments: u64,
    /// Attachment files (objects) deleted from the bucket.
    pub files: u64,
    pub history_entries: u64,
    /// Answers kept for the client's idempotent requests.
    #[serde(default)]
    pub idempotency_records: u64,
    /// Webhook delivery-log entries that named the client.
    #[serde(default)]
    pub webhook_deliveries: u64,
    /// The client's exports: their jobs and archives.
    #[serde(default)]
    pub exports: u64,
    /// The client's contact: its e-mail address and choices.
    #[serde(default)]
    pub contacts: u64,
}

impl std::ops::AddAssign for Removed {
    fn add_assign(&mut self, other: Removed) {
        self.tickets += other.tickets;
        self.messages += other.messages;
        self.attachments += other.attachments;
        self.files += other.files;
        self.history_entries += other.history_entries;
        self.idempotency_records += other.idempotency_records;
        self.webhook_deliveries += other.webhook_deliveries;
        self.exports += other.exports;
        self.contacts += other.contacts;
    }
}

/// An erasure about to happen: what it removes (as first recorded: a resumed erasure reports
/// what the interrupted one would have), and the files to delete before the items.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErasurePlan {
    pub removed: Removed,
    /// The object keys of the ticket's attachments.
    pub files: Vec<String>,
}

pub trait TicketEraser: Send + Sync {
    /// Records what erasing ticket `id` removes, unless an earlier attempt recorded it, and
    /// answers it; `None` when the ticket item is gone (erased, or never there).
    fn plan_erasure(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<ErasurePlan>, StoreError>> + Send;

    /// Removes ticket `id` for good: its history, its messages, attachment records and
    /// description, then the ticket item in one transaction with the counters it counted in
    /// (and, for a job's erasure, with the job's counts of what it removed: counted once,
    /// whatever happens), then anything written to its partition meanwhile. Idempotent:
    /// erasing what is gone, or half gone, finishes the work.
    fn erase_ticket(
        &self,
        id: &str,
        job: Option<&str>,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Soft-deleted tickets deleted before `before`, longest deleted first, at most `limit`.
    fn deleted_before(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
}

crate::model::wire_enum!(
    /// Where a data job stands (`expired`: a done export whose archive is past its days).
    JobStatus {
        Running => "running",
        Done => "done",
        Failed => "failed",
        Expired => "expired",
    }
);

crate::model::wire_enum!(
    /// What a data job does: its steps' messages say it.
    JobKind {
        Erasure => "erasure",
        Export => "export",
        Rekey => "rekey",
    }
);

/// A client's erasure, as `GET /v2/erasures/{id}` shows it. The client's id is kept only while
/// the job runs; the record that stays says who asked, when, and what was removed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErasureJob {
    #[serde(rename = "_id")]
    pub id: String,
    pub status: JobStatus,
    pub requested_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub removed: Removed,
    /// The client, while the job runs (never shown).
    #[serde(skip_serializing, default)]
    pub client: Option<String>,
}

/// A client's data, as an erasure finds it.
pub trait ClientData: Send + Sync {
    /// Up to `limit` ids of the client's tickets, deleted ones included.
    fn client_ticket_ids(
        &self,
        client: &str,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// Removes what is left of the client once their tickets are erased: their counter
    /// item, the answers kept for their idempotent requests, the webhook delivery-log
    /// entries that name them, their export jobs and their contact; what it removed.
    fn erase_client_remains(
        &self,
        client: &str,
    ) -> impl Future<Output = Result<Removed, StoreError>> + Send;
}

/// The erasure jobs.
pub trait ErasureJobs: Send + Sync {
    /// Stores a new job (running, with its client).
    fn start_job(&self, job: &ErasureJob) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn job(&self, id: &str) -> impl Future<Output = Result<Option<ErasureJob>, StoreError>> + Send;

    /// Ends a running job: `done`, the client's id forgotten, `removed` added to its counts.
    fn finish_job(
        &self,
        id: &str,
        removed: &Removed,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Where a job's next step is queued (each step is one invocation, bounded; a job of any size
/// is a chain of them).
pub trait JobQueue: Send + Sync {
    fn next_step(
        &self,
        job: &str,
        kind: JobKind,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// Ending a job that cannot go on.
pub trait FailedJobs: Send + Sync {
    /// Marks a running job (of either kind) `failed`; whether it was running.
    fn fail_job(
        &self,
        id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}
