//! Writing in a ticket's thread, and what a message does to the ticket (docs/DESIGN.md, Workflow):
//! a client message on a `pending` or `resolved` ticket reopens it; the first public agent
//! message sets `firstResponseAt`. Those are the only changes a message makes to the ticket (its
//! version and `updatedAt` move with them); any other message is stored beside an unchanged
//! ticket, so it writes no list index (docs/COST.md).

use serde::Deserialize;

use crate::access::Caller;
use crate::edit::{Guard, TicketEdit};
use crate::error::{DomainError, FieldError};
use crate::model::{new_id, MessageType, Status, ThreadMessage, TicketSummary, Timestamp};
use crate::sla::{Message, SlaPolicies};

/// A message may hold up to 64 KiB of UTF-8 after trimming.
pub const MESSAGE_MAX_BYTES: usize = 64 * 1024;

/// The body of `POST /v2/support-tickets/{id}/threads`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewMessage {
    pub message: Option<String>,
    pub internal: Option<bool>,
}

/// A message ready to store, with the edit it makes to its ticket.
#[derive(Clone, Debug, PartialEq)]
pub struct PostedMessage {
    pub message: ThreadMessage,
    /// What the message does to its ticket: a check when nothing changes, the next version when
    /// it reopens the ticket or is its first response; for a client's message it holds only
    /// while the ticket keeps the status the message was written against (its effect depends
    /// on it).
    pub edit: TicketEdit,
}

impl NewMessage {
    /// Checks the message for `caller` on `ticket` (which the caller may see) and works out its
    /// effects. A client may not write internal notes (403); a closed ticket takes no message
    /// (409).
    pub fn post(
        self,
        ticket: &TicketSummary,
        caller: &Caller,
        now: Timestamp,
        levels: &SlaPolicies,
    ) -> Result<PostedMessage, DomainError> {
        let internal = self.internal.unwrap_or(false);
        if internal && !caller.is_staff() {
            return Err(DomainError::Forbidden(vec![FieldError::new(
                "internal",
                "only agents may write internal notes",
            )]));
        }
        let text = self.message.as_deref().map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return Err(DomainError::validation("message", "must not be empty"));
        }
        if text.len() > MESSAGE_MAX_BYTES {
            return Err(DomainError::validation(
                "message",
                format!("must be at most {MESSAGE_MAX_BYTES} bytes"),
            ));
        }
        if text
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        {
            return Err(DomainError::validation(
                "message",
                "must not contain control characters",
            ));
        }
        if let Some(into) = &ticket.merged_into {
            return Err(DomainError::Conflict(format!(
                "the ticket was merged into {into}: write there"
            )));
        }
        if ticket.status == Status::Closed {
            return Err(DomainError::Conflict(
                "the ticket is closed: it takes no more messages".into(),
            ));
        }
        let from_client = !caller.is_staff();
        let message = ThreadMessage {
            id: new_id(),
            author: caller.id.clone(),
            message: text.to_owned(),
            timestamp: now,
            kind: if from_client {
                MessageType::User
            } else {
                MessageType::Agent
            },
            internal,
        };
        let mut edit = TicketEdit::check(ticket);
        if from_client {
            edit = edit.guarded(Guard::Status(ticket.status));
            if matches!(ticket.status, Status::Pending | Status::Resolved) {
                edit.after.status = Status::Open;
                edit.after.resolved_at = None;
            }
        } else if !internal && ticket.first_response_at.is_none() {
            edit.after.first_response_at = Some(now);
            edit = edit.guarded(Guard::NoFirstResponse);
        }
        // A public message moves the response clocks: worked out from the clocks as read, so it
        // holds only while nothing else moved them.
        let said = match (internal, from_client) {
            (true, _) => None,
            (false, true) => Some(Message::FromClient(now)),
            (false, false) => Some(Message::Answer(now)),
        };
        // An internal note moves no clock: the clocks stay as stored (the job writes what time
        // alone brings).
        if said.is_some() {
            let tracked = levels.track(Some(ticket), &edit.after, said, now);
            // Time alone moving a clock is the service-level job's to write (it keeps the
            // version): a message writes the clocks only when it moves them itself, or changes
            // the ticket anyway.
            let timed = ticket.sla.as_ref().map(|sla| sla.at(now));
            if tracked != timed || edit.after != *ticket {
                edit.after.sla = tracked;
            }
            if ticket.sla.is_some() || edit.after.sla.is_some() {
                edit = edit.guarded(Guard::Version(ticket.version));
            }
        }
        let edit = edit.stamped(&caller.id, now);
        Ok(PostedMessage { message, edit })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::testing::summary;

    fn say(text: &str) -> NewMessage {
        NewMessage {
            message: Some(text.into()),
            internal: None,
        }
    }

    fn client() -> Caller {
        Caller::new("client-1", Role::Client)
    }

    fn agent() -> Caller {
        Caller::new("agent-1", Role::Agent)
    }

    #[test]
    fn a_client_message_reopens_a_pending_or_resolved_ticket() {
        let now = Timestamp::now();
        for status in [Status::Pending, Status::Resolved] {
            let mut ticket = summary(status);
            ticket.resolved_at = Some(now);
            let posted = say("still broken")
                .post(&ticket, &client(), now, &SlaPolicies::none())
                .unwrap();
            let after = &posted.edit.after;
            assert_eq!((after.status, after.resolved_at), (Status::Open, None));
            assert!(posted.edit.guards.contains(&Guard::Status(status)));
            assert_eq!(after.version, ticket.version + 1);
            assert_eq!(posted.message.kind, MessageType::User);
        }
        let open = say("hello")
            .post(
                &summary(Status::InProgress),
                &client(),
                now,
                &SlaPolicies::none(),
            )
            .unwrap();
        assert!(open.edit.changes_nothing());
        assert_eq!(
            open.edit.guards,
            [Guard::Writable, Guard::Status(Status::InProgress)]
        );
    }

    #[test]
    fn the_first_public_agent_message_sets_first_response_at() {
        let now = Timestamp::now();
        let ticket = summary(Status::Open);
        let note = NewMessage {
            internal: Some(true),
            ..say("looks like a config issue")
        };
        let posted = note
            .post(&ticket, &agent(), now, &SlaPolicies::none())
            .unwrap();
        assert!(posted.message.internal);
        assert_eq!(posted.edit.after.first_response_at, None);
        let posted = say("We are on it")
            .post(&ticket, &agent(), now, &SlaPolicies::none())
            .unwrap();
        assert_eq!(posted.edit.after.first_response_at, Some(now));
        assert_eq!(posted.message.kind, MessageType::Agent);
        assert_eq!(
            posted.edit.guards,
            [Guard::Writable, Guard::NoFirstResponse]
        );

        let mut answered = ticket.clone();
        answered.first_response_at = Some(now);
        let again = say("again")
            .post(&answered, &agent(), now, &SlaPolicies::none())
            .unwrap();
        assert_eq!(again.edit.guards, [Guard::Writable]);
        assert!(again.edit.changes_nothing());
    }

    #[test]
    fn clients_may_not_write_internal_notes() {
        let note = NewMessage {
            internal: Some(true),
            ..say("psst")
        };
        let err = note
            .post(
                &summary(Status::Open),
                &client(),
                Timestamp::now(),
                &SlaPolicies::none(),
            )
            .unwrap_err();
        assert!(matches!(err, DomainError::Forbidden(_)));
    }

    #[test]
    fn empty_oversized_and_closed_are_refused() {
        let open = summary(Status::Open);
        let now = Timestamp::now();
        for bad in [
            NewMessage::default(),
            say("   "),
            say(&"x".repeat(MESSAGE_MAX_BYTES + 1)),
            say("a\u{7}b"),
        ] {
            assert!(matches!(
                bad.post(&open, &agent(), now, &SlaPolicies::none()),
                Err(DomainError::Validation(_))
            ));
        }
        assert!(say(&"x".repeat(MESSAGE_MAX_BYTES))
            .post(&open, &agent(), now, &SlaPolicies::none())
            .is_ok());
        let closed = summary(Status::Closed);
        assert!(matches!(
            say("hi").post(&closed, &agent(), now, &SlaPolicies::none()),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn a_public_message_moves_the_clocks_under_the_version_it_read() {
        let policies = serde_json::from_value::<crate::sla::SlaDocument>(serde_json::json!({
            "policies": [{"name": "All", "targets": {"high": {"firstResponse": 60, "nextResponse": 30}}}]
        }))
        .unwrap()
        .check()
        .unwrap();
        let mut ticket = summary(Status::Open);
        ticket.sla = policies.track(None, &ticket, None, ticket.created_at);
        let now = Timestamp::now();
        let answered = say("On it")
            .post(&ticket, &agent(), now, &policies)
            .unwrap();
        let sla = answered.edit.after.sla.as_ref().unwrap();
        assert_eq!(
            sla.first_response.as_ref().unwrap().status,
            crate::sla::ClockStatus::Met
        );
        assert!(answered
            .edit
            .guards
            .contains(&Guard::Version(ticket.version)));
        assert_eq!(answered.edit.version_step(), 1);
        // An internal note moves no clock and checks no version.
        let note = NewMessage {
            message: Some("psst".into()),
            internal: Some(true),
        }
        .post(&ticket, &agent(), now, &policies)
        .unwrap();
        assert!(note.edit.changes_nothing());
        assert!(!note.edit.guards.contains(&Guard::Version(ticket.version)));
    }
}
