//! Export jobs, and the pages of a client's tickets they read. A job is one item (`JOB#<id>`,
//! `JOB`, `kind: export`) beside the erasures; its progress is a map the steps replace, each on
//! the condition that the job still stands at the step it read. A note in the client's own
//! partition (`EXPORTS#<client>`, `JOB#<id>`) lets erasing the client find its exports.

use std::collections::BTreeMap;

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem};
use serde::{Deserialize, Serialize};
use tickets_domain::store::{ExportJob, ExportJobs, ExportProgress, Exported, IdPage, JobStatus};
use tickets_domain::{StoreError, Timestamp};

use crate::cursor;
use crate::error::{condition_held, internal, store_error};
use crate::items::{
    from_item, key, string_attr, to_item, Item, BY_CLIENT, BY_RESOLVED, DELETED_TICKETS,
    IDX_RESOLVED, PK, RESOLVED_INDEX, SORT_CREATED,
};
use crate::jobs::{counts_added, job_pk, with_attributes, Names, Values, JOB_SK};
use crate::{DynamoStore, Transaction};

/// The attribute that names a job item's kind (an erasure's has none, as the first jobs did).
pub(crate) const KIND: &str = "kind";
const EXPORT: &str = "export";
const PROGRESS: &str = "progress";
/// The most queries one page of a client's tickets sends.
const QUERIES_PER_PAGE: u32 = 20;

pub(crate) fn exports_pk(client: &str) -> String {
    format!("EXPORTS#{client}")
}

/// Whether a job item is an export's.
pub(crate) fn is_export(item: &Item) -> bool {
    string_attr(item, KIND).as_deref() == Some(EXPORT)
}

/// Where a page of a client's tickets resumes: which source (0: the client's list index; then
/// each shard of the deleted tickets), and the key to start after there.
#[derive(Debug, Serialize, Deserialize)]
struct Position {
    source: u32,
    after: Option<BTreeMap<String, String>>,
}

impl Position {
    fn encode(&self) -> Result<String, StoreError> {
        Ok(cursor::encode(
            &serde_json::to_string(self).map_err(internal)?,
        ))
    }

    fn decode(text: &str) -> Result<Position, StoreError> {
        let json = cursor::decode(text, |json| serde_json::from_str::<Position>(json).is_ok())?;
        serde_json::from_str(&json).map_err(internal)
    }

    /// The key to start after, as the query takes it.
    fn start_key(&self) -> Option<Item> {
        self.after.as_ref().map(|after| {
            after
                .iter()
                .map(|(name, value)| (name.clone(), AttributeValue::S(value.clone())))
                .collect()
        })
    }
}

/// The key attributes of an item read from an index: where a page after it starts.
fn key_of(item: &Item, names: &[&str]) -> BTreeMap<String, String> {
    names
        .iter()
        .filter_map(|name| string_attr(item, name).map(|value| ((*name).to_owned(), value)))
        .collect()
}

/// The `ADD` of `exported` to an export's counts.
fn counts_update(exported: &Exported) -> (String, Names, Values) {
    counts_added(
        "exported",
        [
            ("tickets", exported.tickets),
            ("messages", exported.messages),
            ("attachments", exported.attachments),
            ("historyEntries", exported.history_entries),
            ("fileBytes", exported.file_bytes),
        ],
    )
}

impl DynamoStore {
    /// One query of a page source: up to `limit` ids (after `position`), each with the
    /// position after it, and the position after what the query read (`None`: the source is
    /// read to its end).
    async fn read_source(
        &self,
        client: &str,
        position: &Position,
        limit: u32,
    ) -> Result<(Vec<(String, String)>, Option<Position>), StoreError> {
        let source = position.source;
        let (index, partition_name, partition, names): (String, &str, String, [&str; 4]) =
            if source == 0 {
                (
                    format!("{}-by-{}", BY_CLIENT.name, SORT_CREATED.0),
                    BY_CLIENT.key,
                    client.to_owned(),
                    ["pk", "sk", BY_CLIENT.key, SORT_CREATED.1],
                )
            } else {
                let shards = self.layout.partitions(&BY_RESOLVED, DELETED_TICKETS);
                let partition = shards
                    .get(source as usize - 1)
                    .cloned()
                    .ok_or(StoreError::InvalidCursor)?;
                (
                    RESOLVED_INDEX.to_owned(),
                    IDX_RESOLVED,
                    partition,
                    ["pk", "sk", IDX_RESOLVED, crate::items::IDX_RESOLVED_AT],
                )
            };
        let mut request = self
            .client
            .query()
            .table_name(&self.table)
            .index_name(index)
            .key_condition_expression("#part = :part")
            .expression_attribute_names("#part", partition_name)
            .expression_attribute_values(":part", AttributeValue::S(partition))
            .set_exclusive_start_key(position.start_key())
            .limit(i32::try_from(limit).unwrap_or(i32::MAX));
        if source > 0 {
            // The deleted tickets of everyone, sorted by the time of the delete: the client's
            // are picked out (a query reads at most `limit`, matching or not).
            request = request
                .filter_expression("#client = :client")
                .expression_attribute_names("#client", "client")
                .expression_attribute_values(":client", AttributeValue::S(client.to_owned()));
        }
        let output = request.send().await.map_err(store_error)?;
        let mut ids = Vec::new();
        for item in output.items.unwrap_or_default() {
            let Some(id) =
                string_attr(&item, PK).and_then(|pk| pk.strip_prefix("TICKET#").map(str::to_owned))
            else {
                continue;
            };
            let after = Position {
                source,
                after: Some(key_of(&item, &names)),
            };
            ids.push((id, after.encode()?));
        }
        let next = output.last_evaluated_key.map(|last| Position {
            source,
            after: Some(
                last.iter()
                    .filter_map(|(name, value)| match value {
                        AttributeValue::S(value) => Some((name.clone(), value.clone())),
                        _ => None,
                    })
                    .collect(),
            ),
        });
        Ok((ids, next))
    }
}

impl DynamoStore {
    /// Deletes the client's export jobs and the notes that list them; how many. (Their
    /// archives are the erasure's to delete from the bucket.)
    pub(crate) async fn erase_client_exports(&self, client: &str) -> Result<u64, StoreError> {
        let notes = self.partition_items(&exports_pk(client), None).await?;
        let mut keys = Vec::new();
        for note in &notes {
            if let Some(id) = string_attr(note, "job") {
                keys.push(key(job_pk(&id), JOB_SK));
            }
            if let Some(sk) = string_attr(note, "sk") {
                keys.push(key(exports_pk(client), &sk));
            }
        }
        let count = notes.len() as u64;
        self.delete_keys(keys).await?;
        Ok(count)
    }
}

impl ExportJobs for DynamoStore {
    async fn start_export(&self, job: &ExportJob) -> Result<(), StoreError> {
        let mut item = to_item(job)?;
        item.extend(key(job_pk(&job.id), JOB_SK));
        item.insert(KIND.into(), AttributeValue::S(EXPORT.into()));
        item.insert(
            PROGRESS.into(),
            serde_dynamo::to_attribute_value(&job.progress).map_err(internal)?,
        );
        let mut note = key(exports_pk(&job.client), &format!("JOB#{}", job.id));
        note.insert("job".into(), AttributeValue::S(job.id.clone()));
        let put = |item: Item| -> Result<TransactWriteItem, StoreError> {
            Ok(TransactWriteItem::builder()
                .put(self.put(item, "attribute_not_exists(pk)")?)
                .build())
        };
        match self.transact(vec![put(item)?, put(note)?]).await? {
            Transaction::Committed => Ok(()),
            // Stored by a first try whose answer was lost (the SDK sent it again).
            Transaction::ConditionFailed(_)
                if self.export(&job.id).await?.is_some_and(|stored| {
                    stored.requested_by == job.requested_by && stored.created_at == job.created_at
                }) =>
            {
                Ok(())
            }
            Transaction::ConditionFailed(_) => Err(StoreError::Internal(
                "an export job id was used twice".into(),
            )),
        }
    }

    async fn export(&self, id: &str) -> Result<Option<ExportJob>, StoreError> {
        let Some(mut item) = self.read_item(key(job_pk(id), JOB_SK)).await? else {
            return Ok(None);
        };
        if !is_export(&item) {
            return Ok(None);
        }
        let progress = item
            .remove(PROGRESS)
            .map(serde_dynamo::from_attribute_value::<_, ExportProgress>)
            .transpose()
            .map_err(internal)?
            .unwrap_or_default();
        for name in ["pk", "sk", KIND] {
            item.remove(name);
        }
        let mut job: ExportJob = from_item(item)?;
        job.progress = progress;
        Ok(Some(job))
    }

    async fn save_export_step(
        &self,
        id: &str,
        step: u32,
        progress: &ExportProgress,
        exported: &Exported,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let (adds, names, values) = counts_update(exported);
        let update = self
            .update_running_job(
                id,
                at,
                &format!("SET #progress = :progress, updatedAt = :at ADD {adds}"),
                " AND #progress.#step = :step",
            )
            .expression_attribute_names("#progress", PROGRESS)
            .expression_attribute_names("#step", "step")
            .expression_attribute_values(
                ":progress",
                serde_dynamo::to_attribute_value(progress).map_err(internal)?,
            )
            .expression_attribute_values(":step", AttributeValue::N(step.to_string()));
        condition_held(with_attributes(update, names, values).send().await)
    }

    async fn finish_export(&self, id: &str, at: Timestamp) -> Result<bool, StoreError> {
        condition_held(self.end_job(id, JobStatus::Done, at, "").send().await)
    }

    async fn client_tickets(
        &self,
        client: &str,
        include_deleted: bool,
        start: Option<&str>,
        limit: u32,
    ) -> Result<IdPage, StoreError> {
        let sources = if include_deleted {
            1 + self.layout.partitions(&BY_RESOLVED, DELETED_TICKETS).len() as u32
        } else {
            1
        };
        let mut position = match start {
            Some(text) => Position::decode(text)?,
            None => Position {
                source: 0,
                after: None,
            },
        };
        let mut page = IdPage::default();
        // The deleted tickets' partitions are everyone's, filtered on the client: a page reads
        // on through them (at most `QUERIES_PER_PAGE` queries), so that an admin's export does
        // not take a step per few tickets of the desk's trash.
        let mut queries = 0;
        while position.source < sources
            && page.ids.len() < limit as usize
            && queries < QUERIES_PER_PAGE
        {
            let left = limit - page.ids.len() as u32;
            let (ids, next) = self.read_source(client, &position, left).await?;
            queries += 1;
            page.ids.extend(ids);
            position = next.unwrap_or(Position {
                source: position.source + 1,
                after: None,
            });
        }
        page.next = if position.source < sources {
            Some(position.encode()?)
        } else {
            None
        };
        Ok(page)
    }
}
