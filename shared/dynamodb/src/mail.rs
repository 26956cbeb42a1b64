//! The e-mail channel's items. An inbound message refused: `MAIL#<SES id>` / `REFUSED` (the
//! reason; kept 90 days). An inbound message taken: `TICKET#<id>` / `MAIL#<SES id>`, in the
//! ticket's partition, so that erasing the ticket finds its raw copy. A notice claimed before
//! sending: `NOTICE#<event id>` / `TO#<digest of the recipient>` (kept 30 days, longer than any
//! redelivery; the digest names nobody).
//! A notice sent: `SENT#<SES id>` / `SENT` naming the ticket (kept a year: replies quote it),
//! marked in the ticket's partition (`SENT#<SES id>`) so that erasing the ticket removes it.
//! An address suppressed: `SUPPRESSED#<SHA-256 of the address>` / `SUPPRESSED`, so that no
//! item keyed by an address outlives the person's erasure.

use aws_sdk_dynamodb::types::AttributeValue;
use sha2::{Digest, Sha256};
use tickets_domain::store::MailStore;
use tickets_domain::{StoreError, ThreadMessage, Timestamp};

use crate::error::store_error;
use crate::items::{key, message_from_item, message_sk, string_attr, ticket_pk, Item, TTL};
use crate::DynamoStore;

/// The sort key prefix of an inbound message taken into a ticket.
pub(crate) const INBOUND_PREFIX: &str = "MAIL#";
const REFUSED_SK: &str = "REFUSED";
const SENT_SK: &str = "SENT";
/// The sort key prefix of a notice's mark in its ticket's partition.
const SENT_PREFIX: &str = "SENT#";
const SUPPRESSED_SK: &str = "SUPPRESSED";

const REFUSAL_DAYS: i64 = 90;
const NOTICE_DAYS: i64 = 30;
const SENT_DAYS: i64 = 365;

fn expiry(at: Timestamp, days: i64) -> AttributeValue {
    let seconds = at.as_datetime().timestamp() + days * 24 * 3600;
    AttributeValue::N(seconds.to_string())
}

fn text(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn sent_key(sent_id: &str) -> Item {
    key(format!("SENT#{sent_id}"), SENT_SK)
}

/// The items outside a ticket's partition that its partition's `keys` point at (the lookups
/// of the notices sent about it), for an erasure to delete with them.
pub(crate) fn lookups_of(keys: &[Item]) -> Vec<Item> {
    keys.iter()
        .filter_map(|item| string_attr(item, "sk"))
        .filter_map(|sk| sk.strip_prefix(SENT_PREFIX).map(sent_key))
        .collect()
}

fn hex_digest(text: &str) -> String {
    Sha256::digest(text)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn suppressed_pk(address: &str) -> String {
    format!("SUPPRESSED#{}", hex_digest(&address.trim().to_lowercase()))
}

/// A notice's claim: the recipient by a digest, so that the claim names nobody.
fn notice_key(event_id: &str, recipient: &str) -> Item {
    key(
        format!("NOTICE#{event_id}"),
        &format!("TO#{}", &hex_digest(recipient)[..32]),
    )
}

impl DynamoStore {
    async fn put_item(&self, item: Item, condition: Option<&str>) -> Result<(), StoreError> {
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .set_condition_expression(condition.map(str::to_owned))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }
}

impl MailStore for DynamoStore {
    async fn record_refusal(
        &self,
        mail_id: &str,
        reason: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut item = key(format!("MAIL#{mail_id}"), REFUSED_SK);
        item.insert("reason".into(), text(reason));
        item.insert("at".into(), text(&at.to_string()));
        item.insert(TTL.into(), expiry(at, REFUSAL_DAYS));
        self.put_item(item, None).await
    }

    async fn record_inbound(
        &self,
        ticket_id: &str,
        mail_id: &str,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let mut item = key(ticket_pk(ticket_id), &format!("{INBOUND_PREFIX}{mail_id}"));
        item.insert("at".into(), text(&at.to_string()));
        self.put_item(item, None).await
    }

    async fn ticket_of_sent(&self, sent_id: &str) -> Result<Option<String>, StoreError> {
        Ok(self
            .read_item(sent_key(sent_id))
            .await?
            .and_then(|item| string_attr(&item, "ticket")))
    }

    async fn claim_notice(
        &self,
        event_id: &str,
        recipient: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let mut item = notice_key(event_id, recipient);
        item.insert("at".into(), text(&at.to_string()));
        item.insert(TTL.into(), expiry(at, NOTICE_DAYS));
        self.put_new(item).await
    }

    async fn release_notice(&self, event_id: &str, recipient: &str) -> Result<(), StoreError> {
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(notice_key(event_id, recipient)))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn record_sent(
        &self,
        event_id: &str,
        recipient: &str,
        ticket_id: &str,
        sent_id: &str,
    ) -> Result<(), StoreError> {
        let now = Timestamp::now();
        let mut sent = sent_key(sent_id);
        sent.insert("ticket".into(), text(ticket_id));
        sent.insert(TTL.into(), expiry(now, SENT_DAYS));
        self.put_item(sent, None).await?;
        // Its mark in the ticket's partition: erasing the ticket finds the lookup item by it.
        let mut mark = key(ticket_pk(ticket_id), &format!("{SENT_PREFIX}{sent_id}"));
        mark.insert(TTL.into(), expiry(now, SENT_DAYS));
        self.put_item(mark, None).await?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(notice_key(event_id, recipient)))
            .update_expression("SET sentId = :id")
            .expression_attribute_values(":id", text(sent_id))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn suppress(&self, address: &str, reason: &str, at: Timestamp) -> Result<(), StoreError> {
        let mut item = key(suppressed_pk(address), SUPPRESSED_SK);
        item.insert("reason".into(), text(reason));
        item.insert("at".into(), text(&at.to_string()));
        self.put_item(item, None).await
    }

    async fn is_suppressed(&self, address: &str) -> Result<bool, StoreError> {
        self.exists(suppressed_pk(address), SUPPRESSED_SK).await
    }

    async fn thread_message(
        &self,
        ticket_id: &str,
        message_id: &str,
    ) -> Result<Option<ThreadMessage>, StoreError> {
        self.read_item(key(ticket_pk(ticket_id), &message_sk(message_id)))
            .await?
            .map(|item| message_from_item(item, None))
            .transpose()
    }
}
