//! Auto-close: the resolved tickets due for closing (a sparse index holds only resolved ones),
//! and closing one together with its `system` message.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use tickets_domain::store::TicketCloser;
use tickets_domain::{StoreError, ThreadMessage, TicketSummary, Timestamp};

use crate::error::{internal, store_error};
use crate::items::{
    from_item, message_item, ticket_item, IDX_RESOLVED, IDX_RESOLVED_AT, RESOLVED_INDEX,
    RESOLVED_TICKETS,
};
use crate::{DynamoStore, Transaction};

impl TicketCloser for DynamoStore {
    async fn resolved_before(
        &self,
        cutoff: Timestamp,
        limit: u32,
    ) -> Result<Vec<TicketSummary>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(RESOLVED_INDEX)
            .key_condition_expression("#resolved = :resolved AND #resolvedAt < :cutoff")
            .expression_attribute_names("#resolved", IDX_RESOLVED)
            .expression_attribute_names("#resolvedAt", IDX_RESOLVED_AT)
            .expression_attribute_values(":resolved", AttributeValue::S(RESOLVED_TICKETS.into()))
            .expression_attribute_values(":cutoff", AttributeValue::S(cutoff.to_string()))
            .limit(limit as i32)
            .send()
            .await
            .map_err(store_error)?;
        output
            .items
            .unwrap_or_default()
            .into_iter()
            .map(from_item)
            .collect()
    }

    async fn save_with_message(
        &self,
        before: &TicketSummary,
        after: &TicketSummary,
        message: &ThreadMessage,
    ) -> Result<(), StoreError> {
        let ticket = Put::builder()
            .table_name(&self.table)
            .set_item(Some(ticket_item(after)?))
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
