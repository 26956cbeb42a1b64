//! Erasure jobs and a client's data as an erasure finds it. A job is one item (`JOB#<id>`,
//! `JOB`) holding its counts, updated by the transaction that removes each ticket; it holds
//! the client's id only while it runs.

use aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, Update};
use tickets_domain::store::{ClientData, ErasureJob, ErasureJobs, FailedJobs, JobStatus, Removed};
use tickets_domain::{StoreError, Timestamp};

use crate::counters::client_counter_pk;
use crate::error::{condition_held, internal, store_error};
use crate::exports::{is_export, KIND};
use crate::idempotency::caller_records_pk;
use crate::items::{
    from_item, key, string_attr, to_item, Item, BY_CLIENT, BY_RESOLVED, COUNTER_SK,
    DELETED_TICKETS, IDX_RESOLVED, PK, RESOLVED_INDEX,
};
use crate::DynamoStore;

pub(crate) const JOB_SK: &str = "JOB";

pub(crate) fn job_pk(id: &str) -> String {
    format!("JOB#{id}")
}

pub(crate) type Names = std::collections::HashMap<String, String>;
pub(crate) type Values = std::collections::HashMap<String, AttributeValue>;

/// `#<map>.#c0 :c0, ...`: the additions of `counts` to a job's map of counts named `map`.
pub(crate) fn counts_added<'a>(
    map: &str,
    counts: impl IntoIterator<Item = (&'a str, u64)>,
) -> (String, Names, Values) {
    let mut adds = Vec::new();
    let mut names = Names::from([(format!("#{map}"), map.to_owned())]);
    let mut values = Values::new();
    for (index, (name, count)) in counts.into_iter().enumerate() {
        adds.push(format!("#{map}.#c{index} :c{index}"));
        names.insert(format!("#c{index}"), name.to_owned());
        values.insert(format!(":c{index}"), AttributeValue::N(count.to_string()));
    }
    (adds.join(", "), names, values)
}

/// The additions of `removed` to an erasure's counts.
fn counts_expression(removed: &Removed) -> (String, Names, Values) {
    counts_added("removed", COUNTS.into_iter().zip(counts(removed)))
}

/// The names of `Removed`'s counts, as stored in the job's `removed` map.
const COUNTS: [&str; 9] = [
    "tickets",
    "messages",
    "attachments",
    "files",
    "historyEntries",
    "idempotencyRecords",
    "webhookDeliveries",
    "exports",
    "contacts",
];

fn counts(removed: &Removed) -> [u64; 9] {
    [
        removed.tickets,
        removed.messages,
        removed.attachments,
        removed.files,
        removed.history_entries,
        removed.idempotency_records,
        removed.webhook_deliveries,
        removed.exports,
        removed.contacts,
    ]
}

impl DynamoStore {
    /// The update that adds `removed` to job `id`'s counts (in the transaction that removes
    /// what it counts).
    pub(crate) fn job_counts_update(
        &self,
        id: &str,
        removed: &Removed,
    ) -> Result<Update, StoreError> {
        let (adds, names, values) = counts_expression(removed);
        Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(job_pk(id), JOB_SK)))
            .condition_expression("attribute_exists(pk)")
            .update_expression(format!("ADD {adds}"))
            .set_expression_attribute_names(Some(names))
            .set_expression_attribute_values(Some(values))
            .build()
            .map_err(internal)
    }

    /// Up to `limit` ids from one query of an index partition, filtered on the client.
    async fn ids_in(
        &self,
        index: &str,
        partition: (&str, String),
        client_filter: Option<&str>,
        limit: u32,
    ) -> Result<Vec<String>, StoreError> {
        let mut ids = Vec::new();
        let mut start = None;
        loop {
            let mut request = self
                .client
                .query()
                .table_name(&self.table)
                .index_name(index)
                .key_condition_expression("#part = :part")
                .expression_attribute_names("#part", partition.0)
                .expression_attribute_values(":part", AttributeValue::S(partition.1.clone()))
                .projection_expression("pk")
                .set_exclusive_start_key(start);
            if client_filter.is_none() {
                // Every item of the partition is one: read no more than asked for.
                request = request.limit(i32::try_from(limit).unwrap_or(i32::MAX));
            }
            if let Some(client) = client_filter {
                request = request
                    .filter_expression("#client = :client")
                    .expression_attribute_names("#client", "client")
                    .expression_attribute_values(":client", AttributeValue::S(client.to_owned()));
            }
            let output = request.send().await.map_err(store_error)?;
            ids.extend(
                output
                    .items
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|item| string_attr(item, PK))
                    .filter_map(|pk| pk.strip_prefix("TICKET#").map(str::to_owned)),
            );
            start = output.last_evaluated_key;
            if start.is_none() || ids.len() >= limit as usize {
                ids.truncate(limit as usize);
                return Ok(ids);
            }
        }
    }

    /// Deletes the webhook delivery-log entries whose payload names `client`; how many.
    async fn erase_client_deliveries(&self, client: &str) -> Result<u64, StoreError> {
        let needle = format!(
            "\"client\":{}",
            serde_json::to_string(client).map_err(internal)?
        );
        let subscriptions = self
            .partition_keys("WEBHOOKS")
            .await?
            .into_iter()
            .filter_map(|item| string_attr(&item, "sk"));
        let mut removed = 0;
        for sk in subscriptions {
            let mut start = None;
            loop {
                let output = self
                    .client
                    .query()
                    .table_name(&self.table)
                    .key_condition_expression("pk = :pk")
                    .filter_expression("contains(#data, :client)")
                    .expression_attribute_names("#data", "data")
                    .expression_attribute_values(":pk", AttributeValue::S(sk.clone()))
                    .expression_attribute_values(":client", AttributeValue::S(needle.clone()))
                    .projection_expression("pk, sk")
                    .set_exclusive_start_key(start)
                    .send()
                    .await
                    .map_err(store_error)?;
                let found: Vec<Item> = output.items.unwrap_or_default();
                removed += found.len() as u64;
                self.delete_keys(found).await?;
                start = output.last_evaluated_key;
                if start.is_none() {
                    break;
                }
            }
        }
        Ok(removed)
    }
}

/// `update` with the names and values of `names` and `values` added to its own.
pub(crate) fn with_attributes(
    update: UpdateItemFluentBuilder,
    names: Names,
    values: Values,
) -> UpdateItemFluentBuilder {
    let update = names.into_iter().fold(update, |update, (name, value)| {
        update.expression_attribute_names(name, value)
    });
    values.into_iter().fold(update, |update, (name, value)| {
        update.expression_attribute_values(name, value)
    })
}

impl DynamoStore {
    /// An update of job `id` at `at` on the condition that it runs (`#status = :running`, with
    /// `also` added to the condition): `expression` may use `#status` and `:at`.
    pub(crate) fn update_running_job(
        &self,
        id: &str,
        at: Timestamp,
        expression: &str,
        also: &str,
    ) -> UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(job_pk(id), JOB_SK)))
            .update_expression(expression)
            .condition_expression(format!("#status = :running{also}"))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(
                ":running",
                AttributeValue::S(JobStatus::Running.to_string()),
            )
            .expression_attribute_values(":at", AttributeValue::S(at.to_string()))
    }

    /// The update that ends running job `id` at `at` in `status` (`more` adds to the
    /// expression, e.g. ` REMOVE #client`); its condition fails when the job no longer runs.
    pub(crate) fn end_job(
        &self,
        id: &str,
        status: JobStatus,
        at: Timestamp,
        more: &str,
    ) -> UpdateItemFluentBuilder {
        self.update_running_job(
            id,
            at,
            &format!("SET #status = :ended, updatedAt = :at, finishedAt = :at{more}"),
            "",
        )
        .expression_attribute_values(":ended", AttributeValue::S(status.to_string()))
    }
}

impl FailedJobs for DynamoStore {
    async fn fail_job(&self, id: &str, at: Timestamp) -> Result<bool, StoreError> {
        let Some(item) = self.read_item(key(job_pk(id), JOB_SK)).await? else {
            return Ok(false);
        };
        // A failed erasure forgets its client as a done one does (the admin starts another);
        // a failed export keeps it, as its requester sees it.
        let forget = !is_export(&item);
        let mut update = self.end_job(
            id,
            JobStatus::Failed,
            at,
            if forget { " REMOVE #client" } else { "" },
        );
        if forget {
            update = update.expression_attribute_names("#client", "client");
        }
        condition_held(update.send().await)
    }
}

impl ErasureJobs for DynamoStore {
    async fn start_job(&self, job: &ErasureJob) -> Result<(), StoreError> {
        let mut item = to_item(job)?;
        item.extend(key(job_pk(&job.id), JOB_SK));
        if let Some(client) = &job.client {
            item.insert("client".into(), AttributeValue::S(client.clone()));
        }
        // The id is new (a ULID made for this job): an item found under it is this put's own,
        // sent again by the SDK after an answer was lost.
        self.put_new(item).await?;
        Ok(())
    }

    async fn job(&self, id: &str) -> Result<Option<ErasureJob>, StoreError> {
        let Some(mut item) = self.read_item(key(job_pk(id), JOB_SK)).await? else {
            return Ok(None);
        };
        if item.contains_key(KIND) {
            // An export's or a move's.
            return Ok(None);
        }
        let client = string_attr(&item, "client");
        item.remove("pk");
        item.remove("sk");
        let mut job: ErasureJob = from_item(item)?;
        job.client = client;
        Ok(Some(job))
    }

    async fn finish_job(
        &self,
        id: &str,
        removed: &Removed,
        at: Timestamp,
    ) -> Result<(), StoreError> {
        let (adds, names, values) = counts_expression(removed);
        let ended = self
            .end_job(
                id,
                JobStatus::Done,
                at,
                &format!(" REMOVE #client ADD {adds}"),
            )
            .expression_attribute_names("#client", "client");
        // Refused: ended already (a redelivered last step), nothing more to add.
        condition_held(with_attributes(ended, names, values).send().await).map(|_| ())
    }
}

impl ClientData for DynamoStore {
    async fn client_ticket_ids(&self, client: &str, limit: u32) -> Result<Vec<String>, StoreError> {
        let index = format!("{}-by-created", BY_CLIENT.name);
        let mut ids = self
            .ids_in(&index, (BY_CLIENT.key, client.to_owned()), None, limit)
            .await?;
        for partition in self.layout.partitions(&BY_RESOLVED, DELETED_TICKETS) {
            if ids.len() >= limit as usize {
                break;
            }
            let left = limit - ids.len() as u32;
            ids.extend(
                self.ids_in(
                    RESOLVED_INDEX,
                    (IDX_RESOLVED, partition),
                    Some(client),
                    left,
                )
                .await?,
            );
        }
        Ok(ids)
    }

    async fn erase_client_remains(&self, client: &str) -> Result<Removed, StoreError> {
        let records = self.partition_keys(&caller_records_pk(client)).await?;
        let idempotency_records = records.len() as u64;
        self.delete_keys(records).await?;
        self.client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(key(client_counter_pk(client), COUNTER_SK)))
            .return_values(ReturnValue::None)
            .send()
            .await
            .map_err(store_error)?;
        let webhook_deliveries = self.erase_client_deliveries(client).await?;
        let exports = self.erase_client_exports(client).await?;
        let contacts = self.erase_contact(client).await?;
        Ok(Removed {
            idempotency_records,
            webhook_deliveries,
            exports,
            contacts,
            ..Removed::default()
        })
    }
}
