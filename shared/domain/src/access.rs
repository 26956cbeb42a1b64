//! Who is calling and what they may see and do (DESIGN §3, Permissions).

use std::str::FromStr;

use crate::error::{DomainError, FieldError};
use crate::model::TicketSummary;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    Agent,
    Admin,
}

impl Role {
    /// Agents and admins work every ticket; clients only their own.
    pub fn is_staff(self) -> bool {
        matches!(self, Role::Agent | Role::Admin)
    }
}

impl FromStr for Role {
    type Err = ();

    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "client" => Ok(Role::Client),
            "agent" => Ok(Role::Agent),
            "admin" => Ok(Role::Admin),
            _ => Err(()),
        }
    }
}

/// An authenticated principal: its id (`sub`) and role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub id: String,
    pub role: Role,
}

impl Caller {
    pub fn new(id: impl Into<String>, role: Role) -> Self {
        Self {
            id: id.into(),
            role,
        }
    }

    /// Whether the caller may know this ticket exists. A ticket the caller may not see is
    /// answered exactly like one that does not exist.
    pub fn can_see(&self, ticket: &TicketSummary) -> bool {
        if ticket.is_deleted() {
            return self.role == Role::Admin;
        }
        self.role.is_staff() || ticket.client == self.id
    }

    /// Fails with `NotFound` unless the caller may see the ticket.
    pub fn ensure_can_see(&self, ticket: &TicketSummary) -> Result<(), DomainError> {
        if self.can_see(ticket) {
            Ok(())
        } else {
            Err(DomainError::NotFound)
        }
    }

    /// Soft delete and restore are for admins only.
    pub fn ensure_admin(&self) -> Result<(), DomainError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(DomainError::Forbidden(vec![FieldError::new(
                "role",
                "only an admin may do this",
            )]))
        }
    }
}

/// Fields of a request that a client may never set. Rejected with 403, never silently dropped.
pub(crate) fn forbid_for_client(
    caller: &Caller,
    present: &[(&'static str, bool)],
) -> Result<(), DomainError> {
    if caller.role.is_staff() {
        return Ok(());
    }
    let denied: Vec<FieldError> = present
        .iter()
        .filter(|(_, is_present)| *is_present)
        .map(|(field, _)| FieldError::new(*field, "a client may not set this field"))
        .collect();
    if denied.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Forbidden(denied))
    }
}
