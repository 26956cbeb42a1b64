//! Changing many tickets at once: one `PATCH` applied to each ticket on its own, under the same
//! rules and optimistic concurrency as a single change, with an answer per ticket
//! (docs/API.md, Changing tickets in bulk).

use futures_util::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::error::DomainError;
use crate::idempotency::{fingerprint, replay, IdempotencyKey};
use crate::model::{is_valid_id, TicketSummary, Timestamp};
use crate::service::modify_summary;
use crate::store::{IdempotencyStore, TicketReader, TicketWriter};
use crate::update::TicketPatch;

/// How many tickets one request changes at most: a read and a write each, within the
/// function's timeout, and an answer that stays small.
pub const BULK_IDS_MAX: usize = 100;

/// How many tickets are changed at the same time. The changes of one client's tickets meet on
/// its counter item; more at once would mostly collide and retry.
pub const BULK_PARALLELISM: usize = 8;

/// One ticket of a bulk change: its id, or its id with the version it must still be at (the
/// `If-Match` of a single change).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum BulkTarget {
    Id(String),
    Versioned(VersionedId),
}

/// `{"_id": ..., "version": ...}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct VersionedId {
    #[serde(rename = "_id")]
    pub id: String,
    pub version: u64,
}

impl BulkTarget {
    fn parts(&self) -> (&str, Option<u64>) {
        match self {
            BulkTarget::Id(id) => (id, None),
            BulkTarget::Versioned(VersionedId { id, version }) => (id, Some(*version)),
        }
    }
}

/// The body of `PATCH /v2/support-tickets`. Required fields are optional here so that a missing
/// one is a field error (422), not a parse error.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BulkPatch {
    pub ids: Option<Vec<BulkTarget>>,
    pub changes: Option<TicketPatch>,
}

/// A bulk change that passed the request's rules.
#[derive(Clone, Debug)]
pub struct BulkOrder {
    targets: Vec<(String, Option<u64>)>,
    changes: TicketPatch,
}

impl BulkPatch {
    /// Only staff change tickets in bulk (403); 1 to 100 distinct ticket ids and the changes
    /// (422, every problem at once). The changes' own rules are each ticket's.
    pub fn check(&self, caller: &Caller) -> Result<BulkOrder, DomainError> {
        caller.ensure_staff("change tickets in bulk")?;
        let mut errors = Vec::new();
        let mut fail = |field: String, message: String| {
            errors.push(crate::error::FieldError::new(field, message))
        };
        let mut targets: Vec<(String, Option<u64>)> = Vec::new();
        match &self.ids {
            None => fail("ids".into(), "is required".into()),
            Some(ids) if ids.is_empty() || ids.len() > BULK_IDS_MAX => fail(
                "ids".into(),
                format!("must name 1 to {BULK_IDS_MAX} tickets"),
            ),
            Some(ids) => {
                for (index, target) in ids.iter().enumerate() {
                    let (id, version) = target.parts();
                    if !is_valid_id(id) {
                        fail(format!("ids[{index}]"), "is not a ticket id".into());
                    } else if targets.iter().any(|(seen, _)| seen == id) {
                        fail(format!("ids[{index}]"), "is named twice".into());
                    } else {
                        targets.push((id.to_owned(), version));
                    }
                }
            }
        }
        if self.changes.is_none() {
            fail("changes".into(), "is required".into());
        }
        match (errors.is_empty(), &self.changes) {
            (true, Some(changes)) => Ok(BulkOrder {
                targets,
                changes: changes.clone(),
            }),
            _ => Err(DomainError::Validation(errors)),
        }
    }
}

/// What became of one ticket of a bulk change: the ticket as it now is, or why it was not
/// changed (as a single change of it would have answered).
#[derive(Debug)]
pub struct BulkResult {
    pub id: String,
    pub outcome: Result<TicketSummary, DomainError>,
}

impl BulkOrder {
    /// Applies the changes to every ticket, `BULK_PARALLELISM` at a time, each exactly like a
    /// single `PATCH` (re-read and re-applied when another writer got there first, 412 for a
    /// stale version). The results in the order of the request.
    pub async fn apply<S>(&self, store: &S, caller: &Caller) -> Vec<BulkResult>
    where
        S: TicketReader + TicketWriter,
    {
        let changes = &self.changes;
        // Owned items: a stream over borrowed ones makes its futures' lifetimes higher-ranked,
        // which a `Send` handler future cannot prove.
        stream::iter(self.targets.clone())
            .map(|(id, version)| async move {
                let outcome = modify_summary(store, &id, caller, version, |ticket, now| {
                    changes.apply(ticket, caller, now)
                })
                .await;
                BulkResult { id, outcome }
            })
            .buffered(BULK_PARALLELISM)
            .collect()
            .await
    }
}

/// Changes the tickets of `request` for `caller` and answers `answer_for` their results. Under
/// `key`, the answer is remembered: the same request again gets it back and changes nothing
/// more, a different one under the key is refused (422). An answer in which storage failed for
/// some ticket is not remembered, so that a retry under the key finishes the work. (Two
/// identical requests at the same moment may both apply the changes; a change sets values, so
/// the tickets end the same.)
pub async fn bulk_update<S>(
    store: &S,
    caller: &Caller,
    request: &BulkPatch,
    key: Option<IdempotencyKey>,
    answer_for: impl FnOnce(Vec<BulkResult>) -> String,
) -> Result<String, DomainError>
where
    S: TicketReader + TicketWriter + IdempotencyStore,
{
    let order = request.check(caller)?;
    let fingerprint = fingerprint(caller, "bulk update", request);
    if let Some(key) = &key {
        if let Some(first) = store.recall(key.as_str(), Timestamp::now()).await? {
            return replay(&first.fingerprint, &fingerprint, first.response);
        }
    }
    let results = order.apply(store, caller).await;
    let unfinished = results
        .iter()
        .any(|result| matches!(result.outcome, Err(DomainError::Store(_))));
    let answer = answer_for(results);
    if let Some(key) = key.filter(|_| !unfinished) {
        let record = key.record(&fingerprint, &answer, Timestamp::now());
        if let Some(first) = store.remember(&record).await? {
            // An identical request finished first: its answer stands for both.
            return replay(&first.fingerprint, &fingerprint, first.response);
        }
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::model::new_id;

    fn body(json: serde_json::Value) -> BulkPatch {
        serde_json::from_value(json).unwrap()
    }

    fn fields(err: DomainError) -> Vec<String> {
        match err {
            DomainError::Validation(details) => details.into_iter().map(|d| d.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn ids_are_plain_or_versioned() {
        let (a, b) = (new_id(), new_id());
        let request = body(serde_json::json!({
            "ids": [a, {"_id": b, "version": 4}],
            "changes": {"priority": "high"}
        }));
        let order = request.check(&Caller::new("agent-1", Role::Agent)).unwrap();
        assert_eq!(order.targets, [(a, None), (b, Some(4))]);
        assert!(serde_json::from_value::<BulkPatch>(serde_json::json!({
            "ids": [{"_id": new_id(), "version": 1, "extra": true}],
            "changes": {}
        }))
        .is_err());
    }

    #[test]
    fn the_request_names_1_to_100_distinct_ids_and_the_changes() {
        let agent = Caller::new("agent-1", Role::Agent);
        let id = new_id();
        let err = body(serde_json::json!({"ids": [id, "x", id]}))
            .check(&agent)
            .unwrap_err();
        assert_eq!(fields(err), ["ids[1]", "ids[2]", "changes"]);
        let too_many: Vec<String> = (0..=BULK_IDS_MAX).map(|_| new_id()).collect();
        let err = body(serde_json::json!({"ids": too_many, "changes": {"tags": []}}))
            .check(&agent)
            .unwrap_err();
        assert_eq!(fields(err), ["ids"]);
        let err = body(serde_json::json!({"ids": [], "changes": {"tags": []}}))
            .check(&agent)
            .unwrap_err();
        assert_eq!(fields(err), ["ids"]);
    }

    #[test]
    fn only_staff_change_tickets_in_bulk() {
        let request = body(serde_json::json!({"ids": [new_id()], "changes": {"title": "x"}}));
        let err = request
            .check(&Caller::new("client-1", Role::Client))
            .unwrap_err();
        assert!(matches!(err, DomainError::Forbidden(_)));
    }
}
