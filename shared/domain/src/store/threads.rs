//! Threads: paging through a ticket's messages and posting one.

use std::future::Future;

use crate::error::StoreError;
use crate::model::{ThreadMessage, TicketSummary};
use crate::thread::PostedMessage;

use super::PageQuery;

pub trait ThreadReader: Send + Sync {
    /// One page of a ticket's thread, oldest first, in one request.
    fn list_messages(
        &self,
        ticket_id: &str,
        query: &PageQuery,
    ) -> impl Future<Output = Result<MessagePage, StoreError>> + Send;
}

/// A page of thread messages with the ticket as it is now (`None`: no such ticket), which the
/// caller's access is decided on for every page, a page after a cursor included.
#[derive(Clone, Debug, Default)]
pub struct MessagePage {
    pub ticket: Option<TicketSummary>,
    pub messages: Vec<ThreadMessage>,
    pub next_cursor: Option<String>,
}

pub trait ThreadWriter: super::ServiceLevels {
    /// Stores the message and applies its edit to the ticket, in one transaction.
    /// `VersionConflict` when a guard of the edit no longer holds (another status, closed,
    /// deleted, answered meanwhile).
    fn add_message(
        &self,
        posted: &PostedMessage,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
