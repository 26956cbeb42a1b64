//! DynamoDB stream → the ticket's history (audit entries: who changed which field from what to
//! what, when), domain events on the event bus, and the reports' figures. The records of one ticket (one partition)
//! are handled one after the other, in stream order; different tickets side by side, at most
//! `CONCURRENT_TICKETS` at a time. A record that fails is reported alone
//! (`ReportBatchItemFailures`), and a redelivered record that was handled before changes
//! nothing.
//!
//! The reports' figures are counted for the whole batch at once: what every ticket change of
//! the batch moves (`reports::delta`) is added up per stored item and written in a few
//! transactions, each marking the changes it counts (so a redelivered record adds nothing),
//! rather than one write of the same day's item per change.

use aws_lambda_events::event::dynamodb::{Event, EventRecord};
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use futures_util::stream::{self, StreamExt};
use lambda_runtime::{Error, LambdaEvent};
use tickets_domain::reports::{self, ReportDelta, Tz};
use tickets_domain::store::{EventPublisher, HistoryStore, ReportStore};
use tickets_domain::triggers::handle_change;
use tickets_domain::{DomainError, Timestamp};
use tickets_dynamodb::{change_from_stream, ticket_images};
use tickets_lambda::metrics::{self, Metric};

/// Tickets whose records are handled at the same time. Each record takes a few sequential
/// requests (already handled? publish, record); a batch of 100 records of many tickets would
/// otherwise take them all one after the other.
const CONCURRENT_TICKETS: usize = 8;

pub struct Deps<H, P, R> {
    pub history: H,
    pub publisher: P,
    pub reports: R,
    /// The days of the reports (`REPORT_TIME_ZONE`).
    pub zone: Tz,
}

pub async fn handle<H, P, R>(
    deps: &Deps<H, P, R>,
    event: LambdaEvent<Event>,
) -> Result<DynamoDbEventResponse, Error>
where
    H: HistoryStore,
    P: EventPublisher,
    R: ReportStore,
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
    for record in count_for_reports(deps, &event.payload.records).await {
        if !failed.iter().any(|other| other.event_id == record.event_id) {
            failed.push(record);
        }
    }
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

/// Counts the batch's ticket changes into the reports; the records that could not be counted
/// (unreadable, or not written: they go again, and only those not counted yet count then).
async fn count_for_reports<'a, H, P, R: ReportStore>(
    deps: &Deps<H, P, R>,
    records: &'a [EventRecord],
) -> Vec<&'a EventRecord> {
    let mut failed = Vec::new();
    let mut changes: Vec<(String, ReportDelta)> = Vec::new();
    for record in records {
        let image = |item: &serde_dynamo::Item| (!item.is_empty()).then(|| item.clone());
        match ticket_images(
            image(&record.change.old_image),
            image(&record.change.new_image),
        ) {
            Ok(None) => {}
            Ok(Some((before, after))) => {
                let delta = reports::delta(before.as_ref(), after.as_ref(), deps.zone);
                if !delta.is_empty() {
                    changes.push((record.event_id.clone(), delta));
                }
            }
            Err(err) => {
                tracing::error!(event_id = %record.event_id, error = %err, "stream record unreadable for the reports");
                failed.push(record);
            }
        }
    }
    let not_counted = match deps.reports.count_changes(&changes, Timestamp::now()).await {
        Ok(ids) => ids,
        Err(err) => {
            tracing::error!(error = %err, "report figures not counted");
            changes.into_iter().map(|(id, _)| id).collect()
        }
    };
    failed.extend(
        records
            .iter()
            .filter(|record| not_counted.contains(&record.event_id)),
    );
    failed
}

async fn handle_record<H, P, R>(
    deps: &Deps<H, P, R>,
    record: &EventRecord,
) -> Result<(), DomainError>
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
