//! The single-table layout (docs/DATA_MODEL.md): how each record becomes an item.
//!
//! | item        | pk                              | sk                |
//! |-------------|---------------------------------|-------------------|
//! | ticket      | `TICKET#<id>`                   | `TICKET`          |
//! | description | `TICKET#<id>`                   | `TICKET#BODY`     |
//! | message     | `TICKET#<id>`                   | `TICKET#MSG#<messageId>` |
//! | attachment  | `TICKET#<id>`                   | `ATT#<attachmentId>` |
//! | counters    | `COUNTER#ALL#<shard>` or `COUNTER#CLIENT#<client>` | `COUNTER` |
//! | idempotency | `IDEMPOTENCY#<caller>#<key>`    | `IDEMPOTENCY`     |
//!
//! The description (up to 10 KB) is an item of its own, so that a change of the listed fields
//! writes a ticket item of well under a kilobyte, in the table and in every list index. It sorts
//! right after the ticket item and the messages right after it (attachments before it), so the
//! first page of a thread comes with the ticket in one `Query`, and a ticket with its
//! description, attachments and first messages is one `Query` too.
//!
//! Ticket items carry the list-index keys (`idx*`) while they are visible; a soft-deleted ticket
//! drops them, so every list index is sparse and never returns deleted tickets.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use tickets_domain::{Attachment, Status, ThreadMessage, TicketBody, TicketSummary};

use crate::error::internal;
use tickets_domain::StoreError;

pub type Item = HashMap<String, AttributeValue>;

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const TICKET_SK: &str = "TICKET";
pub const BODY_SK: &str = "TICKET#BODY";
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

/// Attribute names of a ticket item (the ticket's own JSON names) that requests name.
pub mod field {
    pub const DESCRIPTION: &str = "description";
    pub const CLIENT: &str = "client";
    pub const ASSIGNED_TO: &str = "assignedTo";
    pub const STATUS: &str = "status";
    pub const CATEGORY: &str = "category";
    pub const PRIORITY: &str = "priority";
    pub const TAGS: &str = "tags";
    pub const FIRST_RESPONSE_AT: &str = "firstResponseAt";
    pub const VERSION: &str = "version";
    /// A path: the rating inside the ticket's `satisfaction` map.
    pub const SATISFACTION_RATING: &str = "satisfaction.rating";
}

/// A list index family: `<name>-by-created` (and `<name>-by-updated` where `by_updated`),
/// partitioned on `key`, which holds one field of the ticket (or a constant, for `ALL`).
///
/// Every index a ticket is in costs a write on every change of its listed fields, two in the
/// `*-by-updated` ones (their key moves): so there are only the indexes the queues desks work
/// from need (docs/COST.md). Category and priority are filters on one of them.
#[derive(Clone, Copy, Debug)]
pub struct ListIndex {
    pub name: &'static str,
    pub key: &'static str,
    pub by_updated: bool,
    /// Spread over the deployment's list shards (see [`Layout`]): the keys with few values.
    pub sharded: bool,
}

pub const BY_ALL: ListIndex = ListIndex {
    name: "all",
    key: "idxAll",
    by_updated: true,
    sharded: true,
};
pub const BY_CLIENT: ListIndex = ListIndex {
    name: "client",
    key: "idxClient",
    by_updated: true,
    sharded: false,
};
pub const BY_ASSIGNEE: ListIndex = ListIndex {
    name: "assignee",
    key: "idxAssignee",
    by_updated: false,
    sharded: false,
};
pub const BY_STATUS: ListIndex = ListIndex {
    name: "status",
    key: "idxStatus",
    by_updated: false,
    sharded: true,
};

/// The list indexes' sort keys: `<name>` in the index name, the attribute.
pub const SORT_CREATED: (&str, &str) = ("created", "idxCreated");
pub const SORT_UPDATED: (&str, &str) = ("updated", "idxUpdated");

/// The index auto-close reads due tickets from: resolved tickets by the time they were resolved.
pub const RESOLVED_INDEX: &str = "resolved-by-time";
pub const IDX_RESOLVED: &str = "idxResolved";
pub const IDX_RESOLVED_AT: &str = "idxResolvedAt";

/// The value resolved tickets have in `idxResolved` (sharded like the busiest list keys: every
/// resolve and close writes it).
pub const RESOLVED_TICKETS: &str = "RESOLVED";
/// The value soft-deleted tickets have there instead, by the time they were deleted: what the
/// purge reads (the same index, so that deleted tickets cost no index of their own).
pub const DELETED_TICKETS: &str = "DELETED";
pub const BY_RESOLVED: ListIndex = ListIndex {
    name: "resolved",
    key: IDX_RESOLVED,
    by_updated: false,
    sharded: true,
};

/// The agents' service-level queue: tickets whose clocks run, partitioned by their worst
/// standing (`SLA#breached`, `SLA#at_risk`, `SLA#active`), soonest due time first
/// (`sla-by-due`).
pub const IDX_SLA: &str = "idxSla";
pub const SORT_SLA_DUE: (&str, &str) = ("due", "idxSlaDue");
pub const BY_SLA: ListIndex = ListIndex {
    name: "sla",
    key: IDX_SLA,
    by_updated: false,
    sharded: true,
};

/// The service-level job's index: tickets with a warning or due time ahead, by the next one
/// (`sla-by-next`, keys only: the job reads the few due tickets themselves).
pub const SLA_NEXT_INDEX: &str = "sla-by-next";
pub const IDX_SLA_NEXT: &str = "idxSlaNext";
pub const IDX_SLA_NEXT_AT: &str = "idxSlaNextAt";
pub const CLOCKS_AHEAD: &str = "SLA";
pub const BY_SLA_NEXT: ListIndex = ListIndex {
    name: "sla-next",
    key: IDX_SLA_NEXT,
    by_updated: false,
    sharded: true,
};

/// The `idxSla` value of a standing.
pub fn sla_standing(status: tickets_domain::sla::ClockStatus) -> String {
    format!("SLA#{status}")
}

/// The value every visible ticket has in `idxAll`.
pub const ALL_TICKETS: &str = "TICKET";

/// A unique, time-ordered sort value: `<timestamp>#<id>`.
pub fn sort_value(timestamp: &tickets_domain::Timestamp, id: &str) -> String {
    format!("{timestamp}#{id}")
}

/// How one deployment lays its tickets out in the list indexes: how many shards the busiest
/// partition keys (`idxAll`, `idxStatus`, `idxResolved`) are spread over (`LIST_SHARDS`, docs/COST.md, "How
/// far one deployment scales"). One shard, the default, is the plain layout: one `Query` per
/// list page. With `n`, a ticket's keys carry its shard (`TICKET#3`, shard 0 unsuffixed, so a
/// desk that raises the count finds every ticket stored before), and a list page queries the
/// `n` partitions and merges them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    list_shards: u32,
}

impl Default for Layout {
    fn default() -> Self {
        Layout { list_shards: 1 }
    }
}

impl Layout {
    /// The most shards a list may query for one page.
    pub const MAX_LIST_SHARDS: u32 = 32;

    /// A layout of `list_shards` shards, 1 to [`Self::MAX_LIST_SHARDS`].
    pub fn new(list_shards: u32) -> Option<Self> {
        (1..=Self::MAX_LIST_SHARDS)
            .contains(&list_shards)
            .then_some(Layout { list_shards })
    }

    pub fn list_shards(&self) -> u32 {
        self.list_shards
    }

    /// The ticket item: every field but the description (see [`body_item`]), and the index
    /// keys. Every write of a ticket item, whole or in place, goes through it.
    pub fn ticket_item(&self, summary: &TicketSummary) -> Result<Item, StoreError> {
        let mut item = to_item(&TicketItem {
            pk: ticket_pk(&summary.id),
            sk: TICKET_SK,
            summary,
        })?;
        item.remove(field::DESCRIPTION);
        for (name, value) in self.index_keys(summary) {
            item.insert(name.to_owned(), AttributeValue::S(value));
        }
        Ok(item)
    }

    /// The index keys a ticket item carries: every list index's while the ticket is visible
    /// (none once it is soft-deleted, so every list is sparse), the resolved index's while it
    /// is resolved, and once it is deleted that index's `DELETED` partition, by the time of
    /// the delete, for the purge. The one place they are derived from the ticket.
    fn index_keys(&self, ticket: &TicketSummary) -> Vec<(&'static str, String)> {
        let shard = self.shard_of(&ticket.id);
        if let Some(deleted_at) = ticket.deleted_at {
            return vec![
                (
                    IDX_RESOLVED,
                    self.partition(&BY_RESOLVED, DELETED_TICKETS, shard),
                ),
                (IDX_RESOLVED_AT, sort_value(&deleted_at, &ticket.id)),
            ];
        }
        let mut keys = vec![
            (BY_ALL.key, self.partition(&BY_ALL, ALL_TICKETS, shard)),
            (BY_CLIENT.key, ticket.client.clone()),
            (
                BY_STATUS.key,
                self.partition(&BY_STATUS, &ticket.status.to_string(), shard),
            ),
            (SORT_CREATED.1, sort_value(&ticket.created_at, &ticket.id)),
            (SORT_UPDATED.1, sort_value(&ticket.updated_at, &ticket.id)),
        ];
        if let Some(assignee) = &ticket.assigned_to {
            keys.push((BY_ASSIGNEE.key, assignee.clone()));
        }
        if let Some(sla) = &ticket.sla {
            if let (Some(standing), Some(due)) = (sla.standing(), sla.due()) {
                keys.push((
                    IDX_SLA,
                    self.partition(&BY_SLA, &sla_standing(standing), shard),
                ));
                keys.push((SORT_SLA_DUE.1, sort_value(&due, &ticket.id)));
            }
            if let Some(next) = sla.next_moment() {
                keys.push((
                    IDX_SLA_NEXT,
                    self.partition(&BY_SLA_NEXT, CLOCKS_AHEAD, shard),
                ));
                keys.push((IDX_SLA_NEXT_AT, sort_value(&next, &ticket.id)));
            }
        }
        if ticket.status == Status::Resolved {
            let resolved_at = ticket.resolved_at.unwrap_or(ticket.updated_at);
            keys.push((
                IDX_RESOLVED,
                self.partition(&BY_RESOLVED, RESOLVED_TICKETS, shard),
            ));
            keys.push((IDX_RESOLVED_AT, sort_value(&resolved_at, &ticket.id)));
        }
        keys
    }

    /// Every partition of `index` that holds tickets with this value, in shard order.
    pub(crate) fn partitions(&self, index: &ListIndex, value: &str) -> Vec<String> {
        let shards = if index.sharded { self.list_shards } else { 1 };
        (0..shards)
            .map(|shard| self.partition(index, value, shard))
            .collect()
    }

    fn partition(&self, index: &ListIndex, value: &str, shard: u32) -> String {
        if index.sharded && shard > 0 {
            format!("{value}#{shard}")
        } else {
            value.to_owned()
        }
    }

    /// A ticket's shard: fixed for its life (FNV-1a of its id).
    fn shard_of(&self, id: &str) -> u32 {
        let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
        (hash % u64::from(self.list_shards)) as u32
    }
}

#[derive(Serialize)]
struct TicketItem<'a> {
    pk: String,
    sk: &'static str,
    #[serde(flatten)]
    summary: &'a TicketSummary,
}

#[derive(Serialize)]
struct BodyItem {
    pk: String,
    sk: &'static str,
    #[serde(flatten)]
    body: TicketBody,
}

/// The description's item, stamped with the change that wrote it (the history reads a
/// description change from it).
pub fn body_item(summary: &TicketSummary) -> Result<Item, StoreError> {
    to_item(&BodyItem {
        pk: ticket_pk(&summary.id),
        sk: BODY_SK,
        body: TicketBody::of(summary),
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

/// Marks the first message of a ticket, whose text is the ticket's description: stored once,
/// in the description item, and read from there.
pub const IS_DESCRIPTION: &str = "isDescription";

/// The first message of a new ticket, when it is the ticket's description (as
/// `NewTicket::into_ticket` writes it): its item without the text, marked.
pub fn description_message_item(
    ticket: &TicketSummary,
    message: &ThreadMessage,
) -> Result<Item, StoreError> {
    let mut item = message_item(ticket, message)?;
    item.remove("message");
    item.insert(IS_DESCRIPTION.into(), AttributeValue::Bool(true));
    Ok(item)
}

/// A message read back from its item; a description message takes its text from
/// `description` (empty when not at hand: what the stream consumer needs carries no text).
pub fn message_from_item(
    mut item: Item,
    description: Option<&str>,
) -> Result<ThreadMessage, StoreError> {
    if item.remove(IS_DESCRIPTION).is_some() {
        let text = description.unwrap_or_default().to_owned();
        item.insert("message".into(), AttributeValue::S(text));
    }
    from_item(item)
}

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

/// An attachment record. A `pending` one carries a TTL at the time it goes stale, so the table
/// forgets an upload that never arrived; settling it removes the TTL.
pub fn attachment_item(ticket_id: &str, attachment: &Attachment) -> Result<Item, StoreError> {
    let mut item = to_item(&AttachmentItem {
        pk: ticket_pk(ticket_id),
        sk: attachment_sk(&attachment.id),
        attachment,
    })?;
    if let Some(stale) = attachment.stale_after() {
        let seconds = stale.as_datetime().timestamp();
        item.insert(TTL.into(), AttributeValue::N(seconds.to_string()));
    }
    Ok(item)
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

/// An open ticket of client `c1`, opened 2024-01-15T10:30:00Z, as the unit tests start from.
#[cfg(test)]
pub(crate) fn sample_ticket() -> TicketSummary {
    use tickets_domain::{Category, Priority, Timestamp};
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
        reopened_at: None,
        deleted_at: None,
        changed_by: None,
        satisfaction: None,
        merged_into: None,
        merged_from: Vec::new(),
        sla: None,
        version: 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> TicketSummary {
        sample_ticket()
    }

    #[test]
    fn a_visible_ticket_carries_its_index_keys_and_round_trips() {
        let ticket = summary();
        let item = Layout::default().ticket_item(&ticket).unwrap();
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
        assert!(!item.contains_key("description"));
        let mut back: TicketSummary = from_item(item).unwrap();
        let body: TicketBody = from_item(body_item(&ticket).unwrap()).unwrap();
        back.description = body.description;
        assert_eq!(back, ticket);
    }

    #[test]
    fn a_deleted_ticket_is_in_no_list_only_in_the_purges_partition() {
        let mut ticket = summary();
        ticket.status = Status::Resolved;
        ticket.deleted_at = Some(ticket.created_at);
        let item = Layout::default().ticket_item(&ticket).unwrap();
        let mut keys: Vec<&str> = item
            .keys()
            .map(String::as_str)
            .filter(|name| name.starts_with("idx"))
            .collect();
        keys.sort();
        assert_eq!(keys, [IDX_RESOLVED, IDX_RESOLVED_AT]);
        assert_eq!(
            string_attr(&item, IDX_RESOLVED).as_deref(),
            Some(DELETED_TICKETS)
        );
        assert_eq!(
            string_attr(&item, IDX_RESOLVED_AT),
            Some(sort_value(&ticket.created_at, &ticket.id))
        );
    }
}
