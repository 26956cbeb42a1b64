//! Facet counters: how many visible tickets have each status, category, priority, tag,
//! assignee and cell, per client and overall, and each assignee's cells. They change in the
//! same transaction as the ticket, so they never drift from it, and reading them costs one
//! request whatever the table size.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use tickets_domain::store::{CounterSet, Counts, Facet};
use tickets_domain::{StoreError, TicketSummary};

use crate::error::{internal, store_error};
use crate::items::{
    from_item, key, string_attr, Item, COUNTER_SHARDS, COUNTER_SK, PK, SK, TICKET_SK,
};
use crate::DynamoStore;

pub(crate) fn client_counter_pk(client: &str) -> String {
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
        self.combined_counter_updates([(before, after)])
    }

    /// The counter updates of several changes written in one transaction, which may touch an
    /// item only once: the changes to each counter item added up, what cancels out left out.
    pub(crate) fn combined_counter_updates<'a>(
        &self,
        changes: impl IntoIterator<Item = (Option<&'a TicketSummary>, &'a TicketSummary)>,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let mut by_item: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for (before, after) in changes {
            for (set, delta) in Facet::changes(before, after) {
                let item = by_item.entry(counter_pk(&set, &after.id)).or_default();
                for (facet, change) in delta {
                    *item.entry(facet).or_insert(0) += change;
                }
            }
        }
        by_item
            .into_iter()
            .filter_map(|(pk, mut delta)| {
                delta.retain(|_, change| *change != 0);
                (!delta.is_empty()).then_some((pk, delta))
            })
            .map(|(pk, delta)| {
                let update = self.counter_update(pk, &delta)?;
                Ok(TransactWriteItem::builder().update(update).build())
            })
            .collect()
    }

    /// `ADD` of `delta` to the counter item `pk`.
    fn counter_update(
        &self,
        pk: String,
        delta: &BTreeMap<String, i64>,
    ) -> Result<Update, StoreError> {
        self.add_update(key(pk, COUNTER_SK), delta)
    }

    /// Sends one update on its own (outside a transaction).
    pub(crate) async fn apply_update(&self, update: Update) -> Result<(), StoreError> {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .send()
            .await
            .map_err(store_error)?;
        Ok(())
    }

    /// `ADD` of each number of `delta` to the attribute it names, in the item `key`.
    pub(crate) fn add_update(
        &self,
        key: Item,
        delta: &BTreeMap<String, i64>,
    ) -> Result<Update, StoreError> {
        let mut expression = Vec::with_capacity(delta.len());
        let mut names = HashMap::with_capacity(delta.len());
        let mut values = HashMap::with_capacity(delta.len());
        for (index, (facet, change)) in delta.iter().enumerate() {
            expression.push(format!("#f{index} :v{index}"));
            names.insert(format!("#f{index}"), facet.clone());
            values.insert(format!(":v{index}"), AttributeValue::N(change.to_string()));
        }
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(key))
            .update_expression(format!("ADD {}", expression.join(", ")))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(internal)
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

/// What a recount changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Recount {
    pub tickets: usize,
    pub counter_items: usize,
    pub corrected_items: usize,
    pub corrected_facets: usize,
}

impl DynamoStore {
    /// Counts every visible ticket into every counter item again and corrects each counter by
    /// the difference (an `ADD`, so a change made meanwhile is not lost; a ticket that changes
    /// during the scan may leave its counters off by that change, which another run corrects).
    /// For a desk that ran a version without some counters, and after any repair. It reads the
    /// whole table: run it when the desk is quiet.
    pub async fn recount_counters(&self) -> Result<Recount, StoreError> {
        let mut expected: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        let mut stored: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        let mut report = Recount::default();
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item = item.map_err(store_error)?;
            let (pk, sk) = (
                string_attr(&item, PK).unwrap_or_default(),
                string_attr(&item, SK).unwrap_or_default(),
            );
            if sk == TICKET_SK {
                let ticket: TicketSummary = from_item(item)?;
                report.tickets += 1;
                for (set, delta) in Facet::changes(None, &ticket) {
                    let counts = expected.entry(counter_pk(&set, &ticket.id)).or_default();
                    for (facet, change) in delta {
                        *counts.entry(facet).or_default() += change;
                    }
                }
            } else if sk == COUNTER_SK {
                let mut counts = BTreeMap::new();
                add_counts(&mut counts, &item);
                stored.insert(pk, counts);
            }
        }
        let items: std::collections::BTreeSet<&String> =
            expected.keys().chain(stored.keys()).collect();
        report.counter_items = items.len();
        for pk in items {
            let empty = BTreeMap::new();
            let (want, have) = (
                expected.get(pk).unwrap_or(&empty),
                stored.get(pk).unwrap_or(&empty),
            );
            let delta: BTreeMap<String, i64> = want
                .keys()
                .chain(have.keys())
                .map(|facet| {
                    let change = want.get(facet).unwrap_or(&0) - have.get(facet).unwrap_or(&0);
                    (facet.clone(), change)
                })
                .filter(|(_, change)| *change != 0)
                .collect();
            if delta.is_empty() {
                continue;
            }
            report.corrected_items += 1;
            report.corrected_facets += delta.len();
            self.apply_update(self.counter_update(pk.clone(), &delta)?)
                .await?;
        }
        Ok(report)
    }
}
