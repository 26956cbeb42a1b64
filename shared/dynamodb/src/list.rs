//! Lists: every list is one `Query` on a sparse index, never a `Scan`.
//!
//! The index is chosen from the scope and the most selective filter that has an index in the
//! requested order (client, assignee, status; see `items::ListIndex`); any further filter, and
//! category and priority always, is a `FilterExpression`. A page query evaluates at most `limit + 1` items, so the items read per
//! page stay bounded whatever the table size. With combined filters a page may therefore hold
//! fewer than `limit` tickets; `nextCursor` continues where it stopped.

use std::collections::HashMap;

use aws_sdk_dynamodb::operation::query::builders::QueryFluentBuilder;
use aws_sdk_dynamodb::types::AttributeValue;
use tickets_domain::store::{
    CounterSet, Counts, ListQuery, PageStart, Scope, SortField, TicketLister, TicketPage,
};
use tickets_domain::{is_valid_id, StoreError, TicketSummary};

use crate::cursor;
use crate::error::store_error;
use crate::items::{
    field, from_item, string_attr, ticket_pk, Item, ListIndex, ALL_TICKETS, BY_ALL, BY_ASSIGNEE,
    BY_CLIENT, BY_STATUS, PK, SK, SORT_CREATED, SORT_UPDATED, TICKET_SK,
};
use crate::DynamoStore;

/// Items read per request while skipping to a numbered page.
const SKIP_BATCH: i32 = 500;

/// One index `Query`: which index, which partition, which filters on top.
struct Plan {
    index: String,
    partition_attr: &'static str,
    partition: String,
    sort_attr: &'static str,
    descending: bool,
    filters: Vec<(&'static str, &'static str, String)>,
}

impl Plan {
    fn new(query: &ListQuery) -> Self {
        let filter = &query.filter;
        let (sort_name, sort_attr) = match query.sort.field {
            SortField::CreatedAt => SORT_CREATED,
            SortField::UpdatedAt => SORT_UPDATED,
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
        let chosen = dimensions
            .iter()
            .position(|(index, _, value)| value.is_some() && index.as_ref().is_some_and(has_sort));
        let (index, partition) = match chosen {
            Some(position) => {
                let (index, _, value) = dimensions.remove(position);
                (index.unwrap_or(BY_ALL), value.unwrap_or_default())
            }
            None => (BY_ALL, ALL_TICKETS.to_string()),
        };
        let mut filters: Vec<(&'static str, &'static str, String)> = dimensions
            .into_iter()
            .filter_map(|(_, field, value)| value.map(|v| (field, "=", v)))
            .collect();
        if let Some(tag) = &filter.tag {
            filters.push((field::TAGS, "contains", tag.clone()));
        }
        Plan {
            index: format!("{}-by-{sort_name}", index.name),
            partition_attr: index.key,
            partition,
            sort_attr,
            descending: query.sort.descending,
            filters,
        }
    }

    fn query(&self, store: &DynamoStore) -> QueryFluentBuilder {
        let mut request = store
            .client
            .query()
            .table_name(&store.table)
            .index_name(&self.index)
            .key_condition_expression("#part = :part")
            .expression_attribute_names("#part", self.partition_attr)
            .expression_attribute_values(":part", AttributeValue::S(self.partition.clone()))
            .scan_index_forward(!self.descending);
        let mut conditions = Vec::new();
        for (index, (attribute, operator, value)) in self.filters.iter().enumerate() {
            let (name, placeholder) = (format!("#f{index}"), format!(":f{index}"));
            conditions.push(match *operator {
                "contains" => format!("contains({name}, {placeholder})"),
                _ => format!("{name} = {placeholder}"),
            });
            request = request
                .expression_attribute_names(name, *attribute)
                .expression_attribute_values(placeholder, AttributeValue::S(value.clone()));
        }
        if !conditions.is_empty() {
            request = request.filter_expression(conditions.join(" AND "));
        }
        request
    }

    /// The cursor for a page that ends at the item with this sort value.
    fn cursor(&self, sort_value: &str) -> String {
        cursor::encode(&format!("{}|{sort_value}", self.index))
    }

    /// The start key a cursor stands for; refused when it was issued for another index.
    fn start_key(&self, cursor: &str) -> Result<Item, StoreError> {
        let text = cursor::decode(cursor, |_| true)?;
        let (index, sort_value) = text.split_once('|').ok_or(StoreError::InvalidCursor)?;
        let id = sort_value
            .rsplit_once('#')
            .map(|(_, id)| id)
            .unwrap_or_default();
        if index != self.index || !is_valid_id(id) {
            return Err(StoreError::InvalidCursor);
        }
        Ok(self.key_at(id, sort_value))
    }

    fn key_at(&self, id: &str, sort_value: &str) -> Item {
        HashMap::from([
            (PK.to_string(), AttributeValue::S(ticket_pk(id))),
            (SK.to_string(), AttributeValue::S(TICKET_SK.to_string())),
            (
                self.partition_attr.to_string(),
                AttributeValue::S(self.partition.clone()),
            ),
            (
                self.sort_attr.to_string(),
                AttributeValue::S(sort_value.to_string()),
            ),
        ])
    }

    fn sort_value_of(&self, item: &Item) -> Option<String> {
        string_attr(item, self.sort_attr)
    }

    /// Reads past the first `skip` matching tickets and returns the key to start after, or
    /// `None` when fewer than that many exist. Reads only keys, in batches.
    async fn skip(&self, store: &DynamoStore, mut skip: usize) -> Result<Option<Item>, StoreError> {
        let mut start: Option<Item> = None;
        loop {
            let output = self
                .query(store)
                .projection_expression("pk, sk, #part, #sort")
                .expression_attribute_names("#sort", self.sort_attr)
                // Never more keys than the pages before the requested one.
                .limit(SKIP_BATCH.min(i32::try_from(skip).unwrap_or(SKIP_BATCH)))
                .set_exclusive_start_key(start.clone())
                .send()
                .await
                .map_err(store_error)?;
            let items = output.items.unwrap_or_default();
            if items.len() >= skip {
                let last = &items[skip - 1];
                return Ok(self.sort_value_of(last).and_then(|value| {
                    let id = value.rsplit_once('#')?.1.to_string();
                    Some(self.key_at(&id, &value))
                }));
            }
            skip -= items.len();
            match output.last_evaluated_key {
                Some(key) => start = Some(key),
                None => return Ok(None),
            }
        }
    }
}

impl TicketLister for DynamoStore {
    async fn list_tickets(&self, query: &ListQuery) -> Result<TicketPage, StoreError> {
        let plan = Plan::new(query);
        let limit = query.limit as usize;
        let start = match &query.start {
            PageStart::Cursor(cursor) => Some(plan.start_key(cursor)?),
            PageStart::Page(page) if *page > 1 => {
                match plan.skip(self, (*page as usize - 1) * limit).await? {
                    Some(key) => Some(key),
                    None => return Ok(TicketPage::default()),
                }
            }
            PageStart::Page(_) => None,
        };
        // One item more than the page tells whether another page follows.
        let output = plan
            .query(self)
            .limit(query.limit as i32 + 1)
            .set_exclusive_start_key(start)
            .send()
            .await
            .map_err(store_error)?;
        let mut items = output.items.unwrap_or_default();
        let next_cursor = if items.len() > limit {
            items.truncate(limit);
            items.last().and_then(|item| plan.sort_value_of(item))
        } else {
            output
                .last_evaluated_key
                .as_ref()
                .and_then(|key| plan.sort_value_of(key))
        };
        let items = items
            .into_iter()
            .map(from_item::<TicketSummary>)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(TicketPage {
            items,
            next_cursor: next_cursor.map(|value| plan.cursor(&value)),
        })
    }

    async fn count_tickets(&self, set: &CounterSet) -> Result<Counts, StoreError> {
        self.read_counts(set).await
    }
}
