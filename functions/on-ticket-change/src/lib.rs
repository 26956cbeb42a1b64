//! DynamoDB stream → the ticket's history (audit entries: who changed which field from what to
//! what, when) and domain events on the event bus. The records of one ticket (one partition)
//! are handled one after the other, in stream order; different tickets side by side, at most
//! `CONCURRENT_TICKETS` at a time. A record that fails is reported alone
//! (`ReportBatchItemFailures`), and a redelivered record that was handled before changes
//! nothing.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use futures_util::stream::{self, StreamExt};
use lambda_runtime::{Error, LambdaEvent};
use tickets_domain::store::{EventPublisher, HistoryStore};
use tickets_domain::triggers::handle_change;
use tickets_domain::DomainError;
use tickets_dynamodb::change_from_stream;
use tickets_lambda::metrics::{self, Metric};

/// Tickets whose records are handled at the same time. Each record takes a few sequential
/// requests (already handled? publish, record); a batch of 100 records of many tickets would
/// otherwise take them all one after the other.
const CONCURRENT_TICKETS: usize = 8;

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
    let partitions = by_partition(&event.payload.records);
    let mut failed: Vec<&EventRecord> = stream::iter(partitions)
        .map(|records| async move {
            let mut failed = Vec::new();
            for record in records {
                if let Err(err) = handle_record(deps, record).await {
                    tracing::error!(event_id = %record.event_id, error = %err, "stream record failed");
                    failed.push(record);
                }
            }
            failed
        })
        .buffer_unordered(CONCURRENT_TICKETS)
        .flat_map(stream::iter)
        .collect()
        .await;
    // Sequence numbers are decimal strings: shorter is smaller.
    failed.sort_by_key(|record| {
        let sequence = record.change.sequence_number.clone().unwrap_or_default();
        (sequence.len(), sequence)
    });
    metrics::count(Metric::Failures, failed.len() as u64);
    let mut response = DynamoDbEventResponse::default();
    response.batch_item_failures = failed
        .into_iter()
        .map(|record| {
            let mut failure = DynamoDbBatchItemFailure::default();
            failure.item_identifier = record.change.sequence_number.clone();
            failure
        })
        .collect();
    Ok(response)
}

/// The records grouped by the partition key of their item (a ticket with its thread and
/// attachments), each group in stream order, the groups in the order of their first record.
fn by_partition(records: &[EventRecord]) -> Vec<Vec<&EventRecord>> {
    let mut groups: Vec<Vec<&EventRecord>> = Vec::new();
    let mut index = std::collections::HashMap::new();
    for record in records {
        let key = match record.change.keys.get("pk") {
            Some(serde_dynamo::AttributeValue::S(pk)) => pk.as_str(),
            _ => "",
        };
        let slot = *index.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[slot].push(record);
    }
    groups
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
        let published =
            handle_change(&deps.history, &deps.publisher, &record.event_id, &change).await?;
        metrics::count(Metric::EventsPublished, published.unwrap_or(0) as u64);
    }
    Ok(())
}
