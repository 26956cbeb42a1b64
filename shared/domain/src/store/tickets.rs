//! Tickets: reading, creating (idempotently), saving, listing and counting them, and finding
//! the ones due for closing.

use std::future::Future;

use crate::access::Scope;
use crate::counts::{Counts, Facet};
use crate::error::StoreError;
use crate::model::{Category, Priority, Status, ThreadMessage, Ticket, TicketSummary, Timestamp};

/// The result of an idempotent create.
#[derive(Debug)]
pub enum CreateOutcome {
    Created,
    /// The key was used before: the first request's fingerprint and its response body.
    Replayed {
        fingerprint: String,
        response: String,
    },
}

/// What a create stores beside the ticket so that a retry returns the first result.
#[derive(Clone, Debug)]
pub struct IdempotencyRecord {
    /// The client's key, scoped to the caller that sent it.
    pub key: String,
    pub fingerprint: String,
    /// The response body of the first request, replayed as is.
    pub response: String,
    /// When the first request was made: a record expired by then no longer counts.
    pub at: Timestamp,
    /// When the key is forgotten.
    pub expires_at: Timestamp,
}

pub trait TicketReader: Send + Sync {
    /// The ticket with its attachments and the first `THREAD_WINDOW` thread messages, or
    /// `None` when there is no such ticket.
    fn get_ticket(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<Ticket>, StoreError>> + Send;

    /// The ticket's own fields only: one item, whatever the thread's length.
    fn get_summary(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<TicketSummary>, StoreError>> + Send;
}

pub trait TicketCreator: Send + Sync {
    /// Stores a new ticket, its first message and attachments, all or nothing.
    fn create_ticket(
        &self,
        ticket: &Ticket,
        idempotency: Option<&IdempotencyRecord>,
    ) -> impl Future<Output = Result<CreateOutcome, StoreError>> + Send;
}

pub trait TicketWriter: Send + Sync {
    /// Replaces `before` with `after`, only if the stored version is still `before.version`.
    fn save_ticket(
        &self,
        before: &TicketSummary,
        after: &TicketSummary,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait TicketLister: Send + Sync {
    fn list_tickets(
        &self,
        query: &ListQuery,
    ) -> impl Future<Output = Result<TicketPage, StoreError>> + Send;

    /// How many visible tickets in `scope` have each facet.
    fn count_tickets(
        &self,
        scope: &Scope,
    ) -> impl Future<Output = Result<Counts, StoreError>> + Send;
}

pub trait TicketCloser: Send + Sync {
    /// Visible `resolved` tickets resolved before `cutoff`, oldest first, at most `limit`: an
    /// index query that reads only due tickets.
    fn resolved_before(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<TicketSummary>, StoreError>> + Send;

    /// Replaces `before` with `after` (conditional on its version) and adds `message` to the
    /// thread, in one transaction.
    fn save_with_message(
        &self,
        before: &TicketSummary,
        after: &TicketSummary,
        message: &ThreadMessage,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListFilter {
    pub status: Option<Status>,
    pub category: Option<Category>,
    pub priority: Option<Priority>,
    pub tag: Option<String>,
    pub assigned_to: Option<String>,
}

impl ListFilter {
    pub fn facets(&self) -> Vec<Facet> {
        let mut facets = Vec::new();
        facets.extend(self.status.map(Facet::Status));
        facets.extend(self.category.map(Facet::Category));
        facets.extend(self.priority.map(Facet::Priority));
        facets.extend(self.tag.clone().map(Facet::Tag));
        facets.extend(self.assigned_to.clone().map(Facet::Assignee));
        facets
    }

    /// The one counter that holds the number of matching tickets, when there is one: with no
    /// filter it is the total, with one filter that facet's count. Combined filters have none.
    pub fn counted_by(&self) -> Option<Facet> {
        let mut facets = self.facets();
        match facets.len() {
            0 => Some(Facet::All),
            1 => facets.pop(),
            _ => None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sort {
    pub field: SortField,
    pub descending: bool,
}

impl Default for Sort {
    /// Newest first.
    fn default() -> Self {
        Sort {
            field: SortField::CreatedAt,
            descending: true,
        }
    }
}

/// Where a page starts: an opaque cursor (preferred) or a page number (reads the pages before it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageStart {
    Page(u32),
    Cursor(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListQuery {
    pub scope: Scope,
    pub filter: ListFilter,
    pub sort: Sort,
    pub limit: u32,
    pub start: PageStart,
}

#[derive(Clone, Debug, Default)]
pub struct TicketPage {
    pub items: Vec<TicketSummary>,
    /// Present when more tickets may follow.
    pub next_cursor: Option<String>,
}
