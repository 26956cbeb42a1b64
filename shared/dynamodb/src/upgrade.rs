//! Bringing ticket items written by an older version, or under another `LIST_SHARDS`, to the
//! layout of this one (`cargo run -p tickets-recount` runs it before recounting).

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use tickets_domain::{StoreError, TicketSummary};

use crate::error::{internal, store_error};
use crate::items::{body_item, field, from_item, Item, SK, TICKET_SK};
use crate::{DynamoStore, Transaction};

/// What a relayout did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Relayout {
    pub tickets: usize,
    pub rewritten: usize,
    /// Changed while the relayout ran: another run takes them.
    pub skipped: usize,
}

impl DynamoStore {
    /// Rewrites every ticket item that differs from what this layout writes for it: a
    /// description still inside the ticket item moves to its own item, index keys of indexes
    /// that are gone are dropped, and keys follow the deployment's list shards. Each rewrite
    /// holds only while the ticket keeps its version, so no change made meanwhile is lost.
    /// It reads the whole table: run it when the desk is quiet.
    pub async fn relayout_tickets(&self) -> Result<Relayout, StoreError> {
        let mut report = Relayout::default();
        let mut pages = self
            .client
            .scan()
            .table_name(&self.table)
            .filter_expression("sk = :ticket")
            .expression_attribute_values(":ticket", AttributeValue::S(TICKET_SK.into()))
            .consistent_read(true)
            .into_paginator()
            .items()
            .send();
        while let Some(item) = pages.next().await {
            let item: Item = item.map_err(store_error)?;
            if item.get(SK) != Some(&AttributeValue::S(TICKET_SK.into())) {
                continue;
            }
            report.tickets += 1;
            let ticket: TicketSummary = from_item(item.clone())?;
            let wanted = self.layout.ticket_item(&ticket)?;
            if wanted == item {
                continue;
            }
            let rewrite = Put::builder()
                .table_name(&self.table)
                .set_item(Some(wanted))
                .condition_expression("version = :version")
                .expression_attribute_values(
                    ":version",
                    AttributeValue::N(ticket.version.to_string()),
                )
                .build()
                .map_err(internal)?;
            let mut writes = vec![TransactWriteItem::builder().put(rewrite).build()];
            if item.contains_key(field::DESCRIPTION) {
                let body = self.put(body_item(&ticket)?, "attribute_not_exists(pk)")?;
                writes.push(TransactWriteItem::builder().put(body).build());
            }
            match self.transact(writes).await? {
                Transaction::Committed => report.rewritten += 1,
                Transaction::ConditionFailed(_) => report.skipped += 1,
            }
        }
        Ok(report)
    }
}
