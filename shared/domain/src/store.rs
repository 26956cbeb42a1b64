//! The storage ports. The domain owns them; the DynamoDB adapter implements them. Each handler
//! asks only for the port it uses.

use std::collections::BTreeMap;
use std::future::Future;

use crate::history::{AuditEntry, DomainEvent};
use crate::model::{
    Attachment, Category, Priority, Status, ThreadMessage, Ticket, TicketSummary, Timestamp,
};
use crate::thread::PostedMessage;

pub use crate::access::Scope;
pub use crate::error::StoreError;

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

pub trait ThreadWriter: Send + Sync {
    /// Stores the message and its effects on the ticket (version, `updatedAt`, a reopen,
    /// `firstResponseAt`) in one transaction. `VersionConflict` when the ticket no longer is
    /// what the message was written against (another status, closed, deleted).
    fn add_message(
        &self,
        ticket: &TicketSummary,
        posted: &PostedMessage,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
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

/// The audit trail, and which stored changes have been handled (so that a redelivered stream
/// record changes nothing).
pub trait HistoryStore: Send + Sync {
    fn change_handled(
        &self,
        change_id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Stores the entries of a change and marks the change handled, together.
    fn record_change(
        &self,
        change_id: &str,
        entries: &[AuditEntry],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A ticket's history, oldest first, one request per page.
    fn list_history(
        &self,
        ticket_id: &str,
        query: &MessageQuery,
    ) -> impl Future<Output = Result<HistoryPage, StoreError>> + Send;
}

#[derive(Clone, Debug, Default)]
pub struct HistoryPage {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<String>,
}

/// Where domain events go (EventBridge). `Err` unless every event was accepted: failed entries
/// are retried, never dropped silently.
pub trait EventPublisher: Send + Sync {
    fn publish(
        &self,
        events: &[DomainEvent],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// A stored change, as the table's stream reports it.
// One value per stream record, built and consumed once: boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Change {
    Ticket {
        before: Option<TicketSummary>,
        after: TicketSummary,
    },
    Message {
        ticket_id: String,
        client: String,
        message: ThreadMessage,
    },
    Attachment {
        ticket_id: String,
        before: Option<Attachment>,
        after: Option<Attachment>,
    },
}

pub trait ThreadReader: Send + Sync {
    /// One page of a ticket's thread, oldest first, in one request.
    fn list_messages(
        &self,
        ticket_id: &str,
        query: &MessageQuery,
    ) -> impl Future<Output = Result<MessagePage, StoreError>> + Send;
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageQuery {
    pub limit: u32,
    /// From a previous page's `next_cursor`; `None` starts at the first message.
    pub cursor: Option<String>,
}

/// A page of thread messages with the ticket as it is now (`None`: no such ticket), which the
/// caller's access is decided on for every page, a page after a cursor included.
#[derive(Clone, Debug, Default)]
pub struct MessagePage {
    pub ticket: Option<TicketSummary>,
    pub messages: Vec<ThreadMessage>,
    pub next_cursor: Option<String>,
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

pub trait AttachmentReader: Send + Sync {
    /// The ticket and one of its attachments, read together. `None` when there is no ticket;
    /// the attachment is `None` when the ticket has no such attachment.
    fn get_attachment(
        &self,
        ticket_id: &str,
        attachment_id: &str,
    ) -> impl Future<Output = Result<Option<(TicketSummary, Option<Attachment>)>, StoreError>> + Send;
}

pub trait AttachmentWriter: Send + Sync {
    /// Stores a new attachment record and bumps the ticket's version, only while the ticket is
    /// visible and not closed (`VersionConflict` otherwise).
    fn add_attachment(
        &self,
        ticket: &TicketSummary,
        attachment: &Attachment,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Moves a `pending` attachment to its verdict. `false` when it was not pending (already
    /// settled, e.g. a redelivered event): nothing changes then.
    fn settle_attachment(
        &self,
        ticket_id: &str,
        attachment_id: &str,
        verdict: &UploadVerdict,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Removes the attachment record and bumps the ticket's version, as a change by `by`.
    fn remove_attachment(
        &self,
        ticket: &TicketSummary,
        attachment_id: &str,
        by: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What checking an uploaded object decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadVerdict {
    /// As declared and allowed; `size` is the real size.
    Available {
        size: u64,
    },
    Rejected,
}

/// Where attachment files live (S3). URLs are presigned: files never pass through the API.
pub trait FileStore: Send + Sync {
    fn presign_upload(
        &self,
        key: &str,
        attachment: &Attachment,
    ) -> impl Future<Output = Result<PresignedUpload, StoreError>> + Send;

    /// A short-lived URL that downloads the file as an attachment under its filename.
    fn presign_download(
        &self,
        key: &str,
        attachment: &Attachment,
    ) -> impl Future<Output = Result<String, StoreError>> + Send;

    /// The stored object's real size and content type, or `None` when there is none.
    fn inspect(
        &self,
        key: &str,
    ) -> impl Future<Output = Result<Option<StoredObject>, StoreError>> + Send;

    /// Deletes the object; deleting one that does not exist succeeds.
    fn delete(&self, key: &str) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// How to upload one file: `PUT` the bytes to `url` with `headers`, before `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresignedUpload {
    pub url: String,
    pub method: String,
    pub headers: BTreeMap<String, String>,
    pub expires_at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredObject {
    pub size: u64,
    pub content_type: String,
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

/// A countable property of a ticket. Counters are kept per scope for every facet.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Facet {
    All,
    Status(Status),
    Category(Category),
    Priority(Priority),
    Tag(String),
    Assignee(String),
}

impl Facet {
    /// A stable name for the counter of this facet.
    pub fn key(&self) -> String {
        match self {
            Facet::All => "all".into(),
            Facet::Status(s) => format!("status:{s}"),
            Facet::Category(c) => format!("category:{c}"),
            Facet::Priority(p) => format!("priority:{p}"),
            Facet::Tag(t) => format!("tag:{t}"),
            Facet::Assignee(a) => format!("assignee:{a}"),
        }
    }

    /// The facets a ticket counts under. A deleted ticket counts under none.
    pub fn of(ticket: &TicketSummary) -> Vec<Facet> {
        if ticket.is_deleted() {
            return Vec::new();
        }
        let mut facets = vec![
            Facet::All,
            Facet::Status(ticket.status),
            Facet::Category(ticket.category),
            Facet::Priority(ticket.priority),
        ];
        facets.extend(ticket.tags.iter().cloned().map(Facet::Tag));
        facets.extend(ticket.assigned_to.clone().map(Facet::Assignee));
        facets
    }

    /// Counter changes that turn `before` into `after`: +1 for each facet gained, -1 for each lost.
    pub fn delta(before: Option<&TicketSummary>, after: &TicketSummary) -> BTreeMap<String, i64> {
        let mut delta = BTreeMap::new();
        for facet in before.map(Facet::of).unwrap_or_default() {
            *delta.entry(facet.key()).or_insert(0) -= 1;
        }
        for facet in Facet::of(after) {
            *delta.entry(facet.key()).or_insert(0) += 1;
        }
        delta.retain(|_, change| *change != 0);
        delta
    }
}

/// Counter values by facet key; a facet never counted reads as zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub BTreeMap<String, i64>);

impl Counts {
    pub fn get(&self, facet: &Facet) -> u64 {
        self.0.get(&facet.key()).copied().unwrap_or(0).max(0) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::summary;

    #[test]
    fn delta_moves_a_status_change_between_counters() {
        let before = summary(Status::Open);
        let mut after = before.clone();
        after.status = Status::Pending;
        let delta = Facet::delta(Some(&before), &after);
        assert_eq!(
            delta.into_iter().collect::<Vec<_>>(),
            [
                ("status:open".to_string(), -1),
                ("status:pending".to_string(), 1)
            ]
        );
    }

    #[test]
    fn deleting_removes_every_facet_and_creating_adds_them() {
        let created = summary(Status::Open);
        let added = Facet::delta(None, &created);
        assert_eq!(added.get("all"), Some(&1));
        let mut deleted = created.clone();
        deleted.deleted_at = Some(created.created_at);
        let removed = Facet::delta(Some(&created), &deleted);
        assert!(removed.values().all(|change| *change == -1));
        assert_eq!(removed.len(), added.len());
    }

    #[test]
    fn only_zero_or_one_filter_has_a_counter() {
        assert_eq!(ListFilter::default().counted_by(), Some(Facet::All));
        let one = ListFilter {
            tag: Some("vpn".into()),
            ..ListFilter::default()
        };
        assert_eq!(one.counted_by(), Some(Facet::Tag("vpn".into())));
        let two = ListFilter {
            status: Some(Status::Open),
            ..one
        };
        assert_eq!(two.counted_by(), None);
    }
}
