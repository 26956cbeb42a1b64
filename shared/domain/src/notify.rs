//! Who a ticket's change is told by e-mail, and what (docs/DESIGN.md, E-mail): the
//! client hears of every public answer from the staff, of the ticket's resolution and of its
//! closing; the assigned agent hears of the client's messages, and a new or unassigned ticket's
//! go to the agents' shared address when the desk wants that. An internal note reaches no one
//! by e-mail, and nobody is told of what they did themselves, but for the receipt of a new
//! ticket, which its client always gets (its reference and its reply address). One rule, read
//! from the domain events alone (which never carry message text: the sender reads it when it
//! writes).

use serde_json::Value;

use crate::history::DomainEvent;
use crate::model::MessageType;

/// Who is told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Recipient {
    /// A person the desk knows (a client or an agent), by their id.
    Person(String),
    /// The agents' shared address (`NOTIFY_AGENTS_ADDRESS`).
    Agents,
}

/// What they are told.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Telling {
    /// A message of the thread, by its id.
    Message(String),
    Resolved,
    Closed,
    Opened,
    /// The receipt of a new ticket: its reference and reply address.
    Acknowledged,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notification {
    pub recipient: Recipient,
    pub telling: Telling,
}

/// The desk's choices.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NotifySettings {
    /// New tickets, and the client's messages on unassigned tickets, go to the agents' address.
    pub unassigned_to_agents: bool,
}

/// The notifications `event` asks for; `assignee` is the ticket's agent now (messages and new
/// tickets go to whoever has the ticket when the event is handled).
pub fn notifications(
    event: &DomainEvent,
    assignee: Option<&str>,
    settings: NotifySettings,
) -> Vec<Notification> {
    let detail = &event.detail;
    let text = |name: &str| detail.get(name).and_then(Value::as_str);
    let Some(client) = text("client") else {
        return Vec::new();
    };
    let by = text("by").or_else(|| text("author"));
    let to_client = |telling: Telling| {
        (by != Some(client)).then(|| Notification {
            recipient: Recipient::Person(client.to_owned()),
            telling,
        })
    };
    // The agent who has the ticket, or the agents' address when nobody has it (if wanted).
    let to_staff = |telling: Telling| match assignee {
        Some(agent) if by != Some(agent) => Some(Notification {
            recipient: Recipient::Person(agent.to_owned()),
            telling,
        }),
        Some(_) => None,
        None => settings.unassigned_to_agents.then_some(Notification {
            recipient: Recipient::Agents,
            telling,
        }),
    };
    let found = match event.detail_type.as_str() {
        "SupportTicket.MessageAdded" => {
            let internal = detail.get("internal").and_then(Value::as_bool) != Some(false);
            let kind = text("type").and_then(|kind| kind.parse::<MessageType>().ok());
            let Some(message) = text("messageId").map(str::to_owned) else {
                return Vec::new();
            };
            match (internal, kind) {
                (true, _) => None,
                (false, Some(MessageType::Agent)) => to_client(Telling::Message(message)),
                (false, Some(MessageType::User)) if by == Some(client) => {
                    to_staff(Telling::Message(message))
                }
                _ => None,
            }
        }
        "SupportTicket.Resolved" => to_client(Telling::Resolved),
        "SupportTicket.Closed" => to_client(Telling::Closed),
        "SupportTicket.Created" => {
            // The one notice its own author gets: the receipt of what they opened.
            let receipt = Notification {
                recipient: Recipient::Person(client.to_owned()),
                telling: Telling::Acknowledged,
            };
            return std::iter::once(receipt)
                .chain(to_staff(Telling::Opened))
                .collect();
        }
        _ => None,
    };
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn event(kind: &str, detail: Value) -> DomainEvent {
        DomainEvent {
            detail_type: format!("SupportTicket.{kind}"),
            detail,
        }
    }

    fn message(author: &str, kind: &str, internal: bool) -> DomainEvent {
        event(
            "MessageAdded",
            json!({"ticketId": "T", "client": "alice", "messageId": "M", "author": author,
                   "type": kind, "internal": internal}),
        )
    }

    const DESK: NotifySettings = NotifySettings {
        unassigned_to_agents: true,
    };

    fn person(id: &str, telling: Telling) -> Vec<Notification> {
        vec![Notification {
            recipient: Recipient::Person(id.into()),
            telling,
        }]
    }

    #[test]
    fn the_client_hears_of_public_answers_resolution_and_closing() {
        let answer = message("bob", "agent", false);
        assert_eq!(
            notifications(&answer, Some("bob"), DESK),
            person("alice", Telling::Message("M".into()))
        );
        let resolved = event("Resolved", json!({"client": "alice", "by": "bob"}));
        assert_eq!(
            notifications(&resolved, Some("bob"), DESK),
            person("alice", Telling::Resolved)
        );
        let closed = event("Closed", json!({"client": "alice", "by": "system"}));
        assert_eq!(
            notifications(&closed, None, DESK),
            person("alice", Telling::Closed)
        );
    }

    #[test]
    fn an_internal_note_reaches_no_one() {
        assert!(notifications(&message("bob", "agent", true), Some("carol"), DESK).is_empty());
        let unsure = event(
            "MessageAdded",
            json!({"client": "alice", "messageId": "M", "author": "bob", "type": "agent"}),
        );
        assert!(
            notifications(&unsure, None, DESK).is_empty(),
            "no `internal`: not sent"
        );
    }

    #[test]
    fn the_clients_messages_go_to_its_agent_or_the_desk() {
        let written = message("alice", "user", false);
        assert_eq!(
            notifications(&written, Some("bob"), DESK),
            person("bob", Telling::Message("M".into()))
        );
        assert_eq!(
            notifications(&written, None, DESK),
            vec![Notification {
                recipient: Recipient::Agents,
                telling: Telling::Message("M".into())
            }]
        );
        assert!(notifications(&written, None, NotifySettings::default()).is_empty());
        let opened = event("Created", json!({"client": "alice", "by": "alice"}));
        assert_eq!(
            notifications(&opened, None, DESK),
            vec![
                Notification {
                    recipient: Recipient::Person("alice".into()),
                    telling: Telling::Acknowledged
                },
                Notification {
                    recipient: Recipient::Agents,
                    telling: Telling::Opened
                }
            ]
        );
    }

    #[test]
    fn nobody_is_told_of_what_they_did() {
        // A client resolving its own ticket, an agent opening a ticket it has, the desk's
        // system messages.
        let resolved = event("Resolved", json!({"client": "alice", "by": "alice"}));
        assert!(notifications(&resolved, Some("bob"), DESK).is_empty());
        let opened = event("Created", json!({"client": "alice", "by": "bob"}));
        assert_eq!(
            notifications(&opened, Some("bob"), DESK),
            vec![Notification {
                recipient: Recipient::Person("alice".into()),
                telling: Telling::Acknowledged
            }]
        );
        assert!(notifications(&message("system", "system", false), Some("bob"), DESK).is_empty());
        let updated = event("Updated", json!({"client": "alice", "by": "bob"}));
        assert!(notifications(&updated, Some("bob"), DESK).is_empty());
    }
}
