//! DynamoDB stream → the ticket's history (audit entries: who changed which field from what to
//! what, when) and domain events on the event bus. Records are handled one by one; a record that
//! fails is reported alone (`ReportBatchItemFailures`), and a redelivered record that was
//! handled before changes nothing.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use lambda_runtime::{Error, LambdaEvent};
use tickets_domain::automation::handle_change;
use tickets_domain::store::{EventPublisher, HistoryStore};
use tickets_domain::DomainError;
use tickets_dynamodb::change_from_stream;

pub struct Deps<H, P> {
    pub history: H,
    pub publisher: P,
}

pub async fn handle<H, P>(
    deps: &Deps<H, P>,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, Error>
where
    H: HistoryStore,
    P: EventPublisher,
{
    let mut failures = Vec::new();
    for record in event.payload.records {
        if let Err(err) = handle_record(deps, &record).await {
            tracing::error!(event_id = %record.event_id, error = %err, "stream record failed");
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            failures.push(failure);
        }
    }
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failures;
    Ok(response)
}

async fn handle_record<H, P>(deps: &Deps<H, P>, record: &EventRecord) -> Result<(), DomainError>
where
    H: HistoryStore,
    P: EventPublisher,
{
    let image = |item: &serde_dynamo::Item| (!item.is_empty()).then(|| item.clone());
    let change = change_from_stream(
        image(&record.change.old_image),
        image(&record.change.new_image),
    )?;
    if let Some(change) = change {
        handle_change(&deps.history, &deps.publisher, &record.event_id, &change).await?;
    }
    Ok(())
}
