//! Service levels in the table: the policies document (one item), the checked policies a
//! process keeps for a short while, and the tickets whose clocks fall due (the `sla-by-next`
//! index).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use tickets_domain::sla::{SlaDocument, SlaPolicies};
use tickets_domain::store::{ClockWatcher, ServiceLevels, SlaStore, StoredSla, TicketMerger};
use tickets_domain::{StoreError, TicketSummary, Timestamp};

use crate::error::internal;
use crate::items::{
    key, string_attr, Item, BY_SLA_NEXT, CLOCKS_AHEAD, IDX_SLA_NEXT_AT, PK, SLA_NEXT_INDEX,
};
use crate::DynamoStore;

const SLA_PK: &str = "SLA";
const SLA_SK: &str = "POLICIES";

/// The checked policies a process keeps, and until when (`SLA_CACHE_SECONDS`).
#[derive(Debug, Default)]
pub(crate) struct SlaCache {
    ttl: Duration,
    kept: Mutex<Option<(Instant, Arc<SlaPolicies>)>>,
}

impl SlaCache {
    pub(crate) fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(SlaCache {
            ttl,
            kept: Mutex::default(),
        })
    }

    fn fresh(&self) -> Option<Arc<SlaPolicies>> {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        kept.as_ref()
            .filter(|(at, _)| at.elapsed() < self.ttl)
            .map(|(_, policies)| policies.clone())
    }

    fn keep(&self, policies: Arc<SlaPolicies>) {
        if !self.ttl.is_zero() {
            let mut kept = self
                .kept
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            *kept = Some((Instant::now(), policies));
        }
    }
}

fn number(item: &Item, name: &str) -> Option<u64> {
    match item.get(name) {
        Some(AttributeValue::N(n)) => n.parse().ok(),
        _ => None,
    }
}

impl SlaStore for DynamoStore {
    async fn get_sla(&self) -> Result<Option<StoredSla>, StoreError> {
        let Some(item) = self.read_item(key(SLA_PK.into(), SLA_SK)).await? else {
            return Ok(None);
        };
        let document: SlaDocument =
            serde_json::from_str(&string_attr(&item, "document").unwrap_or_default())
                .map_err(internal)?;
        Ok(Some(StoredSla {
            document,
            version: number(&item, "version").unwrap_or(0),
            updated_at: string_attr(&item, "updatedAt").and_then(|at| at.parse().ok()),
            updated_by: string_attr(&item, "updatedBy"),
        }))
    }

    async fn put_sla(&self, stored: &StoredSla, previous: u64) -> Result<(), StoreError> {
        let mut item = key(SLA_PK.into(), SLA_SK);
        let document = serde_json::to_string(&stored.document).map_err(internal)?;
        item.insert("document".into(), AttributeValue::S(document));
        item.insert(
            "version".into(),
            AttributeValue::N(stored.version.to_string()),
        );
        if let Some(at) = stored.updated_at {
            item.insert("updatedAt".into(), AttributeValue::S(at.to_string()));
        }
        if let Some(by) = &stored.updated_by {
            item.insert("updatedBy".into(), AttributeValue::S(by.clone()));
        }
        self.put_versioned(item, previous).await
    }
}

impl ServiceLevels for DynamoStore {
    /// The stored policies, checked; kept by the process for `SLA_CACHE_SECONDS`. A document
    /// that no longer passes the rules (they tightened since it was written) freezes every
    /// ticket's clocks as they are until an admin writes it again, and says so in the log.
    async fn service_levels(&self) -> Result<Arc<SlaPolicies>, StoreError> {
        if let Some(policies) = self.sla_cache.fresh() {
            return Ok(policies);
        }
        let policies = match self.get_sla().await? {
            None => SlaPolicies::none(),
            Some(stored) => stored.document.check().unwrap_or_else(|_| {
                tracing::error!("the stored service-level policies break the rules: clocks frozen");
                SlaPolicies::frozen()
            }),
        };
        let policies = Arc::new(policies);
        self.sla_cache.keep(policies.clone());
        Ok(policies)
    }
}

impl ClockWatcher for DynamoStore {
    async fn clocks_due(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> Result<Vec<TicketSummary>, StoreError> {
        // `<time>#<id>` up to any id at `now`: `~` sorts after every character of an id.
        let due = self
            .due_items(
                SLA_NEXT_INDEX,
                &BY_SLA_NEXT,
                CLOCKS_AHEAD,
                IDX_SLA_NEXT_AT,
                &format!("{now}#~"),
                limit,
            )
            .await?;
        let ids: Vec<String> = due
            .iter()
            .filter_map(|item| string_attr(item, PK))
            .filter_map(|pk| pk.strip_prefix("TICKET#").map(str::to_owned))
            .collect();
        let mut tickets = Vec::with_capacity(ids.len());
        // The index is eventually consistent: the tickets are read as they are now.
        for chunk in ids.chunks(100) {
            tickets.extend(self.get_summaries(chunk).await?.into_iter().flatten());
        }
        tickets.retain(|ticket| !ticket.is_deleted());
        Ok(tickets)
    }
}
