//! What a ticket counts for in the reports, and how a change of a ticket moves the stored
//! figures.
//!
//! Every figure is a function of the ticket as it stands (`facts`): the day it was created,
//! the day of its latest resolution, and so on. A change moves the figures by what the ticket
//! counts for after it minus what it counted for before (`delta`), so the changes of one
//! ticket add up to what it counts for now whatever their number, and changes of different
//! tickets add up in any order: the stored figures equal a recount from the tickets once every
//! change is counted once. The definitions (written for readers in docs/API.md, "Reports"):
//!
//! - only visible tickets count: a soft-deleted ticket counts for nothing until restored;
//! - `created`: on the day the ticket was created;
//! - `resolved`: on the day of its latest resolution, while it is resolved or closed (a ticket
//!   resolved twice counts once, on the second day; a reopened one leaves the figure);
//! - `closed`: on the day it was closed (merged tickets are closed);
//! - `reopened`: on the day of its latest reopening;
//! - `backlog`: tickets created and not yet settled at the end of a period, where a ticket
//!   settles on the day of its latest resolution, or on the day it was closed unresolved;
//! - first response and resolution minutes: calendar minutes from creation to the first public
//!   answer (to the latest resolution), counted on the day of the answer (the resolution);
//! - service levels: the first-response and resolution targets, `met` on the day the answer or
//!   the resolution came, `breached` on the day the target was passed;
//! - satisfaction: the rating, on the day it was given or last changed;
//! - groups: the ticket's agent (its assignee now, `None` when unassigned), category and
//!   priority now: a reassigned ticket's figures move to its new agent.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;

use crate::model::{Rating, Status, TicketSummary, Timestamp};
use crate::sla::{Clock, ClockStatus};

use super::sketch;

crate::model::wire_enum!(
    /// What a report's rows are grouped by (`groupBy`).
    Dimension {
        All => "none",
        Agent => "agent",
        Category => "category",
        Priority => "priority",
    }
);

/// A counted figure's name, as stored and as answered (`firstResponse:<bucket>` and
/// `resolution:<bucket>` for the minutes' buckets).
pub mod names {
    pub const CREATED: &str = "created";
    pub const RESOLVED: &str = "resolved";
    pub const CLOSED: &str = "closed";
    pub const REOPENED: &str = "reopened";
    /// Tickets that came in (+1) or settled (-1) that day: the backlog is its running sum.
    pub const BACKLOG: &str = "backlog";
    pub const SLA_MET: &str = "slaMet";
    pub const SLA_BREACHED: &str = "slaBreached";
    pub const GOOD: &str = "good";
    pub const BAD: &str = "bad";
    pub const FIRST_RESPONSE: &str = "firstResponse:";
    pub const RESOLUTION: &str = "resolution:";
}

/// What one ticket counts for on one day.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fact {
    pub day: NaiveDate,
    pub figure: String,
    pub count: i64,
}

/// Where a figure is kept: a dimension's group on a day, or (for the backlog) in a month, so
/// that the backlog before a period is a sum of months rather than of every day since the
/// desk began.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Period {
    Day(NaiveDate),
    /// The month's first day.
    Month(NaiveDate),
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cell {
    pub dimension: Dimension,
    /// The group within the dimension: `None` for `All`, and for tickets with no agent.
    pub group: Option<String>,
    pub period: Period,
}

/// Figures added up: name → count.
pub type Figures = BTreeMap<String, i64>;

/// How a change moves the stored figures: what to add in each cell (nothing that adds zero).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReportDelta(pub BTreeMap<Cell, Figures>);

impl ReportDelta {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Adds another delta to this one (what both changes move together).
    pub fn add(&mut self, other: &ReportDelta) {
        for (cell, figures) in &other.0 {
            let mine = self.0.entry(cell.clone()).or_default();
            for (name, count) in figures {
                *mine.entry(name.clone()).or_insert(0) += count;
            }
        }
        self.prune();
    }

    fn prune(&mut self) {
        for figures in self.0.values_mut() {
            figures.retain(|_, count| *count != 0);
        }
        self.0.retain(|_, figures| !figures.is_empty());
    }
}

/// The first day of `day`'s month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The day a moment falls on in the report's time zone.
pub fn day_of(at: Timestamp, zone: Tz) -> NaiveDate {
    at.as_datetime().with_timezone(&zone).date_naive()
}

fn minutes_between(from: Timestamp, to: Timestamp) -> u64 {
    (to.as_datetime() - from.as_datetime()).num_minutes().max(0) as u64
}

/// What a ticket counts for, day by day; nothing while it is soft-deleted.
pub fn facts(ticket: &TicketSummary, zone: Tz) -> Vec<Fact> {
    if ticket.is_deleted() {
        return Vec::new();
    }
    let mut facts = Vec::new();
    let mut count = |at: Timestamp, figure: String, count: i64| {
        facts.push(Fact {
            day: day_of(at, zone),
            figure,
            count,
        })
    };
    count(ticket.created_at, names::CREATED.into(), 1);
    count(ticket.created_at, names::BACKLOG.into(), 1);
    let settled = matches!(ticket.status, Status::Resolved | Status::Closed);
    if let (true, Some(resolved)) = (settled, ticket.resolved_at) {
        count(resolved, names::RESOLVED.into(), 1);
        let minutes = minutes_between(ticket.created_at, resolved);
        let bucket = sketch::bucket(minutes);
        count(resolved, format!("{}{bucket}", names::RESOLUTION), 1);
    }
    if let (Status::Closed, Some(closed)) = (ticket.status, ticket.closed_at) {
        count(closed, names::CLOSED.into(), 1);
    }
    if let Some(settled_at) = settled_at(ticket) {
        count(settled_at, names::BACKLOG.into(), -1);
    }
    if let Some(reopened) = ticket.reopened_at {
        count(reopened, names::REOPENED.into(), 1);
    }
    if let Some(answered) = ticket.first_response_at {
        let bucket = sketch::bucket(minutes_between(ticket.created_at, answered));
        count(answered, format!("{}{bucket}", names::FIRST_RESPONSE), 1);
    }
    if let Some(sla) = &ticket.sla {
        let answered = ticket
            .first_response_at
            .or(ticket.resolved_at)
            .or(ticket.closed_at);
        let resolved = ticket.resolved_at.or(ticket.closed_at);
        for (clock, ended) in [(&sla.first_response, answered), (&sla.resolution, resolved)] {
            if let Some((at, figure)) = clock.as_ref().and_then(|clock| outcome(clock, ended)) {
                count(at, figure.into(), 1);
            }
        }
    }
    if let Some(satisfaction) = &ticket.satisfaction {
        let figure = match satisfaction.rating {
            Rating::Good => names::GOOD,
            Rating::Bad => names::BAD,
        };
        count(satisfaction.rated_at, figure.into(), 1);
    }
    facts
}

/// When the ticket left the backlog, as it stands: its latest resolution, or its closing when
/// it was closed unresolved; `None` while it is active.
fn settled_at(ticket: &TicketSummary) -> Option<Timestamp> {
    match ticket.status {
        Status::Resolved => ticket.resolved_at,
        Status::Closed => ticket.resolved_at.or(ticket.closed_at),
        _ => None,
    }
}

/// A target's outcome and its day: breached when it passed its due time (counted then, even
/// while it still runs), met once it stopped in time (counted when it stopped).
fn outcome(clock: &Clock, ended: Option<Timestamp>) -> Option<(Timestamp, &'static str)> {
    match (clock.breached_at, clock.status) {
        (Some(breached), _) => Some((breached, names::SLA_BREACHED)),
        (None, ClockStatus::Met) => ended.map(|at| (at, names::SLA_MET)),
        _ => None,
    }
}

/// The groups a ticket counts in, one per dimension.
pub fn groups(ticket: &TicketSummary) -> [(Dimension, Option<String>); 4] {
    [
        (Dimension::All, None),
        (Dimension::Agent, ticket.assigned_to.clone()),
        (Dimension::Category, Some(ticket.category.as_str().into())),
        (Dimension::Priority, Some(ticket.priority.as_str().into())),
    ]
}

/// A ticket's facts in their cells, each `sign` times.
fn place(delta: &mut ReportDelta, ticket: &TicketSummary, zone: Tz, sign: i64) {
    let facts = facts(ticket, zone);
    for (dimension, group) in groups(ticket) {
        for fact in &facts {
            let mut add = |period: Period| {
                let cell = Cell {
                    dimension,
                    group: group.clone(),
                    period,
                };
                let figures = delta.0.entry(cell).or_default();
                *figures.entry(fact.figure.clone()).or_insert(0) += sign * fact.count;
            };
            add(Period::Day(fact.day));
            if fact.figure == names::BACKLOG {
                add(Period::Month(month_of(fact.day)));
            }
        }
    }
}

/// How a change from `before` to `after` moves the figures (`None`: the ticket did not exist
/// before, or is erased after).
pub fn delta(
    before: Option<&TicketSummary>,
    after: Option<&TicketSummary>,
    zone: Tz,
) -> ReportDelta {
    let mut delta = ReportDelta::default();
    if let Some(before) = before {
        place(&mut delta, before, zone, -1);
    }
    if let Some(after) = after {
        place(&mut delta, after, zone, 1);
    }
    delta.prune();
    delta
}

/// What a set of tickets counts for: the figures a rebuild writes.
pub fn recount<'a>(tickets: impl IntoIterator<Item = &'a TicketSummary>, zone: Tz) -> ReportDelta {
    let mut total = ReportDelta::default();
    for ticket in tickets {
        place(&mut total, ticket, zone, 1);
    }
    total.prune();
    total
}

#[cfg(test)]
mod tests {
    use chrono_tz::{Europe, UTC};

    use super::*;
    use crate::model::{Satisfaction, Status};
    use crate::testing::summary;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn ticket(created: &str) -> TicketSummary {
        let mut ticket = summary(Status::Open);
        ticket.created_at = at(created);
        ticket
    }

    /// The facts as (day, figure, count), sorted.
    fn facts_of(ticket: &TicketSummary, zone: Tz) -> Vec<(String, String, i64)> {
        let mut facts: Vec<_> = facts(ticket, zone)
            .into_iter()
            .map(|f| (f.day.to_string(), f.figure, f.count))
            .collect();
        facts.sort();
        facts
    }

    fn fact(day: &str, figure: &str, count: i64) -> (String, String, i64) {
        (day.into(), figure.into(), count)
    }

    #[test]
    fn a_new_ticket_counts_as_created_and_in_the_backlog_on_its_day_in_the_zone() {
        let ticket = ticket("2026-11-30T23:30:00.000Z");
        assert_eq!(
            facts_of(&ticket, UTC),
            [
                fact("2026-11-30", "backlog", 1),
                fact("2026-11-30", "created", 1)
            ]
        );
        // Half past midnight in Madrid.
        assert_eq!(
            facts_of(&ticket, Europe::Madrid),
            [
                fact("2026-12-01", "backlog", 1),
                fact("2026-12-01", "created", 1)
            ]
        );
    }

    #[test]
    fn a_ticket_resolved_twice_counts_once_on_its_latest_resolution() {
        let mut ticket = ticket("2026-11-02T09:00:00.000Z");
        ticket.first_response_at = Some(at("2026-11-02T09:30:00.000Z"));
        ticket.resolution = Some("done".into());
        ticket
            .transition(Status::Resolved, at("2026-11-03T09:00:00.000Z"))
            .unwrap();
        let first = facts_of(&ticket, UTC);
        assert!(first.contains(&fact("2026-11-03", "resolved", 1)));
        assert!(first.contains(&fact("2026-11-03", "backlog", -1)));
        // 24 hours: 1,440 minutes.
        let bucket = sketch::bucket(1440);
        assert!(first.contains(&fact("2026-11-03", &format!("resolution:{bucket}"), 1)));
        assert!(first.contains(&fact("2026-11-02", "firstResponse:30", 1)));

        ticket
            .transition(Status::Open, at("2026-11-05T09:00:00.000Z"))
            .unwrap();
        let reopened = facts_of(&ticket, UTC);
        assert!(reopened.contains(&fact("2026-11-05", "reopened", 1)));
        assert!(!reopened.iter().any(|(_, figure, _)| figure == "resolved"));
        assert!(!reopened
            .iter()
            .any(|(_, figure, count)| figure == "backlog" && *count < 0));

        ticket
            .transition(Status::Resolved, at("2026-11-06T09:00:00.000Z"))
            .unwrap();
        ticket
            .transition(Status::Closed, at("2026-11-20T09:00:00.000Z"))
            .unwrap();
        let closed = facts_of(&ticket, UTC);
        let resolved: Vec<_> = closed.iter().filter(|f| f.1 == "resolved").collect();
        assert_eq!(resolved, [&fact("2026-11-06", "resolved", 1)]);
        assert!(
            closed.contains(&fact("2026-11-06", "backlog", -1)),
            "settled when resolved"
        );
        assert!(closed.contains(&fact("2026-11-20", "closed", 1)));
        assert!(closed.contains(&fact("2026-11-05", "reopened", 1)));
    }

    #[test]
    fn a_ticket_closed_unresolved_settles_when_closed_and_a_deleted_one_counts_for_nothing() {
        let mut ticket = ticket("2026-11-02T09:00:00.000Z");
        ticket
            .transition(Status::Closed, at("2026-11-04T09:00:00.000Z"))
            .unwrap();
        assert_eq!(
            facts_of(&ticket, UTC),
            [
                fact("2026-11-02", "backlog", 1),
                fact("2026-11-02", "created", 1),
                fact("2026-11-04", "backlog", -1),
                fact("2026-11-04", "closed", 1),
            ]
        );
        ticket.deleted_at = Some(at("2026-11-05T09:00:00.000Z"));
        assert!(facts(&ticket, UTC).is_empty());
    }

    #[test]
    fn ratings_and_service_levels_count_on_their_day() {
        let mut ticket = ticket("2026-11-02T09:00:00.000Z");
        ticket.first_response_at = Some(at("2026-11-02T10:00:00.000Z"));
        let clock = |status, breached: Option<&str>| Clock {
            status,
            due_at: None,
            breached_at: breached.map(at),
            warn_at: None,
            warned_at: None,
            running_since: None,
            counted_seconds: 0,
        };
        ticket.sla = Some(crate::sla::Sla {
            policy: "standard".into(),
            first_response: Some(clock(ClockStatus::Met, None)),
            next_response: Some(clock(
                ClockStatus::Breached,
                Some("2026-11-08T00:00:00.000Z"),
            )),
            // Still running, but past due since the 3rd: breached then.
            resolution: Some(clock(
                ClockStatus::Breached,
                Some("2026-11-03T09:00:00.000Z"),
            )),
        });
        ticket.satisfaction = Some(Satisfaction {
            rating: Rating::Bad,
            comment: None,
            rated_at: at("2026-11-07T09:00:00.000Z"),
            first_rated_at: at("2026-11-06T09:00:00.000Z"),
        });
        let facts = facts_of(&ticket, UTC);
        assert!(facts.contains(&fact("2026-11-02", "slaMet", 1)));
        assert!(facts.contains(&fact("2026-11-03", "slaBreached", 1)));
        assert!(facts.contains(&fact("2026-11-07", "bad", 1)));
        assert_eq!(
            facts.iter().filter(|f| f.1.starts_with("sla")).count(),
            2,
            "the next-response target is not reported"
        );
    }

    #[test]
    fn the_changes_of_a_ticket_add_up_to_what_it_counts_for_now_in_every_group() {
        let mut states = vec![ticket("2026-11-02T09:00:00.000Z")];
        let mut next = |change: &dyn Fn(&mut TicketSummary)| {
            let mut ticket = states.last().unwrap().clone();
            change(&mut ticket);
            states.push(ticket);
        };
        next(&|t| t.assigned_to = Some("agent-1".into()));
        next(&|t| t.first_response_at = Some(at("2026-11-02T11:00:00.000Z")));
        next(&|t| {
            t.resolution = Some("fixed".into());
            t.transition(Status::Resolved, at("2026-11-04T09:00:00.000Z"))
                .unwrap();
        });
        next(&|t| t.assigned_to = Some("agent-2".into()));
        next(&|t| {
            t.transition(Status::Open, at("2026-11-09T09:00:00.000Z"))
                .unwrap()
        });
        next(&|t| t.category = crate::model::Category::Billing);
        next(&|t| t.deleted_at = Some(at("2026-11-10T09:00:00.000Z")));
        next(&|t| t.deleted_at = None);
        let mut summed = ReportDelta::default();
        summed.add(&delta(None, states.first(), UTC));
        for pair in states.windows(2) {
            summed.add(&delta(Some(&pair[0]), Some(&pair[1]), UTC));
        }
        let now = states.last().unwrap();
        assert_eq!(summed, recount([now], UTC));
        // Everything is the new agent's, in the new category; nothing is left elsewhere.
        let agents: Vec<_> = summed
            .0
            .keys()
            .filter(|cell| cell.dimension == Dimension::Agent)
            .map(|cell| cell.group.clone())
            .collect();
        assert!(agents
            .iter()
            .all(|group| group.as_deref() == Some("agent-2")));
        assert!(summed.0.contains_key(&Cell {
            dimension: Dimension::Category,
            group: Some("billing".into()),
            period: Period::Month(day("2026-11-01")),
        }));
        // Erasing it takes back everything it counted for.
        summed.add(&delta(Some(now), None, UTC));
        assert!(summed.is_empty());
    }

    #[test]
    fn a_change_that_moves_no_figure_moves_nothing() {
        let before = ticket("2026-11-02T09:00:00.000Z");
        let mut after = before.clone();
        after.title = "Another title".into();
        after.tags = vec!["printer".into()];
        assert!(delta(Some(&before), Some(&after), UTC).is_empty());
    }
}
