//! The audit trail (its own partition per ticket) and the marks of handled stream records.

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use serde::Serialize;
use tickets_domain::history::AuditEntry;
use tickets_domain::store::{HistoryPage, HistoryStore, PageQuery};
use tickets_domain::{StoreError, Timestamp};

use crate::cursor;
use crate::error::{internal, store_error};
use crate::items::{from_item, key, string_attr, Item, SK, TTL};
use crate::DynamoStore;

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
///
/// A service-level entry is `V#<version>#sla#<at>#sla.<target>#<status>`: after the version's
/// other entries (a letter sorts after every digit), in the order the moments happened. The job that writes warnings and breaches
/// leaves the version as it is, so a warning, and the breach a minute later, share the version
/// of the change before them.
fn audit_sk(entry: &AuditEntry, position: usize) -> String {
    let version = entry.version;
    match entry.new.as_str() {
        Some(status) if entry.field.starts_with("sla.") => format!(
            "{AUDIT_SK_PREFIX}{version:010}#sla#{}#{}#{status}",
            entry.at, entry.field
        ),
        _ => format!(
            "{AUDIT_SK_PREFIX}{version:010}#{position:02}#{}",
            entry.field
        ),
    }
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
        self.exists(change_pk(change_id), CHANGE_SK).await
    }

    /// Entries are keyed by version and field, so writing them again writes the same items.
    async fn record_change(
        &self,
        change_id: &str,
        entries: &[AuditEntry],
        at: Timestamp,
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
        let expires = at.as_datetime().timestamp() + CHANGE_MARK_TTL_SECS;
        mark.insert(TTL.into(), AttributeValue::N(expires.to_string()));
        // The mark goes last: entries are in place before the change counts as handled.
        writes.push(put_request(mark)?);
        self.batch_write(writes).await
    }

    async fn forget_history(&self, ticket_id: &str) -> Result<u64, StoreError> {
        let entries = self.partition_keys(&audit_pk(ticket_id)).await?;
        let count = entries.len() as u64;
        self.delete_keys(entries).await?;
        Ok(count)
    }

    async fn list_history(
        &self,
        ticket_id: &str,
        query: &PageQuery,
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
