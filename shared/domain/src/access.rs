//! Who is calling and what they may see and do: the one place that decides. The caller's role is
//! private to this module; every route asks one of the questions below and acts on the answer.
//!
//! The rules (docs/DESIGN.md, Permissions): a client sees and changes only its own tickets and
//! never internal notes; agents and admins work every ticket; a soft-deleted ticket exists for
//! admins only, answered to everyone else exactly like a ticket that does not exist (404), by
//! every route and every cursor, whenever the cursor was issued.

use std::borrow::Borrow;
use std::str::FromStr;

use crate::error::{DomainError, FieldError};
use crate::model::{ThreadMessage, Ticket, TicketSummary, Timestamp};
use crate::store::ListFilter;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    Client,
    Agent,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }

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

/// An authenticated principal: its id (`sub`), role, and e-mail address when its token
/// vouches for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub id: String,
    role: Role,
    email: Option<String>,
}

impl Caller {
    pub fn new(id: impl Into<String>, role: Role) -> Self {
        Self {
            id: id.into(),
            role,
            email: None,
        }
    }

    /// The caller with its address: one its identity provider verified (`email` with
    /// `email_verified`), compared case-insensitively, so kept lowercased.
    pub fn with_verified_email(mut self, address: &str) -> Self {
        let address = address.trim().to_lowercase();
        let plausible = address
            .split_once('@')
            .is_some_and(|(local, domain)| !local.is_empty() && domain.contains('.'))
            && !address.chars().any(|c| c.is_whitespace() || c.is_control());
        self.email = plausible.then_some(address);
        self
    }

    /// The caller's verified address, if its token gave one.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// Whose data an export covers (`client` as the route names it): `me`, or the caller's own
    /// id, is the caller; admins export anyone; an agent no one else (403); a client asking
    /// for anyone else's is answered as if there were no such client (404), as for tickets.
    pub fn export_subject(&self, client: &str) -> Result<String, DomainError> {
        if client == "me" || client == self.id {
            return Ok(self.id.clone());
        }
        match self.role {
            Role::Admin => Ok(client.to_owned()),
            Role::Agent => Err(DomainError::Forbidden(vec![FieldError::new(
                "role",
                "only an admin exports another person's data",
            )])),
            Role::Client => Err(DomainError::NotFound),
        }
    }

    /// Whether the caller may follow a job that `requested_by` started: their own; admins
    /// every one.
    pub fn may_follow(&self, requested_by: &str) -> bool {
        self.role == Role::Admin || requested_by == self.id
    }

    /// Agents and admins: they work every ticket and see internal notes.
    pub(crate) fn is_staff(&self) -> bool {
        self.role.is_staff()
    }

    /// Whether the caller may know this ticket exists. A ticket the caller may not see is
    /// answered exactly like one that does not exist.
    pub fn can_see(&self, ticket: &TicketSummary) -> bool {
        if ticket.is_deleted() {
            return self.role == Role::Admin;
        }
        self.role.is_staff() || ticket.client == self.id
    }

    /// `NotFound` unless the ticket exists and the caller may see it.
    pub fn ensure_visible(&self, ticket: Option<&TicketSummary>) -> Result<(), DomainError> {
        match ticket {
            Some(ticket) if self.can_see(ticket) => Ok(()),
            _ => Err(DomainError::NotFound),
        }
    }

    /// The ticket when it exists and the caller may see it; `NotFound` otherwise.
    pub fn visible<T: Borrow<TicketSummary>>(&self, ticket: Option<T>) -> Result<T, DomainError> {
        self.ensure_visible(ticket.as_ref().map(Borrow::borrow))?;
        ticket.ok_or(DomainError::NotFound)
    }

    /// The ticket when the caller may see it and it is not soft-deleted: a deleted ticket's
    /// attachments are hidden from everyone, admins included, until it is restored.
    pub fn live<T: Borrow<TicketSummary>>(&self, ticket: Option<T>) -> Result<T, DomainError> {
        let ticket = self.visible(ticket)?;
        if ticket.borrow().is_deleted() {
            return Err(DomainError::NotFound);
        }
        Ok(ticket)
    }

    /// Which of a ticket's messages the caller reads, asked for every page of the thread with
    /// the ticket as it is now (a page after a cursor included).
    pub fn thread_view(&self, ticket: Option<&TicketSummary>) -> Result<ThreadView, DomainError> {
        self.ensure_visible(ticket)?;
        Ok(ThreadView {
            internal_notes: self.role.is_staff(),
        })
    }

    /// A ticket's history is for agents and admins, on the tickets they may see (every page).
    pub fn ensure_can_read_history(
        &self,
        ticket: Option<&TicketSummary>,
    ) -> Result<(), DomainError> {
        self.ensure_visible(ticket)?;
        if self.role.is_staff() {
            Ok(())
        } else {
            Err(DomainError::Forbidden(vec![FieldError::new(
                "role",
                "only agents and admins read a ticket's history",
            )]))
        }
    }

    /// Whose tickets a list covers: staff list everyone's (or one client's); a client lists
    /// only its own, and may not ask for another client's or filter by assignee, rating or
    /// service level (403).
    pub fn list_scope(
        &self,
        client: Option<String>,
        filter: &ListFilter,
    ) -> Result<Scope, DomainError> {
        if self.role.is_staff() {
            return Ok(client.map_or(Scope::All, Scope::Client));
        }
        let mut denied = Vec::new();
        if client.is_some_and(|c| c != self.id) {
            denied.push(FieldError::new(
                "client",
                "a client lists only its own tickets",
            ));
        }
        for (field, present, what) in [
            ("assignedTo", filter.assigned_to.is_some(), "by assignee"),
            ("satisfaction", filter.satisfaction.is_some(), "by rating"),
            ("sla", filter.sla.is_some(), "by service level"),
        ] {
            if present {
                denied.push(FieldError::new(
                    field,
                    format!("a client may not filter {what}"),
                ));
            }
        }
        if denied.is_empty() {
            Ok(Scope::Client(self.id.clone()))
        } else {
            Err(DomainError::Forbidden(denied))
        }
    }

    /// What only agents and admins do (merging, changing many tickets at once); `doing` names it
    /// in the refusal.
    pub fn ensure_staff(&self, doing: &str) -> Result<(), DomainError> {
        if self.role.is_staff() {
            Ok(())
        } else {
            Err(DomainError::Forbidden(vec![FieldError::new(
                "role",
                format!("only agents and admins {doing}"),
            )]))
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

/// Whose tickets a list covers (`Caller::list_scope`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    All,
    Client(String),
}

impl Ticket {
    /// The ticket as `caller` may see it at `now`: clients never see internal notes, and nobody
    /// sees an upload that went stale.
    pub fn visible_to(self, caller: &Caller, now: Timestamp) -> Self {
        self.as_of(now).shown_to(caller)
    }

    fn shown_to(mut self, caller: &Caller) -> Self {
        if !caller.is_staff() {
            self.threads.retain(|message| !message.internal);
        }
        self.summary = self.summary.shown_to(caller);
        self
    }
}

impl TicketSummary {
    /// The ticket's fields as `caller` may see them: the service-level clocks are the desk's
    /// own measure of itself, shown to staff only (as Zendesk and Freshdesk do).
    pub fn shown_to(mut self, caller: &Caller) -> Self {
        if !caller.is_staff() {
            self.sla = None;
        }
        self
    }
}

/// What of a thread the caller reads (`Caller::thread_view`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadView {
    internal_notes: bool,
}

impl ThreadView {
    pub fn shows(&self, message: &ThreadMessage) -> bool {
        self.internal_notes || !message.internal
    }
}

/// Fields of a request that a client may never set. Rejected with 403, never silently dropped.
pub(crate) fn forbid_for_client(
    caller: &Caller,
    present: &[(&'static str, bool)],
) -> Result<(), DomainError> {
    if caller.is_staff() {
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
