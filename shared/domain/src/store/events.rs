//! Stored changes as the table's stream reports them, and where domain events go.

use std::future::Future;

use crate::error::StoreError;
use crate::history::DomainEvent;
use crate::model::{Attachment, ThreadMessage, TicketBody, TicketSummary};

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
    /// The description, stored apart from the ticket's other fields.
    Description {
        ticket_id: String,
        before: Option<TicketBody>,
        after: TicketBody,
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
    /// The ticket item removed: the ticket was erased for good (a soft delete keeps it).
    Erased { ticket_id: String },
}
