//! What the event functions do: turn stored changes into history and domain events, close
//! tickets resolved long ago, and open tickets sent by other services.

use chrono::Duration;

use crate::access::{Caller, Role};
use crate::create::{open_ticket, IdempotencyKey, NewTicket, Opened};
use crate::error::DomainError;
use crate::history::{
    attachment_events, audit_entries, description_change, message_event, ticket_events,
};
use crate::model::{new_id, MessageType, Status, ThreadMessage, TicketSummary, Timestamp};
use crate::store::{
    Change, ClockWatcher, EventPublisher, HistoryStore, StoreError, TicketCloser, TicketCreator,
    TicketWriter,
};

/// Records one stored change: publishes its events, then stores its audit entries and marks
/// it handled. A change already handled is skipped, so a redelivered record changes nothing.
/// (Events are published before the mark: a crash between the two publishes them again on
/// redelivery — at least once, never lost.) The number of events published; `None` when the
/// change was handled before.
pub async fn handle_change<H, P>(
    history: &H,
    publisher: &P,
    change_id: &str,
    change: &Change,
) -> Result<Option<usize>, DomainError>
where
    H: HistoryStore,
    P: EventPublisher,
{
    if history.change_handled(change_id).await? {
        return Ok(None);
    }
    let (entries, events) = match change {
        Change::Ticket { before, after } => (
            audit_entries(before.as_ref(), after),
            ticket_events(before.as_ref(), after),
        ),
        Change::Description {
            ticket_id,
            before,
            after,
        } => description_change(ticket_id, before.as_ref(), after),
        Change::Message {
            ticket_id,
            client,
            message,
        } => (Vec::new(), vec![message_event(ticket_id, client, message)]),
        Change::Attachment {
            ticket_id,
            before,
            after,
        } => (
            Vec::new(),
            attachment_events(ticket_id, before.as_ref(), after.as_ref()),
        ),
        // The ticket's records reach the consumer in the order they were written, so this one
        // comes after every change whose history was recorded: what an erasure left, or what
        // was recorded while it ran, goes now, and nothing of the ticket is recorded again.
        Change::Erased { ticket_id } => {
            history.forget_history(ticket_id).await?;
            (Vec::new(), Vec::new())
        }
    };
    if !events.is_empty() {
        publisher.publish(&events).await?;
    }
    history
        .record_change(change_id, &entries, Timestamp::now())
        .await?;
    Ok(Some(events.len()))
}

pub use crate::model::SYSTEM;

/// How many due tickets one run closes at most; the next run takes the rest.
pub const CLOSE_BATCH: u32 = 200;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CloseReport {
    pub closed: Vec<String>,
    /// Changed by someone between the read and the close; the next run looks again.
    pub skipped: Vec<String>,
}

/// Closes every ticket resolved more than `after_days` before `now`, each with a `system`
/// message in the same transaction.
pub async fn close_resolved_tickets<S: TicketCloser>(
    store: &S,
    now: Timestamp,
    after_days: u32,
) -> Result<CloseReport, DomainError> {
    let cutoff = Timestamp::from(now.as_datetime() - Duration::days(i64::from(after_days)));
    let mut report = CloseReport::default();
    for before in store.resolved_before(cutoff, CLOSE_BATCH).await? {
        let message = ThreadMessage {
            id: new_id(),
            author: SYSTEM.into(),
            message: format!(
                "Closed automatically: the ticket was resolved more than {after_days} days ago."
            ),
            timestamp: now,
            kind: MessageType::System,
            internal: false,
        };
        let mut after = before.clone();
        after.transition(Status::Closed, now)?;
        let after = after.revised(SYSTEM, now);
        match store.save_with_message(&before, &after, &message).await {
            Ok(()) => report.closed.push(before.id),
            Err(StoreError::VersionConflict) => report.skipped.push(before.id),
            Err(err) => return Err(err.into()),
        }
    }
    Ok(report)
}

/// How many tickets one run of the service-level job works forward at most; the next run (a
/// minute later) takes the rest.
pub const CLOCK_BATCH: u32 = 500;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClockReport {
    /// Tickets whose clocks reached a warning or a due time, written.
    pub moved: Vec<String>,
    /// Changed by someone between the read and the write: that change worked the clocks
    /// forward itself.
    pub skipped: Vec<String>,
    /// Could not be written (storage failed): the next run tries them again. One ticket's
    /// failure holds no other back.
    pub failed: Vec<String>,
}

/// Works the clocks of every ticket with a warning or a due time not after `now` forward to
/// `now`, and writes them. The ticket's version, `updatedAt` and `changedBy` stay (time moved;
/// nobody changed the ticket), so an agent's `If-Match` still holds; the table's stream turns
/// the write into history entries and `SlaWarning`/`SlaBreached` events.
pub async fn check_clocks<S>(store: &S, now: Timestamp) -> Result<ClockReport, DomainError>
where
    S: ClockWatcher + TicketWriter,
{
    let mut report = ClockReport::default();
    for before in store.clocks_due(now, CLOCK_BATCH).await? {
        let Some(sla) = &before.sla else { continue };
        let moved = sla.at(now);
        if &moved == sla {
            continue;
        }
        let after = TicketSummary {
            sla: Some(moved),
            ..before.clone()
        };
        match store.save_ticket(&before, &after).await {
            Ok(()) => report.moved.push(before.id),
            Err(StoreError::VersionConflict) => report.skipped.push(before.id),
            Err(_) => report.failed.push(before.id),
        }
    }
    Ok(report)
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IngestOutcome {
    Created(String),
    /// The same message was delivered before: its ticket exists already.
    Duplicate,
}

/// Opens a ticket from another service's message (JSON as for `POST /v2/support-tickets`,
/// naming the `client`), validated like the API and idempotent on the message id.
pub async fn ingest_ticket<S: TicketCreator>(
    store: &S,
    message_id: &str,
    body: &str,
) -> Result<IngestOutcome, DomainError> {
    let command: NewTicket = serde_json::from_str(body).map_err(|err| {
        DomainError::validation("body", format!("is not a create-ticket command: {err}"))
    })?;
    let service = Caller::new("ingest", Role::Agent);
    let key = IdempotencyKey::of_message(message_id);
    let opened = open_ticket(
        store,
        &service,
        command,
        Some(key),
        Timestamp::now(),
        |ticket| ticket.id.clone(),
    )
    .await?;
    Ok(match opened {
        Opened::Created { ticket_id, .. } => IngestOutcome::Created(ticket_id),
        Opened::Replayed { .. } => IngestOutcome::Duplicate,
    })
}
