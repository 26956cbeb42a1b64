//! In-place edits: the change a ticket undergoes beside another write in its partition (a
//! message, an attachment). The domain works the whole edit out here, once: the values, who and
//! when, the version step and what must still hold. A store applies exactly that, in the same
//! transaction as the write it goes with, and reads no clock.

use crate::model::{Status, TicketSummary, Timestamp};

/// What must still hold of the stored ticket for an edit to apply. A store answers
/// `VersionConflict` when one does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Guard {
    /// Not soft-deleted and not closed. Every edit has it.
    Writable,
    /// Still in the status the edit was worked out against.
    Status(Status),
    /// `firstResponseAt` is still unset: of two concurrent first responses, one wins and the
    /// other is worked out again.
    NoFirstResponse,
    /// Still at this version: the edit was worked out from the ticket's service-level clocks,
    /// which any other change may have moved.
    Version(u64),
}

/// A ticket before and after an in-place edit, and the guards the edit holds under.
///
/// An edit that changes none of the ticket's fields (a plain message, an attachment) is a
/// check: the guards must hold, nothing of the ticket is written, its version and `updatedAt`
/// stay (they describe the ticket's own fields; a thread has its own timestamps). Otherwise
/// the stamp (who and when) is always written, and any other field only where `after` differs
/// from `before`, with whatever the storage layout derives from it. The version is stepped,
/// not compared: `after.version - before.version` is added to the stored version, so
/// concurrent edits (fifty reopening messages at once) all succeed, each one version.
#[derive(Clone, Debug, PartialEq)]
pub struct TicketEdit {
    pub before: TicketSummary,
    pub after: TicketSummary,
    pub guards: Vec<Guard>,
}

impl TicketEdit {
    /// The edit that changes nothing: the ticket must still be writable.
    pub fn check(ticket: &TicketSummary) -> Self {
        TicketEdit {
            before: ticket.clone(),
            after: ticket.clone(),
            guards: vec![Guard::Writable],
        }
    }

    /// The edit once its changes to `after` are made: the next version stamped `by` at `at`
    /// when any field changed, still a check otherwise.
    pub fn stamped(mut self, by: &str, at: Timestamp) -> Self {
        if !self.changes_nothing() {
            self.after = self.after.revised(by, at);
        }
        self
    }

    /// Whether the edit leaves every field of the ticket as it is (a check).
    pub fn changes_nothing(&self) -> bool {
        self.after == self.before
    }

    /// The same edit, held also under `guard`.
    pub fn guarded(mut self, guard: Guard) -> Self {
        if !self.guards.contains(&guard) {
            self.guards.push(guard);
        }
        self
    }

    /// What a store writes the edit against: `before` without its stamp, so that the stamp is
    /// always written, whatever `before` said (the stored ticket may have moved on since it was
    /// read, in fields the edit leaves alone).
    pub fn base(&self) -> TicketSummary {
        TicketSummary {
            updated_at: Timestamp::EPOCH,
            changed_by: None,
            ..self.before.clone()
        }
    }

    pub fn ticket_id(&self) -> &str {
        &self.before.id
    }

    /// How far the stored version moves.
    pub fn version_step(&self) -> u64 {
        self.after.version - self.before.version
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::summary;

    #[test]
    fn an_edit_without_changes_stays_a_check_and_moves_no_version() {
        let ticket = summary(Status::Open);
        let at: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let edit = TicketEdit::check(&ticket).stamped("agent-1", at);
        assert!(edit.changes_nothing());
        assert_eq!(edit.version_step(), 0);
        assert_eq!(edit.after, ticket);
    }

    #[test]
    fn a_change_steps_the_version_once_and_stamps_who_and_when() {
        let ticket = summary(Status::Open);
        let at: Timestamp = "2030-01-01T00:00:00Z".parse().unwrap();
        let mut edit = TicketEdit::check(&ticket);
        edit.after.status = Status::Pending;
        let edit = edit.stamped("agent-1", at);
        assert!(!edit.changes_nothing());
        assert_eq!(edit.version_step(), 1);
        assert_eq!(edit.after.updated_at, at);
        assert_eq!(edit.after.changed_by.as_deref(), Some("agent-1"));
        assert_eq!(edit.guards, [Guard::Writable]);
        let guarded = edit
            .guarded(Guard::Status(Status::Open))
            .guarded(Guard::Status(Status::Open));
        assert_eq!(
            guarded.guards,
            [Guard::Writable, Guard::Status(Status::Open)]
        );
    }
}
