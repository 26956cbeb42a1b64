//! Reading and replacing the desk's service-level policies (`GET`/`PUT /v2/sla-policies`).

use crate::access::Caller;
use crate::error::DomainError;
use crate::model::Timestamp;
use crate::service::MAX_ATTEMPTS;
use crate::store::{SlaStore, StoreError, StoredSla};

use super::policy::SlaDocument;

/// The policies as stored, for staff: an empty document at version 0 before the first `PUT`.
pub async fn read_policies<S: SlaStore>(
    store: &S,
    caller: &Caller,
) -> Result<StoredSla, DomainError> {
    caller.ensure_staff("read the service-level policies")?;
    Ok(store.get_sla().await?.unwrap_or_else(|| StoredSla {
        document: SlaDocument {
            policies: Some(Vec::new()),
            ..SlaDocument::default()
        },
        version: 0,
        updated_at: None,
        updated_by: None,
    }))
}

/// Replaces the policies (admins): the whole document, checked first (422 with every problem,
/// nothing stored). With `expected` (`If-Match`), only while the stored version is still that
/// (412 otherwise). Tickets are measured by it from their next change on.
pub async fn replace_policies<S: SlaStore>(
    store: &S,
    caller: &Caller,
    document: SlaDocument,
    expected: Option<u64>,
    now: Timestamp,
) -> Result<StoredSla, DomainError> {
    caller.ensure_admin()?;
    document.check()?;
    for _ in 0..MAX_ATTEMPTS {
        let previous = store.get_sla().await?.map_or(0, |stored| stored.version);
        if let Some(expected) = expected.filter(|expected| *expected != previous) {
            return Err(DomainError::PreconditionFailed { expected });
        }
        let stored = StoredSla {
            document: document.clone(),
            version: previous + 1,
            updated_at: Some(now),
            updated_by: Some(caller.id.clone()),
        };
        match store.put_sla(&stored, previous).await {
            Ok(()) => return Ok(stored),
            Err(StoreError::VersionConflict) => match expected {
                Some(expected) => return Err(DomainError::PreconditionFailed { expected }),
                None => continue,
            },
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::VersionConflict.into())
}
