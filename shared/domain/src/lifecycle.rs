//! Erasing for good what the desk holds (docs/API.md, Data lifecycle): a soft-deleted ticket
//! purged by an admin or after the retention period, and everything about a client, on an
//! admin's request, by a job of as many steps as it takes. A soft delete keeps everything so
//! that it can be undone; an erasure removes the tickets' items, files, history and counts, and
//! cannot be.

use chrono::Duration;

use serde_json::json;

use crate::access::Caller;
use crate::error::{DomainError, StoreError};
use crate::history::DomainEvent;
use crate::model::{new_id, Timestamp};
use crate::store::{
    ArchiveStore, ClientData, ErasureJob, ErasureJobs, EventPublisher, FileStore, JobKind,
    JobQueue, JobStatus, Removed, TicketEraser, TicketReader,
};
use crate::validation::Checker;

/// How long a soft-deleted ticket is kept before the purge erases it, by default
/// (`PURGE_AFTER_DAYS`).
pub const PURGE_AFTER_DAYS: u32 = 30;
/// How many tickets one run of the purge erases at most; the next run takes the rest.
pub const PURGE_BATCH: u32 = 100;

/// Erases ticket `id` for good: what is to be removed is recorded first, then the files go,
/// then the items (the ticket item last, with its counts). Safe to run again after a crash at
/// any point: it finishes the work, and answers what the first attempt planned to remove
/// (nothing when the ticket was already gone).
pub async fn erase_ticket<S, F>(
    store: &S,
    files: &F,
    id: &str,
    job: Option<&str>,
) -> Result<Removed, StoreError>
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
    store.erase_ticket(id, job).await?;
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
    Ok(erase_ticket(store, files, id, None).await?)
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
        report.removed += erase_ticket(store, files, &id, None).await?;
        report.erased.push(id);
    }
    Ok(report)
}

/// How many tickets one step of an erasure erases: a step is one invocation, well within its
/// time limit; a client with any number of tickets is a chain of steps.
pub const ERASURE_STEP: u32 = 25;

/// `POST /v2/clients/{id}/erase`: an admin starts erasing everything the desk holds about a
/// client. The job is stored, then its first step queued; erasing a client twice is two jobs,
/// the second finding nothing.
pub async fn start_erasure<S, Q>(
    store: &S,
    queue: &Q,
    caller: &Caller,
    client: &str,
    now: Timestamp,
) -> Result<ErasureJob, DomainError>
where
    S: ErasureJobs,
    Q: JobQueue,
{
    caller.ensure_admin()?;
    let mut check = Checker::default();
    let client = check.principal("id", client);
    check.finish()?;
    let job = ErasureJob {
        id: new_id(),
        status: JobStatus::Running,
        requested_by: caller.id.clone(),
        created_at: now,
        updated_at: now,
        finished_at: None,
        removed: Removed::default(),
        client,
    };
    store.start_job(&job).await?;
    queue.next_step(&job.id, JobKind::Erasure).await?;
    Ok(job)
}

/// `GET /v2/erasures/{id}` (admins).
pub async fn show_erasure<S: ErasureJobs>(
    store: &S,
    caller: &Caller,
    id: &str,
) -> Result<ErasureJob, DomainError> {
    caller.ensure_admin()?;
    store.job(id).await?.ok_or(DomainError::NotFound)
}

/// What one step of a job did.
#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// Erased a batch of tickets; the next step is queued.
    Continued,
    /// Erased the last of the client's data and ended the job.
    Finished(Removed),
    /// Nothing to do: no such job, or it ended already (a redelivered step).
    Idle,
}

/// One step of erasure job `id`: the client's next tickets (each counted into the job in the
/// transaction that removes it), and once none is left, what remains of the client; then
/// `SupportClient.Erased` is announced (at least once), and the job ends and forgets the
/// client's id. Any step may be
/// run again after a crash: it finishes the work and counts nothing twice.
pub async fn erasure_step<S, F, Q, P>(
    store: &S,
    files: &F,
    queue: &Q,
    events: &P,
    id: &str,
    now: Timestamp,
) -> Result<Step, StoreError>
where
    S: ErasureJobs + ClientData + TicketEraser,
    F: FileStore + ArchiveStore,
    Q: JobQueue,
    P: EventPublisher,
{
    let Some(job) = store.job(id).await? else {
        return Ok(Step::Idle);
    };
    let (JobStatus::Running, Some(client)) = (job.status, job.client) else {
        return Ok(Step::Idle);
    };
    let tickets = store.client_ticket_ids(&client, ERASURE_STEP).await?;
    for ticket in &tickets {
        erase_ticket(store, files, ticket, Some(id)).await?;
    }
    if tickets.len() >= ERASURE_STEP as usize {
        queue.next_step(id, JobKind::Erasure).await?;
        return Ok(Step::Continued);
    }
    // The export jobs go with the remains, then their archives: an export that completes in
    // between finds its job gone and deletes its own archive.
    let remains = store.erase_client_remains(&client).await?;
    files
        .delete_under(&crate::export::exports_prefix(&client))
        .await?;
    // Announced before the job ends: a crash in between announces it again (at least once).
    let event = DomainEvent {
        detail_type: "SupportClient.Erased".into(),
        detail: json!({"jobId": id, "requestedBy": job.requested_by, "at": now}),
    };
    events.publish(&[event]).await?;
    store.finish_job(id, &remains, now).await?;
    let removed = store
        .job(id)
        .await?
        .map(|job| job.removed)
        .unwrap_or(remains);
    Ok(Step::Finished(removed))
}
