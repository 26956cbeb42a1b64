//! The status workflow (docs/DESIGN.md, Workflow): which moves are allowed and what each one
//! records.

use crate::error::DomainError;
use crate::model::{Status, TicketSummary, Timestamp};

impl Status {
    /// `closed` is terminal; every other status may move to any other.
    pub fn can_move_to(self, to: Status) -> bool {
        self != Status::Closed && self != to
    }
}

impl TicketSummary {
    /// Moves the ticket to `to`, recording the timestamps the move implies.
    ///
    /// Entering `resolved` needs a resolution and sets `resolvedAt`; leaving it for an active
    /// status (a reopen) clears `resolvedAt` and sets `reopenedAt`; entering `closed` sets
    /// `closedAt`.
    pub fn transition(&mut self, to: Status, now: Timestamp) -> Result<(), DomainError> {
        let from = self.status;
        if from == to {
            return Ok(());
        }
        if !from.can_move_to(to) {
            return Err(DomainError::Conflict(format!(
                "a {from} ticket cannot become {to}"
            )));
        }
        match to {
            Status::Resolved => {
                if self.resolution.is_none() {
                    return Err(DomainError::validation(
                        "resolution",
                        "is required to resolve a ticket",
                    ));
                }
                self.resolved_at = Some(now);
            }
            Status::Closed => self.closed_at = Some(now),
            Status::Open | Status::Pending | Status::InProgress => {
                if from == Status::Resolved {
                    self.reopened_at = Some(now);
                }
                self.resolved_at = None;
            }
        }
        self.status = to;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::summary;

    #[test]
    fn closed_is_terminal() {
        for to in Status::ALL {
            assert!(!Status::Closed.can_move_to(*to));
        }
        let mut ticket = summary(Status::Closed);
        let err = ticket
            .transition(Status::Open, Timestamp::now())
            .unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)));
        assert_eq!(ticket.status, Status::Closed);
    }

    #[test]
    fn resolving_needs_a_resolution_and_sets_resolved_at() {
        let now = Timestamp::now();
        let mut ticket = summary(Status::InProgress);
        assert!(matches!(
            ticket.transition(Status::Resolved, now),
            Err(DomainError::Validation(_))
        ));
        assert_eq!(ticket.status, Status::InProgress);

        ticket.resolution = Some("restarted the router".into());
        ticket.transition(Status::Resolved, now).unwrap();
        assert_eq!(ticket.status, Status::Resolved);
        assert_eq!(ticket.resolved_at, Some(now));
    }

    #[test]
    fn reopening_clears_resolved_at_and_closing_keeps_it() {
        let now = Timestamp::now();
        let mut reopened = summary(Status::Resolved);
        reopened.resolved_at = Some(now);
        reopened.transition(Status::Open, now).unwrap();
        assert_eq!(reopened.resolved_at, None);
        assert_eq!(reopened.reopened_at, Some(now));
        let mut started = summary(Status::Open);
        started.transition(Status::InProgress, now).unwrap();
        assert_eq!(
            started.reopened_at, None,
            "only leaving resolved is a reopen"
        );

        let mut closed = summary(Status::Resolved);
        closed.resolved_at = Some(now);
        closed.transition(Status::Closed, now).unwrap();
        assert_eq!(closed.resolved_at, Some(now));
        assert_eq!(closed.closed_at, Some(now));
    }
}
