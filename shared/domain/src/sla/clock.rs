//! A ticket's service-level clocks: the folded state it stores (so that a change never reads the
//! history), worked forward by every change and by the passing of time.
//!
//! - `firstResponse` runs from creation to the first public agent message.
//! - `nextResponse` runs from a client message that waits for an answer (after the first
//!   response) to the next public agent message.
//! - `resolution` runs from creation to `resolved`, paused while `pending`, and runs on after a
//!   reopen with the time it had already counted.
//!
//! A clock that stops (answered, resolved) is `met` or `breached` for good; one that runs is
//! `active`, `at_risk` once its warning time has passed, or `breached` once its due time has.
//! Resolving or closing a ticket also stops the response clocks that still run (it needs no
//! answer any more).

use chrono::Duration;
use serde::{Deserialize, Serialize};

use crate::model::{Status, TicketSummary, Timestamp};

use super::policy::SlaPolicies;
use super::schedule::Hours;

crate::model::wire_enum!(
    /// Where a clock stands.
    ClockStatus {
        Active => "active",
        AtRisk => "at_risk",
        Paused => "paused",
        Met => "met",
        Breached => "breached",
    }
);

crate::model::wire_enum!(
    /// The three targets a ticket is measured against.
    TargetKind {
        FirstResponse => "firstResponse",
        NextResponse => "nextResponse",
        Resolution => "resolution",
    }
);

/// One clock of a ticket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Clock {
    pub status: ClockStatus,
    /// When the target falls (or fell) due; absent while paused.
    pub due_at: Option<Timestamp>,
    /// When the clock passed its due time (it stays breached from then on, through pauses,
    /// reopens and policy changes).
    pub breached_at: Option<Timestamp>,
    /// When the warning falls (the policies' share of the target); absent while paused.
    pub warn_at: Option<Timestamp>,
    /// When the clock passed its warning time (announced once, like the breach).
    #[serde(default)]
    pub warned_at: Option<Timestamp>,
    /// When the current run began; absent while paused or stopped.
    pub running_since: Option<Timestamp>,
    /// Time counted before `running_since`, in seconds (what a pause keeps).
    pub counted_seconds: i64,
}

/// A ticket's clocks and the policy they are measured by.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sla {
    pub policy: String,
    pub first_response: Option<Clock>,
    pub next_response: Option<Clock>,
    pub resolution: Option<Clock>,
}

/// A thread message, as far as the clocks care.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Message {
    /// A public message of the ticket's client, written at that time.
    FromClient(Timestamp),
    /// A public message of an agent (or admin): an answer.
    Answer(Timestamp),
}

/// What a clock has passed, kept from one change to the next: its warning and its breach are
/// announced once each, whatever pauses, reopens or policy changes come after.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Marks {
    warned_at: Option<Timestamp>,
    breached_at: Option<Timestamp>,
}

impl Marks {
    fn of(clock: Option<&Clock>) -> Marks {
        clock.map_or_else(Marks::default, |clock| Marks {
            warned_at: clock.warned_at,
            breached_at: clock.breached_at,
        })
    }
}

impl Clock {
    /// A clock running since `start` with `counted` already behind it, for `target` minutes,
    /// with what it passed before; its status is for [`Clock::at`] to say.
    fn running(
        hours: Hours<'_>,
        start: Timestamp,
        counted: Duration,
        target: u32,
        warn_percent: u8,
        marks: Marks,
    ) -> Clock {
        let target = Duration::minutes(i64::from(target));
        let warn = target * i32::from(warn_percent) / 100;
        Clock {
            status: ClockStatus::Active,
            due_at: Some(hours.add(start, target - counted)),
            breached_at: marks.breached_at,
            warn_at: Some(hours.add(start, warn - counted)),
            warned_at: marks.warned_at,
            running_since: Some(start),
            counted_seconds: counted.num_seconds(),
        }
    }

    /// The clock stopped at `at`: met when that was before its due time and it never breached;
    /// a warning time it passed on the way is marked too.
    fn stopped(mut self, hours: Hours<'_>, at: Timestamp) -> Clock {
        self.mark(at);
        if let Some(since) = self.running_since.take() {
            self.counted_seconds += hours.between(since, at).num_seconds();
        }
        self.status = if self.breached_at.is_some() {
            ClockStatus::Breached
        } else {
            ClockStatus::Met
        };
        self
    }

    /// The clock paused at `at`: what it counted is kept, its due time waits.
    fn paused(mut self, hours: Hours<'_>, at: Timestamp) -> Clock {
        self.mark(at);
        if let Some(since) = self.running_since.take() {
            self.counted_seconds += hours.between(since, at).num_seconds();
        }
        self.status = if self.breached_at.is_some() {
            ClockStatus::Breached
        } else {
            ClockStatus::Paused
        };
        self.due_at = None;
        self.warn_at = None;
        self
    }

    /// Marks the warning and the due time a running clock has passed by `now`.
    fn mark(&mut self, now: Timestamp) {
        if !self.is_running() {
            return;
        }
        if let Some(due) = self.due_at.filter(|due| now >= *due) {
            self.breached_at.get_or_insert(due);
        }
        if let Some(warn) = self.warn_at.filter(|warn| now >= *warn) {
            self.warned_at.get_or_insert(warn);
        }
        if self.breached_at.is_some() && self.warned_at.is_none() {
            self.warned_at = self.warn_at.or(self.due_at);
        }
    }

    fn is_running(&self) -> bool {
        self.running_since.is_some()
    }

    fn is_stopped(&self) -> bool {
        matches!(self.status, ClockStatus::Met | ClockStatus::Breached) && !self.is_running()
    }

    /// The clock as time has moved on to `now`, without any change to the ticket: a running
    /// clock is `breached` once it passed its due time, `at_risk` once it passed its warning.
    fn at(mut self, now: Timestamp) -> Clock {
        if self.is_running() {
            self.mark(now);
            self.status = if self.breached_at.is_some() {
                ClockStatus::Breached
            } else if self.warned_at.is_some() {
                ClockStatus::AtRisk
            } else {
                ClockStatus::Active
            };
        }
        self
    }

    /// The next moment the clock's status changes by itself: its warning, then its due time.
    fn next_moment(&self) -> Option<Timestamp> {
        if !self.is_running() {
            return None;
        }
        match self.status {
            ClockStatus::Active => self.warn_at.or(self.due_at),
            ClockStatus::AtRisk => self.due_at,
            _ => None,
        }
    }
}

impl Sla {
    /// The clocks in a fixed order, with their names.
    pub fn clocks(&self) -> [(TargetKind, Option<&Clock>); 3] {
        [
            (TargetKind::FirstResponse, self.first_response.as_ref()),
            (TargetKind::NextResponse, self.next_response.as_ref()),
            (TargetKind::Resolution, self.resolution.as_ref()),
        ]
    }

    /// The clocks as time has moved on to `now` (what the service-level job writes).
    pub fn at(&self, now: Timestamp) -> Sla {
        let at = |clock: &Option<Clock>| clock.clone().map(|clock| clock.at(now));
        Sla {
            policy: self.policy.clone(),
            first_response: at(&self.first_response),
            next_response: at(&self.next_response),
            resolution: at(&self.resolution),
        }
    }

    /// The next moment a clock changes status by itself (the job's index sorts on it).
    pub fn next_moment(&self) -> Option<Timestamp> {
        self.clocks()
            .into_iter()
            .filter_map(|(_, clock)| clock.and_then(Clock::next_moment))
            .min()
    }

    /// The soonest due time of the clocks that still run (the agents' queue sorts on it).
    pub fn due(&self) -> Option<Timestamp> {
        self.clocks()
            .into_iter()
            .filter_map(|(_, clock)| clock.filter(|c| c.is_running()).and_then(|c| c.due_at))
            .min()
    }

    /// The worst status among the clocks that still run: `breached`, `at_risk` or `active`
    /// (the agents' queue by status); `None` when none runs.
    pub fn standing(&self) -> Option<ClockStatus> {
        let running: Vec<ClockStatus> = self
            .clocks()
            .into_iter()
            .filter_map(|(_, clock)| clock.filter(|c| c.is_running()).map(|c| c.status))
            .collect();
        [
            ClockStatus::Breached,
            ClockStatus::AtRisk,
            ClockStatus::Active,
        ]
        .into_iter()
        .find(|status| running.contains(status))
    }
}

impl SlaPolicies {
    /// The clocks of `after`, the ticket as a change leaves it (`before` as it was, `None` for a
    /// new ticket), with `message` if the change is one, at `now`. `None` when no policy applies
    /// to the ticket. A change of the policies applies from a ticket's next change on: the
    /// counted time is kept, the targets are the policy's of the moment.
    pub fn track(
        &self,
        before: Option<&TicketSummary>,
        after: &TicketSummary,
        message: Option<Message>,
        now: Timestamp,
    ) -> Option<Sla> {
        if self.is_frozen() {
            return before.and_then(|ticket| ticket.sla.clone());
        }
        let policy = self.policy_for(after)?;
        let targets = policy.targets(after.priority);
        let hours = self.hours(policy);
        let percent = self.warn_at_percent();
        let was = before.and_then(|ticket| ticket.sla.as_ref());
        let done = matches!(after.status, Status::Resolved | Status::Closed);
        let done_at = after.resolved_at.or(after.closed_at).unwrap_or(now);

        // First response: from creation to the first public agent message.
        let first_response = targets.first_response.map(|target| {
            let previous = was.and_then(|sla| sla.first_response.as_ref());
            let clock = Clock::running(
                hours,
                after.created_at,
                Duration::zero(),
                target,
                percent,
                Marks::of(previous),
            );
            match (after.first_response_at, previous) {
                (_, Some(previous)) if previous.is_stopped() => previous.clone(),
                (Some(answered), _) => clock.stopped(hours, answered),
                (None, _) if done => clock.stopped(hours, done_at),
                (None, _) => clock.at(now),
            }
        });

        // Next response: from a waiting client message to the next answer.
        let next_response = targets.next_response.and_then(|target| {
            let previous = was.and_then(|sla| sla.next_response.clone());
            let waiting = previous
                .as_ref()
                .and_then(|c| c.running_since)
                .or(match message {
                    Some(Message::FromClient(at)) if after.first_response_at.is_some() => {
                        // The client writes after the first answer: a new wait begins, unless
                        // this very message is the first answer's reply (answered below).
                        (before.is_some_and(|b| b.first_response_at.is_some())).then_some(at)
                    }
                    _ => None,
                });
            let Some(since) = waiting else {
                return previous;
            };
            // A new wait starts with nothing passed; a running one keeps what it passed.
            let marks = Marks::of(previous.as_ref().filter(|c| c.is_running()));
            let clock = Clock::running(hours, since, Duration::zero(), target, percent, marks);
            Some(match message {
                Some(Message::Answer(at)) => clock.stopped(hours, at),
                _ if done => clock.stopped(hours, done_at),
                _ => clock.at(now),
            })
        });

        // Resolution: runs while the ticket is worked, paused while pending, stopped when done.
        let resolution = targets.resolution.map(|target| {
            let previous = was.and_then(|sla| sla.resolution.clone());
            let (counted, since) = match &previous {
                None => (Duration::zero(), Some(after.created_at)),
                Some(clock) => (
                    Duration::seconds(clock.counted_seconds),
                    clock.running_since,
                ),
            };
            // A paused or stopped clock runs again from now: a reopen, or the end of a pause.
            let since = since.unwrap_or(now);
            let marks = Marks::of(previous.as_ref());
            let clock = Clock::running(hours, since, counted, target, percent, marks);
            match after.status {
                Status::Pending => clock.paused(hours, now),
                Status::Resolved | Status::Closed => match previous {
                    Some(previous) if previous.is_stopped() => previous,
                    _ => clock.stopped(hours, done_at),
                },
                Status::Open | Status::InProgress => clock.at(now),
            }
        });

        Some(Sla {
            policy: policy.name.clone(),
            first_response,
            next_response,
            resolution,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Priority;
    use crate::sla::policy::SlaDocument;
    use crate::testing::summary;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn minutes(start: Timestamp, minutes: i64) -> Timestamp {
        Timestamp::from(start.as_datetime() + Duration::minutes(minutes))
    }

    /// Calendar targets for high priority: answer in 60, again in 30, resolve in 240 minutes.
    fn policies() -> SlaPolicies {
        serde_json::from_value::<SlaDocument>(serde_json::json!({
            "policies": [
                {"name": "VIP", "match": {"tags": ["vip"]},
                 "targets": {"high": {"firstResponse": 10}}},
                {"name": "Standard",
                 "targets": {"high": {"firstResponse": 60, "nextResponse": 30, "resolution": 240}}}
            ]
        }))
        .unwrap()
        .check()
        .unwrap()
    }

    /// A high-priority open ticket created at 10:00 with its clocks started.
    fn created() -> TicketSummary {
        let mut ticket = summary(Status::Open);
        ticket.priority = Priority::High;
        ticket.created_at = at("2030-01-07T10:00:00Z");
        ticket.sla = policies().track(None, &ticket, None, ticket.created_at);
        ticket
    }

    /// `ticket` changed by `change` at `now`, its clocks worked forward.
    fn change(
        ticket: &TicketSummary,
        now: Timestamp,
        message: Option<Message>,
        change: impl FnOnce(&mut TicketSummary),
    ) -> TicketSummary {
        let mut after = ticket.clone();
        change(&mut after);
        after.sla = policies().track(Some(ticket), &after, message, now);
        after
    }

    fn clock(ticket: &TicketSummary, kind: TargetKind) -> Clock {
        let sla = ticket.sla.as_ref().unwrap();
        sla.clocks()
            .into_iter()
            .find(|(k, _)| *k == kind)
            .and_then(|(_, c)| c.cloned())
            .unwrap()
    }

    #[test]
    fn a_new_ticket_starts_its_clocks_by_the_first_matching_policy() {
        let ticket = created();
        let sla = ticket.sla.as_ref().unwrap();
        assert_eq!(sla.policy, "Standard");
        let first = clock(&ticket, TargetKind::FirstResponse);
        assert_eq!(first.status, ClockStatus::Active);
        assert_eq!(first.due_at, Some(at("2030-01-07T11:00:00Z")));
        assert_eq!(first.warn_at, Some(at("2030-01-07T10:48:00Z")));
        assert_eq!(
            clock(&ticket, TargetKind::Resolution).due_at,
            Some(at("2030-01-07T14:00:00Z"))
        );
        assert!(
            sla.next_response.is_none(),
            "nothing waits for a next answer yet"
        );
        assert_eq!(sla.next_moment(), Some(at("2030-01-07T10:48:00Z")));
        assert_eq!(sla.standing(), Some(ClockStatus::Active));

        let mut vip = summary(Status::Open);
        vip.priority = Priority::High;
        vip.tags = vec!["vip".into()];
        let sla = policies().track(None, &vip, None, vip.created_at).unwrap();
        assert_eq!(sla.policy, "VIP");
        assert!(sla.resolution.is_none(), "VIP sets no resolution target");
        let mut low = vip.clone();
        low.priority = Priority::Low;
        let sla = policies().track(None, &low, None, low.created_at).unwrap();
        assert_eq!(sla.clocks().map(|(_, c)| c.is_some()), [false; 3]);
    }

    #[test]
    fn the_first_response_is_met_in_time_and_breached_late() {
        let ticket = created();
        let answer = |when| {
            change(&ticket, when, Some(Message::Answer(when)), |t| {
                t.first_response_at = Some(when)
            })
        };
        let early = answer(at("2030-01-07T10:30:00Z"));
        assert_eq!(
            clock(&early, TargetKind::FirstResponse).status,
            ClockStatus::Met
        );
        let late = answer(at("2030-01-07T11:30:00Z"));
        let first = clock(&late, TargetKind::FirstResponse);
        assert_eq!(first.status, ClockStatus::Breached);
        assert_eq!(first.breached_at, Some(at("2030-01-07T11:00:00Z")));
        // A stopped clock stays as it is through later changes.
        let later = change(&early, at("2030-01-08T00:00:00Z"), None, |t| {
            t.title = "x".into()
        });
        assert_eq!(
            clock(&later, TargetKind::FirstResponse).status,
            ClockStatus::Met
        );
    }

    #[test]
    fn time_alone_warns_then_breaches() {
        let ticket = created();
        let sla = ticket.sla.clone().unwrap();
        let statuses = |now| sla.at(at(now)).first_response.unwrap().status;
        assert_eq!(statuses("2030-01-07T10:47:59Z"), ClockStatus::Active);
        assert_eq!(statuses("2030-01-07T10:48:00Z"), ClockStatus::AtRisk);
        assert_eq!(statuses("2030-01-07T11:00:00Z"), ClockStatus::Breached);
        let breached = sla.at(at("2030-01-07T11:05:00Z"));
        assert_eq!(
            breached.first_response.as_ref().unwrap().breached_at,
            Some(at("2030-01-07T11:00:00Z"))
        );
        assert_eq!(breached.standing(), Some(ClockStatus::Breached));
        // Still unanswered: the queue shows it first, and the job looks again at the next moment.
        assert_eq!(breached.due(), Some(at("2030-01-07T11:00:00Z")));
        assert_eq!(breached.next_moment(), Some(at("2030-01-07T13:12:00Z")));
    }

    #[test]
    fn each_client_message_after_an_answer_waits_for_the_next_one() {
        let ticket = created();
        let answered_at = at("2030-01-07T10:20:00Z");
        let answered = change(
            &ticket,
            answered_at,
            Some(Message::Answer(answered_at)),
            |t| t.first_response_at = Some(answered_at),
        );
        assert!(answered.sla.as_ref().unwrap().next_response.is_none());

        let asked_at = at("2030-01-07T12:00:00Z");
        let asked = change(
            &answered,
            asked_at,
            Some(Message::FromClient(asked_at)),
            |_| {},
        );
        let next = clock(&asked, TargetKind::NextResponse);
        assert_eq!(next.status, ClockStatus::Active);
        assert_eq!(next.due_at, Some(at("2030-01-07T12:30:00Z")));
        // A second message while waiting keeps the first wait.
        let again_at = at("2030-01-07T12:10:00Z");
        let again = change(
            &asked,
            again_at,
            Some(Message::FromClient(again_at)),
            |_| {},
        );
        assert_eq!(clock(&again, TargetKind::NextResponse).due_at, next.due_at);
        // Answered late: breached, and the next client message starts a new wait.
        let late_at = at("2030-01-07T12:45:00Z");
        let late = change(&again, late_at, Some(Message::Answer(late_at)), |_| {});
        let next = clock(&late, TargetKind::NextResponse);
        assert_eq!(next.status, ClockStatus::Breached);
        assert!(next.running_since.is_none());
        let third_at = at("2030-01-07T13:00:00Z");
        let third = change(&late, third_at, Some(Message::FromClient(third_at)), |_| {});
        let next = clock(&third, TargetKind::NextResponse);
        assert_eq!((next.status, next.breached_at), (ClockStatus::Active, None));
        assert_eq!(next.due_at, Some(at("2030-01-07T13:30:00Z")));
    }

    #[test]
    fn resolution_pauses_while_pending_and_runs_on_after_a_reopen() {
        let ticket = created();
        // 60 minutes worked, then pending for two hours.
        let paused_at = at("2030-01-07T11:00:00Z");
        let pending = change(&ticket, paused_at, None, |t| t.status = Status::Pending);
        let paused = clock(&pending, TargetKind::Resolution);
        assert_eq!(paused.status, ClockStatus::Paused);
        assert_eq!((paused.due_at, paused.counted_seconds), (None, 3600));
        // The unanswered first response fell due at 11:00: pausing the resolution hides nothing.
        assert_eq!(
            pending.sla.as_ref().unwrap().standing(),
            Some(ClockStatus::Breached)
        );

        let resumed_at = at("2030-01-07T13:00:00Z");
        let open = change(
            &pending,
            resumed_at,
            Some(Message::FromClient(resumed_at)),
            |t| t.status = Status::Open,
        );
        // 180 minutes left of 240: due at 16:00, two hours later than without the pause.
        assert_eq!(
            clock(&open, TargetKind::Resolution).due_at,
            Some(at("2030-01-07T16:00:00Z"))
        );

        let resolved_at = at("2030-01-07T15:00:00Z");
        let resolved = change(&open, resolved_at, None, |t| {
            t.status = Status::Resolved;
            t.resolution = Some("fixed".into());
            t.resolved_at = Some(resolved_at);
        });
        let done = clock(&resolved, TargetKind::Resolution);
        assert_eq!(
            (done.status, done.counted_seconds),
            (ClockStatus::Met, 3 * 3600)
        );
        // Reopened: it runs on with the 180 minutes already counted, 60 left.
        let reopened_at = at("2030-01-08T09:00:00Z");
        let reopened = change(&resolved, reopened_at, None, |t| {
            t.status = Status::Open;
            t.resolved_at = None;
        });
        let again = clock(&reopened, TargetKind::Resolution);
        assert_eq!(again.status, ClockStatus::Active);
        assert_eq!(again.due_at, Some(at("2030-01-08T10:00:00Z")));
        assert_eq!(
            clock(&reopened, TargetKind::FirstResponse).status,
            clock(&resolved, TargetKind::FirstResponse).status
        );
    }

    #[test]
    fn resolving_stops_the_response_clocks_too() {
        let ticket = created();
        let resolved_at = minutes(ticket.created_at, 30);
        let resolved = change(&ticket, resolved_at, None, |t| {
            t.status = Status::Resolved;
            t.resolution = Some("self-service".into());
            t.resolved_at = Some(resolved_at);
        });
        let sla = resolved.sla.as_ref().unwrap();
        assert_eq!(
            clock(&resolved, TargetKind::FirstResponse).status,
            ClockStatus::Met
        );
        assert_eq!(sla.standing(), None);
        assert_eq!(sla.next_moment(), None);
        assert_eq!(sla.due(), None);
    }

    #[test]
    fn a_clock_stopped_in_the_past_is_judged_when_it_stopped() {
        // A ticket opened before any policy, answered ten minutes in, changed two hours later.
        let mut ticket = summary(Status::Open);
        ticket.priority = Priority::High;
        ticket.created_at = at("2030-01-07T10:00:00Z");
        ticket.first_response_at = Some(at("2030-01-07T10:10:00Z"));
        let later = at("2030-01-07T12:00:00Z");
        let changed = change(&ticket, later, None, |t| t.title = "Renamed".into());
        let first = clock(&changed, TargetKind::FirstResponse);
        assert_eq!((first.status, first.breached_at), (ClockStatus::Met, None));
    }

    #[test]
    fn a_warning_and_a_breach_are_marked_once_through_pauses_and_reopens() {
        let ticket = created();
        // The resolution warns at 13:12 (80 % of 240 minutes).
        let warned_at = at("2030-01-07T13:20:00Z");
        let warned = change(&ticket, warned_at, None, |t| t.title = "x".into());
        let mark = clock(&warned, TargetKind::Resolution).warned_at;
        assert_eq!(mark, Some(at("2030-01-07T13:12:00Z")));
        let pending = change(&warned, warned_at, None, |t| t.status = Status::Pending);
        let resumed_at = at("2030-01-07T15:00:00Z");
        let resumed = change(&pending, resumed_at, None, |t| t.status = Status::Open);
        let again = clock(&resumed, TargetKind::Resolution);
        assert_eq!((again.status, again.warned_at), (ClockStatus::AtRisk, mark));

        // Breached, then a policy with a longer target: it stays breached.
        let breached = change(&resumed, at("2030-01-08T12:00:00Z"), None, |_| {});
        let done = clock(&breached, TargetKind::Resolution);
        assert_eq!(done.status, ClockStatus::Breached);
        let generous = serde_json::from_value::<SlaDocument>(serde_json::json!({
            "policies": [{"name": "Standard", "targets": {"high": {"resolution": 100000}}}]
        }))
        .unwrap()
        .check()
        .unwrap();
        let mut renamed = breached.clone();
        renamed.title = "y".into();
        let sla = generous
            .track(Some(&breached), &renamed, None, at("2030-01-08T12:01:00Z"))
            .unwrap();
        let kept = sla.resolution.unwrap();
        assert_eq!(
            (kept.status, kept.breached_at),
            (ClockStatus::Breached, done.breached_at)
        );
    }
}
