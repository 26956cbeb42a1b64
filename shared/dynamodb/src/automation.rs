//! What the event functions need from the table: the audit trail (its own partition per
//! ticket), marks of handled stream records, the due-for-closing index, and reading stream
//! records back into domain changes.

use aws_sdk_dynamodb::types::{AttributeValue, Put, PutRequest, TransactWriteItem, WriteRequest};
use serde::Serialize;
use tickets_domain::history::AuditEntry;
use tickets_domain::store::{Change, Facet, HistoryPage, HistoryStore, MessageQuery, TicketCloser};
use tickets_domain::{StoreError, ThreadMessage, TicketSummary, Timestamp};

use crate::cursor;
use crate::error::{internal, store_error};
use crate::items::{
    from_item, key, message_item, string_attr, ticket_item, Item, ATTACHMENT_PREFIX,
    MESSAGE_PREFIX, RESOLVED_TICKETS, SK, TICKET_CLIENT, TICKET_SK, TTL,
};
use crate::{DynamoStore, Transaction};

const CHANGE_SK: &str = "CHANGE";
const AUDIT_SK_PREFIX: &str = "V#";
/// Marks of handled stream records outlive the stream's 24 h retention.
const CHANGE_MARK_TTL_SECS: i64 = 2 * 24 * 60 * 60;

fn audit_pk(ticket_id: &str) -> String {
    format!("AUDIT#{ticket_id}")
}

fn change_pk(change_id: &str) -> String {
    format!("CHANGE#{change_id}")
}

/// `V#<version, 10 digits>#<position, 2 digits>#<field>`: a ticket's history in the order it
/// happened, and the fields of one change in the order the history lists them.
fn audit_sk(entry: &AuditEntry, position: usize) -> String {
    format!(
        "{AUDIT_SK_PREFIX}{:010}#{position:02}#{}",
        entry.version, entry.field
    )
}

#[derive(Serialize)]
struct AuditItem<'a> {
    pk: String,
    sk: String,
    #[serde(flatten)]
    entry: &'a AuditEntry,
}

impl HistoryStore for DynamoStore {
    async fn change_handled(&self, change_id: &str) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(change_pk(change_id), CHANGE_SK)))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        Ok(output.item.is_some())
    }

    /// Entries are keyed by version and field, so writing them again writes the same items.
    async fn record_change(
        &self,
        change_id: &str,
        entries: &[AuditEntry],
    ) -> Result<(), StoreError> {
        let mut writes = Vec::with_capacity(entries.len() + 1);
        for (position, entry) in entries.iter().enumerate() {
            let item = crate::items::to_item(&AuditItem {
                pk: audit_pk(&entry.ticket_id),
                sk: audit_sk(entry, position),
                entry,
            })?;
            writes.push(put_request(item)?);
        }
        let mut mark = key(change_pk(change_id), CHANGE_SK);
        let expires = Timestamp::now().as_datetime().timestamp() + CHANGE_MARK_TTL_SECS;
        mark.insert(TTL.into(), AttributeValue::N(expires.to_string()));
        // The mark goes last: entries are in place before the change counts as handled.
        writes.push(put_request(mark)?);
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

    async fn list_history(
        &self,
        ticket_id: &str,
        query: &MessageQuery,
    ) -> Result<HistoryPage, StoreError> {
        let start = match &query.cursor {
            None => None,
            Some(cursor) => {
                let sk = cursor::decode(cursor, |sk| sk.starts_with(AUDIT_SK_PREFIX))?;
                Some(key(audit_pk(ticket_id), &sk))
            }
        };
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(audit_pk(ticket_id)))
            .limit(query.limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(store_error)?;
        let mut items = output.items.unwrap_or_default();
        let more = items.len() > query.limit as usize;
        items.truncate(query.limit as usize);
        let next_cursor = more
            .then(|| items.last().and_then(|item| string_attr(item, SK)))
            .flatten()
            .map(|sk| cursor::encode(&sk));
        let entries = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok(HistoryPage {
            entries,
            next_cursor,
        })
    }
}

fn put_request(item: Item) -> Result<WriteRequest, StoreError> {
    let put = PutRequest::builder()
        .set_item(Some(item))
        .build()
        .map_err(internal)?;
    Ok(WriteRequest::builder().put_request(put).build())
}

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
            .index_name("resolved-by-time")
            .key_condition_expression("idxResolved = :resolved AND idxResolvedAt < :cutoff")
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
        writes.extend(self.counter_updates(after, &Facet::delta(Some(before), after))?);
        match self.transact(writes).await? {
            Transaction::Committed => Ok(()),
            Transaction::ConditionFailed(_) => self.unless_already(after).await,
        }
    }
}

/// Reads one stream record's images back into a domain change. `Ok(None)` for items that are
/// no change of a ticket (counters, audit entries, marks, idempotency records). `Err` for a
/// record that cannot be read: a poison record.
pub fn change_from_stream(
    old: Option<serde_dynamo::Item>,
    new: Option<serde_dynamo::Item>,
) -> Result<Option<Change>, StoreError> {
    let sk_of = |item: &Option<serde_dynamo::Item>| -> Option<String> {
        match item.as_ref()?.get(SK)? {
            serde_dynamo::AttributeValue::S(sk) => Some(sk.clone()),
            _ => None,
        }
    };
    let Some(sk) = sk_of(&new).or_else(|| sk_of(&old)) else {
        return Err(internal("a stream record without a sort key"));
    };
    let (old, new): (Option<Item>, Option<Item>) = (old.map(Into::into), new.map(Into::into));
    if sk == TICKET_SK {
        let Some(after) = new else {
            return Ok(None);
        };
        return Ok(Some(Change::Ticket {
            before: old.map(from_item).transpose()?,
            after: from_item(after)?,
        }));
    }
    if let Some(message_id) = sk.strip_prefix(MESSAGE_PREFIX) {
        let (Some(item), None) = (new, old) else {
            return Ok(None);
        };
        let client = string_attr(&item, TICKET_CLIENT).unwrap_or_default();
        let ticket_id = ticket_id_of(&item)?;
        let message: ThreadMessage = from_item(item)?;
        debug_assert_eq!(message.id, message_id);
        return Ok(Some(Change::Message {
            ticket_id,
            client,
            message,
        }));
    }
    if sk.starts_with(ATTACHMENT_PREFIX) {
        let ticket_id = match new.as_ref().or(old.as_ref()) {
            Some(item) => ticket_id_of(item)?,
            None => return Ok(None),
        };
        return Ok(Some(Change::Attachment {
            ticket_id,
            before: old.map(from_item).transpose()?,
            after: new.map(from_item).transpose()?,
        }));
    }
    Ok(None)
}

fn ticket_id_of(item: &Item) -> Result<String, StoreError> {
    string_attr(item, crate::items::PK)
        .and_then(|pk| pk.strip_prefix("TICKET#").map(str::to_owned))
        .ok_or_else(|| internal("a ticket item without its ticket key"))
}
