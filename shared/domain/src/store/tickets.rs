//! Tickets: reading, creating (idempotently), saving, listing and counting them, and finding
//! the ones due for closing.

use std::future::Future;

use crate::access::Scope;
use crate::counts::{CounterSet, Counts, Facet, Tally};
use crate::error::StoreError;
use crate::merge::Merge;
use crate::model::{Category, Priority, Status, ThreadMessage, Ticket, TicketSummary, Timestamp};
use crate::sla::ClockStatus;
use crate::store::ServiceLevels;

/// The result of an idempotent create (or merge).
#[derive(Debug)]
pub enum CreateOutcome {
    /// Stored now.
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

/// An answer remembered under an idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Remembered {
    pub fingerprint: String,
    pub response: String,
}

/// Answers remembered under idempotency keys, for requests whose record is not written in one
/// transaction with their change, or that must be recognised before their preconditions are
/// checked again (a merge's sources are closed once it committed).
pub trait IdempotencyStore: Send + Sync {
    /// The record under `key`, unless there is none or it expired by `now`.
    fn recall(
        &self,
        key: &str,
        now: Timestamp,
    ) -> impl Future<Output = Result<Option<Remembered>, StoreError>> + Send;

    /// Stores `record` unless a live one is under its key already; answers that one then.
    fn remember(
        &self,
        record: &IdempotencyRecord,
    ) -> impl Future<Output = Result<Option<Remembered>, StoreError>> + Send;
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

/// Every port that changes tickets also answers the service levels they are measured by.
pub trait TicketCreator: ServiceLevels {
    /// Stores a new ticket, its first message and attachments, all or nothing.
    fn create_ticket(
        &self,
        ticket: &Ticket,
        idempotency: Option<&IdempotencyRecord>,
    ) -> impl Future<Output = Result<CreateOutcome, StoreError>> + Send;
}

pub trait TicketWriter: ServiceLevels {
    /// Replaces `before` with `after`, only if the stored version is still `before.version`.
    fn save_ticket(
        &self,
        before: &TicketSummary,
        after: &TicketSummary,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

pub trait TicketMerger: ServiceLevels {
    /// The listed fields of each ticket (not the description), in the order of `ids`; `None`
    /// for an id with no ticket. One request for up to 100 ids.
    fn get_summaries(
        &self,
        ids: &[String],
    ) -> impl Future<Output = Result<Vec<Option<TicketSummary>>, StoreError>> + Send;

    /// Stores a merge all or nothing: every ticket conditional on the version read, their
    /// messages, the counters and `idempotency`'s record. `VersionConflict` when a ticket
    /// changed since it was read; `Replayed` when the key's record exists already.
    fn merge_tickets(
        &self,
        merge: &Merge,
        idempotency: Option<&IdempotencyRecord>,
    ) -> impl Future<Output = Result<CreateOutcome, StoreError>> + Send;
}

pub trait TicketLister: Send + Sync {
    fn list_tickets(
        &self,
        query: &ListQuery,
    ) -> impl Future<Output = Result<TicketPage, StoreError>> + Send;

    /// The counters of one set: how many visible tickets have each facet there.
    fn count_tickets(
        &self,
        set: &CounterSet,
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
    /// Staff only: the tickets rated so.
    pub satisfaction: Option<crate::model::Rating>,
    /// Staff only: the service-level queue (tickets whose clocks run), in due order.
    pub sla: Option<SlaQueue>,
}

/// Which tickets of the service-level queue a list holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlaQueue {
    /// Every ticket with a running clock.
    Running,
    /// Those whose worst running clock stands so (`breached`, `at_risk` or `active`).
    Standing(ClockStatus),
}

impl SlaQueue {
    /// The standings a list of this queue reads, worst first.
    pub fn standings(&self) -> Vec<ClockStatus> {
        match self {
            SlaQueue::Running => vec![
                ClockStatus::Breached,
                ClockStatus::AtRisk,
                ClockStatus::Active,
            ],
            SlaQueue::Standing(status) => vec![*status],
        }
    }
}

impl ListFilter {
    /// Where the number of tickets matching this filter in `scope` is counted: the counter set
    /// to read and what to add up in it. `None` for the combinations no counter covers: a tag
    /// with any other filter, and an assignee with status, category or priority in a client's
    /// scope (docs/API.md).
    pub fn tally(&self, scope: &Scope) -> Option<(CounterSet, Tally)> {
        let in_scope = CounterSet::from(scope);
        if self.satisfaction.is_some() || self.sla.is_some() {
            // Ratings and clocks are not counted: documented exceptions (docs/API.md).
            return None;
        }
        let cells = Tally::Cells {
            status: self.status,
            category: self.category,
            priority: self.priority,
        };
        let narrowed = [
            self.status.is_some(),
            self.category.is_some(),
            self.priority.is_some(),
        ]
        .into_iter()
        .filter(|set| *set)
        .count();
        match (&self.tag, &self.assigned_to) {
            (Some(tag), None) if narrowed == 0 => {
                Some((in_scope, Tally::Facet(Facet::Tag(tag.clone()))))
            }
            (Some(_), _) => None,
            (None, Some(assignee)) if narrowed == 0 => {
                Some((in_scope, Tally::Facet(Facet::Assignee(assignee.clone()))))
            }
            (None, Some(assignee)) => match scope {
                Scope::All => Some((CounterSet::Assignee(assignee.clone()), cells)),
                Scope::Client(_) => None,
            },
            (None, None) => {
                let single = self
                    .status
                    .map(Facet::Status)
                    .or(self.category.map(Facet::Category))
                    .or(self.priority.map(Facet::Priority));
                match (narrowed, single) {
                    (0, _) => Some((in_scope, Tally::Facet(Facet::All))),
                    (1, Some(facet)) => Some((in_scope, Tally::Facet(facet))),
                    _ => Some((in_scope, cells)),
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortField {
    CreatedAt,
    UpdatedAt,
    /// The soonest due time of a ticket's running clocks (the service-level queue).
    SlaDueAt,
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
