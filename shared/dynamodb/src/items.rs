//! The single-table layout (docs/DATA_MODEL.md): how each record becomes an item.
//!
//! | item        | pk                              | sk                |
//! |-------------|---------------------------------|-------------------|
//! | ticket      | `TICKET#<id>`                   | `TICKET`          |
//! | message     | `TICKET#<id>`                   | `TICKET#MSG#<messageId>` |
//! | attachment  | `TICKET#<id>`                   | `ATT#<attachmentId>` |
//! | counters    | `COUNTER#ALL#<shard>` or `COUNTER#CLIENT#<client>` | `COUNTER` |
//! | idempotency | `IDEMPOTENCY#<caller>#<key>`    | `IDEMPOTENCY`     |
//!
//! Messages sort right after their ticket item (and attachments before it), so the first page
//! of a thread comes with the ticket in one `Query`, and a ticket with its attachments and the
//! first messages is one `Query` too.
//!
//! Ticket items carry the list-index keys (`idx*`) while they are visible; a soft-deleted ticket
//! drops them, so every list index is sparse and never returns deleted tickets.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use tickets_domain::{Attachment, Status, ThreadMessage, TicketSummary};

use crate::error::internal;
use tickets_domain::StoreError;

pub type Item = HashMap<String, AttributeValue>;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const TICKET_SK: &str = "TICKET";
pub const MESSAGE_PREFIX: &str = "TICKET#MSG#";
pub const ATTACHMENT_PREFIX: &str = "ATT#";
pub const COUNTER_SK: &str = "COUNTER";
pub const IDEMPOTENCY_SK: &str = "IDEMPOTENCY";
/// The table's TTL attribute (epoch seconds). Named apart from any API field on purpose.
pub const TTL: &str = "ttl";
/// Overall counters are spread over this many items so that no single item is hot.
pub const COUNTER_SHARDS: u32 = 16;

pub fn ticket_pk(id: &str) -> String {
    format!("TICKET#{id}")
}

pub fn key(pk: String, sk: &str) -> Item {
    HashMap::from([
        (PK.to_string(), AttributeValue::S(pk)),
        (SK.to_string(), AttributeValue::S(sk.to_string())),
    ])
}

/// The partition key values of the list indexes, present only while the ticket is visible.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct IndexKeys<'a> {
    idx_all: &'static str,
    idx_client: &'a str,
    idx_status: &'static str,
    idx_category: &'static str,
    idx_priority: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    idx_assignee: Option<&'a str>,
    idx_created: String,
    idx_updated: String,
    /// Only while resolved: the index auto-close reads due tickets from.
    #[serde(skip_serializing_if = "Option::is_none")]
    idx_resolved: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    idx_resolved_at: Option<String>,
}

/// The value resolved tickets have in `idxResolved`.
pub const RESOLVED_TICKETS: &str = "RESOLVED";

/// The value every visible ticket has in `idxAll`.
pub const ALL_TICKETS: &str = "TICKET";

/// A unique, time-ordered sort value: `<timestamp>#<id>`.
pub fn sort_value(timestamp: &tickets_domain::Timestamp, id: &str) -> String {
    format!("{timestamp}#{id}")
}

#[derive(Serialize)]
struct TicketItem<'a> {
    pk: String,
    sk: &'static str,
    #[serde(flatten)]
    summary: &'a TicketSummary,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    index: Option<IndexKeys<'a>>,
}

pub fn ticket_item(summary: &TicketSummary) -> Result<Item, StoreError> {
    let index = (!summary.is_deleted()).then(|| IndexKeys {
        idx_all: ALL_TICKETS,
        idx_client: &summary.client,
        idx_status: summary.status.as_str(),
        idx_category: summary.category.as_str(),
        idx_priority: summary.priority.as_str(),
        idx_assignee: summary.assigned_to.as_deref(),
        idx_created: sort_value(&summary.created_at, &summary.id),
        idx_updated: sort_value(&summary.updated_at, &summary.id),
        idx_resolved: (summary.status == Status::Resolved).then_some(RESOLVED_TICKETS),
        idx_resolved_at: (summary.status == Status::Resolved).then(|| {
            sort_value(
                &summary.resolved_at.unwrap_or(summary.updated_at),
                &summary.id,
            )
        }),
    });
    to_item(&TicketItem {
        pk: ticket_pk(&summary.id),
        sk: TICKET_SK,
        summary,
        index,
    })
}

#[derive(Serialize)]
struct AttachmentItem<'a> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    attachment: &'a Attachment,
}

/// A thread message, carrying its ticket's client (the stream consumer names it in the
/// `MessageAdded` event; thread pages are authorised on the ticket item itself).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct MessageItem<'a> {
    pk: String,
    sk: String,
    ticket_client: &'a str,
    #[serde(flatten)]
    message: &'a ThreadMessage,
}

/// The attribute of a message item that names its ticket's client.
pub const TICKET_CLIENT: &str = "ticketClient";

pub fn message_sk(message_id: &str) -> String {
    format!("{MESSAGE_PREFIX}{message_id}")
}

pub fn message_item(ticket: &TicketSummary, message: &ThreadMessage) -> Result<Item, StoreError> {
    to_item(&MessageItem {
        pk: ticket_pk(&ticket.id),
        sk: message_sk(&message.id),
        ticket_client: &ticket.client,
        message,
    })
}

pub fn attachment_sk(attachment_id: &str) -> String {
    format!("{ATTACHMENT_PREFIX}{attachment_id}")
}

pub fn attachment_item(ticket_id: &str, attachment: &Attachment) -> Result<Item, StoreError> {
    to_item(&AttachmentItem {
        pk: ticket_pk(ticket_id),
        sk: attachment_sk(&attachment.id),
        attachment,
    })
}

pub fn to_item<T: Serialize>(value: &T) -> Result<Item, StoreError> {
    serde_dynamo::to_item(value).map_err(internal)
}

pub fn from_item<T: serde::de::DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(internal)
}

pub fn string_attr(item: &Item, name: &str) -> Option<String> {
    match item.get(name) {
        Some(AttributeValue::S(value)) => Some(value.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tickets_domain::{Category, Priority, Status, Timestamp};

    fn summary() -> TicketSummary {
        let now: Timestamp = "2024-01-15T10:30:00Z".parse().unwrap();
        TicketSummary {
            id: "01HMD3V8Q6Y0PZ3F7Q3K2T9W4X".into(),
            title: "t".into(),
            description: "d".into(),
            status: Status::Open,
            priority: Priority::Low,
            category: Category::General,
            client: "c1".into(),
            assigned_to: None,
            tags: vec!["a".into()],
            resolution: None,
            created_at: now,
            updated_at: now,
            resolved_at: None,
            first_response_at: None,
            closed_at: None,
            deleted_at: None,
            changed_by: None,
            version: 1,
        }
    }

    #[test]
    fn a_visible_ticket_carries_its_index_keys_and_round_trips() {
        let ticket = summary();
        let item = ticket_item(&ticket).unwrap();
        assert_eq!(
            string_attr(&item, "pk").unwrap(),
            format!("TICKET#{}", ticket.id)
        );
        assert_eq!(string_attr(&item, "idxStatus").unwrap(), "open");
        assert_eq!(
            string_attr(&item, "idxCreated").unwrap(),
            format!("2024-01-15T10:30:00.000Z#{}", ticket.id)
        );
        assert!(!item.contains_key("idxAssignee"));
        let back: TicketSummary = from_item(item).unwrap();
        assert_eq!(back, ticket);
    }

    #[test]
    fn a_deleted_ticket_has_no_index_keys() {
        let mut ticket = summary();
        ticket.deleted_at = Some(ticket.created_at);
        let item = ticket_item(&ticket).unwrap();
        assert!(item.keys().all(|name| !name.starts_with("idx")));
    }
}
