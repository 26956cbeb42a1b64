//! Idempotency records: the first answer to a request, kept under the caller's key for a day
//! (removed by TTL; an expired record that lingers no longer counts). A caller's records share a
//! partition (`IDEMPOTENCY#<n>:<caller>`, sort key `KEY#<key>`), so that erasing a client finds
//! every answer kept for them; another service's message ids keep one partition each
//! (`IDEMPOTENCY#ingest#<id>`, sort key `IDEMPOTENCY`).

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use tickets_domain::store::{CreateOutcome, IdempotencyRecord, IdempotencyStore, Remembered};
use tickets_domain::{StoreError, Timestamp};

use crate::error::{internal, store_error};
use crate::items::{key, string_attr, Item, IDEMPOTENCY_SK, TTL};
use crate::DynamoStore;

/// The record's key: the caller's partition and the key within it, when the key is a caller's
/// (`<n>:<caller>#<key>`, the caller's id `n` characters long); one partition of its own
/// otherwise.
fn record_key(key_text: &str) -> Item {
    if let Some((caller, key_in)) = caller_scoped(key_text) {
        return key(
            caller_records_pk(caller),
            &format!("{RECORD_PREFIX}{key_in}"),
        );
    }
    key(format!("IDEMPOTENCY#{key_text}"), IDEMPOTENCY_SK)
}

/// The partition of `caller`'s records.
pub(crate) fn caller_records_pk(caller: &str) -> String {
    format!("IDEMPOTENCY#{}:{caller}", caller.len())
}

const RECORD_PREFIX: &str = "KEY#";

/// `<n>:<caller>#<key>` split into the caller (`n` bytes) and the key.
fn caller_scoped(key_text: &str) -> Option<(&str, &str)> {
    let (length, rest) = key_text.split_once(':')?;
    let length: usize = length.parse().ok()?;
    let caller = rest.get(..length)?;
    let key_in = rest.get(length..)?.strip_prefix('#')?;
    Some((caller, key_in))
}

/// A time as the table's TTL attribute holds it: whole seconds since the epoch.
fn epoch_seconds(at: Timestamp) -> AttributeValue {
    AttributeValue::N(at.as_datetime().timestamp().to_string())
}

impl DynamoStore {
    /// The put of an idempotency record, unless a live one is under its key: for a transaction
    /// that stores the record with the change it answers.
    pub(crate) fn idempotency_put(&self, record: &IdempotencyRecord) -> Result<Put, StoreError> {
        let mut item = record_key(&record.key);
        item.insert(
            "fingerprint".into(),
            AttributeValue::S(record.fingerprint.clone()),
        );
        item.insert(
            "response".into(),
            AttributeValue::S(record.response.clone()),
        );
        item.insert(TTL.into(), epoch_seconds(record.expires_at));
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(pk) OR #expires < :now")
            .expression_attribute_names("#expires", TTL)
            .expression_attribute_values(":now", epoch_seconds(record.at))
            .build()
            .map_err(internal)
    }

    /// Appends the put of `record`, when there is one, as the last write of a transaction.
    pub(crate) fn end_with_record(
        &self,
        writes: &mut Vec<TransactWriteItem>,
        record: Option<&IdempotencyRecord>,
    ) -> Result<(), StoreError> {
        if let Some(record) = record {
            writes.push(
                TransactWriteItem::builder()
                    .put(self.idempotency_put(record)?)
                    .build(),
            );
        }
        Ok(())
    }

    /// After a transaction ended by `end_with_record` failed on a condition (`codes`, one per
    /// write): the first request's answer when it was the record's condition that failed.
    pub(crate) async fn replay_if_taken(
        &self,
        record: Option<&IdempotencyRecord>,
        codes: &[String],
    ) -> Result<Option<CreateOutcome>, StoreError> {
        match record {
            Some(record) if codes.last().is_some_and(|c| c == "ConditionalCheckFailed") => {
                self.replayed(&record.key).await.map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The record under `key` as stored (live or not), read consistently.
    async fn record(&self, key_text: &str) -> Result<Option<Item>, StoreError> {
        self.read_item(record_key(key_text)).await
    }

    /// After a transaction failed on its idempotency record's condition: the record that was
    /// there.
    async fn replayed(&self, key_text: &str) -> Result<CreateOutcome, StoreError> {
        let item = self
            .record(key_text)
            .await?
            .ok_or_else(|| internal("idempotency record vanished"))?;
        let Remembered {
            fingerprint,
            response,
        } = remembered(&item);
        Ok(CreateOutcome::Replayed {
            fingerprint,
            response,
        })
    }
}

fn remembered(item: &Item) -> Remembered {
    Remembered {
        fingerprint: string_attr(item, "fingerprint").unwrap_or_default(),
        response: string_attr(item, "response").unwrap_or_default(),
    }
}

fn expired(item: &Item, now: Timestamp) -> bool {
    let expires = match item.get(TTL) {
        Some(AttributeValue::N(seconds)) => seconds.parse::<i64>().unwrap_or(0),
        _ => 0,
    };
    expires < now.as_datetime().timestamp()
}

impl IdempotencyStore for DynamoStore {
    async fn recall(&self, key: &str, now: Timestamp) -> Result<Option<Remembered>, StoreError> {
        Ok(self
            .record(key)
            .await?
            .filter(|item| !expired(item, now))
            .map(|item| remembered(&item)))
    }

    async fn remember(&self, record: &IdempotencyRecord) -> Result<Option<Remembered>, StoreError> {
        let put = self.idempotency_put(record)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(put.item))
            .condition_expression(put.condition_expression.unwrap_or_default())
            .set_expression_attribute_names(put.expression_attribute_names)
            .set_expression_attribute_values(put.expression_attribute_values)
            .send()
            .await;
        match result {
            Ok(_) => Ok(None),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                self.recall(&record.key, record.at).await
            }
            Err(err) => Err(store_error(err)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_callers_records_share_a_partition_and_message_ids_do_not() {
        let of = |text: &str| {
            let item = record_key(text);
            (
                string_attr(&item, "pk").unwrap(),
                string_attr(&item, "sk").unwrap(),
            )
        };
        assert_eq!(
            of("8:client-1#retry-1"),
            ("IDEMPOTENCY#8:client-1".into(), "KEY#retry-1".into())
        );
        // A caller whose id holds `#` and `:`, and is not ASCII: split by its length.
        assert_eq!(
            of("8:é#a:b#c#k#1"),
            ("IDEMPOTENCY#8:é#a:b#c".into(), "KEY#k#1".into())
        );
        assert_eq!(
            of("ingest#059f36b4"),
            ("IDEMPOTENCY#ingest#059f36b4".into(), IDEMPOTENCY_SK.into())
        );
    }
}
