//! Threads: reading a ticket with a bounded window of its thread, paging through the thread,
//! and writing a message together with its effects on the ticket.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use tickets_domain::store::{MessagePage, PageQuery, ThreadReader, ThreadWriter, TicketReader};
use tickets_domain::{
    is_valid_id, PostedMessage, StoreError, ThreadMessage, Ticket, THREAD_WINDOW,
};

use crate::cursor;
use crate::edit::edit_write;
use crate::error::{internal, store_error};
use crate::items::{
    from_item, key, message_from_item, message_item, message_sk, string_attr, ticket_pk, Item,
    ATTACHMENT_PREFIX, MESSAGE_PREFIX, SK, TICKET_SK,
};
use crate::{DynamoStore, TicketParts, Transaction};

/// Attachments sort before the ticket item, so a ticket read budgets for as many as a ticket
/// may hold.
const ATTACHMENTS_BUDGET: i32 = tickets_domain::attachment::ATTACHMENTS_MAX as i32;

fn cursor_for(message_id: &str) -> String {
    cursor::encode(message_id)
}

fn message_after(cursor: &str) -> Result<String, StoreError> {
    cursor::decode(cursor, is_valid_id)
}

/// The items of one partition, sorted by kind.
#[derive(Default)]
struct Partition {
    ticket: TicketParts,
    messages: Vec<ThreadMessage>,
    attachments: Vec<tickets_domain::Attachment>,
}

impl Partition {
    fn add(&mut self, item: Item) -> Result<(), StoreError> {
        let sk = string_attr(&item, SK).unwrap_or_default();
        if sk.starts_with(MESSAGE_PREFIX) {
            // The description item sorts before every message, so it is at hand.
            let message = message_from_item(item, self.ticket.description())?;
            self.messages.push(message);
        } else if sk.starts_with(ATTACHMENT_PREFIX) {
            self.attachments.push(from_item(item)?);
        } else {
            self.ticket.add(item)?;
        }
        Ok(())
    }

    /// Keeps the first `limit` messages; the cursor continues after the last one kept.
    fn window(&mut self, limit: usize) -> Option<String> {
        if self.messages.len() <= limit {
            return None;
        }
        self.messages.truncate(limit);
        self.messages.last().map(|message| cursor_for(&message.id))
    }
}

impl DynamoStore {
    /// The ticket, its description, its attachments and the first `THREAD_WINDOW` messages:
    /// one `Query` from the start of the partition, more only when items are large (1 MB per
    /// response).
    pub(crate) async fn read_ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
        let mut budget = ATTACHMENTS_BUDGET + 2 + THREAD_WINDOW as i32 + 1;
        let mut partition = Partition::default();
        let mut start = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", AttributeValue::S(ticket_pk(id)))
                .consistent_read(true)
                .limit(budget)
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(store_error)?;
            let items = output.items.unwrap_or_default();
            budget -= items.len() as i32;
            for item in items {
                partition.add(item)?;
            }
            start = output.last_evaluated_key;
            if start.is_none() || budget <= 0 || partition.messages.len() > THREAD_WINDOW {
                break;
            }
        }
        let more_unread = start.is_some() && partition.messages.len() <= THREAD_WINDOW;
        let mut next_cursor = partition.window(THREAD_WINDOW);
        if more_unread {
            next_cursor = partition.messages.last().map(|m| cursor_for(&m.id));
        }
        Ok(partition.ticket.summary().map(|summary| Ticket {
            summary,
            threads_truncated: next_cursor.is_some(),
            threads_next_cursor: next_cursor,
            threads: partition.messages,
            attachments: partition.attachments,
        }))
    }
}

impl ThreadReader for DynamoStore {
    /// The first page starts at the ticket item (its description and messages sort right after
    /// it), so it brings the ticket along in one request. A later page starts after the cursor's message
    /// and reads the ticket item beside it (two requests, sent together): access is decided on
    /// the ticket as it is now, never on what a cursor remembers.
    async fn list_messages(
        &self,
        ticket_id: &str,
        query: &PageQuery,
    ) -> Result<MessagePage, StoreError> {
        let limit = query.limit as usize;
        let request = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :prefix)")
            .expression_attribute_values(":pk", AttributeValue::S(ticket_pk(ticket_id)))
            .consistent_read(true);
        let (output, ticket) = match &query.cursor {
            None => {
                let output = request
                    .expression_attribute_values(":prefix", AttributeValue::S(TICKET_SK.into()))
                    .limit(query.limit as i32 + 3)
                    .send()
                    .await
                    .map_err(store_error)?;
                (output, TicketParts::default())
            }
            Some(cursor) => {
                let after = message_after(cursor)?;
                let start = key(ticket_pk(ticket_id), &message_sk(&after));
                let page = request
                    .expression_attribute_values(
                        ":prefix",
                        AttributeValue::S(MESSAGE_PREFIX.into()),
                    )
                    .limit(query.limit as i32 + 1)
                    .set_exclusive_start_key(Some(start))
                    .send();
                let (output, ticket) =
                    tokio::try_join!(async { page.await.map_err(store_error) }, async {
                        self.get_summary(ticket_id).await
                    })?;
                (output, TicketParts::of(ticket))
            }
        };
        let mut partition = Partition {
            ticket,
            ..Partition::default()
        };
        for item in output.items.unwrap_or_default() {
            partition.add(item)?;
        }
        let next_cursor = partition.window(limit);
        Ok(MessagePage {
            ticket: partition.ticket.summary(),
            messages: partition.messages,
            next_cursor,
        })
    }
}

impl ThreadWriter for DynamoStore {
    async fn add_message(&self, posted: &PostedMessage) -> Result<(), StoreError> {
        let edit = &posted.edit;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(message_item(&edit.before, &posted.message)?))
            .condition_expression("attribute_not_exists(pk)")
            .build()
            .map_err(internal)?;
        let mut writes = vec![
            TransactWriteItem::builder().put(put).build(),
            edit_write(&self.table, &self.layout, edit)?,
        ];
        writes.extend(self.counter_updates(Some(&edit.before), &edit.after)?);
        match self.transact(writes).await? {
            Transaction::Committed => Ok(()),
            // The message id is new: if it is stored, a lost answer hid this very write.
            Transaction::ConditionFailed(_)
                if self
                    .exists(ticket_pk(edit.ticket_id()), &message_sk(&posted.message.id))
                    .await? =>
            {
                Ok(())
            }
            Transaction::ConditionFailed(_) => Err(StoreError::VersionConflict),
        }
    }
}
