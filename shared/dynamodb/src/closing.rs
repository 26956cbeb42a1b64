//! Auto-close: the resolved tickets due for closing (a sparse index holds only resolved ones),
//! and closing one together with its `system` message.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use futures_util::future::try_join_all;
use tickets_domain::store::TicketCloser;
use tickets_domain::{StoreError, ThreadMessage, TicketSummary, Timestamp};

use crate::error::{internal, store_error};
use crate::items::{
    from_item, message_item, string_attr, Item, BY_RESOLVED, IDX_RESOLVED, IDX_RESOLVED_AT,
    RESOLVED_INDEX, RESOLVED_TICKETS,
};
use crate::{DynamoStore, Transaction};

impl TicketCloser for DynamoStore {
    async fn resolved_before(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> Result<Vec<TicketSummary>, StoreError> {
        // Every shard's longest-resolved tickets, and of those the longest-resolved overall.
        let reads = self
            .layout
            .partitions(&BY_RESOLVED, RESOLVED_TICKETS)
            .into_iter()
            .map(|partition| {
                let request = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(RESOLVED_INDEX)
                    .key_condition_expression("#resolved = :resolved AND #resolvedAt < :cutoff")
                    .expression_attribute_names("#resolved", IDX_RESOLVED)
                    .expression_attribute_names("#resolvedAt", IDX_RESOLVED_AT)
                    .expression_attribute_values(":resolved", AttributeValue::S(partition))
                    .expression_attribute_values(":cutoff", AttributeValue::S(cutoff.to_string()))
                    .limit(limit as i32);
                async move { request.send().await.map_err(store_error) }
            });
        let mut items: Vec<Item> = try_join_all(reads)
            .await?
            .into_iter()
            .flat_map(|output| output.items.unwrap_or_default())
            .collect();
        items.sort_by_key(|item| string_attr(item, IDX_RESOLVED_AT));
        items.truncate(limit as usize);
        items.into_iter().map(from_item).collect()
    }

    async fn save_with_message(
        &self,
        before: &TicketSummary,
        after: &TicketSummary,
        message: &ThreadMessage,
    ) -> Result<(), StoreError> {
        let ticket = Put::builder()
            .table_name(&self.table)
            .set_item(Some(self.layout.ticket_item(after)?))
            .condition_expression("version = :expected")
            .expression_attribute_values(":expected", AttributeValue::N(before.version.to_string()))
            .build()
            .map_err(internal)?;
        let message = Put::builder()
            .table_name(&self.table)
            .set_item(Some(message_item(after, message)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(internal)?;
        let mut writes = vec![
            TransactWriteItem::builder().put(ticket).build(),
            TransactWriteItem::builder().put(message).build(),
        ];
        writes.extend(self.counter_updates(Some(before), after)?);
        match self.transact(writes).await? {
            Transaction::Committed => Ok(()),
            Transaction::ConditionFailed(_) => self.unless_already(after).await,
        }
    }
}
