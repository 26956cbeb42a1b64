//! Merging tickets: reading the sources' fields together, and writing the whole merge as one
//! transaction.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use tickets_domain::merge::Merge;
use tickets_domain::store::{CreateOutcome, IdempotencyRecord, TicketMerger};
use tickets_domain::{StoreError, TicketSummary};

use crate::error::internal;
use crate::items::{from_item, key, message_item, ticket_pk, TICKET_SK};
use crate::{DynamoStore, Transaction};

impl TicketMerger for DynamoStore {
    async fn get_summaries(
        &self,
        ids: &[String],
    ) -> Result<Vec<Option<TicketSummary>>, StoreError> {
        let keys = ids.iter().map(|id| key(ticket_pk(id), TICKET_SK)).collect();
        let mut found: Vec<TicketSummary> = self
            .batch_get(keys)
            .await?
            .into_iter()
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(ids
            .iter()
            .map(|id| {
                let at = found.iter().position(|ticket| &ticket.id == id)?;
                Some(found.swap_remove(at))
            })
            .collect())
    }

    async fn merge_tickets(
        &self,
        merge: &Merge,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<CreateOutcome, StoreError> {
        let mut writes = Vec::new();
        for ticket in merge.tickets() {
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(self.layout.ticket_item(&ticket.after)?))
                .condition_expression("version = :expected")
                .expression_attribute_values(
                    ":expected",
                    AttributeValue::N(ticket.before.version.to_string()),
                )
                .build()
                .map_err(internal)?;
            writes.push(TransactWriteItem::builder().put(put).build());
            let message = message_item(&ticket.after, &ticket.message)?;
            writes.push(
                TransactWriteItem::builder()
                    .put(self.put(message, "attribute_not_exists(pk)")?)
                    .build(),
            );
        }
        writes.extend(
            self.combined_counter_updates(
                merge
                    .tickets()
                    .map(|ticket| (Some(&ticket.before), &ticket.after)),
            )?,
        );
        self.end_with_record(&mut writes, idempotency)?;
        match self.transact(writes).await? {
            Transaction::Committed => Ok(CreateOutcome::Created),
            Transaction::ConditionFailed(codes) => {
                if let Some(replayed) = self.replay_if_taken(idempotency, &codes).await? {
                    return Ok(replayed);
                }
                // Committed by an attempt whose answer was lost, or a ticket changed meanwhile.
                self.unless_already(&merge.target.after)
                    .await
                    .map(|()| CreateOutcome::Created)
            }
        }
    }
}
