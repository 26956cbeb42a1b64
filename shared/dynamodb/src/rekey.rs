//! Moving a person who wrote by e-mail first to the id they signed in with. The job is one
//! item (`JOB#<id>`, `JOB`, `kind: rekey`) beside the erasures and exports. A ticket moves in
//! two parts: the items of its partition that name the person (messages they wrote and every
//! message's copy of the ticket's client, files they added, the description's copy of the
//! client), each on the condition that it still names them, then the ticket item in one
//! transaction with its counters and the job's count, on the condition that it is still at
//! the version read. The ticket item goes last, so a crash in between leaves a ticket that is
//! still the person's, which the next attempt finds and finishes.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, TransactWriteItem, Update};
use tickets_domain::store::{Contact, ContactSource, ContactStore, JobStatus, RekeyJob, RekeyJobs};
use tickets_domain::{Guard, StoreError, TicketEdit, Timestamp};

use crate::contacts::{address_pk, person_pk, ADDRESS_SK, CONTACT_SK};
use crate::counters::client_counter_pk;
use crate::edit::edit_write;
use crate::error::{condition_held, internal};
use crate::exports::KIND;
use crate::items::{
    from_item, key, string_attr, ticket_pk, to_item, Item, ATTACHMENT_PREFIX, BODY_SK, COUNTER_SK,
    MESSAGE_PREFIX, PK, SK, TICKET_CLIENT,
};
use crate::jobs::{job_pk, JOB_SK};
use crate::{DynamoStore, TicketParts, Transaction};

const REKEY: &str = "rekey";
/// Attempts at moving a ticket item that keeps changing under the move.
const TICKET_ATTEMPTS: u32 = 5;

/// The attributes of a partition item that name a person, by the item's kind.
fn personal_attributes(sk: &str) -> &'static [&'static str] {
    if sk.starts_with(MESSAGE_PREFIX) {
        &[TICKET_CLIENT, "author"]
    } else if sk.starts_with(ATTACHMENT_PREFIX) {
        &["uploadedBy"]
    } else if sk == BODY_SK {
        &["client", "changedBy"]
    } else {
        &[]
    }
}

impl DynamoStore {
    /// Sets every attribute of `names` that holds `from` to `to`, on the condition that each
    /// still holds `from` (a message item changes under nobody else; if it did, whoever wrote
    /// it wrote the new value already).
    async fn retag(&self, item: &Item, names: Vec<&str>, to: &str) -> Result<(), StoreError> {
        let (Some(pk), Some(sk)) = (string_attr(item, PK), string_attr(item, SK)) else {
            return Err(internal("a partition item without its key"));
        };
        let mut request = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(pk, &sk)))
            .expression_attribute_values(":to", AttributeValue::S(to.to_owned()));
        let mut sets = Vec::new();
        let mut conditions = Vec::new();
        for (index, name) in names.iter().enumerate() {
            request = request.expression_attribute_names(format!("#a{index}"), *name);
            sets.push(format!("#a{index} = :to"));
            conditions.push(format!("#a{index} = :from{index}"));
            let from = item
                .get(*name)
                .cloned()
                .unwrap_or(AttributeValue::Null(true));
            request = request.expression_attribute_values(format!(":from{index}"), from);
        }
        let request = request
            .update_expression(format!("SET {}", sets.join(", ")))
            .condition_expression(conditions.join(" AND "));
        condition_held(request.send().await).map(|_| ())
    }
}

impl RekeyJobs for DynamoStore {
    async fn request_rekey(&self, job: &RekeyJob) -> Result<(RekeyJob, bool), StoreError> {
        let mut item = to_item(job)?;
        item.extend(key(job_pk(&job.id), JOB_SK));
        item.insert(KIND.into(), AttributeValue::S(REKEY.into()));
        if self.put_new(item).await? {
            return Ok((job.clone(), true));
        }
        let found = self
            .rekey_job(&job.id)
            .await?
            .ok_or(StoreError::Unavailable)?;
        // The job exactly as asked: this request's own put, whose answer was lost and which
        // the SDK sent again.
        let own = found == *job;
        Ok((found, own))
    }

    async fn rekey_job(&self, id: &str) -> Result<Option<RekeyJob>, StoreError> {
        let Some(mut item) = self.read_item(key(job_pk(id), JOB_SK)).await? else {
            return Ok(None);
        };
        if string_attr(&item, KIND).as_deref() != Some(REKEY) {
            return Ok(None);
        }
        for name in ["pk", "sk", KIND] {
            item.remove(name);
        }
        from_item(item).map(Some)
    }

    async fn claim_rekey(
        &self,
        id: &str,
        seen: Timestamp,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        condition_held(
            self.update_running_job(
                id,
                at,
                "SET updatedAt = :at",
                " AND (updatedAt = :seen OR updatedAt = :at)",
            )
            .expression_attribute_values(":seen", AttributeValue::S(seen.to_string()))
            .send()
            .await,
        )
    }

    async fn move_contact(&self, from: &str, to: &str) -> Result<(), StoreError> {
        let Some(person) = self.contact_of(from).await? else {
            // Moved already (or erased): nothing left to point elsewhere.
            return Ok(());
        };
        let address = address_pk(&person.address);
        let pointer = Update::builder()
            .table_name(&self.table)
            .set_key(Some(key(address.clone(), ADDRESS_SK)))
            .update_expression("SET principal = :to")
            .condition_expression("principal = :from")
            .expression_attribute_values(":to", AttributeValue::S(to.to_owned()))
            .expression_attribute_values(":from", AttributeValue::S(from.to_owned()))
            .build()
            .map_err(internal)?;
        let forget = Delete::builder()
            .table_name(&self.table)
            .set_key(Some(key(person_pk(from), CONTACT_SK)))
            .build()
            .map_err(internal)?;
        // The signed-in id's own contact, made from the person's (their choice kept), unless
        // it has an address of its own already, which it keeps (a person keeps its first).
        let own = match self.contact_of(to).await? {
            None => {
                let contact = Contact {
                    principal: to.to_owned(),
                    source: ContactSource::Email,
                    staff: false,
                    former: vec![from.to_owned()],
                    ..person
                };
                let mut item = to_item(&contact)?;
                item.extend(key(person_pk(to), CONTACT_SK));
                TransactWriteItem::builder()
                    .put(self.put(item, "attribute_not_exists(pk)")?)
                    .build()
            }
            Some(_) => TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(key(person_pk(to), CONTACT_SK)))
                        .update_expression(
                            "SET former = list_append(if_not_exists(former, :none), :from)",
                        )
                        .condition_expression("attribute_exists(pk)")
                        .expression_attribute_values(":none", AttributeValue::L(Vec::new()))
                        .expression_attribute_values(
                            ":from",
                            AttributeValue::L(vec![AttributeValue::S(from.to_owned())]),
                        )
                        .build()
                        .map_err(internal)?,
                )
                .build(),
        };
        let writes = vec![
            TransactWriteItem::builder().update(pointer).build(),
            TransactWriteItem::builder().delete(forget).build(),
            own,
        ];
        match self.transact(writes).await? {
            Transaction::Committed => Ok(()),
            // The address is no longer the person's (moved by an attempt whose answer was
            // lost, or erased): settled, unless the person is still there to move.
            Transaction::ConditionFailed(_) => match self.contact_of(from).await? {
                None => Ok(()),
                Some(_) => Err(StoreError::VersionConflict),
            },
        }
    }

    async fn rekey_ticket(
        &self,
        ticket_id: &str,
        from: &str,
        to: &str,
        job: &str,
    ) -> Result<(), StoreError> {
        for _ in 0..TICKET_ATTEMPTS {
            let mut ticket = TicketParts::default();
            let mut others = Vec::new();
            for item in self.partition_items(&ticket_pk(ticket_id), None).await? {
                // The description item's copy of the client is retagged with the others.
                if string_attr(&item, SK).as_deref() == Some(BODY_SK) {
                    others.push(item.clone());
                }
                if !ticket.add(item.clone())? {
                    others.push(item);
                }
            }
            let Some(before) = ticket.summary() else {
                return Ok(());
            };
            if before.client != from {
                return Ok(());
            }
            for item in &others {
                let sk = string_attr(item, SK).unwrap_or_default();
                let names: Vec<&str> = personal_attributes(&sk)
                    .iter()
                    .copied()
                    .filter(|name| string_attr(item, name).as_deref() == Some(from))
                    .collect();
                if !names.is_empty() {
                    self.retag(item, names, to).await?;
                }
            }

            let mut after = before.clone();
            after.client = to.to_owned();
            if after.changed_by.as_deref() == Some(from) {
                after.changed_by = Some(to.to_owned());
            }
            after.version += 1;
            let edit = TicketEdit {
                before: before.clone(),
                after: after.clone(),
                guards: vec![Guard::Version(before.version)],
            };
            let mut writes = vec![edit_write(&self.table, &self.layout, &edit)?];
            writes.extend(self.counter_updates(Some(&before), &after)?);
            let count = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(job_pk(job), JOB_SK)))
                .update_expression("ADD tickets :one")
                .condition_expression("attribute_exists(pk)")
                .expression_attribute_values(":one", AttributeValue::N("1".into()))
                .build()
                .map_err(internal)?;
            writes.push(TransactWriteItem::builder().update(count).build());
            if let Transaction::Committed = self.transact(writes).await? {
                return Ok(());
            }
            // Changed meanwhile (or moved by an attempt whose answer was lost): read again.
        }
        Err(StoreError::VersionConflict)
    }

    async fn finish_rekey(&self, id: &str, from: &str, at: Timestamp) -> Result<(), StoreError> {
        condition_held(
            self.end_job(id, JobStatus::Done, at, " REMOVE #from, #to")
                .expression_attribute_names("#from", "from")
                .expression_attribute_names("#to", "to")
                .send()
                .await,
        )?;
        // Ended already (a redelivered last step) or now: the person's counter item goes if
        // every count in it is zero still (a ticket opened for them meanwhile keeps it).
        let counter = key(client_counter_pk(from), COUNTER_SK);
        let Some(item) = self.read_item(counter.clone()).await? else {
            return Ok(());
        };
        let counts: Vec<&String> = item
            .iter()
            .filter(|(_, value)| matches!(value, AttributeValue::N(_)))
            .map(|(name, _)| name)
            .collect();
        if item
            .values()
            .any(|value| matches!(value, AttributeValue::N(n) if n != "0"))
        {
            return Ok(());
        }
        let mut request = self
            .client
            .delete_item()
            .table_name(&self.table)
            .set_key(Some(counter));
        let mut conditions = vec!["attribute_exists(pk)".to_owned()];
        for (index, name) in counts.into_iter().enumerate() {
            request = request.expression_attribute_names(format!("#c{index}"), name);
            conditions.push(format!("#c{index} = :zero"));
        }
        if conditions.len() > 1 {
            request = request.expression_attribute_values(":zero", AttributeValue::N("0".into()));
        }
        condition_held(
            request
                .condition_expression(conditions.join(" AND "))
                .send()
                .await,
        )
        .map(|_| ())
    }
}
