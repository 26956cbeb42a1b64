//! Reading the table's stream records back into domain changes.

use tickets_domain::store::Change;
use tickets_domain::{StoreError, ThreadMessage, TicketSummary};

use crate::error::internal;
use crate::items::{
    from_item, message_from_item, string_attr, Item, ATTACHMENT_PREFIX, BODY_SK, MESSAGE_PREFIX,
    SK, TICKET_CLIENT, TICKET_SK,
};

/// Reads one stream record's images back into a domain change. `Ok(None)` for items that are
/// no change of a ticket (counters, audit entries, marks, idempotency records). `Err` for a
/// record that cannot be read: a poison record.
pub fn change_from_stream(
    old: Option<serde_dynamo::Item>,
    new: Option<serde_dynamo::Item>,
) -> Result<Option<Change>, StoreError> {
    let sk_of = |item: &Option<serde_dynamo::Item>| -> Option<String> {
        match item.as_ref()?.get(SK)? {
            serde_dynamo::AttributeValue::S(sk) => Some(sk.clone()),
            _ => None,
        }
    };
    let Some(sk) = sk_of(&new).or_else(|| sk_of(&old)) else {
        return Err(internal("a stream record without a sort key"));
    };
    let (old, new): (Option<Item>, Option<Item>) = (old.map(Into::into), new.map(Into::into));
    if sk == TICKET_SK {
        let Some(after) = new else {
            // Only an erasure removes a ticket item (a soft delete keeps it).
            return Ok(Some(Change::Erased {
                ticket_id: ticket_id_of(
                    old.as_ref()
                        .ok_or_else(|| internal("a removal without its item"))?,
                )?,
            }));
        };
        // The description's changes are the description item's records; a ticket item of an
        // older layout that still held it says nothing about it.
        let listed = |item: Item| -> Result<TicketSummary, StoreError> {
            let mut ticket: TicketSummary = from_item(item)?;
            ticket.description.clear();
            Ok(ticket)
        };
        return Ok(Some(Change::Ticket {
            before: old.map(listed).transpose()?,
            after: listed(after)?,
        }));
    }
    if sk == BODY_SK {
        let Some(after) = new else {
            return Ok(None);
        };
        return Ok(Some(Change::Description {
            ticket_id: ticket_id_of(&after)?,
            before: old.map(from_item).transpose()?,
            after: from_item(after)?,
        }));
    }
    if let Some(message_id) = sk.strip_prefix(MESSAGE_PREFIX) {
        let (Some(item), None) = (new, old) else {
            return Ok(None);
        };
        let client = string_attr(&item, TICKET_CLIENT).unwrap_or_default();
        let ticket_id = ticket_id_of(&item)?;
        // A description message's text is the description item's; no event carries a text.
        let message: ThreadMessage = message_from_item(item, None)?;
        debug_assert_eq!(message.id, message_id);
        return Ok(Some(Change::Message {
            ticket_id,
            client,
            message,
        }));
    }
    if sk.starts_with(ATTACHMENT_PREFIX) {
        let ticket_id = match new.as_ref().or(old.as_ref()) {
            Some(item) => ticket_id_of(item)?,
            None => return Ok(None),
        };
        return Ok(Some(Change::Attachment {
            ticket_id,
            before: old.map(from_item).transpose()?,
            after: new.map(from_item).transpose()?,
        }));
    }
    Ok(None)
}

/// A ticket before and after a change.
pub type TicketImages = (Option<TicketSummary>, Option<TicketSummary>);

/// A ticket item's images, for the reports (`None` for every other item): what the ticket was
/// before the change and is after it (`None`: created, or erased). The images keep what the
/// reports read; the description is not among the ticket item's attributes.
pub fn ticket_images(
    old: Option<serde_dynamo::Item>,
    new: Option<serde_dynamo::Item>,
) -> Result<Option<TicketImages>, StoreError> {
    let is_ticket = |item: &Option<serde_dynamo::Item>| {
        matches!(
            item.as_ref().and_then(|item| item.get(SK)),
            Some(serde_dynamo::AttributeValue::S(sk)) if sk == TICKET_SK
        )
    };
    if !is_ticket(&old) && !is_ticket(&new) {
        return Ok(None);
    }
    let read = |item: Option<serde_dynamo::Item>| -> Result<Option<TicketSummary>, StoreError> {
        item.map(|item| from_item(Item::from(item))).transpose()
    };
    Ok(Some((read(old)?, read(new)?)))
}

fn ticket_id_of(item: &Item) -> Result<String, StoreError> {
    string_attr(item, crate::items::PK)
        .and_then(|pk| pk.strip_prefix("TICKET#").map(str::to_owned))
        .ok_or_else(|| internal("a ticket item without its ticket key"))
}
