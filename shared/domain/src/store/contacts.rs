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
