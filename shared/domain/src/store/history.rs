//! The audit trail, and which stored changes have been handled.

use std::future::Future;

use crate::error::StoreError;
use crate::history::AuditEntry;
use crate::model::Timestamp;

use super::PageQuery;

/// The audit trail, and which stored changes have been handled (so that a redelivered stream
/// record changes nothing).
pub trait HistoryStore: Send + Sync {
    fn change_handled(
        &self,
        change_id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores the entries of a change and marks the change handled (at `at`), together.
    fn record_change(
        &self,
        change_id: &str,
        entries: &[AuditEntry],
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes a ticket's whole history (once the ticket is erased); how many entries it held.
    fn forget_history(
        &self,
        ticket_id: &str,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;

    /// A ticket's history, oldest first, one request per page.
    fn list_history(
        &self,
        ticket_id: &str,
        query: &PageQuery,
    ) -> impl Future<Output = Result<HistoryPage, StoreError>> + Send;
}

#[derive(Clone, Debug, Default)]
pub struct HistoryPage {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}
