//! Merging duplicate tickets: the sources are closed into a target of the same client, each
//! pointing at the other, all in one write (docs/API.md, Merging tickets).
//!
//! The sources keep their own messages and attachments, readable where they are: the target
//! lists them in `mergedFrom`, so every thread page stays one request on one ticket.

use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::error::DomainError;
use crate::idempotency::{fingerprint, replay, IdempotencyKey};
use crate::model::{
    is_valid_id, new_id, MessageType, Status, ThreadMessage, TicketSummary, Timestamp,
};
use crate::service::MAX_ATTEMPTS;
use crate::sla::SlaPolicies;
use crate::store::{CreateOutcome, IdempotencyStore, StoreError, TicketMerger, TicketReader};
use crate::validation::{Checker, Lines};

/// How many tickets one merge closes into its target. Each source takes two of the 100 items
/// of a DynamoDB transaction (ticket and message), the target two, and the counters at most one
/// per overall shard and one per assignee: 20 leave room for all of them.
pub const MERGE_SOURCES_MAX: usize = 20;

/// The longest comment a merge carries into the target's thread.
pub const MERGE_COMMENT_MAX: usize = 2_000;

/// The body of `POST /v2/support-tickets/{id}/merge`. Required fields are optional here so that
/// a missing one is a field error (422), not a parse error.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    pub sources: Option<Vec<String>>,
    pub comment: Option<String>,
}

/// A merge request that passed the field rules, for one target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergeOrder {
    target: String,
    sources: Vec<String>,
    comment: Option<String>,
}

/// One ticket's part in a merge: as read, as it is stored, and the `system` message it gets.
#[derive(Clone, Debug, PartialEq)]
pub struct MergedTicket {
    pub before: TicketSummary,
    pub after: TicketSummary,
    pub message: ThreadMessage,
}

/// Everything one merge writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Merge {
    pub target: MergedTicket,
    pub sources: Vec<MergedTicket>,
}

impl Merge {
    /// Every ticket the merge changes, the target first.
    pub fn tickets(&self) -> impl Iterator<Item = &MergedTicket> {
        std::iter::once(&self.target).chain(&self.sources)
    }
}

impl MergeRequest {
    /// The field rules, for a merge into `target` by `caller`: only staff merge (403); 1 to 20
    /// distinct ticket ids other than the target, and a comment of at most 2,000 characters
    /// (422, every problem at once).
    pub fn check(&self, target: &str, caller: &Caller) -> Result<MergeOrder, DomainError> {
        caller.ensure_staff("merge tickets")?;
        let mut check = Checker::default();
        let mut sources = Vec::new();
        match &self.sources {
            None => check.fail("sources", "is required"),
            Some(given) if given.is_empty() || given.len() > MERGE_SOURCES_MAX => check.fail(
                "sources",
                format!("must name 1 to {MERGE_SOURCES_MAX} tickets"),
            ),
            Some(given) => {
                for (index, id) in given.iter().enumerate() {
                    let field = format!("sources[{index}]");
                    if !is_valid_id(id) {
                        check.fail(&field, "is not a ticket id");
                    } else if id == target {
                        check.fail(
                            &field,
                            "is the ticket merged into: a ticket cannot merge into itself",
                        );
                    } else if sources.contains(id) {
                        check.fail(&field, "is named twice");
                    } else {
                        sources.push(id.clone());
                    }
                }
            }
        }
        let comment = self
            .comment
            .as_deref()
            .and_then(|comment| check.text("comment", comment, MERGE_COMMENT_MAX, Lines::Multi));
        check.finish()?;
        Ok(MergeOrder {
            target: target.to_owned(),
            sources,
            comment,
        })
    }
}

impl MergeOrder {
    pub fn sources(&self) -> &[String] {
        &self.sources
    }

    /// The merge of the tickets as read (`sources` in the order of `self.sources()`), or why
    /// it cannot be made: the target unknown to `caller` (404); a source unknown or deleted
    /// (422, by its position); the target deleted, closed or merged, a source closed or merged,
    /// or a source of another client (409).
    pub fn plan(
        &self,
        target: Option<TicketSummary>,
        sources: Vec<Option<TicketSummary>>,
        caller: &Caller,
        now: Timestamp,
        levels: &SlaPolicies,
    ) -> Result<Merge, DomainError> {
        let target = caller.visible(target)?;
        if target.is_deleted() {
            return Err(DomainError::Conflict(
                "the ticket is deleted: restore it before merging into it".into(),
            ));
        }
        if let Some(into) = &target.merged_into {
            return Err(DomainError::Conflict(format!(
                "the ticket was merged into {into}: merge into that one"
            )));
        }
        if target.status == Status::Closed {
            return Err(DomainError::Conflict(
                "the ticket is closed: merge into a ticket that is not".into(),
            ));
        }
        let mut check = Checker::default();
        let mut found = Vec::with_capacity(sources.len());
        for (index, source) in sources.into_iter().enumerate() {
            let field = format!("sources[{index}]");
            match source.filter(|source| caller.can_see(source)) {
                None => check.fail(&field, "no such ticket"),
                Some(source) if source.is_deleted() => check.fail(&field, "is deleted"),
                Some(source) => found.push(source),
            }
        }
        check.finish()?;
        for source in &found {
            if let Some(into) = &source.merged_into {
                return Err(DomainError::Conflict(format!(
                    "ticket {} was already merged into {into}",
                    source.id
                )));
            }
            if source.status == Status::Closed {
                return Err(DomainError::Conflict(format!(
                    "ticket {} is closed: a closed ticket is not merged",
                    source.id
                )));
            }
            if source.client != target.client {
                return Err(DomainError::Conflict(
                    "tickets of different clients cannot be merged: each would see the other's conversation".into(),
                ));
            }
        }

        let message = |text: String| ThreadMessage {
            id: new_id(),
            author: caller.id.clone(),
            message: text,
            timestamp: now,
            kind: MessageType::System,
            internal: false,
        };
        let mut sources = Vec::with_capacity(found.len());
        for before in found {
            let mut after = before.clone();
            after.transition(Status::Closed, now)?;
            after.merged_into = Some(target.id.clone());
            after.sla = levels.track(Some(&before), &after, None, now);
            sources.push(MergedTicket {
                after: after.revised(&caller.id, now),
                message: message(format!(
                    "Merged into ticket {}: the conversation continues there.",
                    target.id
                )),
                before,
            });
        }
        let mut after = target.clone();
        after.merged_from.extend(self.sources.iter().cloned());
        after.sla = levels.track(Some(&target), &after, None, now);
        let mut text = format!(
            "Merged {} into this ticket: {}.",
            if self.sources.len() == 1 {
                "a ticket"
            } else {
                "tickets"
            },
            self.sources.join(", ")
        );
        if let Some(comment) = &self.comment {
            text.push_str("\n\n");
            text.push_str(comment);
        }
        Ok(Merge {
            target: MergedTicket {
                after: after.revised(&caller.id, now),
                message: message(text),
                before: target,
            },
            sources,
        })
    }
}

/// What a merge answered.
#[derive(Debug)]
pub enum Merged {
    /// Merged now: the target as stored, and the answer kept for a retry under the key.
    Done {
        target: Box<TicketSummary>,
        answer: String,
    },
    /// A retry of a merge made before under the same key: its first answer; nothing changed.
    Replayed { answer: String },
}

/// Merges `request`'s sources into the ticket `target_id` for `caller`. Under `key`, the first
/// answer (`answer_for` the stored target) is kept with the merge, all or nothing; the same
/// request again gets it back and changes nothing, a different one under the key is refused
/// (422). A ticket changed between the reads and the write makes the merge start over.
pub async fn merge_tickets<S>(
    store: &S,
    caller: &Caller,
    target_id: &str,
    request: &MergeRequest,
    key: Option<IdempotencyKey>,
    answer_for: impl Fn(&TicketSummary) -> String,
) -> Result<Merged, DomainError>
where
    S: TicketReader + TicketMerger + IdempotencyStore,
{
    let order = request.check(target_id, caller)?;
    let fingerprint = fingerprint(caller, &format!("merge {target_id}"), request);
    // The first answer under the key, if an identical request made one: looked for first, and
    // again whenever the tickets read say the merge cannot be made or changed meanwhile (that
    // identical request may just have made it).
    let recalled = || async {
        let Some(key) = &key else { return Ok(None) };
        match store.recall(key.as_str(), Timestamp::now()).await? {
            Some(first) => replay(&first.fingerprint, &fingerprint, first.response)
                .map(|answer| Some(Merged::Replayed { answer })),
            None => Ok(None),
        }
    };
    if let Some(replayed) = recalled().await? {
        return Ok(replayed);
    }
    let levels = store.service_levels().await?;
    for _ in 0..MAX_ATTEMPTS {
        let target = store.get_summary(target_id).await?;
        let sources = store.get_summaries(order.sources()).await?;
        let now = Timestamp::now();
        let merge = match order.plan(target, sources, caller, now, &levels) {
            Ok(merge) => merge,
            Err(refused) => {
                return match recalled().await? {
                    Some(replayed) => Ok(replayed),
                    None => Err(refused),
                }
            }
        };
        let answer = answer_for(&merge.target.after);
        let record = key
            .as_ref()
            .map(|key| key.record(&fingerprint, &answer, now));
        match store.merge_tickets(&merge, record.as_ref()).await {
            Ok(CreateOutcome::Created) => {
                return Ok(Merged::Done {
                    target: Box::new(merge.target.after),
                    answer,
                })
            }
            Ok(CreateOutcome::Replayed {
                fingerprint: first,
                response,
            }) => {
                let answer = replay(&first, &fingerprint, response)?;
                return Ok(Merged::Replayed { answer });
            }
            Err(StoreError::VersionConflict) => {
                if let Some(replayed) = recalled().await? {
                    return Ok(replayed);
                }
            }
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::VersionConflict.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::testing::summary;

    fn agent() -> Caller {
        Caller::new("agent-1", Role::Agent)
    }

    fn request(sources: &[&str]) -> MergeRequest {
        MergeRequest {
            sources: Some(sources.iter().map(|s| s.to_string()).collect()),
            comment: Some("Same printer".into()),
        }
    }

    fn fields(err: DomainError) -> Vec<String> {
        match err {
            DomainError::Validation(details) => details.into_iter().map(|d| d.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn sources_are_1_to_20_distinct_ids_other_than_the_target() {
        let target = new_id();
        let (a, b) = (new_id(), new_id());
        let order = request(&[&a, &b]).check(&target, &agent()).unwrap();
        assert_eq!(order.sources(), [a.clone(), b.clone()]);

        let err = request(&[&a, "nope", &a, &target])
            .check(&target, &agent())
            .unwrap_err();
        assert_eq!(fields(err), ["sources[1]", "sources[2]", "sources[3]"]);
        assert_eq!(
            fields(request(&[]).check(&target, &agent()).unwrap_err()),
            ["sources"]
        );
        let many: Vec<String> = (0..=MERGE_SOURCES_MAX).map(|_| new_id()).collect();
        let many: Vec<&str> = many.iter().map(String::as_str).collect();
        assert_eq!(
            fields(request(&many).check(&target, &agent()).unwrap_err()),
            ["sources"]
        );
        let missing = MergeRequest {
            sources: None,
            comment: Some("x".repeat(MERGE_COMMENT_MAX + 1)),
        };
        assert_eq!(
            fields(missing.check(&target, &agent()).unwrap_err()),
            ["sources", "comment"]
        );
    }

    #[test]
    fn only_staff_merge() {
        let client = Caller::new("client-1", Role::Client);
        let err = request(&[&new_id()]).check(&new_id(), &client).unwrap_err();
        assert!(matches!(err, DomainError::Forbidden(_)));
    }

    #[test]
    fn a_merge_closes_the_sources_into_the_target_and_tells_both_threads() {
        let target = summary(Status::InProgress);
        let mut source = summary(Status::Resolved);
        source.assigned_to = Some("agent-2".into());
        let order = request(&[&source.id]).check(&target.id, &agent()).unwrap();
        let now = Timestamp::now();
        let merge = order
            .plan(
                Some(target.clone()),
                vec![Some(source.clone())],
                &agent(),
                now,
                &SlaPolicies::none(),
            )
            .unwrap();

        let merged = &merge.sources[0].after;
        assert_eq!(merged.status, Status::Closed);
        assert_eq!(merged.closed_at, Some(now));
        assert_eq!(merged.merged_into.as_deref(), Some(target.id.as_str()));
        assert_eq!(merged.version, source.version + 1);
        assert!(merge.sources[0].message.message.contains(&target.id));

        let into = &merge.target.after;
        assert_eq!(into.merged_from, [source.id.clone()]);
        assert_eq!(
            (into.status, into.version),
            (target.status, target.version + 1)
        );
        let text = &merge.target.message.message;
        assert!(text.contains(&source.id) && text.ends_with("Same printer"));
        for ticket in merge.tickets() {
            assert_eq!(ticket.message.kind, MessageType::System);
            assert!(!ticket.message.internal, "the client reads why");
        }
    }

    #[test]
    fn what_cannot_be_merged_is_refused_by_its_documented_error() {
        let agent = agent();
        let admin = Caller::new("root", Role::Admin);
        let target = summary(Status::Open);
        let plan = |target: &TicketSummary, source: Option<TicketSummary>, caller: &Caller| {
            let id = source.as_ref().map_or_else(new_id, |s| s.id.clone());
            request(&[&id]).check(&target.id, caller).unwrap().plan(
                Some(target.clone()),
                vec![source],
                caller,
                Timestamp::now(),
                &SlaPolicies::none(),
            )
        };
        let conflict = |result: Result<Merge, DomainError>| {
            assert!(
                matches!(result, Err(DomainError::Conflict(_))),
                "{result:?}"
            );
        };

        // An unknown source, and a deleted one (unknown to agents, named to admins).
        assert_eq!(
            fields(plan(&target, None, &agent).unwrap_err()),
            ["sources[0]"]
        );
        let mut deleted = summary(Status::Open);
        deleted.deleted_at = Some(Timestamp::now());
        assert_eq!(
            fields(plan(&target, Some(deleted.clone()), &agent).unwrap_err()),
            ["sources[0]"]
        );
        assert_eq!(
            fields(plan(&target, Some(deleted), &admin).unwrap_err()),
            ["sources[0]"]
        );
        // Another client's ticket, a closed one, a merged one.
        let mut stranger = summary(Status::Open);
        stranger.client = "client-2".into();
        conflict(plan(&target, Some(stranger), &agent));
        conflict(plan(&target, Some(summary(Status::Closed)), &agent));
        let mut merged = summary(Status::Closed);
        merged.merged_into = Some(new_id());
        conflict(plan(&target, Some(merged.clone()), &agent));
        // Into a closed, merged or deleted target; an unknown one is not found.
        conflict(plan(
            &summary(Status::Closed),
            Some(summary(Status::Open)),
            &agent,
        ));
        conflict(plan(&merged, Some(summary(Status::Open)), &agent));
        let mut gone = summary(Status::Open);
        gone.deleted_at = Some(Timestamp::now());
        conflict(plan(&gone, Some(summary(Status::Open)), &admin));
        assert!(matches!(
            plan(&gone, Some(summary(Status::Open)), &agent),
            Err(DomainError::NotFound)
        ));
    }
}
