//! Attachment records: one item each beside the ticket (`ATT#<id>`), changed together with the
//! ticket's version.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};
use tickets_domain::store::{AttachmentReader, AttachmentWriter, UploadVerdict};
use tickets_domain::{Attachment, AttachmentStatus, StoreError, TicketEdit, TicketSummary};

use crate::edit::edit_write;
use crate::error::{condition_held, internal};
use crate::items::{
    attachment_item, attachment_sk, from_item, key, string_attr, ticket_pk, SK, TICKET_SK, TTL,
};
use crate::{DynamoStore, Transaction};

impl AttachmentReader for DynamoStore {
    /// One `BatchGetItem` for both items.
    async fn get_attachment(
        &self,
        ticket_id: &str,
        attachment_id: &str,
    ) -> Result<Option<(TicketSummary, Option<Attachment>)>, StoreError> {
        let keys = vec![
            key(ticket_pk(ticket_id), TICKET_SK),
            key(ticket_pk(ticket_id), &attachment_sk(attachment_id)),
        ];
        let (mut ticket, mut attachment) = (None, None);
        for item in self.batch_get(keys).await? {
            if string_attr(&item, SK).as_deref() == Some(TICKET_SK) {
                ticket = Some(from_item::<TicketSummary>(item)?);
            } else {
                attachment = Some(from_item::<Attachment>(item)?);
            }
        }
        Ok(ticket.map(|ticket| (ticket, attachment)))
    }
}

impl AttachmentWriter for DynamoStore {
    async fn add_attachment(
        &self,
        attachment: &Attachment,
        edit: &TicketEdit,
    ) -> Result<(), StoreError> {
        let ticket_id = edit.ticket_id();
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(attachment_item(ticket_id, attachment)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(internal)?;
        let writes = vec![
            TransactWriteItem::builder().put(put).build(),
            edit_write(&self.table, &self.layout, edit)?,
        ];
        match self.transact(writes).await? {
            Transaction::Committed => Ok(()),
            // The attachment id is new: if it is stored, a lost answer hid this very write.
            Transaction::ConditionFailed(_)
                if self
                    .exists(ticket_pk(ticket_id), &attachment_sk(&attachment.id))
                    .await? =>
            {
                Ok(())
            }
            Transaction::ConditionFailed(_) => Err(StoreError::VersionConflict),
        }
    }

    async fn settle_attachment(
        &self,
        ticket_id: &str,
        attachment_id: &str,
        verdict: &UploadVerdict,
    ) -> Result<bool, StoreError> {
        let (status, size) = match verdict {
            UploadVerdict::Available { size } => (AttachmentStatus::Available, Some(*size)),
            UploadVerdict::Rejected => (AttachmentStatus::Rejected, None),
        };
        let mut update = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                ticket_pk(ticket_id),
                &attachment_sk(attachment_id),
            )))
            .condition_expression("#status = :pending")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(
                ":pending",
                AttributeValue::S(AttachmentStatus::Pending.to_string()),
            )
            .expression_attribute_values(":status", AttributeValue::S(status.to_string()));
        // A settled record stays: its TTL (set while it was pending) goes.
        update = update.expression_attribute_names("#ttl", TTL);
        update = match size {
            Some(size) => update
                .update_expression("SET #status = :status, #size = :size REMOVE #ttl")
                .expression_attribute_names("#size", "size")
                .expression_attribute_values(":size", AttributeValue::N(size.to_string())),
            None => update.update_expression("SET #status = :status REMOVE #ttl"),
        };
        condition_held(update.send().await)
    }

    async fn remove_attachment(
        &self,
        attachment_id: &str,
        edit: &TicketEdit,
    ) -> Result<(), StoreError> {
        let delete = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(
                ticket_pk(edit.ticket_id()),
                &attachment_sk(attachment_id),
            )))
            .condition_expression("attribute_exists(pk)")
            .build()
            .map_err(internal)?;
        let writes = vec![
            TransactWriteItem::builder().delete(delete).build(),
            edit_write(&self.table, &self.layout, edit)?,
        ];
        match self.transact(writes).await? {
            Transaction::Committed => Ok(()),
            Transaction::ConditionFailed(_) => Err(StoreError::VersionConflict),
        }
    }
}
