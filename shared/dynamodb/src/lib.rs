//! DynamoDB adapter for the domain's storage ports, on the single-table design of
//! docs/DATA_MODEL.md (summarised in docs/DESIGN.md, Storage).
//!
//! Every write is conditional; a change that spans items (ticket, first message, attachments,
//! counters, idempotency record) is one `TransactWriteItems`.

mod attachments;
mod closing;
mod contacts;
mod counters;
mod cursor;
mod edit;
mod erase;
mod error;
mod exports;
mod history;
mod idempotency;
mod items;
mod jobs;
mod list;
mod mail;
mod merge;
mod rekey;
mod reports;
mod retry;
mod sla;
mod stream;
pub use counters::Recount;
pub use reports::Rebuild;
pub use stream::{change_from_stream, ticket_images};
pub use upgrade::Relayout;

/// The item layout's key functions, for the hot-partition simulation (`infra/bench`,
/// `hotspots`): what a ticket item carries, and which counter items a change updates.
pub mod layout {
    pub use crate::counters::counter_pk;
    pub use crate::items::{Item, Layout};
}
#[cfg(feature = "testing")]
pub mod testing;
mod thread;
mod upgrade;
mod webhooks;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use tickets_domain::store::{
    CreateOutcome, IdempotencyRecord, TicketCreator, TicketReader, TicketWriter,
};
use tickets_domain::{StoreError, Ticket, TicketBody, TicketSummary};
use tickets_lambda::{SettingError, Settings};

use crate::error::{internal, store_error};
use crate::items::{
    attachment_item, body_item, description_message_item, from_item, key, message_item,
    string_attr, ticket_pk, Item, Layout, BODY_SK, SK, TICKET_SK,
};

/// Transactions that collide with another one on the same item are retried this many times,
/// after a growing random pause (at most about 5 s in all): changes of one client's tickets meet
/// on its counter item, and a bulk change makes several at once.
const CONFLICT_RETRIES: u32 = 10;

/// The DynamoDB-backed store. Cheap to clone; build one per process and share it.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
    layout: Layout,
    /// The service-level policies, kept for a while (shared by the clones of one store).
    sla_cache: std::sync::Arc<sla::SlaCache>,
}

impl DynamoStore {
    /// A store of the plain layout (one list shard) that reads the service-level policies at
    /// every change.
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
            layout: Layout::default(),
            sla_cache: sla::SlaCache::new(std::time::Duration::ZERO),
        }
    }

    pub fn with_layout(self, layout: Layout) -> Self {
        Self { layout, ..self }
    }

    /// Keeps the service-level policies it read for `ttl` (a new document then takes up to that
    /// long to apply to changes handled by this process).
    pub fn keeping_policies_for(self, ttl: std::time::Duration) -> Self {
        Self {
            sla_cache: sla::SlaCache::new(ttl),
            ..self
        }
    }

    /// The client from the function's shared AWS configuration (region, credentials,
    /// timeouts and retries; see [`tickets_lambda::aws_config`]), the table from `TABLE_NAME`,
    /// the list shards from `LIST_SHARDS` (default 1; every function of a deployment has the
    /// same), how long the service-level policies are kept from `SLA_CACHE_SECONDS` (default
    /// 60).
    pub fn from_config(
        config: &aws_config::SdkConfig,
        settings: &Settings,
    ) -> Result<Self, SettingError> {
        let table = settings.required("TABLE_NAME")?;
        let what = format!("a whole number from 1 to {}", Layout::MAX_LIST_SHARDS);
        let layout = Layout::new(settings.parsed("LIST_SHARDS", 1, &what)?)
            .ok_or_else(|| SettingError::new("LIST_SHARDS", format!("must be {what}")))?;
        let keep: u64 = settings.parsed("SLA_CACHE_SECONDS", 60, "a whole number of seconds")?;
        Ok(Self::new(Client::new(config), table)
            .with_layout(layout)
            .keeping_policies_for(std::time::Duration::from_secs(keep)))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    fn put(&self, item: Item, condition: &str) -> Result<Put, StoreError> {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(condition)
            .build()
            .map_err(internal)
    }

    /// Runs a transaction, retrying while it only collided with a concurrent one.
    async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<Transaction, StoreError> {
        let mut attempt = 0;
        loop {
            let result = self
                .client
                .transact_write_items()
                .set_transact_items(Some(writes.clone()))
                .send()
                .await;
            let err = match result {
                Ok(_) => return Ok(Transaction::Committed),
                Err(err) => err,
            };
            let codes = cancellation_codes(&err);
            match codes {
                Some(codes)
                    if codes.iter().any(|c| c == "TransactionConflict")
                        && attempt < CONFLICT_RETRIES =>
                {
                    attempt += 1;
                    retry::backoff(attempt).await;
                }
                Some(codes) if codes.iter().any(|c| c == "ConditionalCheckFailed") => {
                    return Ok(Transaction::ConditionFailed(codes))
                }
                _ => return Err(store_error(err)),
            }
        }
    }
}

/// How a transaction ended, when it did not fail outright.
enum Transaction {
    Committed,
    /// A condition failed; the cancellation codes, one per write in order.
    ConditionFailed(Vec<String>),
}

/// The codes of a cancelled transaction, one per write, or `None` for any other failure.
fn cancellation_codes<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<Vec<String>> {
    match err.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => Some(
            cancelled
                .cancellation_reasons()
                .iter()
                .map(|reason| reason.code().unwrap_or("None").to_string())
                .collect(),
        ),
        _ => None,
    }
}

impl TicketReader for DynamoStore {
    async fn get_ticket(&self, id: &str) -> Result<Option<Ticket>, StoreError> {
        self.read_ticket(id).await
    }

    /// The ticket item and its description's item, which sorts right after it: one `Query`.
    async fn get_summary(&self, id: &str) -> Result<Option<TicketSummary>, StoreError> {
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :ticket AND :body")
            .expression_attribute_values(":pk", AttributeValue::S(ticket_pk(id)))
            .expression_attribute_values(":ticket", AttributeValue::S(TICKET_SK.into()))
            .expression_attribute_values(":body", AttributeValue::S(BODY_SK.into()))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        let mut ticket = TicketParts::default();
        for item in output.items.unwrap_or_default() {
            ticket.add(item)?;
        }
        Ok(ticket.summary())
    }
}

impl TicketCreator for DynamoStore {
    async fn create_ticket(
        &self,
        ticket: &Ticket,
        idempotency: Option<&IdempotencyRecord>,
    ) -> Result<CreateOutcome, StoreError> {
        let id = &ticket.id;
        let mut writes = vec![
            TransactWriteItem::builder()
                .put(self.put(self.layout.ticket_item(ticket)?, "attribute_not_exists(pk)")?)
                .build(),
            TransactWriteItem::builder()
                .put(self.put(body_item(ticket)?, "attribute_not_exists(pk)")?)
                .build(),
        ];
        for (n, message) in ticket.threads.iter().enumerate() {
            // The first message repeats the description: stored once, in the description item.
            let item = if n == 0 && message.message == ticket.description {
                description_message_item(ticket, message)?
            } else {
                message_item(ticket, message)?
            };
            writes.push(
                TransactWriteItem::builder()
                    .put(self.put(item, "attribute_not_exists(pk)")?)
                    .build(),
            );
        }
        for attachment in &ticket.attachments {
            writes.push(
                TransactWriteItem::builder()
                    .put(self.put(attachment_item(id, attachment)?, "attribute_not_exists(pk)")?)
                    .build(),
            );
        }
        writes.extend(self.counter_updates(None, &ticket.summary)?);

        self.end_with_record(&mut writes, idempotency)?;
        match self.transact(writes).await? {
            Transaction::Committed => Ok(CreateOutcome::Created),
            // The id is new: if it exists, it is this very create, committed by an attempt
            // whose answer was lost (the SDK retried it).
            Transaction::ConditionFailed(_)
                if self.get_summary(id).await?.as_ref() == Some(&ticket.summary) =>
            {
                Ok(CreateOutcome::Created)
            }
            Transaction::ConditionFailed(codes) => self
                .replay_if_taken(idempotency, &codes)
                .await?
                .ok_or_else(|| internal(format!("create condition failed: {codes:?}"))),
        }
    }
}

impl TicketWriter for DynamoStore {
    async fn save_ticket(
        &self,
        before: &TicketSummary,
        after: &TicketSummary,
    ) -> Result<(), StoreError> {
        const SAME_VERSION: &str = "version = :expected";
        let item = self.layout.ticket_item(after)?;
        let expected = AttributeValue::N(before.version.to_string());
        let counters = self.counter_updates(Some(before), after)?;
        // Summaries read from a list index carry no description: theirs stays as stored.
        let body = (!after.description.is_empty() && after.description != before.description)
            .then(|| body_item(after))
            .transpose()?;
        if counters.is_empty() && body.is_none() {
            // Nothing but the ticket item changes: a plain conditional put is enough.
            let result = self
                .client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression(SAME_VERSION)
                .expression_attribute_values(":expected", expected)
                .send()
                .await;
            return match result {
                Ok(_) => Ok(()),
                Err(err)
                    if err
                        .as_service_error()
                        .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
                {
                    self.unless_already(after).await
                }
                Err(err) => Err(store_error(err)),
            };
        }
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(SAME_VERSION)
            .expression_attribute_values(":expected", expected)
            .build()
            .map_err(internal)?;
        let mut writes = vec![TransactWriteItem::builder().put(put).build()];
        if let Some(body) = body {
            writes.push(
                TransactWriteItem::builder()
                    .put(self.put(body, "attribute_exists(pk)")?)
                    .build(),
            );
        }
        writes.extend(counters);
        match self.transact(writes).await? {
            Transaction::Committed => Ok(()),
            Transaction::ConditionFailed(_) => self.unless_already(after).await,
        }
    }
}

/// A ticket read as its two items: the listed fields and the description.
#[derive(Default)]
pub(crate) struct TicketParts {
    ticket: Option<TicketSummary>,
    body: Option<TicketBody>,
}

impl TicketParts {
    /// The description, once its item was read.
    pub(crate) fn description(&self) -> Option<&str> {
        self.body.as_ref().map(|body| body.description.as_str())
    }

    /// A ticket already read whole.
    pub(crate) fn of(ticket: Option<TicketSummary>) -> Self {
        TicketParts { ticket, body: None }
    }

    /// Takes the item if it is one of the two; `false` for any other item of the partition.
    pub(crate) fn add(&mut self, item: Item) -> Result<bool, StoreError> {
        match string_attr(&item, SK).as_deref() {
            Some(TICKET_SK) => self.ticket = Some(from_item(item)?),
            Some(BODY_SK) => self.body = Some(from_item(item)?),
            _ => return Ok(false),
        }
        Ok(true)
    }

    pub(crate) fn summary(self) -> Option<TicketSummary> {
        let mut ticket = self.ticket?;
        if let Some(body) = self.body {
            ticket.description = body.description;
        }
        Some(ticket)
    }
}

impl DynamoStore {
    /// Puts a document item (the service-level policies, a webhook) if the stored one is still
    /// at version `previous` (`0`: there is none yet); `VersionConflict` otherwise.
    pub(crate) async fn put_versioned(&self, item: Item, previous: u64) -> Result<(), StoreError> {
        let request = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item));
        let request = if previous == 0 {
            request.condition_expression("attribute_not_exists(pk)")
        } else {
            request
                .condition_expression("version = :previous")
                .expression_attribute_values(":previous", AttributeValue::N(previous.to_string()))
        };
        match request.send().await {
            Ok(_) => Ok(()),
            Err(err)
                if err
                    .as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Err(StoreError::VersionConflict)
            }
            Err(err) => Err(store_error(err)),
        }
    }

    /// Puts `item` unless an item with its key exists; whether it did.
    pub(crate) async fn put_new(&self, item: Item) -> Result<bool, StoreError> {
        crate::error::condition_held(
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(item))
                .condition_expression("attribute_not_exists(pk)")
                .send()
                .await,
        )
    }

    /// After a failed condition: `Ok` when the stored ticket already is `after` (an attempt
    /// whose answer was lost committed it), `VersionConflict` otherwise.
    pub(crate) async fn unless_already(&self, after: &TicketSummary) -> Result<(), StoreError> {
        let stored = self.get_summary(&after.id).await?.map(|mut stored| {
            if after.description.is_empty() {
                // `after` came from a list index, without the description.
                stored.description.clear();
            }
            stored
        });
        if stored.as_ref() == Some(after) {
            Ok(())
        } else {
            Err(StoreError::VersionConflict)
        }
    }

    /// The items of `keys` that exist, read consistently in one `BatchGetItem` (more only for
    /// keys DynamoDB leaves unprocessed).
    pub(crate) async fn batch_get(&self, keys: Vec<Item>) -> Result<Vec<Item>, StoreError> {
        let request = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
            .set_keys(Some(keys))
            .consistent_read(true)
            .build()
            .map_err(internal)?;
        let items = std::sync::Mutex::new(Vec::new());
        retry::until_processed(request, |request| {
            let sent = self
                .client
                .batch_get_item()
                .request_items(&self.table, request)
                .send();
            let items = &items;
            async move {
                let output = sent.await.map_err(store_error)?;
                items.lock().expect("not poisoned").extend(
                    output
                        .responses
                        .and_then(|mut tables| tables.remove(&self.table))
                        .unwrap_or_default(),
                );
                Ok(output
                    .unprocessed_keys
                    .and_then(|mut tables| tables.remove(&self.table)))
            }
        })
        .await?;
        Ok(items.into_inner().expect("not poisoned"))
    }

    /// The item under `key`, read consistently.
    pub(crate) async fn read_item(&self, key: Item) -> Result<Option<Item>, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(store_error)?;
        Ok(output.item)
    }

    /// Whether an item exists (a consistent read of its key).
    pub(crate) async fn exists(&self, pk: String, sk: &str) -> Result<bool, StoreError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, sk)))
            .consistent_read(true)
            .projection_expression("pk")
            .send()
            .await
            .map_err(store_error)?;
        Ok(output.item.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_shards_is_a_whole_number_from_1_to_32_and_one_when_unset() {
        let config = aws_config::SdkConfig::builder()
            .behavior_version(aws_config::BehaviorVersion::latest())
            .build();
        let store = |shards: &str| {
            DynamoStore::from_config(
                &config,
                &Settings::from_pairs([("TABLE_NAME", "t"), ("LIST_SHARDS", shards)]),
            )
        };
        assert_eq!(store("16").unwrap().layout.list_shards(), 16);
        assert_eq!(store(" ").unwrap().layout.list_shards(), 1);
        for bad in ["0", "33", "-1", "many"] {
            assert_eq!(store(bad).unwrap_err().name(), "LIST_SHARDS", "{bad}");
        }
    }
}
