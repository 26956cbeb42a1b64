//! Facet counters: how many visible tickets have each status, category, priority, tag and
//! assignee, per client and overall. They change in the same transaction as the ticket, so they
//! never drift from it, and reading them costs one request whatever the table size.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use tickets_domain::store::{Counts, Scope};
use tickets_domain::{StoreError, TicketSummary};

use crate::error::internal;
use crate::items::{key, Item, COUNTER_SHARDS, COUNTER_SK};
use crate::DynamoStore;

fn client_counter_pk(client: &str) -> String {
    format!("COUNTER#CLIENT#{client}")
}

fn overall_counter_pk(shard: u32) -> String {
    format!("COUNTER#ALL#{shard}")
}

/// The overall shard a ticket counts in: fixed per ticket, spread by the id's random part.
fn shard_of(ticket_id: &str) -> u32 {
    ticket_id.bytes().last().map_or(0, u32::from) % COUNTER_SHARDS
}

impl DynamoStore {
    /// The counter updates that go with a change of `ticket`, one per scope; none when the
    /// change moves no counter.
    pub(crate) fn counter_updates(
        &self,
        ticket: &TicketSummary,
        delta: &BTreeMap<String, i64>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        if delta.is_empty() {
            return Ok(Vec::new());
        }
        let mut expression = Vec::with_capacity(delta.len());
        let mut names = HashMap::with_capacity(delta.len());
        let mut values = HashMap::with_capacity(delta.len());
        for (index, (facet, change)) in delta.iter().enumerate() {
            expression.push(format!("#f{index} :v{index}"));
            names.insert(format!("#f{index}"), facet.clone());
            values.insert(format!(":v{index}"), AttributeValue::N(change.to_string()));
        }
        let expression = format!("ADD {}", expression.join(", "));
        [
            client_counter_pk(&ticket.client),
            overall_counter_pk(shard_of(&ticket.id)),
        ]
        .into_iter()
        .map(|pk| {
            let update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(pk, COUNTER_SK)))
                .update_expression(&expression)
                .set_expression_attribute_names(Some(names.clone()))
                .set_expression_attribute_values(Some(values.clone()))
                .build()
                .map_err(internal)?;
            Ok(TransactWriteItem::builder().update(update).build())
        })
        .collect()
    }

    /// Sums the counter items of `scope`: one `GetItem` for a client, one `BatchGetItem` over
    /// the shards overall.
    pub(crate) async fn read_counts(&self, scope: &Scope) -> Result<Counts, StoreError> {
        let keys: Vec<Item> = match scope {
            Scope::Client(client) => vec![key(client_counter_pk(client), COUNTER_SK)],
            Scope::All => (0..COUNTER_SHARDS)
                .map(|shard| key(overall_counter_pk(shard), COUNTER_SK))
                .collect(),
        };
        let mut counts = BTreeMap::new();
        for item in self.batch_get(keys).await? {
            add_counts(&mut counts, &item);
        }
        Ok(Counts(counts))
    }
}

fn add_counts(counts: &mut BTreeMap<String, i64>, item: &Item) {
    for (name, value) in item {
        if let AttributeValue::N(number) = value {
            if let Ok(number) = number.parse::<i64>() {
                *counts.entry(name.clone()).or_insert(0) += number;
            }
        }
    }
}
