//! Seeding (clones of one real ticket, written in batches) and the storage floor (the bare SDK
//! call in process, against the same moto server).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, PutRequest, WriteRequest};
use aws_sdk_dynamodb::Client;

use tickets_domain::store::Facet;
use tickets_domain::TicketSummary;
use tickets_dynamodb::layout::counter_pk;

use crate::stats::Floor;

type Item = HashMap<String, AttributeValue>;
type Error = Box<dyn std::error::Error>;

/// The tag of the tickets the bench measures by a service-level policy (`measure_tagged`).
pub const SLA_TAG: &str = "bench-sla";

/// Stores a service-level policy for the tickets tagged `SLA_TAG`: every target a year away, so
/// that their clocks run through the whole run (the queue lists them; the job finds none due).
pub async fn measure_tagged(client: &Client, table: &str) -> Result<(), Error> {
    let year = 525_600;
    let targets =
        serde_json::json!({"firstResponse": year, "nextResponse": year, "resolution": year});
    let document = serde_json::json!({"policies": [{
        "name": "Bench", "match": {"tags": [SLA_TAG]},
        "targets": {"low": targets, "medium": targets, "high": targets, "urgent": targets}
    }]});
    client
        .put_item()
        .table_name(table)
        .item("pk", s("SLA"))
        .item("sk", s("POLICIES"))
        .item("document", s(&document.to_string()))
        .item("version", AttributeValue::N("1".into()))
        .send()
        .await?;
    Ok(())
}

/// A DynamoDB client on the local endpoint, with the same timeouts and retries as the store.
pub async fn client(endpoint: &str) -> Client {
    let shared = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(endpoint)
        .load()
        .await;
    Client::new(&shared)
}

/// Clones a ticket created through `create-ticket` (its item, first message and attachments)
/// under new ids, and keeps the counters true by adding the clones to the template's facets.
pub struct Seeder<'a> {
    client: &'a Client,
    table: String,
    template_id: String,
    template: Vec<Item>,
    /// The counter items a new ticket like the template counts in, and its facets there (the
    /// domain's `Facet::changes` for a creation, at the template's overall shard).
    counters: Vec<(Item, Vec<String>)>,
}

impl<'a> Seeder<'a> {
    pub async fn new(client: &'a Client, table: &str, template_id: &str) -> Result<Self, Error> {
        let output = client
            .query()
            .table_name(table)
            .key_condition_expression("pk = :pk")
            .expression_attribute_values(":pk", s(&format!("TICKET#{template_id}")))
            .consistent_read(true)
            .send()
            .await?;
        let template = output.items.unwrap_or_default();
        let ticket = template
            .iter()
            .find(|item| item.get("sk") == Some(&s("TICKET")))
            .ok_or("the template ticket is missing")?;
        let summary: TicketSummary = serde_dynamo::from_item(ticket.clone())?;
        let counters = Facet::changes(None, &summary)
            .into_iter()
            .map(|(set, delta)| {
                let key: Item = [
                    ("pk".to_string(), s(&counter_pk(&set, template_id))),
                    ("sk".to_string(), s("COUNTER")),
                ]
                .into();
                (key, delta.into_keys().collect())
            })
            .collect();
        Ok(Self {
            client,
            table: table.to_string(),
            template_id: template_id.to_string(),
            template,
            counters,
        })
    }

    /// Adds `count` tickets; their ids.
    pub async fn add(&mut self, count: usize) -> Result<Vec<String>, Error> {
        let ids: Vec<String> = (0..count).map(|_| ulid::Ulid::new().to_string()).collect();
        let mut batch: Vec<WriteRequest> = Vec::with_capacity(25);
        for id in &ids {
            for item in &self.template {
                let clone: Item = item
                    .iter()
                    .map(|(k, v)| {
                        let v = match v {
                            AttributeValue::S(text) if text.contains(&self.template_id) => {
                                AttributeValue::S(text.replace(&self.template_id, id))
                            }
                            other => other.clone(),
                        };
                        (k.clone(), v)
                    })
                    .collect();
                batch.push(
                    WriteRequest::builder()
                        .put_request(PutRequest::builder().set_item(Some(clone)).build()?)
                        .build(),
                );
                if batch.len() == 25 {
                    self.write(std::mem::take(&mut batch)).await?;
                }
            }
        }
        if !batch.is_empty() {
            self.write(batch).await?;
        }
        for (key, facets) in &self.counters {
            let mut update = self
                .client
                .update_item()
                .table_name(&self.table)
                .set_key(Some(key.clone()))
                .expression_attribute_values(":n", AttributeValue::N(count.to_string()));
            let mut parts = vec![];
            for (i, facet) in facets.iter().enumerate() {
                update = update.expression_attribute_names(format!("#f{i}"), facet);
                parts.push(format!("#f{i} :n"));
            }
            update
                .update_expression(format!("ADD {}", parts.join(", ")))
                .send()
                .await?;
        }
        Ok(ids)
    }

    /// Adds `count` tickets like the template, resolved (laid out by the store's own
    /// `Layout::ticket_item`, index keys included); their ids. Their counters are left as they
    /// are: the rows that use them do not read counts.
    pub async fn add_resolved(&mut self, count: usize) -> Result<Vec<String>, Error> {
        let ticket = self
            .template
            .iter()
            .find(|item| item.get("sk") == Some(&s("TICKET")))
            .ok_or("the template ticket is missing")?;
        let template: TicketSummary = serde_dynamo::from_item(ticket.clone())?;
        let now = tickets_domain::Timestamp::now();
        let mut ids = Vec::with_capacity(count);
        let mut batch = Vec::with_capacity(25);
        for _ in 0..count {
            let id = ulid::Ulid::new().to_string();
            let resolved = TicketSummary {
                id: id.clone(),
                status: tickets_domain::Status::Resolved,
                resolution: Some("Solved by the bench".into()),
                resolved_at: Some(now),
                version: template.version + 1,
                ..template.clone()
            };
            let item = tickets_dynamodb::layout::Layout::default().ticket_item(&resolved)?;
            batch.push(
                WriteRequest::builder()
                    .put_request(PutRequest::builder().set_item(Some(item)).build()?)
                    .build(),
            );
            if batch.len() == 25 {
                self.write(std::mem::take(&mut batch)).await?;
            }
            ids.push(id);
        }
        if !batch.is_empty() {
            self.write(batch).await?;
        }
        Ok(ids)
    }

    async fn write(&self, mut requests: Vec<WriteRequest>) -> Result<(), Error> {
        while !requests.is_empty() {
            let output = self
                .client
                .batch_write_item()
                .request_items(&self.table, requests)
                .send()
                .await?;
            requests = output
                .unprocessed_items
                .and_then(|mut left| left.remove(&self.table))
                .unwrap_or_default();
        }
        Ok(())
    }
}

fn s(text: &str) -> AttributeValue {
    AttributeValue::S(text.to_string())
}

/// The bare SDK calls against the same server, in process: `GetItem` of a ticket item, and the
/// `Query` that reads a whole ticket (as get-ticket does: its partition, consistent, one page).
/// `n` samples of each over `tickets`, after 50 unrecorded ones.
pub async fn storage_floor(client: &Client, table: &str, tickets: &[String], n: usize) -> Floor {
    let mut floor = Floor::default();
    for i in 0..n + 50 {
        floor_sample(
            client,
            table,
            &tickets[i % tickets.len()],
            &mut floor,
            i >= 50,
        )
        .await;
    }
    floor
}

/// One `GetItem` and one `Query` of ticket `id`, recorded in `floor` when `record`.
pub async fn floor_sample(client: &Client, table: &str, id: &str, floor: &mut Floor, record: bool) {
    let pk = s(&format!("TICKET#{id}"));
    let started = Instant::now();
    let item = client
        .get_item()
        .table_name(table)
        .key("pk", pk.clone())
        .key("sk", s("TICKET"))
        .consistent_read(true)
        .send()
        .await;
    let elapsed = started.elapsed();
    if record && item.map(|o| o.item.is_some()).unwrap_or(false) {
        floor.get_item.push(elapsed);
    }
    let started = Instant::now();
    let items = client
        .query()
        .table_name(table)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", pk)
        .consistent_read(true)
        .limit(72)
        .send()
        .await;
    let elapsed: Duration = started.elapsed();
    if record && items.is_ok() {
        floor.query.push(elapsed);
    }
}

/// A person's address, as their verified token (or their first e-mail) would leave it.
pub async fn contact(
    client: &Client,
    table: &str,
    principal: &str,
    address: &str,
    source: tickets_domain::store::ContactSource,
) -> Result<(), Error> {
    use tickets_domain::store::{Contact, ContactStore};
    let store = tickets_dynamodb::DynamoStore::new(client.clone(), table);
    let contact = Contact {
        principal: principal.into(),
        address: address.into(),
        source,
        notifications: true,
        staff: false,
        created_at: tickets_domain::Timestamp::now(),
        former: Vec::new(),
    };
    store.remember_contact(&contact).await?;
    Ok(())
}

/// Webhooks for the webhook functions, straight into the table through the store: one with the
/// fixture's id when `id` is given (active, delivering to `url`), otherwise `count` paused
/// ones with fresh ids (for `delete-webhook` to remove, one per invocation).
pub async fn webhooks(
    client: &Client,
    table: &str,
    id: Option<&str>,
    url: &str,
    count: usize,
) -> Result<Vec<String>, Error> {
    use tickets_domain::store::{StoredSubscription, WebhookStore};
    use tickets_domain::webhook::{NewSubscription, Reach, WebhookStatus};
    let store = tickets_dynamodb::DynamoStore::new(client.clone(), table);
    let admin = tickets_domain::Caller::new("admin-1", tickets_domain::Role::Admin);
    let mut made = Vec::with_capacity(count);
    for _ in 0..count {
        let body = NewSubscription {
            url: Some(url.into()),
            events: Some(vec!["SupportTicket.Created".into()]),
            description: Some("Bench".into()),
        };
        let (mut subscription, signing) = body.check(
            &admin,
            Reach { loopback: true },
            tickets_domain::Timestamp::now(),
        )?;
        match id {
            Some(id) => subscription.id = id.into(),
            None => subscription.status = WebhookStatus::Paused,
        }
        let stored = StoredSubscription {
            subscription,
            signing,
            last_success_at: None,
        };
        store.put_subscription(&stored, 0).await?;
        made.push(stored.subscription.id);
    }
    Ok(made)
}

/// A failed delivery `delivery` in webhook `webhook`'s log (what `retry-webhook-delivery` sends
/// again and `list-webhook-deliveries` lists).
pub async fn logged_delivery(
    client: &Client,
    table: &str,
    webhook: &str,
    delivery: &str,
) -> Result<(), Error> {
    use tickets_domain::store::WebhookStore;
    use tickets_domain::webhook::delivery::{Answer, Attempt, DeliveryOrder, DeliveryStatus};
    let store = tickets_dynamodb::DynamoStore::new(client.clone(), table);
    let now = tickets_domain::Timestamp::now();
    let order = DeliveryOrder {
        subscription: webhook.into(),
        delivery: delivery.into(),
        event_type: "SupportTicket.Created".into(),
        timestamp: now,
        data: serde_json::json!({"ticketId": "01JD6ZKQ8C4W3M5T7N9P1R3S5V", "version": 1}),
        manual: false,
    };
    let refused = Answer::Status {
        code: 503,
        excerpt: String::new(),
    };
    let attempt = Attempt::new(1, now, refused, Duration::from_millis(10));
    store
        .record_attempt(&order, &attempt, DeliveryStatus::Failed)
        .await?;
    Ok(())
}

/// Removes webhooks (those `create-webhook` made), outside any measured invocation.
pub async fn remove_webhooks(client: &Client, table: &str, ids: &[String]) -> Result<(), Error> {
    use tickets_domain::store::WebhookStore;
    let store = tickets_dynamodb::DynamoStore::new(client.clone(), table);
    for id in ids {
        store.remove_subscription(id).await?;
    }
    Ok(())
}
