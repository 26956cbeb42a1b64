//! Use cases that span the ports: changing a stored ticket safely under concurrent writers.

use crate::access::Caller;
use crate::error::DomainError;
use crate::model::{ThreadMessage, Ticket, TicketSummary, Timestamp};
use crate::store::{StoreError, ThreadWriter, TicketReader, TicketWriter};
use crate::thread::NewMessage;

/// How often a change is re-applied after losing a race with another writer.
const MAX_ATTEMPTS: u32 = 10;

/// Reads the ticket, applies `change` for `caller`, and saves it conditionally on the version
/// read. Losing a race re-reads and re-applies the change, so concurrent changes to different
/// fields are all kept; with `expected_version` (`If-Match`) a race is a 412 instead.
///
/// `change` returns `None` when it changes nothing: nothing is written and the ticket is
/// returned as it is.
pub async fn modify_ticket<S, F>(
    store: &S,
    id: &str,
    caller: &Caller,
    expected_version: Option<u64>,
    change: F,
) -> Result<Ticket, DomainError>
where
    S: TicketReader + TicketWriter,
    F: Fn(&TicketSummary, Timestamp) -> Result<Option<TicketSummary>, DomainError>,
{
    for _ in 0..MAX_ATTEMPTS {
        let ticket = store
            .get_ticket(id)
            .await?
            .filter(|ticket| caller.can_see(ticket))
            .ok_or(DomainError::NotFound)?;
        if let Some(expected) = expected_version {
            if expected != ticket.version {
                return Err(DomainError::PreconditionFailed { expected });
            }
        }
        let Some(after) = change(&ticket.summary, Timestamp::now())? else {
            return Ok(ticket);
        };
        match store.save_ticket(&ticket.summary, &after).await {
            Ok(()) => {
                return Ok(Ticket {
                    summary: after,
                    ..ticket
                })
            }
            Err(StoreError::VersionConflict) => match expected_version {
                Some(expected) => return Err(DomainError::PreconditionFailed { expected }),
                None => continue,
            },
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::VersionConflict.into())
}

impl TicketSummary {
    /// Soft delete (admins): the ticket leaves every list and count but can be restored.
    pub fn soft_deleted(
        &self,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<TicketSummary, DomainError> {
        caller.ensure_admin()?;
        if self.is_deleted() {
            return Err(DomainError::Conflict(
                "the ticket is already deleted".into(),
            ));
        }
        Ok(TicketSummary {
            deleted_at: Some(now),
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        })
    }

    /// Undoes a soft delete (admins).
    pub fn restored(&self, caller: &Caller, now: Timestamp) -> Result<TicketSummary, DomainError> {
        caller.ensure_admin()?;
        if !self.is_deleted() {
            return Err(DomainError::Conflict("the ticket is not deleted".into()));
        }
        Ok(TicketSummary {
            deleted_at: None,
            updated_at: now,
            version: self.version + 1,
            ..self.clone()
        })
    }
}

/// Posts a message in a ticket's thread for `caller`. The message and its effects on the
/// ticket are written together; when the ticket changed in a way that matters (its status), the
/// message is worked out again on the fresh ticket.
pub async fn post_message<S>(
    store: &S,
    id: &str,
    caller: &Caller,
    message: NewMessage,
) -> Result<ThreadMessage, DomainError>
where
    S: TicketReader + ThreadWriter,
{
    for _ in 0..MAX_ATTEMPTS {
        let ticket = store
            .get_summary(id)
            .await?
            .filter(|ticket| caller.can_see(ticket))
            .ok_or(DomainError::NotFound)?;
        let posted = message.clone().post(&ticket, caller, Timestamp::now())?;
        match store.add_message(&ticket, &posted).await {
            Ok(()) => return Ok(posted.message),
            Err(StoreError::VersionConflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::VersionConflict.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::model::Status;
    use crate::testing::summary;

    #[test]
    fn only_admins_delete_and_restore_and_each_only_once() {
        let admin = Caller::new("root", Role::Admin);
        let agent = Caller::new("agent", Role::Agent);
        let ticket = summary(Status::Open);
        assert!(matches!(
            ticket.soft_deleted(&agent, Timestamp::now()),
            Err(DomainError::Forbidden(_))
        ));
        let deleted = ticket.soft_deleted(&admin, Timestamp::now()).unwrap();
        assert!(deleted.is_deleted());
        assert_eq!(deleted.version, ticket.version + 1);
        assert!(matches!(
            deleted.soft_deleted(&admin, Timestamp::now()),
            Err(DomainError::Conflict(_))
        ));
        let restored = deleted.restored(&admin, Timestamp::now()).unwrap();
        assert!(!restored.is_deleted());
        assert!(matches!(
            restored.restored(&admin, Timestamp::now()),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn a_deleted_ticket_is_visible_to_admins_only() {
        let mut ticket = summary(Status::Open);
        ticket.deleted_at = Some(Timestamp::now());
        assert!(Caller::new("root", Role::Admin).can_see(&ticket));
        assert!(!Caller::new("agent", Role::Agent).can_see(&ticket));
        assert!(!Caller::new("client-1", Role::Client).can_see(&ticket));
    }
}
