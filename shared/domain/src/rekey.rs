//! One person, both ways (docs/DESIGN.md, E-mail, Contacts): someone who wrote to the desk
//! before they ever signed in is a person of their own (`mail:<id>`), whose tickets are theirs.
//! When they sign in with a token that verifies the same address, a data job moves that
//! person to the signed-in id, once: the address first (so that the next message they send
//! lands on the signed-in id), then their tickets, a batch per step (each ticket's client,
//! client index and per-client counters, the messages and files they wrote). It costs a job
//! once per such person and nothing per request.

use crate::access::Caller;
use crate::error::StoreError;
use crate::model::{Timestamp, MAIL_PRINCIPAL_PREFIX};
use crate::store::{ClientData, Contact, JobKind, JobQueue, JobStatus, RekeyJob, RekeyJobs};

/// How many tickets one step moves: a step is one invocation, well within its time limit.
pub const REKEY_STEP: u32 = 25;

/// A running job no step has marked for this long lost its chain of steps (its first step was
/// never queued, or a step's message went to the dead-letter queue): the person's next call
/// queues it again. Every step marks the job as it starts, and a step ends within the
/// function's time limit (300 s), so a job this quiet has no step running.
const STALLED_AFTER_MINUTES: i64 = 5;

/// The job that moves `mail:` person `from`: one per person.
pub fn rekey_job_id(from: &str) -> String {
    format!("rekey-{}", from.trim_start_matches(MAIL_PRINCIPAL_PREFIX))
}

/// Whether `caller`, whose verified address turned out to be `owner`'s, is that person signing
/// in: `owner` is a person the desk made for an address it received mail from, and the caller
/// a client (staff sign in as themselves; their mail posts as staff once their address is
/// theirs: docs/DESIGN.md).
pub fn signs_in_as(caller: &Caller, owner: &Contact) -> bool {
    owner.principal.starts_with(MAIL_PRINCIPAL_PREFIX)
        && !owner.staff
        && !caller.is_staff()
        && owner.principal != caller.id
}

/// What starting a move found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rekey {
    /// Queued now (a new job, or a stalled one again).
    Queued,
    /// Running: its steps are on their way.
    Running,
    /// Ended (done or failed): nothing to start.
    Ended,
}

/// Starts moving `from` to `to` (once: a second call finds the job and queues nothing, unless
/// it stalled).
pub async fn start_rekey<S, Q>(
    store: &S,
    queue: &Q,
    from: &str,
    to: &str,
    now: Timestamp,
) -> Result<Rekey, StoreError>
where
    S: RekeyJobs,
    Q: JobQueue,
{
    let job = RekeyJob {
        id: rekey_job_id(from),
        status: JobStatus::Running,
        from: Some(from.to_owned()),
        to: Some(to.to_owned()),
        created_at: now,
        updated_at: now,
        finished_at: None,
        tickets: 0,
    };
    let (stored, new) = store.request_rekey(&job).await?;
    let stalled = stored.updated_at.as_datetime()
        < now.as_datetime() - chrono::Duration::minutes(STALLED_AFTER_MINUTES);
    match stored.status {
        // A stalled job is queued again by the one call that marks it (a burst of the person's
        // calls queues one chain, not one each).
        JobStatus::Running
            if new
                || (stalled
                    && store
                        .claim_rekey(&stored.id, stored.updated_at, now)
                        .await?) =>
        {
            queue.next_step(&stored.id, JobKind::Rekey).await?;
            Ok(Rekey::Queued)
        }
        JobStatus::Running => Ok(Rekey::Running),
        _ => Ok(Rekey::Ended),
    }
}

/// What one step of a move did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RekeyStep {
    /// Moved a batch of tickets; the next step is queued.
    Continued,
    /// Moved the last of them and ended the job: how many tickets it moved in all.
    Finished(u64),
    /// Nothing to do: no such job, or it ended already (a redelivered step).
    Idle,
}

/// One step of move `id`: it marks the job (a step that finds it marked since it read it
/// leaves the work to the step that did: two chains become one), then moves the address
/// (every step: it is idempotent, and a message that created a ticket for `from` while the
/// address moved is found by the steps after it), then the next batch of `from`'s tickets;
/// with none left, the job ends. Run again after a crash at any point, a step finishes the
/// work and counts nothing twice.
pub async fn rekey_step<S, Q>(
    store: &S,
    queue: &Q,
    id: &str,
    now: Timestamp,
) -> Result<RekeyStep, StoreError>
where
    S: RekeyJobs + ClientData,
    Q: JobQueue,
{
    let Some(job) = store.rekey_job(id).await? else {
        return Ok(RekeyStep::Idle);
    };
    let (JobStatus::Running, Some(from), Some(to)) = (job.status, job.from, job.to) else {
        return Ok(RekeyStep::Idle);
    };
    if !store.claim_rekey(id, job.updated_at, now).await? {
        return Ok(RekeyStep::Idle);
    }
    store.move_contact(&from, &to).await?;
    let tickets = store.client_ticket_ids(&from, REKEY_STEP).await?;
    for ticket in &tickets {
        store.rekey_ticket(ticket, &from, &to, id).await?;
    }
    if tickets.len() >= REKEY_STEP as usize {
        queue.next_step(id, JobKind::Rekey).await?;
        return Ok(RekeyStep::Continued);
    }
    store.finish_rekey(id, &from, now).await?;
    let moved = store.rekey_job(id).await?.map_or(0, |job| job.tickets);
    Ok(RekeyStep::Finished(moved))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::store::ContactSource;

    fn person(principal: &str, staff: bool) -> Contact {
        Contact {
            principal: principal.into(),
            address: "erin@example.com".into(),
            source: ContactSource::Email,
            notifications: true,
            staff,
            created_at: Timestamp::EPOCH,
            former: Vec::new(),
        }
    }

    #[test]
    fn only_a_client_signing_in_with_a_mail_persons_address_is_moved() {
        let client = Caller::new("sub-1", Role::Client);
        let agent = Caller::new("sub-2", Role::Agent);
        assert!(signs_in_as(&client, &person("mail:01ABC", false)));
        assert!(
            !signs_in_as(&agent, &person("mail:01ABC", false)),
            "staff sign in as themselves"
        );
        assert!(
            !signs_in_as(&client, &person("sub-9", false)),
            "someone who signed in first keeps their address"
        );
        assert!(!signs_in_as(&client, &person("mail:01ABC", true)));
    }

    /// A store that holds one job already, as `request_rekey` finds it, and whose mark of
    /// the job is this call's or another's.
    struct Stored(RekeyJob, bool);

    impl RekeyJobs for Stored {
        async fn request_rekey(&self, _: &RekeyJob) -> Result<(RekeyJob, bool), StoreError> {
            Ok((self.0.clone(), false))
        }
        async fn rekey_job(&self, _: &str) -> Result<Option<RekeyJob>, StoreError> {
            unreachable!()
        }
        async fn claim_rekey(
            &self,
            _: &str,
            seen: Timestamp,
            _: Timestamp,
        ) -> Result<bool, StoreError> {
            assert_eq!(
                seen, self.0.updated_at,
                "the mark is conditional on the job as read"
            );
            Ok(self.1)
        }
        async fn move_contact(&self, _: &str, _: &str) -> Result<(), StoreError> {
            unreachable!()
        }
        async fn rekey_ticket(&self, _: &str, _: &str, _: &str, _: &str) -> Result<(), StoreError> {
            unreachable!()
        }
        async fn finish_rekey(&self, _: &str, _: &str, _: Timestamp) -> Result<(), StoreError> {
            unreachable!()
        }
    }

    #[tokio::test]
    async fn a_stored_job_is_queued_again_only_when_it_stalled() {
        let now: Timestamp = "2026-12-01T12:00:00Z".parse().unwrap();
        let job = |status: JobStatus, minutes_ago: i64| RekeyJob {
            id: rekey_job_id("mail:01ABC"),
            status,
            from: Some("mail:01ABC".into()),
            to: Some("sub-1".into()),
            created_at: Timestamp::EPOCH,
            updated_at: Timestamp::from(now.as_datetime() - chrono::Duration::minutes(minutes_ago)),
            finished_at: None,
            tickets: 0,
        };
        let stalled = STALLED_AFTER_MINUTES + 1;
        for (stored, marked, expected, queued) in [
            (job(JobStatus::Running, 1), true, Rekey::Running, 0),
            (job(JobStatus::Running, stalled), true, Rekey::Queued, 1),
            // Another call marked it first and queued it: this one queues nothing.
            (job(JobStatus::Running, stalled), false, Rekey::Running, 0),
            (job(JobStatus::Done, 60), true, Rekey::Ended, 0),
            (job(JobStatus::Failed, 60), true, Rekey::Ended, 0),
        ] {
            let queue = crate::doubles::MemoryQueue::default();
            let store = Stored(stored, marked);
            let started = start_rekey(&store, &queue, "mail:01ABC", "sub-1", now)
                .await
                .unwrap();
            assert_eq!(started, expected);
            assert_eq!(queue.0.lock().unwrap().len(), queued);
        }
    }

    #[test]
    fn a_persons_job_id_is_derived_from_them() {
        assert_eq!(rekey_job_id("mail:01ABC"), "rekey-01ABC");
        assert_eq!(
            rekey_job_id("mail:01ABC"),
            rekey_job_id("mail:01ABC"),
            "one job per person"
        );
    }
}
