//! Erasing a ticket for good. What it removes is recorded on the ticket item first (`erasure`),
//! so that an erasure resumed after a crash reports what the interrupted one would have; then
//! its history and every item of its partition but the ticket go, then the ticket item in one
//! transaction with its counts, then whatever was written to the partition meanwhile. The
//! ticket item goes last: as long as it is there, the ticket can be found and the erasure
//! finished.

use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, DeleteRequest, TransactWriteItem, WriteRequest,
};
use tickets_domain::attachment::object_key;
use tickets_domain::store::{raw_mail_key, ErasurePlan, Removed, TicketEraser};
use tickets_domain::{StoreError, TicketSummary, Timestamp};

use crate::error::{internal, store_error};
use crate::items::{
    from_item, key, string_attr, ticket_pk, Item, ATTACHMENT_PREFIX, BY_RESOLVED, DELETED_TICKETS,
    IDX_RESOLVED_AT, MESSAGE_PREFIX, PK, RESOLVED_INDEX, SK, TICKET_SK,
};
use crate::{DynamoStore, Transaction};

/// The ticket item's attribute that holds what its erasure removes.
const ERASURE: &str = "erasure";
/// Attempts at deleting the ticket item when it keeps changing under the erasure.
const FINAL_ATTEMPTS: u32 = 5;

impl DynamoStore {
    /// Every item of a partition, read consistently; only `projection` of each when given.
    pub(crate) async fn partition_items(
        &self,
        pk: &str,
        projection: Option<&str>,
    ) -> Result<Vec<Item>, StoreError> {
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(pk.to_owned()))
                .set_projection_expression(projection.map(str::to_owned))
                .consistent_read(true)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            items.extend(output.items.unwrap_or_default());
            start = output.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }

    /// The keys of every item of a partition (only the keys are read).
    pub(crate) async fn partition_keys(&self, pk: &str) -> Result<Vec<Item>, StoreError> {
        self.partition_items(pk, Some("pk, sk")).await
    }

    /// Deletes items by key, 25 to a request, until none is left unprocessed.
    pub(crate) async fn delete_keys(&self, keys: Vec<Item>) -> Result<(), StoreError> {
        let deletes = keys
            .into_iter()
            .map(|key| {
                let delete = DeleteRequest::builder()
                    .set_key(Some(key))
                    .build()
                    .map_err(internal)?;
                Ok(WriteRequest::builder().delete_request(delete).build())
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        self.batch_write(deletes).await
    }

    /// Writes (puts or deletes), 25 to a request, until none is left unprocessed.
    pub(crate) async fn batch_write(&self, writes: Vec<WriteRequest>) -> Result<(), StoreError> {
        for chunk in writes.chunks(25) {
            let request = std::collections::HashMap::from([(self.table.clone(), chunk.to_vec())]);
            crate::retry::until_processed(request, |request| {
                let sent = self
                    .client
                    .batch_write_item()
                    .set_request_items(Some(request))
                    .send();
                async move {
                    let output = sent.await.map_err(store_error)?;
                    Ok(output.unprocessed_items.filter(|left| !left.is_empty()))
                }
            })
            .await?;
        }
        Ok(())
    }

    async fn ticket_item(&self, id: &str) -> Result<Option<Item>, StoreError> {
        self.read_item(key(ticket_pk(id), TICKET_SK)).await
    }

    /// Deletes the ticket item, as read, with the counts it counted in, and adds what its
    /// erasure removed (its recorded plan) to `job`'s counts.
    async fn delete_ticket_item(
        &self,
        item: Item,
        job: Option<&str>,
    ) -> Result<Transaction, StoreError> {
        let plan: Option<Removed> = item
            .get(ERASURE)
            .and_then(|plan| serde_dynamo::from_attribute_value(plan.clone()).ok());
        let before: TicketSummary = from_item(item)?;
        // Gone counts like deleted: under no facet.
        let mut gone = before.clone();
        gone.deleted_at = Some(gone.deleted_at.unwrap_or_else(Timestamp::now));
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(ticket_pk(&before.id), TICKET_SK)))
            .condition_expression("version = :version")
            .expression_attribute_values(":version", AttributeValue::N(before.version.to_string()))
            .build()
            .map_err(internal)?;
        let mut writes = vec![TransactWriteItem::builder().delete(delete).build()];
        writes.extend(self.counter_updates(Some(&before), &gone)?);
        if let Some(job) = job {
            let removed = plan.unwrap_or(Removed {
                tickets: 1,
                ..Removed::default()
            });
            let update = self.job_counts_update(job, &removed)?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        self.transact(writes).await
    }

    async fn count_history(&self, id: &str) -> Result<u64, StoreError> {
        Ok(self.partition_keys(&format!("AUDIT#{id}")).await?.len() as u64)
    }
}

impl TicketEraser for DynamoStore {
    async fn plan_erasure(&self, id: &str) -> Result<Option<ErasurePlan>, StoreError> {
        let keys = self.partition_keys(&ticket_pk(id)).await?;
        // The attachments' files, and the raw messages that became part of the ticket.
        let attachments: Vec<String> = keys
            .iter()
            .filter_map(|key| string_attr(key, SK))
            .filter_map(|sk| {
                sk.strip_prefix(ATTACHMENT_PREFIX)
                    .map(|att| object_key(id, att))
            })
            .collect();
        let files: Vec<String> = keys
            .iter()
            .filter_map(|key| string_attr(key, SK))
            .filter_map(|sk| {
                sk.strip_prefix(crate::mail::INBOUND_PREFIX)
                    .map(|mail| raw_mail_key(id, mail))
            })
            .chain(attachments.iter().cloned())
            .collect();
        let Some(ticket) = self.ticket_item(id).await? else {
            return Ok(None);
        };
        if let Some(recorded) = ticket.get(ERASURE) {
            let removed = serde_dynamo::from_attribute_value(recorded.clone()).map_err(internal)?;
            return Ok(Some(ErasurePlan { removed, files }));
        }
        let count = |prefix: &str| {
            keys.iter()
                .filter_map(|key| string_attr(key, SK))
                .filter(|sk| sk.starts_with(prefix))
                .count() as u64
        };
        let removed = Removed {
            tickets: 1,
            messages: count(MESSAGE_PREFIX),
            attachments: attachments.len() as u64,
            files: files.len() as u64,
            history_entries: self.count_history(id).await?,
            ..Removed::default()
        };
        let plan: AttributeValue = serde_dynamo::to_attribute_value(removed).map_err(internal)?;
        let recorded = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(ticket_pk(id), TICKET_SK)))
            .update_expression("SET #plan = :plan")
            .condition_expression("attribute_exists(pk) AND attribute_not_exists(#plan)")
            .expression_attribute_names("#plan", ERASURE)
            .expression_attribute_values(":plan", plan)
            .send()
            .await;
        match recorded {
            Ok(_) => Ok(Some(ErasurePlan { removed, files })),
            // Erased or planned meanwhile by another attempt: its plan is the one.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                let Some(ticket) = self.ticket_item(id).await? else {
                    return Ok(None);
                };
                let recorded = ticket
                    .get(ERASURE)
                    .cloned()
                    .unwrap_or(AttributeValue::Null(true));
                let removed = serde_dynamo::from_attribute_value(recorded).unwrap_or(removed);
                Ok(Some(ErasurePlan { removed, files }))
            }
            Err(err) => Err(store_error(err)),
        }
    }

    async fn erase_ticket(&self, id: &str, job: Option<&str>) -> Result<(), StoreError> {
        let history = self.partition_keys(&format!("AUDIT#{id}")).await?;
        self.delete_keys(history).await?;
        let mut others: Vec<Item> = self
            .partition_keys(&ticket_pk(id))
            .await?
            .into_iter()
            .filter(|key| string_attr(key, SK).as_deref() != Some(TICKET_SK))
            .collect();
        others.extend(crate::mail::lookups_of(&others));
        self.delete_keys(others).await?;
        for _ in 0..FINAL_ATTEMPTS {
            let Some(item) = self.ticket_item(id).await? else {
                break;
            };
            match self.delete_ticket_item(item, job).await? {
                Transaction::Committed => break,
                // Changed between the read and the delete: read it again.
                Transaction::ConditionFailed(_) => continue,
            }
        }
        if self.ticket_item(id).await?.is_some() {
            return Err(StoreError::VersionConflict);
        }
        // Written between the first sweep and the ticket item's delete (nothing can be
        // written after it: every write of a ticket's items requires the ticket item).
        let mut left = self.partition_keys(&ticket_pk(id)).await?;
        left.extend(crate::mail::lookups_of(&left));
        self.delete_keys(left).await
    }

    async fn deleted_before(
        &self,
        before: Timestamp,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let items = self
            .due_items(
                RESOLVED_INDEX,
                &BY_RESOLVED,
                DELETED_TICKETS,
                IDX_RESOLVED_AT,
                &before.to_string(),
                limit,
            )
            .await?;
        Ok(items
            .iter()
            .filter_map(|item| string_attr(item, PK))
            .filter_map(|pk| pk.strip_prefix("TICKET#").map(str::to_owned))
            .collect())
    }
}
