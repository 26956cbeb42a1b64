//! What happened to a ticket: the audit entries of its history and the domain events other
//! services learn from. Both are derived from the stored changes (the table's stream), never
//! written beside them, so nothing is lost or announced twice by accident.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::SYSTEM;
use crate::model::{
    Attachment, AttachmentStatus, Status, ThreadMessage, TicketBody, TicketSummary, Timestamp,
};
use crate::sla::{Clock, ClockStatus, TargetKind};

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
        let mut entries = vec![entry("ticket", Value::Null, json!("created"))];
        entries.extend(sla_entries(None, after));
        return entries;
    };
    let (old, new) = (fields(before), fields(after));
    let mut entries: Vec<AuditEntry> = AUDITED
        .iter()
        .filter(|field| old.get(**field) != new.get(**field))
        .map(|field| {
            let value = |map: &serde_json::Map<String, Value>| {
                map.get(*field).cloned().unwrap_or(Value::Null)
            };
            entry(field, value(&old), value(&new))
        })
        .collect();
    entries.extend(sla_entries(Some(before), after));
    entries
}

/// A clock that reached its warning or its due time in a change: `SlaWarning` when it went at
/// risk (or straight past due), `SlaBreached` when it went past due.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Moment {
    Warning,
    Breach,
}

impl Moment {
    fn kind(self) -> &'static str {
        match self {
            Moment::Warning => "SlaWarning",
            Moment::Breach => "SlaBreached",
        }
    }

    fn status(self) -> ClockStatus {
        match self {
            Moment::Warning => ClockStatus::AtRisk,
            Moment::Breach => ClockStatus::Breached,
        }
    }
}

/// The warnings and breaches of a change, clock by clock, with the clock as it now is and the
/// status it had before: a moment is a mark (`warnedAt`, `breachedAt`) the change set, so each
/// is announced once, whatever pauses, reopens or policy changes follow.
fn sla_moments<'a>(
    before: Option<&TicketSummary>,
    after: &'a TicketSummary,
) -> Vec<(TargetKind, Moment, &'a Clock, ClockStatus)> {
    let Some(sla) = &after.sla else {
        return Vec::new();
    };
    let was = before.and_then(|ticket| ticket.sla.as_ref());
    let mut moments = Vec::new();
    for (kind, clock) in sla.clocks() {
        let Some(clock) = clock else { continue };
        let old = was
            .and_then(|sla| sla.clocks().into_iter().find(|(k, _)| *k == kind))
            .and_then(|(_, clock)| clock);
        let old_status = old.map_or(ClockStatus::Active, |old| old.status);
        let new_mark = |mark: fn(&Clock) -> Option<Timestamp>| {
            mark(clock).is_some() && old.and_then(mark) != mark(clock)
        };
        if new_mark(|c| c.warned_at) {
            moments.push((kind, Moment::Warning, clock, old_status));
        }
        if new_mark(|c| c.breached_at) {
            let from = if moments
                .iter()
                .any(|(k, m, _, _)| *k == kind && *m == Moment::Warning)
            {
                ClockStatus::AtRisk
            } else {
                old_status
            };
            moments.push((kind, Moment::Breach, clock, from));
        }
    }
    moments
}

/// One history entry per warning and breach (`sla.<target>`: the status before and after),
/// written by `system` at the moment it happened.
fn sla_entries(before: Option<&TicketSummary>, after: &TicketSummary) -> Vec<AuditEntry> {
    sla_moments(before, after)
        .into_iter()
        .map(|(kind, moment, clock, old)| {
            let at = moment_at(moment, clock);
            AuditEntry {
                ticket_id: after.id.clone(),
                version: after.version,
                field: format!("sla.{kind}"),
                old: json!(old),
                new: json!(moment.status()),
                by: Some(SYSTEM.into()),
                at: at.unwrap_or(after.updated_at),
            }
        })
        .collect()
}

/// The `SlaWarning` and `SlaBreached` events of a change, by `system` at the moment itself.
/// `dedupeKey` (ticket, target, due time) tells a redelivery from a new moment.
fn sla_events(before: Option<&TicketSummary>, after: &TicketSummary) -> Vec<DomainEvent> {
    sla_moments(before, after)
        .into_iter()
        .map(|(kind, moment, clock, _)| {
            let due = clock.due_at.map(|due| due.to_string()).unwrap_or_default();
            DomainEvent::new(
                moment.kind(),
                after,
                json!({
                    "target": kind,
                    "policy": after.sla.as_ref().map(|sla| sla.policy.clone()),
                    "dueAt": clock.due_at,
                    "by": SYSTEM,
                    "at": moment_at(moment, clock).unwrap_or(after.updated_at),
                    "dedupeKey": format!("{}/{kind}/{due}", after.id),
                }),
            )
        })
        .collect()
}

/// When a warning or a breach happened.
fn moment_at(moment: Moment, clock: &Clock) -> Option<Timestamp> {
    match moment {
        Moment::Warning => clock.warned_at,
        Moment::Breach => clock.breached_at,
    }
}

/// Every detail type the desk announces, as webhooks subscribe to them.
pub const EVENT_TYPES: &[&str] = &[
    "SupportTicket.Created",
    "SupportTicket.StatusChanged",
    "SupportTicket.Resolved",
    "SupportTicket.Closed",
    "SupportTicket.Reopened",
    "SupportTicket.Assigned",
    "SupportTicket.Updated",
    "SupportTicket.Deleted",
    "SupportTicket.Restored",
    "SupportTicket.SatisfactionRated",
    "SupportTicket.Merged",
    "SupportTicket.SlaWarning",
    "SupportTicket.SlaBreached",
    "SupportTicket.MessageAdded",
    "SupportTicket.AttachmentAdded",
    "SupportTicket.AttachmentAvailable",
    "SupportTicket.AttachmentRejected",
    "SupportTicket.AttachmentRemoved",
];

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
        let mut events = vec![DomainEvent::new(
            "Created",
            after,
            json!({"priority": after.priority, "category": after.category}),
        )];
        events.extend(sla_events(None, after));
        return events;
    };
    let mut events = sla_events(Some(before), after);
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
    fn a_clock_that_passes_its_moments_is_one_entry_and_one_event_each() {
        use crate::sla::SlaDocument;
        let policies = serde_json::from_value::<SlaDocument>(json!({
            "policies": [{"name": "Fast", "targets": {"high": {"firstResponse": 10}}}]
        }))
        .unwrap()
        .check()
        .unwrap();
        let mut ticket = summary(Status::Open);
        ticket.priority = crate::model::Priority::High;
        ticket.sla = policies.track(None, &ticket, None, ticket.created_at);
        let sla = ticket.sla.clone().unwrap();
        let at = |minutes: i64| {
            let mut after = ticket.clone();
            let now = Timestamp::from(
                ticket.created_at.as_datetime() + chrono::Duration::minutes(minutes),
            );
            after.sla = Some(sla.at(now));
            after
        };
        let (warned, breached) = (at(9), at(11));

        assert_eq!(
            kinds(&ticket_events(Some(&ticket), &warned)),
            ["SupportTicket.SlaWarning"]
        );
        let events = ticket_events(Some(&warned), &breached);
        assert_eq!(kinds(&events), ["SupportTicket.SlaBreached"]);
        let due = breached
            .sla
            .as_ref()
            .unwrap()
            .first_response
            .as_ref()
            .unwrap()
            .due_at;
        assert_eq!(events[0].detail["target"], json!("firstResponse"));
        assert_eq!(events[0].detail["dueAt"], json!(due));
        assert_eq!(
            events[0].detail["dedupeKey"],
            json!(format!("{}/firstResponse/{}", ticket.id, due.unwrap()))
        );
        // Straight from active to breached (the job ran late): both, in order.
        assert_eq!(
            kinds(&ticket_events(Some(&ticket), &breached)),
            ["SupportTicket.SlaWarning", "SupportTicket.SlaBreached"]
        );
        let entries = audit_entries(Some(&ticket), &breached);
        let shown: Vec<(String, Value, Value, Option<String>)> = entries
            .into_iter()
            .map(|e| (e.field, e.old, e.new, e.by))
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "sla.firstResponse".into(),
                    json!("active"),
                    json!("at_risk"),
                    Some("system".into())
                ),
                (
                    "sla.firstResponse".into(),
                    json!("at_risk"),
                    json!("breached"),
                    Some("system".into())
                ),
            ]
        );
        // Nothing more once breached.
        assert!(ticket_events(Some(&breached), &at(30)).is_empty());
    }

    #[test]
    fn every_event_announced_is_a_listed_type() {
        let open = summary(Status::Open);
        let mut changed = open.clone();
        changed.status = Status::Resolved;
        changed.resolution = Some("done".into());
        changed.assigned_to = Some("agent-9".into());
        changed.title = "new".into();
        changed.deleted_at = Some(Timestamp::now());
        changed.merged_from = vec!["x".into()];
        let mut events = ticket_events(None, &open);
        events.extend(ticket_events(Some(&open), &changed));
        events.extend(ticket_events(Some(&changed), &open));
        let message = ThreadMessage {
            id: "m".into(),
            author: "a".into(),
            message: "hi".into(),
            timestamp: Timestamp::now(),
            kind: crate::model::MessageType::Agent,
            internal: false,
        };
        events.push(message_event(&open.id, &open.client, &message));
        assert!(events.len() >= 8);
        for event in &events {
            assert!(
                EVENT_TYPES.contains(&event.detail_type.as_str()),
                "{} is not in EVENT_TYPES",
                event.detail_type
            );
        }
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
