//! The people the desk can write to: each person's e-mail address, known from a token that
//! vouches for it or from a message they sent, stored once (lowercased) and belonging to one
//! person at a time; and whether they want notifications.

use std::future::Future;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::model::Timestamp;

crate::model::wire_enum!(
    /// Where the desk learnt an address.
    ContactSource {
        Token => "token",
        Email => "email",
    }
);

/// A person's address.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Contact {
    pub principal: String,
    /// Lowercased.
    pub address: String,
    pub source: ContactSource,
    /// Whether they receive notifications (they may switch them off).
    pub notifications: bool,
    /// An agent or admin (known from their token): their mail may post as staff.
    #[serde(default)]
    pub staff: bool,
    pub created_at: Timestamp,
    /// The `mail:` people this person was before signing in with their address (their
    /// tickets re-keyed to this one): reply addresses made for them still vouch for this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub former: Vec<String>,
}

/// What remembering an address found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContactRemembered {
    /// Stored now.
    New,
    /// This person is known already (their first address is kept).
    Known(Contact),
    /// The address belongs to someone else.
    Taken(Contact),
}

pub trait ContactStore: Send + Sync {
    /// Stores the address for the person, unless the person or the address is known already.
    fn remember_contact(
        &self,
        contact: &Contact,
    ) -> impl Future<Output = Result<ContactRemembered, StoreError>> + Send;

    fn contact_of(
        &self,
        principal: &str,
    ) -> impl Future<Output = Result<Option<Contact>, StoreError>> + Send;

    fn contact_by_address(
        &self,
        address: &str,
    ) -> impl Future<Output = Result<Option<Contact>, StoreError>> + Send;

    /// Switches a person's notifications on or off; whether the person is known.
    fn set_notifications(
        &self,
        principal: &str,
        on: bool,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// Moving a person who first wrote by e-mail (`from`, a `mail:` principal) to the id they
/// signed in with (`to`), once per such person: a data job of steps (docs/DESIGN.md, E-mail,
/// Contacts). Its id is derived from `from`, so a person is moved once whoever asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RekeyJob {
    pub id: String,
    pub status: crate::store::JobStatus,
    /// Both ids are kept while the job runs (and when it failed, for whoever runs it again).
    pub from: Option<String>,
    pub to: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    /// Tickets moved so far, each counted once, in the transaction that moves it.
    #[serde(default)]
    pub tickets: u64,
}

pub trait RekeyJobs: Send + Sync {
    /// Stores `job` unless a job of the same id is stored: the stored job, and whether it is
    /// the one just stored.
    fn request_rekey(
        &self,
        job: &RekeyJob,
    ) -> impl Future<Output = Result<(RekeyJob, bool), StoreError>> + Send;

    fn rekey_job(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<RekeyJob>, StoreError>> + Send;

    /// Marks running job `id` alive at `at`, if its `updated_at` is still `seen` (or `at`
    /// already: this call's own write, answered late): whether the mark is this call's. Whoever
    /// marks a job owns its chain of steps for the moment; whoever read it before the mark
    /// leaves the chain to them.
    fn claim_rekey(
        &self,
        id: &str,
        seen: Timestamp,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Points `from`'s address at `to` (and `to`'s contact at the address, unless `to` has an
    /// address of its own), keeping `from` among `to`'s former ids; removes `from`'s contact.
    /// Idempotent: an address already `to`'s, or no longer `from`'s, is left as it is.
    fn move_contact(
        &self,
        from: &str,
        to: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Moves ticket `ticket_id` from client `from` to client `to`: its messages and files
    /// written by `from` become `to`'s, then the ticket item with its counters, counted into
    /// `job`. Idempotent: a ticket that is no longer `from`'s (moved, or gone) is left.
    fn rekey_ticket(
        &self,
        ticket_id: &str,
        from: &str,
        to: &str,
        job: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Ends a running job: `done`, both ids forgotten; `from`'s counter item goes once it
    /// counts nothing.
    fn finish_rekey(
        &self,
        id: &str,
        from: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}
