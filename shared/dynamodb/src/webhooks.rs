//! Webhooks in the table: the subscriptions in one small partition (`WEBHOOKS`, one item each,
//! with their keys), and each subscription's delivery log in a partition of its own
//! (`WEBHOOK#<id>`, one item per delivery holding every attempt, kept 30 days).

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use tickets_domain::store::{DeliveryPage, PageQuery, StoredSubscription, WebhookStore};
use tickets_domain::webhook::delivery::{Attempt, DeliveryOrder, DeliveryRecord, DeliveryStatus};
use tickets_domain::webhook::{Secret, Signing, Subscription, WebhookStatus};
use tickets_domain::{StoreError, Timestamp};

use crate::cursor;
use crate::error::{condition_held, internal, store_error};
use crate::items::{from_item, key, string_attr, to_item, Item, PK, SK, TTL};
use crate::DynamoStore;

const SUBSCRIPTIONS_PK: &str = "WEBHOOKS";
const SUBSCRIPTION_PREFIX: &str = "WEBHOOK#";
const DELIVERY_PREFIX: &str = "D#";
/// How long the delivery log keeps a delivery.
const DELIVERY_DAYS: i64 = 30;

const SECRET: &str = "secret";
const PREVIOUS_SECRET: &str = "previousSecret";
const PREVIOUS_UNTIL: &str = "previousUntil";
const LAST_SUCCESS_AT: &str = "lastSuccessAt";

fn subscription_sk(id: &str) -> String {
    format!("{SUBSCRIPTION_PREFIX}{id}")
}

fn log_pk(subscription: &str) -> String {
    format!("{SUBSCRIPTION_PREFIX}{subscription}")
}

fn delivery_sk(delivery: &str) -> String {
    format!("{DELIVERY_PREFIX}{delivery}")
}

fn timestamp_attr(item: &Item, name: &str) -> Option<Timestamp> {
    string_attr(item, name).and_then(|text| text.parse().ok())
}

fn subscription_item(stored: &StoredSubscription) -> Result<Item, StoreError> {
    let mut item = to_item(&stored.subscription)?;
    item.extend(key(
        SUBSCRIPTIONS_PK.into(),
        &subscription_sk(&stored.subscription.id),
    ));
    item.insert(
        SECRET.into(),
        AttributeValue::S(stored.signing.current.to_text()),
    );
    if let Some((previous, until)) = &stored.signing.previous {
        item.insert(
            PREVIOUS_SECRET.into(),
            AttributeValue::S(previous.to_text()),
        );
        item.insert(PREVIOUS_UNTIL.into(), AttributeValue::S(until.to_string()));
    }
    if let Some(at) = stored.last_success_at {
        item.insert(LAST_SUCCESS_AT.into(), AttributeValue::S(at.to_string()));
    }
    Ok(item)
}

fn subscription_from_item(mut item: Item) -> Result<StoredSubscription, StoreError> {
    let secret =
        |item: &Item, name: &str| string_attr(item, name).and_then(|text| Secret::parse(&text));
    let current = secret(&item, SECRET).ok_or_else(|| internal("a webhook without its secret"))?;
    let previous = secret(&item, PREVIOUS_SECRET).zip(timestamp_attr(&item, PREVIOUS_UNTIL));
    let last_success_at = timestamp_attr(&item, LAST_SUCCESS_AT);
    for name in [
        PK,
        SK,
        SECRET,
        PREVIOUS_SECRET,
        PREVIOUS_UNTIL,
        LAST_SUCCESS_AT,
    ] {
        item.remove(name);
    }
    Ok(StoredSubscription {
        subscription: from_item::<Subscription>(item)?,
        signing: Signing { current, previous },
        last_success_at,
    })
}

fn delivery_from_item(item: Item) -> Result<DeliveryRecord, StoreError> {
    let text = |name: &str| {
        string_attr(&item, name).ok_or_else(|| internal("a delivery without its fields"))
    };
    let attempts: Vec<Attempt> = match item.get("attempts") {
        Some(list) => serde_dynamo::from_attribute_value(list.clone()).map_err(internal)?,
        None => Vec::new(),
    };
    let status: DeliveryStatus =
        serde_json::from_value(Value::String(text("status")?)).map_err(internal)?;
    let sk = text(SK)?;
    Ok(DeliveryRecord {
        id: sk.strip_prefix(DELIVERY_PREFIX).unwrap_or(&sk).to_owned(),
        event: text("event")?,
        timestamp: text("timestamp")?.parse().map_err(internal)?,
        data: serde_json::from_str(&text("data")?).map_err(internal)?,
        status,
        attempts,
        updated_at: text("updatedAt")?.parse().map_err(internal)?,
    })
}

impl WebhookStore for DynamoStore {
    async fn subscriptions(&self) -> Result<Vec<StoredSubscription>, StoreError> {
        self.partition_items(SUBSCRIPTIONS_PK, None)
            .await?
            .into_iter()
            .map(subscription_from_item)
            .collect()
    }

    async fn subscription(&self, id: &str) -> Result<Option<StoredSubscription>, StoreError> {
        self.read_item(key(SUBSCRIPTIONS_PK.into(), &subscription_sk(id)))
            .await?
            .map(subscription_from_item)
            .transpose()
    }

    async fn put_subscription(
        &self,
        stored: &StoredSubscription,
        previous: u64,
    ) -> Result<(), StoreError> {
        self.put_versioned(subscription_item(stored)?, previous)
            .await
    }

    async fn remove_subscription(&self, id: &str) -> Result<bool, StoreError> {
        let output = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(SUBSCRIPTIONS_PK.into(), &subscription_sk(id))))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(store_error)?;
        Ok(output.attributes.is_some_and(|old| !old.is_empty()))
    }

    async fn record_attempt(
        &self,
        order: &DeliveryOrder,
        attempt: &Attempt,
        status: DeliveryStatus,
    ) -> Result<(), StoreError> {
        let at = attempt.at;
        let expires = at.as_datetime().timestamp() + DELIVERY_DAYS * 86_400;
        let attempt: AttributeValue =
            serde_dynamo::to_attribute_value(attempt).map_err(internal)?;
        let data = serde_json::to_string(&order.data).map_err(internal)?;
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(
                log_pk(&order.subscription),
                &delivery_sk(&order.delivery),
            )))
            .update_expression(
                "SET #event = :event, #timestamp = :timestamp, #data = :data, #status = :status, \
                 updatedAt = :at, #ttl = :ttl, \
                 attempts = list_append(if_not_exists(attempts, :none), :attempt)",
            )
            .expression_attribute_names("#event", "event")
            .expression_attribute_names("#timestamp", "timestamp")
            .expression_attribute_names("#data", "data")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#ttl", TTL)
            .expression_attribute_values(":event", AttributeValue::S(order.event_type.clone()))
            .expression_attribute_values(
                ":timestamp",
                AttributeValue::S(order.timestamp.to_string()),
            )
            .expression_attribute_values(":data", AttributeValue::S(data))
            .expression_attribute_values(":status", AttributeValue::S(status.to_string()))
            .expression_attribute_values(":at", AttributeValue::S(at.to_string()))
            .expression_attribute_values(":ttl", AttributeValue::N(expires.to_string()))
            .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
            .expression_attribute_values(":attempt", AttributeValue::L(vec![attempt]))
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    async fn deliveries(
        &self,
        subscription: &str,
        page: &PageQuery,
    ) -> Result<DeliveryPage, StoreError> {
        let start = match &page.cursor {
            None => None,
            Some(cursor) => {
                let sk = cursor::decode(cursor, |sk| sk.starts_with(DELIVERY_PREFIX))?;
                Some(key(log_pk(subscription), &sk))
            }
        };
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND begins_with(sk, :deliveries)")
            .expression_attribute_values(":pk", AttributeValue::S(log_pk(subscription)))
            .expression_attribute_values(":deliveries", AttributeValue::S(DELIVERY_PREFIX.into()))
            .scan_index_forward(false)
            .limit(page.limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(store_error)?;
        let mut items = output.items.unwrap_or_default();
        let more = items.len() > page.limit as usize;
        items.truncate(page.limit as usize);
        let next_cursor = more
            .then(|| items.last().and_then(|item| string_attr(item, SK)))
            .flatten()
            .map(|sk| cursor::encode(&sk));
        let deliveries = items
            .into_iter()
            .map(delivery_from_item)
            .collect::<Result<_, _>>()?;
        Ok(DeliveryPage {
            deliveries,
            next_cursor,
        })
    }

    async fn delivery(
        &self,
        subscription: &str,
        delivery: &str,
    ) -> Result<Option<DeliveryRecord>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(log_pk(subscription), &delivery_sk(delivery))))
            .send()
            .await
            .map_err(store_error)?;
        output.item.map(delivery_from_item).transpose()
    }

    async fn note_success(&self, id: &str, at: Timestamp) -> Result<(), StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(SUBSCRIPTIONS_PK.into(), &subscription_sk(id))))
            .update_expression("SET #last = :at")
            .condition_expression("attribute_exists(pk)")
            .expression_attribute_names("#last", LAST_SUCCESS_AT)
            .expression_attribute_values(":at", AttributeValue::S(at.to_string()))
            .send()
            .await;
        match result {
            // Removed meanwhile: nothing to note.
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(err) => Err(store_error(err)),
            Ok(_) => Ok(()),
        }
    }

    async fn disable(
        &self,
        id: &str,
        reason: &str,
        failing_since: Timestamp,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(SUBSCRIPTIONS_PK.into(), &subscription_sk(id))))
            .update_expression(
                "SET #status = :disabled, disabledReason = :reason, updatedAt = :at \
                 ADD version :one",
            )
            .condition_expression(
                "#status = :active AND (attribute_not_exists(#last) OR #last < :since)",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#last", LAST_SUCCESS_AT)
            .expression_attribute_values(
                ":disabled",
                AttributeValue::S(WebhookStatus::Disabled.to_string()),
            )
            .expression_attribute_values(
                ":active",
                AttributeValue::S(WebhookStatus::Active.to_string()),
            )
            .expression_attribute_values(":reason", AttributeValue::S(reason.to_owned()))
            .expression_attribute_values(":at", AttributeValue::S(at.to_string()))
            .expression_attribute_values(":since", AttributeValue::S(failing_since.to_string()))
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .send()
            .await;
        condition_held(result)
    }
}
