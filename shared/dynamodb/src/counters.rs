//! Facet counters: how many visible tickets have each status, category, priority, tag,
//! assignee and cell, per client and overall, and each assignee's cells. They change in the
//! same transaction as the ticket, so they never drift from it, and reading them costs one
//! request whatever the table size.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use tickets_domain::store::{CounterSet, Counts, Facet};
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

fn assignee_counter_pk(assignee: &str) -> String {
    format!("COUNTER#ASSIGNEE#{assignee}")
}

/// The counter item of a set that a change of ticket `ticket_id` updates (overall: the
/// ticket's shard).
pub fn counter_pk(set: &CounterSet, ticket_id: &str) -> String {
    match set {
        CounterSet::Client(client) => client_counter_pk(client),
        CounterSet::All => overall_counter_pk(shard_of(ticket_id)),
        CounterSet::Assignee(assignee) => assignee_counter_pk(assignee),
    }
}

/// The overall shard a ticket counts in: fixed per ticket, spread by the id's random part.
fn shard_of(ticket_id: &str) -> u32 {
    ticket_id.bytes().last().map_or(0, u32::from) % COUNTER_SHARDS
}

impl DynamoStore {
    /// The counter updates that go with a change from `before` to `after`, one per counter
    /// item the change moves (the domain says which: `Facet::changes`); none when it moves none.
    pub(crate) fn counter_updates(
        &self,
        before: Option<&TicketSummary>,
        after: &TicketSummary,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        Facet::changes(before, after)
            .into_iter()
            .map(|(set, delta)| self.counter_update(counter_pk(&set, &after.id), &delta))
            .collect()
    }

    fn counter_update(
        &self,
        pk: String,
        delta: &BTreeMap<String, i64>,
    ) -> Result<TransactWriteItem, StoreError> {
        let mut expression = Vec::with_capacity(delta.len());
        let mut names = HashMap::with_capacity(delta.len());
        let mut values = HashMap::with_capacity(delta.len());
        for (index, (facet, change)) in delta.iter().enumerate() {
            expression.push(format!("#f{index} :v{index}"));
            names.insert(format!("#f{index}"), facet.clone());
            values.insert(format!(":v{index}"), AttributeValue::N(change.to_string()));
        }
        let update = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(pk, COUNTER_SK)))
            .update_expression(format!("ADD {}", expression.join(", ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }

    /// Sums the counter items of a set: one item for a client or an assignee, one
    /// `BatchGetItem` over the shards overall.
    pub(crate) async fn read_counts(&self, set: &CounterSet) -> Result<Counts, StoreError> {
        let keys: Vec<Item> = match set {
            CounterSet::Client(client) => vec![key(client_counter_pk(client), COUNTER_SK)],
            CounterSet::Assignee(assignee) => vec![key(assignee_counter_pk(assignee), COUNTER_SK)],
            CounterSet::All => (0..COUNTER_SHARDS)
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
