//! SQS → the data jobs' steps. Each message names a job and its kind (`{"job": "<id>",
//! "kind": "erasure" | "export" | "rekey"}`). An erasure's step erases a batch of the client's
//! tickets and queues the next step, or, when none is left, what remains of the client and
//! ends the job; an export's step writes a batch of tickets to the archive, or the last of it;
//! a move's step moves a batch of a person's tickets to the id they signed in with. A step is
//! idempotent: run again after a crash, it finishes the work and counts nothing twice. A
//! message that fails is reported alone (`ReportBatchItemFailures`) and comes back; after its
//! last attempt (`JOB_ATTEMPTS`, the queue's receive count before the dead-letter queue) the
//! job is marked `failed`, so that whoever follows it learns so.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::future::join_all;
use lambda_runtime::{Error, LambdaEvent};
use tickets_domain::export::{export_step, ExportStep};
use tickets_domain::lifecycle::{erasure_step, Step};
use tickets_domain::rekey::{rekey_step, RekeyStep};
use tickets_domain::store::{
    ArchiveStore, ClientData, ErasureJobs, EventPublisher, ExportJobs, FailedJobs, FileStore,
    HistoryStore, JobKind, JobQueue, RekeyJobs, ThreadReader, TicketEraser, TicketReader,
};
use tickets_domain::Timestamp;
use tickets_sqs::job_of;

/// How many times a step is tried before its job fails, by default: the queue's
/// `maxReceiveCount` (template.yaml).
pub const JOB_ATTEMPTS: u32 = 5;

/// What the jobs read and write in the table.
pub trait JobStore:
    ErasureJobs
    + ExportJobs
    + FailedJobs
    + ClientData
    + TicketEraser
    + TicketReader
    + ThreadReader
    + HistoryStore
    + RekeyJobs
{
}

impl<T> JobStore for T where
    T: ErasureJobs
        + ExportJobs
        + FailedJobs
        + ClientData
        + TicketEraser
        + TicketReader
        + ThreadReader
        + HistoryStore
        + RekeyJobs
{
}

/// What the function works with, built once at init.
pub struct Jobs<S, F, Q, P> {
    pub store: S,
    pub files: F,
    pub queue: Q,
    pub events: P,
    pub attempts: u32,
}

pub async fn handle<S, F, Q, P>(
    jobs: &Jobs<S, F, Q, P>,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error>
where
    S: JobStore,
    F: FileStore + ArchiveStore,
    Q: JobQueue,
    P: EventPublisher,
{
    let messages = event.payload.records;
    let outcomes = join_all(messages.iter().map(|message| run_step(jobs, message))).await;
    Ok(tickets_lambda::batch_response(&messages, outcomes))
}

/// Runs the step a message names; whether the message is done with.
async fn run_step<S, F, Q, P>(jobs: &Jobs<S, F, Q, P>, message: &SqsMessage) -> bool
where
    S: JobStore,
    F: FileStore + ArchiveStore,
    Q: JobQueue,
    P: EventPublisher,
{
    let id = message.message_id.as_deref().unwrap_or_default();
    let Some((job, kind)) = message.body.as_deref().and_then(job_of) else {
        tracing::error!(message_id = %id, "a message that names no job");
        return false;
    };
    let now = Timestamp::now();
    let outcome = match kind {
        JobKind::Erasure => erasure_step(&jobs.store, &jobs.files, &jobs.queue, &jobs.events, &job, now)
            .await
            .map(|step| match step {
                Step::Continued => tracing::info!(job = %job, %kind, "step done, next one queued"),
                Step::Finished(removed) => tracing::info!(job = %job, %kind, tickets = removed.tickets, messages = removed.messages, files = removed.files, "erasure done"),
                Step::Idle => {}
            }),
        JobKind::Export => export_step(&jobs.store, &jobs.files, &jobs.queue, &jobs.events, &job, now)
            .await
            .map(|step| match step {
                ExportStep::Continued => tracing::info!(job = %job, %kind, "step done, next one queued"),
                ExportStep::Finished(exported) => tracing::info!(job = %job, %kind, tickets = exported.tickets, messages = exported.messages, attachments = exported.attachments, "export done"),
                ExportStep::Idle => {}
            }),
        JobKind::Rekey => rekey_step(&jobs.store, &jobs.queue, &job, now)
            .await
            .map(|step| match step {
                RekeyStep::Continued => tracing::info!(job = %job, %kind, "step done, next one queued"),
                RekeyStep::Finished(tickets) => tracing::info!(job = %job, %kind, tickets, "move done"),
                RekeyStep::Idle => {}
            }),
    };
    let Err(err) = outcome else {
        return true;
    };
    let attempt = receive_count(message);
    if attempt < jobs.attempts {
        tracing::warn!(job = %job, %kind, attempt, error = %err, "step failed; it comes back");
        return false;
    }
    tracing::error!(job = %job, %kind, attempt, error = %err, "step failed for the last time; the job fails");
    // Not marked (storage down): the message comes back once more, or goes to the
    // dead-letter queue, whose alarm says so.
    jobs.store.fail_job(&job, now).await.is_ok()
}

/// Which delivery of its message this is (SQS counts them; 1 when it does not say).
fn receive_count(message: &SqsMessage) -> u32 {
    message
        .attributes
        .get("ApproximateReceiveCount")
        .and_then(|count| count.parse().ok())
        .unwrap_or(1)
}
