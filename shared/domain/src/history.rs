//! What happened to a ticket: the audit entries of its history and the domain events other
//! services learn from. Both are derived from the stored changes (the table's stream), never
//! written beside them, so nothing is lost or announced twice by accident.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::{
    Attachment, AttachmentStatus, Status, ThreadMessage, TicketBody, TicketSummary, Timestamp,
};

/// One field's change, as `GET /v2/support-tickets/{id}/history` shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEntry {
    pub ticket_id: String,
    /// The ticket version the change produced; entries of one change share it.
    pub version: u64,
    pub field: String,
    pub old: Value,
    pub new: Value,
    pub by: Option<String>,
    pub at: Timestamp,
}

/// The fields the history follows (the rest are derived from these or are bookkeeping).
const AUDITED: &[&str] = &[
    "title",
    "description",
    "status",
    "priority",
    "category",
    "assignedTo",
    "tags",
    "resolution",
    "deletedAt",
    "satisfaction",
    "mergedInto",
    "mergedFrom",
];

fn fields(ticket: &TicketSummary) -> serde_json::Map<String, Value> {
    match serde_json::to_value(ticket) {
        Ok(Value::Object(map)) => map,
        _ => serde_json::Map::new(),
    }
}

/// The audit entries of one stored change: `ticket` for a creation, one per changed field
/// otherwise.
pub fn audit_entries(before: Option<&TicketSummary>, after: &TicketSummary) -> Vec<AuditEntry> {
    let entry = |field: &str, old: Value, new: Value| AuditEntry {
        ticket_id: after.id.clone(),
        version: after.version,
        field: field.into(),
        old,
        new,
        by: after.changed_by.clone(),
        at: after.updated_at,
    };
    let Some(before) = before else {
        return vec![entry("ticket", Value::Null, json!("created"))];
    };
    let (old, new) = (fields(before), fields(after));
    AUDITED
        .iter()
        .filter(|field| old.get(**field) != new.get(**field))
        .map(|field| {
            let value = |map: &serde_json::Map<String, Value>| {
                map.get(*field).cloned().unwrap_or(Value::Null)
            };
            entry(field, value(&old), value(&new))
        })
        .collect()
}

/// An event for the event bus: `SupportTicket.<kind>` with a JSON detail.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DomainEvent {
    pub detail_type: String,
    pub detail: Value,
}

impl DomainEvent {
    fn new(kind: &str, ticket: &TicketSummary, extra: Value) -> Self {
        let mut detail = json!({
            "ticketId": ticket.id,
            "client": ticket.client,
            "version": ticket.version,
            "status": ticket.status,
            "by": ticket.changed_by,
            "at": ticket.updated_at,
        });
        if let (Value::Object(detail), Value::Object(extra)) = (&mut detail, extra) {
            detail.extend(extra);
        }
        Self {
            detail_type: format!("SupportTicket.{kind}"),
            detail,
        }
    }
}

/// The events a change of the ticket's own fields announces.
pub fn ticket_events(before: Option<&TicketSummary>, after: &TicketSummary) -> Vec<DomainEvent> {
    let Some(before) = before else {
        return vec![DomainEvent::new(
            "Created",
            after,
            json!({"priority": after.priority, "category": after.category}),
        )];
    };
    let mut events = Vec::new();
    if before.deleted_at.is_none() && after.deleted_at.is_some() {
        events.push(DomainEvent::new("Deleted", after, json!({})));
    }
    if before.deleted_at.is_some() && after.deleted_at.is_none() {
        events.push(DomainEvent::new("Restored", after, json!({})));
    }
    if before.status != after.status {
        let change = json!({"from": before.status, "to": after.status});
        events.push(DomainEvent::new("StatusChanged", after, change));
        match after.status {
            Status::Resolved => events.push(DomainEvent::new(
                "Resolved",
                after,
                json!({"resolution": after.resolution}),
            )),
            Status::Closed => events.push(DomainEvent::new("Closed", after, json!({}))),
            Status::Open if before.status == Status::Resolved => {
                events.push(DomainEvent::new("Reopened", after, json!({})))
            }
            _ => {}
        }
    }
    if after.merged_from.len() > before.merged_from.len() {
        let sources = after
            .merged_from
            .get(before.merged_from.len()..)
            .unwrap_or_default();
        events.push(DomainEvent::new(
            "Merged",
            after,
            json!({"sources": sources}),
        ));
    }
    if before.assigned_to != after.assigned_to {
        let change = json!({"from": before.assigned_to, "to": after.assigned_to});
        events.push(DomainEvent::new("Assigned", after, change));
    }
    if before.satisfaction != after.satisfaction {
        if let Some(rated) = &after.satisfaction {
            // The comment is the client's text: events never carry it.
            events.push(DomainEvent::new(
                "SatisfactionRated",
                after,
                json!({"rating": rated.rating, "changed": before.satisfaction.is_some()}),
            ));
        }
    }
    let changed: Vec<&str> = [
        "title",
        "description",
        "priority",
        "category",
        "tags",
        "resolution",
    ]
    .into_iter()
    .filter(|field| {
        let (old, new) = (fields(before), fields(after));
        old.get(*field) != new.get(*field)
    })
    .collect();
    if !changed.is_empty() {
        events.push(DomainEvent::new(
            "Updated",
            after,
            json!({"fields": changed}),
        ));
    }
    events
}

/// What a change of the description (stored apart from the other fields) records and announces:
/// its audit entry and an `Updated` event naming it. Nothing for the description a ticket is
/// created with (the ticket's `Created` covers it) or for a rewrite that changes nothing.
pub fn description_change(
    ticket_id: &str,
    before: Option<&TicketBody>,
    after: &TicketBody,
) -> (Vec<AuditEntry>, Vec<DomainEvent>) {
    let Some(before) = before.filter(|before| before.description != after.description) else {
        return (Vec::new(), Vec::new());
    };
    let entry = AuditEntry {
        ticket_id: ticket_id.into(),
        version: after.version,
        field: "description".into(),
        old: json!(before.description),
        new: json!(after.description),
        by: after.changed_by.clone(),
        at: after.updated_at,
    };
    let event = DomainEvent {
        detail_type: "SupportTicket.Updated".into(),
        detail: json!({
            "ticketId": ticket_id,
            "client": after.client,
            "version": after.version,
            "by": after.changed_by,
            "at": after.updated_at,
            "fields": ["description"],
        }),
    };
    (vec![entry], vec![event])
}

/// A new thread message. Internal notes are announced as such, without their text.
pub fn message_event(ticket_id: &str, client: &str, message: &ThreadMessage) -> DomainEvent {
    DomainEvent {
        detail_type: "SupportTicket.MessageAdded".into(),
        detail: json!({
            "ticketId": ticket_id,
            "client": client,
            "messageId": message.id,
            "author": message.author,
            "type": message.kind,
            "internal": message.internal,
            "at": message.timestamp,
        }),
    }
}

/// An attachment added, checked, or removed.
pub fn attachment_events(
    ticket_id: &str,
    before: Option<&Attachment>,
    after: Option<&Attachment>,
) -> Vec<DomainEvent> {
    let event = |kind: &str, attachment: &Attachment| DomainEvent {
        detail_type: format!("SupportTicket.{kind}"),
        detail: json!({
            "ticketId": ticket_id,
            "attachmentId": attachment.id,
            "filename": attachment.filename,
            "size": attachment.size,
            "type": attachment.content_type,
            "status": attachment.status,
        }),
    };
    match (before, after) {
        (None, Some(added)) => vec![event("AttachmentAdded", added)],
        (Some(old), Some(new)) if old.status != new.status => match new.status {
            AttachmentStatus::Available => vec![event("AttachmentAvailable", new)],
            AttachmentStatus::Rejected => vec![event("AttachmentRejected", new)],
            _ => Vec::new(),
        },
        (Some(removed), None) => vec![event("AttachmentRemoved", removed)],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::summary;

    #[test]
    fn a_description_change_is_one_entry_and_one_updated_event_and_creation_none() {
        let ticket = summary(Status::Open);
        let created = TicketBody::of(&ticket);
        assert_eq!(
            description_change(&ticket.id, None, &created),
            (vec![], vec![])
        );
        assert_eq!(
            description_change(&ticket.id, Some(&created), &created),
            (vec![], vec![])
        );
        let at: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let mut edited = ticket.clone().revised("agent-1", at);
        edited.description = "Now with steps to reproduce.".into();
        let (entries, events) =
            description_change(&ticket.id, Some(&created), &TicketBody::of(&edited));
        assert_eq!(entries.len(), 1);
        assert_eq!(entries[0].field, "description");
        assert_eq!(entries[0].old, json!(ticket.description));
        assert_eq!(entries[0].new, json!("Now with steps to reproduce."));
        assert_eq!((entries[0].version, entries[0].at), (edited.version, at));
        assert_eq!(kinds(&events), ["SupportTicket.Updated"]);
        assert_eq!(events[0].detail["fields"], json!(["description"]));
        assert_eq!(events[0].detail["by"], json!("agent-1"));
    }

    fn kinds(events: &[DomainEvent]) -> Vec<&str> {
        events.iter().map(|e| e.detail_type.as_str()).collect()
    }

    #[test]
    fn a_creation_is_one_entry_and_one_event() {
        let ticket = summary(Status::Open);
        assert_eq!(audit_entries(None, &ticket)[0].field, "ticket");
        assert_eq!(
            kinds(&ticket_events(None, &ticket)),
            ["SupportTicket.Created"]
        );
    }

    #[test]
    fn each_changed_field_is_an_entry_with_old_new_and_who() {
        let before = summary(Status::InProgress);
        let mut after = before.clone();
        after.status = Status::Resolved;
        after.resolution = Some("Rebooted".into());
        after.assigned_to = Some("agent-7".into());
        after.version += 1;
        after.changed_by = Some("agent-7".into());
        let entries = audit_entries(Some(&before), &after);
        let fields: Vec<&str> = entries.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["status", "assignedTo", "resolution"]);
        assert_eq!(
            (entries[0].old.clone(), entries[0].new.clone()),
            (json!("in_progress"), json!("resolved"))
        );
        assert!(entries
            .iter()
            .all(|e| e.by.as_deref() == Some("agent-7") && e.version == after.version));
        assert_eq!(
            kinds(&ticket_events(Some(&before), &after)),
            [
                "SupportTicket.StatusChanged",
                "SupportTicket.Resolved",
                "SupportTicket.Assigned",
                "SupportTicket.Updated"
            ]
        );
    }

    #[test]
    fn a_version_bump_alone_is_neither_history_nor_news() {
        let before = summary(Status::Open);
        let mut after = before.clone();
        after.version += 1;
        after.updated_at = Timestamp::now();
        assert!(audit_entries(Some(&before), &after).is_empty());
        assert!(ticket_events(Some(&before), &after).is_empty());
    }

    #[test]
    fn a_merge_is_announced_by_its_target_with_the_new_sources_and_recorded_on_each() {
        let mut target = summary(Status::Open);
        target.merged_from = vec!["A".into()];
        let mut after = target.clone();
        after.merged_from.push("B".into());
        after.version += 1;
        let events = ticket_events(Some(&target), &after);
        assert_eq!(kinds(&events), ["SupportTicket.Merged"]);
        assert_eq!(events[0].detail["sources"], json!(["B"]));
        let entries = audit_entries(Some(&target), &after);
        assert_eq!(entries[0].field, "mergedFrom");

        let source = summary(Status::Open);
        let mut merged = source.clone();
        merged.status = Status::Closed;
        merged.merged_into = Some(target.id.clone());
        let fields: Vec<String> = audit_entries(Some(&source), &merged)
            .into_iter()
            .map(|entry| entry.field)
            .collect();
        assert_eq!(fields, ["status", "mergedInto"]);
        assert_eq!(
            kinds(&ticket_events(Some(&source), &merged)),
            ["SupportTicket.StatusChanged", "SupportTicket.Closed"]
        );
    }

    #[test]
    fn delete_restore_close_and_reopen_are_announced() {
        let open = summary(Status::Open);
        let mut deleted = open.clone();
        deleted.deleted_at = Some(Timestamp::now());
        assert_eq!(
            kinds(&ticket_events(Some(&open), &deleted)),
            ["SupportTicket.Deleted"]
        );
        assert_eq!(
            kinds(&ticket_events(Some(&deleted), &open)),
            ["SupportTicket.Restored"]
        );
        let resolved = summary(Status::Resolved);
        let mut reopened = resolved.clone();
        reopened.status = Status::Open;
        assert!(
            kinds(&ticket_events(Some(&resolved), &reopened)).contains(&"SupportTicket.Reopened")
        );
        let mut closed = resolved.clone();
        closed.status = Status::Closed;
        assert!(kinds(&ticket_events(Some(&resolved), &closed)).contains(&"SupportTicket.Closed"));
    }
}
