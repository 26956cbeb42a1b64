//! Test support: a fresh table on the local DynamoDB API server (moto), created from the same
//! definition as the local stack (`infra/storage.json`), and a client that counts what it reads.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef;
use aws_sdk_dynamodb::config::{
    BehaviorVersion, ConfigBag, Credentials, Intercept, Region, RuntimeComponents,
};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::operation::query::QueryOutput;
use aws_sdk_dynamodb::operation::scan::ScanOutput;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType, StreamSpecification, StreamViewType,
};
use aws_sdk_dynamodb::Client;
use serde::Deserialize;

use crate::DynamoStore;

const STORAGE_DEFINITION: &str = include_str!("../../../infra/storage.json");

/// What a client sent: requests, `Scan`s, and items evaluated by `Query`.
#[derive(Debug, Default)]
pub struct Reads {
    pub requests: AtomicU64,
    pub scans: AtomicU64,
    pub items_evaluated: AtomicU64,
}

impl Reads {
    pub fn reset(&self) {
        self.requests.store(0, Ordering::SeqCst);
        self.scans.store(0, Ordering::SeqCst);
        self.items_evaluated.store(0, Ordering::SeqCst);
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }

    pub fn scans(&self) -> u64 {
        self.scans.load(Ordering::SeqCst)
    }

    pub fn items_evaluated(&self) -> u64 {
        self.items_evaluated.load(Ordering::SeqCst)
    }
}

#[derive(Debug)]
struct CountReads(Arc<Reads>);

impl Intercept for CountReads {
    fn name(&self) -> &'static str {
        "CountReads"
    }

    fn read_after_execution(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.requests.fetch_add(1, Ordering::SeqCst);
        if let Some(Ok(output)) = context.output_or_error() {
            if let Some(query) = output.downcast_ref::<QueryOutput>() {
                let scanned = u64::try_from(query.scanned_count).unwrap_or(0);
                self.0.items_evaluated.fetch_add(scanned, Ordering::SeqCst);
            }
            if output.downcast_ref::<ScanOutput>().is_some() {
                self.0.scans.fetch_add(1, Ordering::SeqCst);
            }
        }
        Ok(())
    }
}

/// The endpoint of the local DynamoDB API server. The README's test command starts one.
pub fn endpoint() -> String {
    tickets_lambda::testing::local_endpoint()
}

/// A client for the local server, with fixed test credentials, counting its reads.
pub fn local_client(reads: Arc<Reads>) -> Client {
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .interceptor(CountReads(reads))
        .build();
    Client::from_conf(config)
}

/// A store on a new, empty table of its own.
pub async fn fresh_store() -> (DynamoStore, Arc<Reads>) {
    let reads = Arc::new(Reads::default());
    let client = local_client(reads.clone());
    let table = format!(
        "tickets-test-{}",
        tickets_domain::model::new_id().to_lowercase()
    );
    create_table(&client, &table).await;
    reads.reset();
    (DynamoStore::new(client, table), reads)
}

#[derive(Deserialize)]
struct Definition {
    table: TableDefinition,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TableDefinition {
    attribute_definitions: Vec<Attribute>,
    key_schema: Vec<Key>,
    global_secondary_indexes: Vec<Index>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Attribute {
    attribute_name: String,
    attribute_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Key {
    attribute_name: String,
    key_type: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Index {
    index_name: String,
    key_schema: Vec<Key>,
}

fn key_schema(keys: &[Key]) -> Vec<KeySchemaElement> {
    keys.iter()
        .map(|k| {
            KeySchemaElement::builder()
                .attribute_name(&k.attribute_name)
                .key_type(KeyType::from(k.key_type.as_str()))
                .build()
                .expect("valid key schema")
        })
        .collect()
}

/// Creates `table` as `infra/storage.json` defines it (every index projects all attributes).
pub async fn create_table(client: &Client, table: &str) {
    let definition: Definition =
        serde_json::from_str(STORAGE_DEFINITION).expect("infra/storage.json is valid");
    let definition = definition.table;
    let attributes = definition
        .attribute_definitions
        .iter()
        .map(|a| {
            AttributeDefinition::builder()
                .attribute_name(&a.attribute_name)
                .attribute_type(ScalarAttributeType::from(a.attribute_type.as_str()))
                .build()
                .expect("valid attribute")
        })
        .collect();
    let indexes = definition
        .global_secondary_indexes
        .iter()
        .map(|index| {
            GlobalSecondaryIndex::builder()
                .index_name(&index.index_name)
                .set_key_schema(Some(key_schema(&index.key_schema)))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .expect("valid index")
        })
        .collect();
    client
        .create_table()
        .table_name(table)
        .billing_mode(BillingMode::PayPerRequest)
        .set_attribute_definitions(Some(attributes))
        .set_key_schema(Some(key_schema(&definition.key_schema)))
        .set_global_secondary_indexes(Some(indexes))
        .stream_specification(
            StreamSpecification::builder()
                .stream_enabled(true)
                .stream_view_type(StreamViewType::NewAndOldImages)
                .build()
                .expect("valid stream"),
        )
        .send()
        .await
        .expect("create the test table on the local server");
}

/// Stores an `open` ticket of `client` (medium priority, general category) and returns it.
pub async fn seed_ticket(store: &DynamoStore, client: &str, title: &str) -> tickets_domain::Ticket {
    use tickets_domain::store::TicketCreator;
    let ticket = tickets_domain::NewTicket {
        title: Some(title.into()),
        description: Some(format!("About {title}")),
        priority: Some("medium".into()),
        category: Some("general".into()),
        ..tickets_domain::NewTicket::default()
    }
    .into_ticket(
        &tickets_domain::Caller::new(client, tickets_domain::Role::Client),
        tickets_domain::Timestamp::now(),
    )
    .expect("a valid ticket");
    store.create_ticket(&ticket, None).await.expect("stored");
    ticket
}

/// Fails unless every counter equals what a recount of the tickets finds.
pub async fn assert_counters_exact(store: &DynamoStore) {
    let report = store.recount_counters().await.expect("a recount");
    assert_eq!(
        (report.corrected_items, report.corrected_facets),
        (0, 0),
        "counters drifted from the tickets: {report:?}"
    );
}

/// Every item in the store's table (a test's way to prove a request wrote nothing).
pub async fn all_items(store: &DynamoStore) -> Vec<crate::items::Item> {
    let mut items = Vec::new();
    let mut pages = store
        .client()
        .scan()
        .table_name(store.table())
        .consistent_read(true)
        .into_paginator()
        .items()
        .send();
    while let Some(item) = pages.next().await {
        items.push(item.expect("scan the test table"));
    }
    let key = |item: &crate::items::Item| {
        let text = |name| crate::items::string_attr(item, name).unwrap_or_default();
        (text(crate::items::PK), text(crate::items::SK))
    };
    items.sort_by_key(key);
    items
}

/// The ids of every ticket item in the table, deleted ones included.
pub async fn stored_ticket_ids(store: &DynamoStore) -> Vec<String> {
    all_items(store)
        .await
        .iter()
        .filter(|item| {
            crate::items::string_attr(item, crate::items::SK).as_deref()
                == Some(crate::items::TICKET_SK)
        })
        .filter_map(|item| crate::items::string_attr(item, "_id"))
        .collect()
}

/// Writes `count` public messages of `bytes` characters each into the ticket's thread, fast
/// (batched, without touching the ticket item), alternating client and agent authors.
pub async fn seed_messages(
    store: &DynamoStore,
    ticket: &tickets_domain::TicketSummary,
    count: usize,
    bytes: usize,
) -> Vec<tickets_domain::ThreadMessage> {
    use aws_sdk_dynamodb::types::{PutRequest, WriteRequest};
    let messages: Vec<tickets_domain::ThreadMessage> = (0..count)
        .map(|n| tickets_domain::ThreadMessage {
            id: tickets_domain::model::new_id(),
            author: if n % 2 == 0 {
                ticket.client.clone()
            } else {
                "agent-1".into()
            },
            message: format!("{n:06} {}", "x".repeat(bytes.saturating_sub(7))),
            timestamp: tickets_domain::Timestamp::now(),
            kind: if n % 2 == 0 {
                tickets_domain::MessageType::User
            } else {
                tickets_domain::MessageType::Agent
            },
            internal: false,
        })
        .collect();
    for chunk in messages.chunks(25) {
        let writes = chunk
            .iter()
            .map(|message| {
                let item = crate::items::message_item(ticket, message).expect("an item");
                WriteRequest::builder()
                    .put_request(
                        PutRequest::builder()
                            .set_item(Some(item))
                            .build()
                            .expect("a put"),
                    )
                    .build()
            })
            .collect();
        let mut pending = Some(std::collections::HashMap::from([(
            store.table().to_string(),
            writes,
        )]));
        while let Some(request) = pending.take().filter(|r| !r.is_empty()) {
            let output = store
                .client()
                .batch_write_item()
                .set_request_items(Some(request))
                .send()
                .await
                .expect("seed messages");
            pending = output.unprocessed_items;
        }
    }
    messages
}

/// A ticket's item as the table's stream shows it in `NewImage`/`OldImage`.
pub fn stream_image(ticket: &tickets_domain::TicketSummary) -> serde_dynamo::Item {
    crate::items::Layout::default()
        .ticket_item(ticket)
        .expect("a ticket item")
        .into()
}

/// A ticket's item as this layout stores it (for writing tickets straight into a table).
pub fn ticket_item(
    ticket: &tickets_domain::TicketSummary,
) -> std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue> {
    crate::items::Layout::default()
        .ticket_item(ticket)
        .expect("a ticket item")
}

/// A thread message's item as the table's stream shows it.
pub fn stream_message_image(
    ticket: &tickets_domain::TicketSummary,
    message: &tickets_domain::ThreadMessage,
) -> serde_dynamo::Item {
    crate::items::message_item(ticket, message)
        .expect("a message item")
        .into()
}

/// The fault-injecting proxy (`infra/local_proxy.py`) in front of the local server, one per
/// test, stopped when dropped.
pub struct FaultProxy {
    child: std::process::Child,
    port: u16,
}

impl FaultProxy {
    pub fn start() -> Self {
        use std::io::BufRead;
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../infra/local_proxy.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(endpoint())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the fault proxy");
        let stdout = child.stdout.take().expect("the proxy's output");
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("the proxy's port");
        let port = line.trim().parse().expect("a port number");
        Self { child, port }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Sends settings (see `infra/local_proxy.py`) and answers the report.
    pub fn configure(&self, settings: serde_json::Value) -> serde_json::Value {
        self.control("POST", &settings.to_string())
    }

    /// `{"injected": {kind: count}, "forwarded": count}`.
    pub fn report(&self) -> serde_json::Value {
        self.control("GET", "")
    }

    fn control(&self, method: &str, body: &str) -> serde_json::Value {
        use std::io::{Read, Write};
        let mut stream =
            std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("reach the proxy");
        let request = format!(
            "{method} /__faults HTTP/1.1\r\nHost: proxy\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("ask the proxy");
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .expect("the proxy's answer");
        let json = response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body)
            .unwrap_or("{}");
        serde_json::from_str(json).expect("a JSON report")
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A store on a new table whose requests go through `proxy`, with the timeouts and retries
/// the functions use in production (`DynamoStore::from_config`).
pub async fn fresh_store_behind(proxy: &FaultProxy) -> (DynamoStore, Arc<Reads>) {
    let (direct, _) = fresh_store().await;
    let reads = Arc::new(Reads::default());
    let config = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(proxy.endpoint())
        .credentials_provider(Credentials::new("test", "test", None, None, "tests"))
        .timeout_config(tickets_lambda::client_timeouts(
            tickets_lambda::STORAGE_ATTEMPT_TIMEOUT,
        ))
        .retry_config(tickets_lambda::client_retries())
        .interceptor(CountReads(reads.clone()))
        .build();
    (
        DynamoStore::new(Client::from_conf(config), direct.table()),
        reads,
    )
}
