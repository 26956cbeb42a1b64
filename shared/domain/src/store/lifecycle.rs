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
}

impl std::ops::AddAssign for Removed {
    fn add_assign(&mut self, other: Removed) {
        self.tickets += other.tickets;
        self.messages += other.messages;
        self.attachments += other.attachments;
        self.files += other.files;
        self.history_entries += other.history_entries;
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
    /// description, then the ticket item in one transaction with the counters it counted in,
    /// then anything written to its partition meanwhile. Idempotent: erasing what is gone, or
    /// half gone, finishes the work.
    fn erase_ticket(&self, id: &str) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Soft-deleted tickets deleted before `before`, longest deleted first, at most `limit`.
    fn deleted_before(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;
}
