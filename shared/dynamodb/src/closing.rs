//! Auto-close: the resolved tickets due for closing (a sparse index holds only resolved ones),
//! and closing one together with its `system` message.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use futures_util::future::try_join_all;
use tickets_domain::store::TicketCloser;
use tickets_domain::{StoreError, ThreadMessage, TicketSummary, Timestamp};

use crate::error::{internal, store_error};
use crate::items::{
    from_item, message_item, string_attr, Item, ListIndex, BY_RESOLVED, IDX_RESOLVED_AT,
    RESOLVED_INDEX, RESOLVED_TICKETS,
};
use crate::{DynamoStore, Transaction};

impl TicketCloser for DynamoStore {
    async fn resolved_before(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> Result<Vec<TicketSummary>, StoreError> {
        let items = self
            .due_items(
                RESOLVED_INDEX,
                &BY_RESOLVED,
                RESOLVED_TICKETS,
                IDX_RESOLVED_AT,
                &cutoff.to_string(),
                limit,
            )
            .await?;
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

impl DynamoStore {
    /// What has come due on a sharded time index (auto-close's, the service-level job's): from
    /// each partition of `family` holding `value`, the items whose sort value (`sort`) is below
    /// `bound`, and of those the `limit` that sort first. One `Query` per shard, sent together;
    /// each reads at most `limit` items, whatever the table holds.
    pub(crate) async fn due_items(
        &self,
        index: &str,
        family: &ListIndex,
        value: &str,
        sort: &str,
        bound: &str,
        limit: u32,
    ) -> Result<Vec<Item>, StoreError> {
        let reads = self
            .layout
            .partitions(family, value)
            .into_iter()
            .map(|partition| {
                let request = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .index_name(index)
                    .key_condition_expression("#part = :part AND #sort < :bound")
                    .expression_attribute_names("#part", family.key)
                    .expression_attribute_names("#sort", sort)
                    .expression_attribute_values(":part", AttributeValue::S(partition))
                    .expression_attribute_values(":bound", AttributeValue::S(bound.to_owned()))
                    .limit(i32::try_from(limit).unwrap_or(i32::MAX));
                async move { request.send().await.map_err(store_error) }
            });
        let mut items: Vec<Item> = try_join_all(reads)
            .await?
            .into_iter()
            .flat_map(|output| output.items.unwrap_or_default())
            .collect();
        items.sort_by_key(|item| string_attr(item, sort));
        items.truncate(limit as usize);
        Ok(items)
    }
}
