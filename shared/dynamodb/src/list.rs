//! Lists: every list is one `Query` per list shard on a sparse index, never a `Scan`.
//!
//! The index is chosen from the scope and the most selective filter that has an index in the
//! requested order (client, assignee, status; see `items::ListIndex`); any further filter, and
//! category and priority always, is a `FilterExpression`. The service-level queue (`sla`) reads
//! its own index, one partition per standing, soonest due first. A page query evaluates at most
//! `limit + 1` items per partition, so the items read per page stay bounded whatever the table
//! size. With combined filters a page may therefore hold fewer than `limit` tickets;
//! `nextCursor` continues where it stopped.
//!
//! A sharded index (`Layout`, `LIST_SHARDS`) is read as one `Query` per shard, sent together,
//! and merged in order: a shard that stopped early bounds how far the merge is complete, and the
//! page ends there at the latest. Sort values are unique (`<timestamp>#<id>`), so a cursor is
//! the last sort value a page covered, and the next page is every shard's items beyond it.

use std::cmp::Ordering;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use futures_util::future::try_join_all;
use tickets_domain::store::{
    CounterSet, Counts, ListQuery, PageStart, Scope, SortField, TicketLister, TicketPage,
};
use tickets_domain::{is_valid_id, StoreError, TicketSummary};

use crate::cursor;
use crate::error::store_error;
use crate::items::{
    field, from_item, sla_standing, string_attr, Item, ListIndex, ALL_TICKETS, BY_ALL, BY_ASSIGNEE,
    BY_CLIENT, BY_SLA, BY_STATUS, SORT_CREATED, SORT_SLA_DUE, SORT_UPDATED,
};
use crate::DynamoStore;

/// Items read per request while skipping to a numbered page.
const SKIP_BATCH: usize = 500;

/// The `Query` of each partition of one index, with the filters on top.
struct Plan {
    index: String,
    partition_attr: &'static str,
    partitions: Vec<String>,
    sort_attr: &'static str,
    descending: bool,
    filters: Vec<(&'static str, &'static str, String)>,
}

/// Matching items in list order, and the sort value the list is complete up to (inclusive)
/// when more may follow.
struct Stretch {
    items: Vec<Item>,
    next: Option<String>,
}

impl Plan {
    fn new(query: &ListQuery, store: &DynamoStore) -> Self {
        let filter = &query.filter;
        let (sort_name, sort_attr) = match query.sort.field {
            SortField::CreatedAt => SORT_CREATED,
            SortField::UpdatedAt => SORT_UPDATED,
            SortField::SlaDueAt => SORT_SLA_DUE,
        };
        let has_sort =
            |index: &ListIndex| query.sort.field == SortField::CreatedAt || index.by_updated;
        // Candidates in order of preference; the first one present with an index in the
        // requested order picks the index. The rest, and category and priority, are filters.
        let mut dimensions: Vec<(Option<ListIndex>, &'static str, Option<String>)> = vec![
            (
                Some(BY_CLIENT),
                field::CLIENT,
                match &query.scope {
                    Scope::Client(client) => Some(client.clone()),
                    Scope::All => None,
                },
            ),
            (
                Some(BY_ASSIGNEE),
                field::ASSIGNED_TO,
                filter.assigned_to.clone(),
            ),
            (
                Some(BY_STATUS),
                field::STATUS,
                filter.status.map(|s| s.to_string()),
            ),
            (
                None,
                field::CATEGORY,
                filter.category.map(|c| c.to_string()),
            ),
            (
                None,
                field::PRIORITY,
                filter.priority.map(|p| p.to_string()),
            ),
        ];
        // The service-level queue has an index of its own, partitioned by standing: every
        // other filter is a filter on it.
        let chosen = dimensions.iter().position(|(index, _, value)| {
            filter.sla.is_none() && value.is_some() && index.as_ref().is_some_and(has_sort)
        });
        let (index, partitions) = match (filter.sla, chosen) {
            (Some(queue), _) => (
                BY_SLA,
                queue
                    .standings()
                    .into_iter()
                    .flat_map(|standing| store.layout.partitions(&BY_SLA, &sla_standing(standing)))
                    .collect(),
            ),
            (None, Some(position)) => {
                let (index, _, value) = dimensions.remove(position);
                let index = index.unwrap_or(BY_ALL);
                (
                    index,
                    store.layout.partitions(&index, &value.unwrap_or_default()),
                )
            }
            (None, None) => (BY_ALL, store.layout.partitions(&BY_ALL, ALL_TICKETS)),
        };
        let mut filters: Vec<(&'static str, &'static str, String)> = dimensions
            .into_iter()
            .filter_map(|(_, field, value)| value.map(|v| (field, "=", v)))
            .collect();
        if let Some(tag) = &filter.tag {
            filters.push((field::TAGS, "contains", tag.clone()));
        }
        if let Some(rating) = filter.satisfaction {
            filters.push((field::SATISFACTION_RATING, "=", rating.to_string()));
        }
        Plan {
            index: format!("{}-by-{sort_name}", index.name),
            partition_attr: index.key,
            partitions,
            sort_attr,
            descending: query.sort.descending,
            filters,
        }
    }

    /// The `Query` of one partition, from just beyond `after` (a sort value) when given.
    fn query(
        &self,
        store: &DynamoStore,
        partition: &str,
        after: Option<&str>,
    ) -> QueryFluentBuilder {
        let mut key = "#part = :part".to_string();
        let mut request = store
            .client
            .query()
            .table_name(&store.table)
            .index_name(&self.index)
            .expression_attribute_names("#part", self.partition_attr)
            .expression_attribute_values(":part", AttributeValue::S(partition.to_string()))
            .scan_index_forward(!self.descending);
        if let Some(after) = after {
            key.push_str(if self.descending {
                " AND #sort < :after"
            } else {
                " AND #sort > :after"
            });
            request = request
                .expression_attribute_names("#sort", self.sort_attr)
                .expression_attribute_values(":after", AttributeValue::S(after.to_string()));
        }
        let mut conditions = Vec::new();
        for (index, (attribute, operator, value)) in self.filters.iter().enumerate() {
            // A path (`satisfaction.rating`) names each of its attributes.
            let mut path = Vec::new();
            for (part, name) in attribute.split('.').enumerate() {
                let placeholder = format!("#f{index}_{part}");
                request = request.expression_attribute_names(&placeholder, name);
                path.push(placeholder);
            }
            let (name, placeholder) = (path.join("."), format!(":f{index}"));
            conditions.push(match *operator {
                "contains" => format!("contains({name}, {placeholder})"),
                _ => format!("{name} = {placeholder}"),
            });
            request =
                request.expression_attribute_values(placeholder, AttributeValue::S(value.clone()));
        }
        if !conditions.is_empty() {
            request = request.filter_expression(conditions.join(" AND "));
        }
        request.key_condition_expression(key)
    }

    /// Whether sort value `a` comes before `b` in this list's order.
    fn before(&self, a: &str, b: &str) -> bool {
        let order = a.cmp(b);
        if self.descending {
            order == Ordering::Greater
        } else {
            order == Ordering::Less
        }
    }

    /// The next `limit` matching items beyond `after`, merged from every partition (one
    /// `Query` each, sent together; `keys_only` reads only what skipping needs).
    async fn stretch(
        &self,
        store: &DynamoStore,
        after: Option<&str>,
        limit: usize,
        keys_only: bool,
    ) -> Result<Stretch, StoreError> {
        let reads = self.partitions.iter().map(|partition| {
            let mut request = self
                .query(store, partition, after)
                .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX));
            if keys_only {
                request = request
                    .projection_expression("#sort")
                    .expression_attribute_names("#sort", self.sort_attr);
            }
            async move { request.send().await.map_err(store_error) }
        });
        let mut items = Vec::new();
        // How far the merge is complete: the least advanced of the partitions that stopped
        // early (with one partition, simply where it stopped).
        let mut bound: Option<String> = None;
        for output in try_join_all(reads).await? {
            if let Some(last) = output
                .last_evaluated_key
                .as_ref()
                .and_then(|key| string_attr(key, self.sort_attr))
            {
                if bound.as_ref().is_none_or(|b| self.before(&last, b)) {
                    bound = Some(last);
                }
            }
            items.extend(output.items.unwrap_or_default());
        }
        let sort_of = |item: &Item| string_attr(item, self.sort_attr).unwrap_or_default();
        items.sort_by_cached_key(sort_of);
        if self.descending {
            items.reverse();
        }
        if let Some(bound) = &bound {
            items.retain(|item| !self.before(bound, &sort_of(item)));
        }
        if items.len() > limit {
            items.truncate(limit);
            let next = items.last().map(sort_of);
            return Ok(Stretch { items, next });
        }
        Ok(Stretch { items, next: bound })
    }

    /// The cursor for a list that continues beyond this sort value.
    fn cursor(&self, sort_value: &str) -> String {
        cursor::encode(&format!("{}|{sort_value}", self.index))
    }

    /// The sort value a cursor continues beyond; refused when it was issued for another index.
    fn after(&self, cursor: &str) -> Result<String, StoreError> {
        let text = cursor::decode(cursor, |_| true)?;
        let (index, sort_value) = text.split_once('|').ok_or(StoreError::InvalidCursor)?;
        let id = sort_value
            .rsplit_once('#')
            .map(|(_, id)| id)
            .unwrap_or_default();
        if index != self.index || !is_valid_id(id) {
            return Err(StoreError::InvalidCursor);
        }
        Ok(sort_value.to_string())
    }

    /// Reads past the first `skip` matching tickets (only their sort values, in batches) and
    /// returns the sort value to continue beyond, or `None` when fewer than that many exist.
    async fn skip(
        &self,
        store: &DynamoStore,
        mut skip: usize,
    ) -> Result<Option<String>, StoreError> {
        let mut after: Option<String> = None;
        while skip > 0 {
            // Never more keys than the pages before the requested one.
            let stretch = self
                .stretch(store, after.as_deref(), skip.min(SKIP_BATCH), true)
                .await?;
            skip -= stretch.items.len();
            match stretch.next {
                Some(next) => after = Some(next),
                // The list ended within (or right after) the skipped tickets.
                None => return Ok(None),
            }
        }
        Ok(after)
    }
}

impl TicketLister for DynamoStore {
    async fn list_tickets(&self, query: &ListQuery) -> Result<TicketPage, StoreError> {
        let plan = Plan::new(query, self);
        let limit = query.limit as usize;
        let after = match &query.start {
            PageStart::Cursor(cursor) => Some(plan.after(cursor)?),
            PageStart::Page(page) if *page > 1 => {
                match plan.skip(self, (*page as usize - 1) * limit).await? {
                    Some(after) => Some(after),
                    None => return Ok(TicketPage::default()),
                }
            }
            PageStart::Page(_) => None,
        };
        let stretch = plan.stretch(self, after.as_deref(), limit, false).await?;
        let items = stretch
            .items
            .into_iter()
            .map(from_item::<TicketSummary>)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TicketPage {
            items,
            next_cursor: stretch.next.map(|value| plan.cursor(&value)),
        })
    }

    async fn count_tickets(&self, set: &CounterSet) -> Result<Counts, StoreError> {
        self.read_counts(set).await
    }
}
