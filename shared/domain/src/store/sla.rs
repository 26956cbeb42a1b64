//! Service levels: the policies document as stored, the checked policies every change is
//! measured against, and the tickets whose clocks fall due.

use std::future::Future;
use std::sync::Arc;

use serde::Serialize;

use crate::error::StoreError;
use crate::model::{TicketSummary, Timestamp};
use crate::sla::{SlaDocument, SlaPolicies};

/// The policies document as stored, with who wrote it, when, and its version (`ETag`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredSla {
    #[serde(flatten)]
    pub document: SlaDocument,
    pub version: u64,
    pub updated_at: Option<Timestamp>,
    pub updated_by: Option<String>,
}

pub trait SlaStore: Send + Sync {
    /// The stored document, or `None` before the first one is written.
    fn get_sla(&self) -> impl Future<Output = Result<Option<StoredSla>, StoreError>> + Send;

    /// Stores `stored` (its `version` the next one) if the stored version is still `previous`
    /// (`0`: none stored yet); `VersionConflict` otherwise.
    fn put_sla(
        &self,
        stored: &StoredSla,
        previous: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The checked policies every change of a ticket is measured against. A store may keep them for
/// a short while (docs/API.md says how long a new document takes to apply).
pub trait ServiceLevels: Send + Sync {
    fn service_levels(&self) -> impl Future<Output = Result<Arc<SlaPolicies>, StoreError>> + Send;
}

/// The tickets whose clocks change by themselves.
pub trait ClockWatcher: Send + Sync {
    /// Visible tickets whose next clock moment (a warning or a due time) is not after `now`,
    /// soonest first, at most `limit`: an index query that reads only those. Their listed
    /// fields (no description), read consistently.
    fn clocks_due(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> impl Future<Output = Result<Vec<TicketSummary>, StoreError>> + Send;
}
