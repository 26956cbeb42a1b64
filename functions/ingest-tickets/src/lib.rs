//! SQS → tickets opened by other services (an e-mail gateway, a monitoring alert). Each
//! message is a create-ticket command, validated like the API, idempotent on its message id.
//! A message that fails, malformed ones included, is reported alone
//! (`ReportBatchItemFailures`): it is retried and, after a bounded number of receives, lands in
//! the dead-letter queue. Nothing is dropped.

use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use lambda_runtime::{Error, LambdaEvent};
use tickets_domain::store::TicketCreator;
use tickets_domain::triggers::{ingest_ticket, IngestOutcome};
use tickets_domain::DomainError;
use tickets_lambda::metrics::{self, Metric};

pub async fn handle<S: TicketCreator>(
    store: &S,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error> {
    let mut failures = Vec::new();
    for message in event.payload.records {
        let id = message.message_id.clone().unwrap_or_default();
        let body = message.body.as_deref().unwrap_or_default();
        match ingest_ticket(store, &id, body).await {
            Ok(IngestOutcome::Created(ticket)) => {
                metrics::count(Metric::TicketsCreated, 1);
                tracing::info!(message_id = %id, ticket = %ticket, "ticket ingested")
            }
            Ok(IngestOutcome::Duplicate) => {
                tracing::info!(message_id = %id, "duplicate delivery ignored")
            }
            Err(err) => {
                let reason = match &err {
                    DomainError::Validation(details) => format!("invalid: {details:?}"),
                    other => other.to_string(),
                };
                tracing::error!(message_id = %id, %reason, "message not ingested");
                failures.push(failure(id));
            }
        }
    }
    metrics::count(Metric::Failures, failures.len() as u64);
    let mut response = SqsBatchResponse::default();
    response.batch_item_failures = failures;
    Ok(response)
}

fn failure(message_id: String) -> BatchItemFailure {
    let mut failure = BatchItemFailure::default();
    failure.item_identifier = message_id;
    failure
}
