//! The reports' figures: one item per dimension, group and day (and, for the backlog, per
//! month), moved by `ADD` in transactions that also mark the changes they count.
//!
//! Keys: `REPORT#<dimension>` (`none`, `agent`, `category`, `priority`), then `D#<day>` or
//! `M#<yyyy-mm>`, followed by `#<group>` for a group (nothing for all tickets, or for tickets
//! without an agent). A dimension's days sort by date, so a report's days are one `Query`.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use chrono::NaiveDate;
use tickets_domain::reports::{
    Cell, Dimension, Figures, Period, ReportDelta, ReportQuery, StoredFigures,
};
use tickets_domain::store::ReportStore;
use tickets_domain::{StoreError, Timestamp};

use crate::error::{internal, store_error};
use crate::items::{key, string_attr, Item, PK, SK, TTL};
use crate::{DynamoStore, Transaction};

/// A transaction's most writes (DynamoDB's limit).
const TRANSACTION_WRITES: usize = 100;
const MARK_SK: &str = "REPORTED";
/// Marks of counted stream records outlive the stream's 24 h retention.
const MARK_TTL_SECS: i64 = 2 * 24 * 60 * 60;

fn report_pk(dimension: Dimension) -> String {
    format!("REPORT#{dimension}")
}

fn mark_pk(change_id: &str) -> String {
    format!("REPORTED#{change_id}")
}

fn cell_sk(cell: &Cell) -> String {
    let mut sk = match &cell.period {
        Period::Day(day) => format!("D#{}", day.format("%Y-%m-%d")),
        Period::Month(first) => format!("M#{}", first.format("%Y-%m")),
    };
    if let Some(group) = &cell.group {
        sk.push('#');
        sk.push_str(group);
    }
    sk
}

/// A day item's date and group, from its sort key.
fn parse_day_sk(sk: &str) -> Option<(NaiveDate, Option<String>)> {
    let rest = sk.strip_prefix("D#")?;
    let day = NaiveDate::parse_from_str(rest.get(..10)?, "%Y-%m-%d").ok()?;
    let group = rest[10..].strip_prefix('#').map(str::to_owned);
    Some((day, group))
}

/// A month item's month and group.
fn parse_month_sk(sk: &str) -> Option<(String, Option<String>)> {
    let rest = sk.strip_prefix("M#")?;
    let month = rest.get(..7)?.to_string();
    let group = rest[7..].strip_prefix('#').map(str::to_owned);
    Some((month, group))
}

fn figures_of(item: &Item) -> Figures {
    item.iter()
        .filter(|(name, _)| !matches!(name.as_str(), PK | SK))
        .filter_map(|(name, value)| match value {
            AttributeValue::N(number) => Some((name.clone(), number.parse().ok()?)),
            _ => None,
        })
        .collect()
}

/// The changes in groups small enough for one transaction each: a mark per change and one
/// update per item the group's changes move. (One change moves at most 80 items: four
/// dimensions, before and after, eight days and two months each.)
fn transaction_groups(changes: Vec<&(String, ReportDelta)>) -> Vec<Vec<&(String, ReportDelta)>> {
    let mut groups = Vec::new();
    let mut group: Vec<&(String, ReportDelta)> = Vec::new();
    let mut cells: BTreeSet<&Cell> = BTreeSet::new();
    for change in changes {
        let new_cells = change
            .1
             .0
            .keys()
            .filter(|cell| !cells.contains(cell))
            .count();
        if !group.is_empty() && group.len() + 1 + cells.len() + new_cells > TRANSACTION_WRITES {
            groups.push(std::mem::take(&mut group));
            cells.clear();
        }
        cells.extend(change.1 .0.keys());
        group.push(change);
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

impl DynamoStore {
    /// A group's writes: the marks first (each only if absent), then the summed updates.
    fn report_writes(
        &self,
        group: &[&(String, ReportDelta)],
        at: Timestamp,
    ) -> Result<Vec<TransactWriteItem>, StoreError> {
        let expires = at.as_datetime().timestamp() + MARK_TTL_SECS;
        let mut writes = Vec::new();
        let mut total = ReportDelta::default();
        for (change_id, delta) in group {
            let mut mark = key(mark_pk(change_id), MARK_SK);
            mark.insert(TTL.into(), AttributeValue::N(expires.to_string()));
            let put = self.put(mark, "attribute_not_exists(pk)")?;
            writes.push(TransactWriteItem::builder().put(put).build());
            total.add(delta);
        }
        for (cell, figures) in &total.0 {
            let update =
                self.add_update(key(report_pk(cell.dimension), &cell_sk(cell)), figures)?;
            writes.push(TransactWriteItem::builder().update(update).build());
        }
        if writes.len() > TRANSACTION_WRITES {
            return Err(internal(
                "a change moves more report items than one transaction takes",
            ));
        }
        Ok(writes)
    }

    /// Every item of partition `pk` with a sort key from `low` to `high`, eventually consistent.
    async fn report_range(
        &self,
        pk: String,
        low: String,
        high: String,
    ) -> Result<Vec<Item>, StoreError> {
        self.client
            .query()
            .table_name(&self.table)
            .key_condition_expression("pk = :pk AND sk BETWEEN :low AND :high")
            .expression_attribute_values(":pk", AttributeValue::S(pk))
            .expression_attribute_values(":low", AttributeValue::S(low))
            .expression_attribute_values(":high", AttributeValue::S(high))
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(store_error)
    }
}

impl ReportStore for DynamoStore {
    async fn count_changes(
        &self,
        changes: &[(String, ReportDelta)],
        at: Timestamp,
    ) -> Result<Vec<String>, StoreError> {
        let mut failed = Vec::new();
        let moving = changes
            .iter()
            .filter(|(_, delta)| !delta.is_empty())
            .collect();
        for mut group in transaction_groups(moving) {
            while !group.is_empty() {
                let marks = group.len();
                match self.transact(self.report_writes(&group, at)?).await {
                    Ok(Transaction::Committed) => break,
                    // A mark that exists: that change was counted before; the rest go again.
                    Ok(Transaction::ConditionFailed(codes)) => {
                        let counted = |index: usize| {
                            index < marks
                                && codes.get(index).map(String::as_str)
                                    == Some("ConditionalCheckFailed")
                        };
                        group = group
                            .into_iter()
                            .enumerate()
                            .filter(|(index, _)| !counted(*index))
                            .map(|(_, change)| change)
                            .collect();
                        if group.len() == marks {
                            failed.extend(group.iter().map(|(id, _)| id.clone()));
                            break;
                        }
                    }
                    Err(err) => {
                        tracing::warn!(error = %err, changes = marks, "report figures not written");
                        failed.extend(group.iter().map(|(id, _)| id.clone()));
                        break;
                    }
                }
            }
        }
        Ok(failed)
    }

    async fn read_figures(
        &self,
        dimension: Dimension,
        query: &ReportQuery,
    ) -> Result<StoredFigures, StoreError> {
        let pk = report_pk(dimension);
        let first = query.first_stored_day();
        let this_month = first.format("%Y-%m").to_string();
        let (months, days) = futures_util::future::try_join(
            self.report_range(pk.clone(), "M#".into(), format!("M#{this_month}")),
            self.report_range(
                pk,
                format!("D#{}", first.format("%Y-%m-%d")),
                // `$` sorts right after `#`: every group of the last day.
                format!("D#{}$", query.to.format("%Y-%m-%d")),
            ),
        )
        .await?;
        let mut stored = StoredFigures::default();
        for item in months {
            let Some((month, group)) = string_attr(&item, SK).as_deref().and_then(parse_month_sk)
            else {
                continue;
            };
            if month < this_month {
                let backlog = figures_of(&item)
                    .get(tickets_domain::reports::figures::names::BACKLOG)
                    .copied();
                stored.months_before.push((group, backlog.unwrap_or(0)));
            }
        }
        for item in days {
            if let Some((day, group)) = string_attr(&item, SK).as_deref().and_then(parse_day_sk) {
                stored.days.push((day, group, figures_of(&item)));
            }
        }
        Ok(stored)
    }
}

/// What a rebuild changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Rebuild {
    pub tickets: usize,
    pub items: usize,
    pub corrected_items: usize,
}

impl DynamoStore {
    /// Counts every ticket into the reports again, with days in `zone`, and corrects each
    /// stored figure by the difference (an `ADD`: a change counted meanwhile is kept; one
    /// made during the scan may leave its figures off by that change, which another run
    /// corrects). For tickets that existed before the reports, and after a change of the
    /// report time zone (figures of days no ticket counts on any more go to zero). It reads
    /// the whole table: run it when the desk is quiet.
    pub async fn rebuild_reports(&self, zone: chrono_tz::Tz) -> Result<Rebuild, StoreError> {
        let tickets = self.scan_tickets().await?;
        self.rebuild_reports_from(&tickets, zone).await
    }

    /// Makes the stored figures those of `tickets` (the rebuild, once the tickets are read; the
    /// benchmark's figures of made-up tickets).
    pub async fn rebuild_reports_from(
        &self,
        tickets: &[tickets_domain::TicketSummary],
        zone: chrono_tz::Tz,
    ) -> Result<Rebuild, StoreError> {
        let mut report = Rebuild {
            tickets: tickets.len(),
            ..Rebuild::default()
        };
        let wanted = tickets_domain::reports::recount(tickets, zone);
        let mut stored: BTreeMap<(Dimension, String), Figures> = BTreeMap::new();
        for dimension in Dimension::ALL {
            let items = self
                .report_range(report_pk(*dimension), "D#".into(), "M$".into())
                .await?;
            for item in items {
                let sk = string_attr(&item, SK).unwrap_or_default();
                stored.insert((*dimension, sk), figures_of(&item));
            }
        }
        let mut corrections: BTreeMap<(Dimension, String), Figures> = BTreeMap::new();
        for (cell, figures) in &wanted.0 {
            let have = stored
                .remove(&(cell.dimension, cell_sk(cell)))
                .unwrap_or_default();
            corrections.insert((cell.dimension, cell_sk(cell)), difference(figures, &have));
        }
        for (stale, have) in stored {
            corrections.insert(stale, difference(&Figures::new(), &have));
        }
        report.items = corrections.len();
        for ((dimension, sk), delta) in corrections {
            if delta.is_empty() {
                continue;
            }
            report.corrected_items += 1;
            self.apply_update(self.add_update(key(report_pk(dimension), &sk), &delta)?)
                .await?;
        }
        Ok(report)
    }
}

impl DynamoStore {
    /// Every ticket item of the table (without descriptions), read with one `Scan`.
    async fn scan_tickets(&self) -> Result<Vec<tickets_domain::TicketSummary>, StoreError> {
        let items: Vec<Item> = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("sk = :ticket")
            .expression_attribute_values(
                ":ticket",
                AttributeValue::S(crate::items::TICKET_SK.into()),
            )
            .consistent_read(true)
            .into_paginator()
            .items()
            .send()
            .collect::<Result<Vec<_>, _>>()
            .await
            .map_err(store_error)?;
        items.into_iter().map(crate::items::from_item).collect()
    }
}

/// What to add to `have` to make `want` (nothing for figures already right).
fn difference(want: &Figures, have: &Figures) -> Figures {
    want.keys()
        .chain(have.keys())
        .map(|name| {
            let change = want.get(name).unwrap_or(&0) - have.get(name).unwrap_or(&0);
            (name.clone(), change)
        })
        .filter(|(_, change)| *change != 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sort_keys_carry_the_day_and_the_group() {
        let day: NaiveDate = "2026-11-30".parse().unwrap();
        let cell = |group: Option<&str>, period| Cell {
            dimension: Dimension::Agent,
            group: group.map(str::to_owned),
            period,
        };
        let sk = cell_sk(&cell(Some("agent#1"), Period::Day(day)));
        assert_eq!(sk, "D#2026-11-30#agent#1");
        assert_eq!(parse_day_sk(&sk), Some((day, Some("agent#1".into()))));
        assert_eq!(parse_day_sk("D#2026-11-30"), Some((day, None)));
        let month = cell_sk(&cell(None, Period::Month("2026-11-01".parse().unwrap())));
        assert_eq!(parse_month_sk(&month), Some(("2026-11".into(), None)));
        assert!("D#2026-11-30#zzz" < "D#2026-11-30$", "a day's range bound");
    }

    #[test]
    fn changes_are_grouped_to_fit_a_transaction() {
        let day: NaiveDate = "2026-11-30".parse().unwrap();
        let change = |id: usize, cells: usize| {
            let mut delta = ReportDelta::default();
            for n in 0..cells {
                let cell = Cell {
                    dimension: Dimension::Agent,
                    group: Some(format!("agent-{id}-{n}")),
                    period: Period::Day(day),
                };
                delta
                    .0
                    .insert(cell, Figures::from([("created".to_string(), 1)]));
            }
            (id.to_string(), delta)
        };
        let changes: Vec<_> = (0..10).map(|id| change(id, 30)).collect();
        let groups = transaction_groups(changes.iter().collect());
        // 3 changes: 3 marks + 90 items; a fourth would be 124 writes.
        assert_eq!(
            groups.iter().map(Vec::len).collect::<Vec<_>>(),
            [3, 3, 3, 1]
        );
        // Changes moving the same items share their updates.
        let same: Vec<_> = (0..150)
            .map(|id| (id.to_string(), change(0, 4).1))
            .collect();
        let groups = transaction_groups(same.iter().collect());
        assert_eq!(groups.iter().map(Vec::len).collect::<Vec<_>>(), [96, 54]);
    }
}
