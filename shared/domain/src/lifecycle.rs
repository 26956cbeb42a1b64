//! Erasing for good what the desk holds: a soft-deleted ticket purged by an admin or after the
//! retention period (docs/API.md, Data lifecycle). A soft delete keeps everything so that it
//! can be undone; an erasure removes the ticket's items, its files, its history and its counts,
//! and cannot be.

use chrono::Duration;

use crate::access::Caller;
use crate::error::{DomainError, StoreError};
use crate::model::Timestamp;
use crate::store::{FileStore, Removed, TicketEraser, TicketReader};

/// How long a soft-deleted ticket is kept before the purge erases it, by default
/// (`PURGE_AFTER_DAYS`).
pub const PURGE_AFTER_DAYS: u32 = 30;
/// How many tickets one run of the purge erases at most; the next run takes the rest.
pub const PURGE_BATCH: u32 = 100;

/// Erases ticket `id` for good: what is to be removed is recorded first, then the files go,
/// then the items (the ticket item last, with its counts). Safe to run again after a crash at
/// any point: it finishes the work, and answers what the first attempt planned to remove
/// (nothing when the ticket was already gone).
pub async fn erase_ticket<S, F>(store: &S, files: &F, id: &str) -> Result<Removed, StoreError>
where
    S: TicketEraser,
    F: FileStore,
{
    let plan = store.plan_erasure(id).await?;
    if let Some(plan) = &plan {
        for key in &plan.files {
            files.delete(key).await?;
        }
    }
    store.erase_ticket(id).await?;
    Ok(plan.map(|plan| plan.removed).unwrap_or_default())
}

/// `DELETE /v2/support-tickets/{id}?purge=true`: an admin erases a soft-deleted ticket before
/// its retention period ends. A ticket that is not deleted is refused (409): a purge never
/// skips the soft delete that can be undone.
pub async fn purge_ticket<S, F>(
    store: &S,
    files: &F,
    caller: &Caller,
    id: &str,
) -> Result<Removed, DomainError>
where
    S: TicketEraser + TicketReader,
    F: FileStore,
{
    caller.ensure_admin()?;
    let ticket = store.get_summary(id).await?.ok_or(DomainError::NotFound)?;
    if !ticket.is_deleted() {
        return Err(DomainError::Conflict(
            "Only a deleted ticket can be purged; delete it first".into(),
        ));
    }
    Ok(erase_ticket(store, files, id).await?)
}

/// What one run of the purge did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    pub erased: Vec<String>,
    pub removed: Removed,
}

/// Erases every ticket soft-deleted more than `after_days` before `now` (at most
/// `PURGE_BATCH`; the next run takes the rest).
pub async fn purge_deleted<S, F>(
    store: &S,
    files: &F,
    now: Timestamp,
    after_days: u32,
) -> Result<PurgeReport, StoreError>
where
    S: TicketEraser,
    F: FileStore,
{
    let cutoff = Timestamp::from(now.as_datetime() - Duration::days(i64::from(after_days)));
    let mut report = PurgeReport::default();
    for id in store.deleted_before(cutoff, PURGE_BATCH).await? {
        report.removed += erase_ticket(store, files, &id).await?;
        report.erased.push(id);
    }
    Ok(report)
}
