//! SQS → the data jobs' steps. Each message names a job (`{"job": "<id>"}`); one step erases a
//! batch of the client's tickets and queues the next step, or, when none is left, what remains
//! of the client and ends the job. A step is idempotent: run again after a crash, it finishes
//! the work and counts nothing twice. A message that fails is reported alone
//! (`ReportBatchItemFailures`) and comes back.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use futures_util::future::join_all;
use lambda_runtime::{Error, LambdaEvent};
use tickets_domain::lifecycle::{erasure_step, Step};
use tickets_domain::store::{
    ClientData, ErasureJobs, EventPublisher, FileStore, JobQueue, TicketEraser,
};
use tickets_domain::Timestamp;
use tickets_sqs::job_of;

/// What the function works with, built once at init.
pub struct Jobs<S, F, Q, P> {
    pub store: S,
    pub files: F,
    pub queue: Q,
    pub events: P,
}

pub async fn handle<S, F, Q, P>(
    jobs: &Jobs<S, F, Q, P>,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error>
where
    S: ErasureJobs + ClientData + TicketEraser,
    F: FileStore,
    Q: JobQueue,
    P: EventPublisher,
{
    let messages = event.payload.records;
    let outcomes = join_all(messages.iter().map(|message| async {
        let id = message.message_id.as_deref().unwrap_or_default();
        let Some(job) = message.body.as_deref().and_then(job_of) else {
            tracing::error!(message_id = %id, "a message that names no job");
            return false;
        };
        match erasure_step(&jobs.store, &jobs.files, &jobs.queue, &jobs.events, &job, Timestamp::now()).await {
            Ok(Step::Continued) => {
                tracing::info!(job = %job, "erasure step done, next one queued");
                true
            }
            Ok(Step::Finished(removed)) => {
                tracing::info!(job = %job, tickets = removed.tickets, messages = removed.messages, files = removed.files, "erasure done");
                true
            }
            Ok(Step::Idle) => true,
            Err(err) => {
                tracing::warn!(job = %job, error = %err, "erasure step failed; it comes back");
                false
            }
        }
    }))
    .await;
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = messages
        .iter()
        .zip(outcomes)
        .filter(|(_, ok)| !ok)
        .map(|(message, _)| {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = message.message_id.clone().unwrap_or_default();
            failure
        })
        .collect();
    Ok(response)
}
