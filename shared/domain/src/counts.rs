//! Ticket counters as pure arithmetic: which facets a ticket counts under, how a change moves
//! the counters, and which counted number is the total of a list. Stores keep one counter per
//! facet in each counter set and add these deltas.

use std::collections::{BTreeMap, BTreeSet};

use crate::access::Scope;
use crate::model::{Category, Priority, Status, TicketSummary};

/// A countable property of a ticket.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Facet {
    All,
    Status(Status),
    Category(Category),
    Priority(Priority),
    Tag(String),
    Assignee(String),
    /// The ticket's status, category and priority together. Every visible ticket is in exactly
    /// one cell, so the tickets matching any combination of those three filters are a sum of
    /// cells (at most 100 of them).
    Cell(Status, Category, Priority),
}

/// Counters kept together: per client and overall (every facet), and per assignee (`All` and
/// the cells of the tickets assigned to them, for an assignee's lists filtered further).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum CounterSet {
    All,
    Client(String),
    Assignee(String),
}

impl From<&Scope> for CounterSet {
    fn from(scope: &Scope) -> Self {
        match scope {
            Scope::All => CounterSet::All,
            Scope::Client(client) => CounterSet::Client(client.clone()),
        }
    }
}

/// What to add up in a counter set to get a list's total.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tally {
    Facet(Facet),
    Cells {
        status: Option<Status>,
        category: Option<Category>,
        priority: Option<Priority>,
    },
}

/// The first letter of a wire name: unique within each of status, category and priority
/// (tested), so a cell's counter name stays five bytes.
fn code(wire: &str) -> char {
    wire.chars().next().unwrap_or('?')
}

fn diff(before: Vec<Facet>, after: Vec<Facet>) -> BTreeMap<String, i64> {
    let mut delta = BTreeMap::new();
    for facet in before {
        *delta.entry(facet.key()).or_insert(0) -= 1;
    }
    for facet in after {
        *delta.entry(facet.key()).or_insert(0) += 1;
    }
    delta.retain(|_, change| *change != 0);
    delta
}

impl Facet {
    /// A stable name for the counter of this facet.
    pub fn key(&self) -> String {
        match self {
            Facet::All => "all".into(),
            Facet::Status(s) => format!("status:{s}"),
            Facet::Category(c) => format!("category:{c}"),
            Facet::Priority(p) => format!("priority:{p}"),
            Facet::Tag(t) => format!("tag:{t}"),
            Facet::Assignee(a) => format!("assignee:{a}"),
            Facet::Cell(s, c, p) => format!(
                "c:{}{}{}",
                code(s.as_str()),
                code(c.as_str()),
                code(p.as_str())
            ),
        }
    }

    /// The facets a ticket counts under. A deleted ticket counts under none.
    pub fn of(ticket: &TicketSummary) -> Vec<Facet> {
        if ticket.is_deleted() {
            return Vec::new();
        }
        let mut facets = vec![
            Facet::All,
            Facet::Status(ticket.status),
            Facet::Category(ticket.category),
            Facet::Priority(ticket.priority),
        ];
        facets.extend(ticket.tags.iter().cloned().map(Facet::Tag));
        facets.extend(ticket.assigned_to.clone().map(Facet::Assignee));
        facets.push(Facet::cell_of(ticket));
        facets
    }

    fn cell_of(ticket: &TicketSummary) -> Facet {
        Facet::Cell(ticket.status, ticket.category, ticket.priority)
    }

    /// The facets a ticket counts under in `assignee`'s set: none unless it is visible and
    /// assigned to them.
    fn of_assignee(ticket: &TicketSummary, assignee: &str) -> Vec<Facet> {
        if ticket.is_deleted() || ticket.assigned_to.as_deref() != Some(assignee) {
            return Vec::new();
        }
        vec![Facet::All, Facet::cell_of(ticket)]
    }

    /// Counter changes that turn `before` into `after`: +1 for each facet gained, -1 for each lost.
    pub fn delta(before: Option<&TicketSummary>, after: &TicketSummary) -> BTreeMap<String, i64> {
        diff(before.map(Facet::of).unwrap_or_default(), Facet::of(after))
    }

    /// Every counter set a change moves, with its changes: the client's and the overall set,
    /// and the set of each assignee the ticket had before or has after. Each set's change is
    /// the difference of what the ticket counts under there (`of_set`) before and after.
    pub fn changes(
        before: Option<&TicketSummary>,
        after: &TicketSummary,
    ) -> Vec<(CounterSet, BTreeMap<String, i64>)> {
        let assignees: BTreeSet<&String> = before
            .and_then(|b| b.assigned_to.as_ref())
            .into_iter()
            .chain(after.assigned_to.as_ref())
            .collect();
        // A ticket changes client only when its person is moved (docs/DESIGN.md, E-mail).
        let clients: BTreeSet<&String> = before
            .map(|b| &b.client)
            .into_iter()
            .chain([&after.client])
            .collect();
        clients
            .into_iter()
            .cloned()
            .map(CounterSet::Client)
            .chain([CounterSet::All])
            .chain(assignees.into_iter().cloned().map(CounterSet::Assignee))
            .map(|set| {
                let was = before.map(|b| Facet::of_set(b, &set)).unwrap_or_default();
                let delta = diff(was, Facet::of_set(after, &set));
                (set, delta)
            })
            .filter(|(_, delta)| !delta.is_empty())
            .collect()
    }

    /// The facets a ticket counts under in `set` (what a recount of that set adds up).
    pub fn of_set(ticket: &TicketSummary, set: &CounterSet) -> Vec<Facet> {
        match set {
            CounterSet::All => Facet::of(ticket),
            CounterSet::Client(client) if &ticket.client == client => Facet::of(ticket),
            CounterSet::Client(_) => Vec::new(),
            CounterSet::Assignee(assignee) => Facet::of_assignee(ticket, assignee),
        }
    }
}

/// Counter values by facet key; a facet never counted reads as zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub BTreeMap<String, i64>);

impl Counts {
    pub fn get(&self, facet: &Facet) -> u64 {
        self.0.get(&facet.key()).copied().unwrap_or(0).max(0) as u64
    }

    /// The number a tally adds up.
    pub fn total(&self, tally: &Tally) -> u64 {
        match tally {
            Tally::Facet(facet) => self.get(facet),
            Tally::Cells {
                status,
                category,
                priority,
            } => {
                let mut total = 0;
                for s in Status::ALL
                    .iter()
                    .filter(|s| status.is_none_or(|f| f == **s))
                {
                    for c in Category::ALL
                        .iter()
                        .filter(|c| category.is_none_or(|f| f == **c))
                    {
                        for p in Priority::ALL
                            .iter()
                            .filter(|p| priority.is_none_or(|f| f == **p))
                        {
                            total += self.get(&Facet::Cell(*s, *c, *p));
                        }
                    }
                }
                total
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ListFilter;
    use crate::testing::summary;

    #[test]
    fn delta_moves_a_status_change_between_counters() {
        let before = summary(Status::Open);
        let mut after = before.clone();
        after.status = Status::Pending;
        let delta = Facet::delta(Some(&before), &after);
        assert_eq!(
            delta.into_iter().collect::<Vec<_>>(),
            [
                // the ticket leaves its cell (open, technical, high) for (pending, ...)
                ("c:oth".to_string(), -1),
                ("c:pth".to_string(), 1),
                ("status:open".to_string(), -1),
                ("status:pending".to_string(), 1)
            ]
        );
    }

    #[test]
    fn deleting_removes_every_facet_and_creating_adds_them() {
        let created = summary(Status::Open);
        let added = Facet::delta(None, &created);
        assert_eq!(added.get("all"), Some(&1));
        let mut deleted = created.clone();
        deleted.deleted_at = Some(created.created_at);
        let removed = Facet::delta(Some(&created), &deleted);
        assert!(removed.values().all(|change| *change == -1));
        assert_eq!(removed.len(), added.len());
    }

    #[test]
    fn every_filter_combination_but_a_tag_with_others_has_a_tally() {
        let all = Scope::All;
        assert_eq!(
            ListFilter::default().tally(&all),
            Some((CounterSet::All, Tally::Facet(Facet::All)))
        );
        let tag = ListFilter {
            tag: Some("vpn".into()),
            ..ListFilter::default()
        };
        assert_eq!(
            tag.tally(&all),
            Some((CounterSet::All, Tally::Facet(Facet::Tag("vpn".into()))))
        );
        let tag_and_status = ListFilter {
            status: Some(Status::Open),
            ..tag
        };
        assert_eq!(tag_and_status.tally(&all), None);
        let three = ListFilter {
            status: Some(Status::Open),
            category: Some(Category::Technical),
            priority: Some(Priority::High),
            ..ListFilter::default()
        };
        let client = Scope::Client("c1".into());
        assert_eq!(
            three.tally(&client),
            Some((
                CounterSet::Client("c1".into()),
                Tally::Cells {
                    status: Some(Status::Open),
                    category: Some(Category::Technical),
                    priority: Some(Priority::High)
                }
            ))
        );
        let mine = ListFilter {
            assigned_to: Some("agent-1".into()),
            ..three
        };
        assert!(matches!(
            mine.tally(&all),
            Some((CounterSet::Assignee(a), Tally::Cells { .. })) if a == "agent-1"
        ));
        assert_eq!(mine.tally(&client), None);
    }

    #[test]
    fn cells_add_up_to_every_combination() {
        let mut tickets = Vec::new();
        for (n, status) in Status::ALL.iter().enumerate() {
            for (m, category) in Category::ALL.iter().enumerate() {
                let mut ticket = summary(*status);
                ticket.category = *category;
                ticket.priority = Priority::ALL[(n + m) % Priority::ALL.len()];
                tickets.push(ticket);
            }
        }
        let mut counts = Counts::default();
        for ticket in &tickets {
            for (key, change) in Facet::delta(None, ticket) {
                *counts.0.entry(key).or_insert(0) += change;
            }
        }
        for status in [None, Some(Status::Open), Some(Status::Closed)] {
            for category in [None, Some(Category::Billing)] {
                for priority in [None, Some(Priority::High), Some(Priority::Low)] {
                    let expected = tickets
                        .iter()
                        .filter(|t| status.is_none_or(|s| t.status == s))
                        .filter(|t| category.is_none_or(|c| t.category == c))
                        .filter(|t| priority.is_none_or(|p| t.priority == p))
                        .count() as u64;
                    let tally = Tally::Cells {
                        status,
                        category,
                        priority,
                    };
                    assert_eq!(counts.total(&tally), expected, "{tally:?}");
                }
            }
        }
    }

    #[test]
    fn cell_codes_are_unique_within_each_field() {
        let unique = |codes: Vec<char>| codes.iter().collect::<BTreeSet<_>>().len() == codes.len();
        assert!(unique(
            Status::ALL.iter().map(|s| code(s.as_str())).collect()
        ));
        assert!(unique(
            Category::ALL.iter().map(|c| code(c.as_str())).collect()
        ));
        assert!(unique(
            Priority::ALL.iter().map(|p| code(p.as_str())).collect()
        ));
    }

    #[test]
    fn a_reassignment_moves_the_ticket_between_assignee_sets() {
        let mut before = summary(Status::Open);
        before.assigned_to = Some("a".into());
        let mut after = before.clone();
        after.assigned_to = Some("b".into());
        let changes = Facet::changes(Some(&before), &after);
        let of = |set: CounterSet| {
            changes
                .iter()
                .find(|(s, _)| *s == set)
                .map(|(_, d)| d.values().copied().collect::<Vec<_>>())
        };
        assert_eq!(of(CounterSet::Assignee("a".into())), Some(vec![-1, -1]));
        assert_eq!(of(CounterSet::Assignee("b".into())), Some(vec![1, 1]));
        // a message that changes nothing counted moves no set
        assert!(Facet::changes(Some(&after), &after).is_empty());
    }

    #[test]
    fn a_moved_ticket_leaves_one_clients_set_for_anothers_and_the_overall_set_alone() {
        let before = summary(Status::Open);
        let mut after = before.clone();
        after.client = "sub-erin".into();
        let changes = Facet::changes(Some(&before), &after);
        let delta = |set: CounterSet| {
            changes
                .iter()
                .find(|(s, _)| *s == set)
                .map(|(_, d)| d.clone())
        };
        let old = delta(CounterSet::Client(before.client.clone())).expect("the old client's");
        let new = delta(CounterSet::Client(after.client.clone())).expect("the new client's");
        assert!(!old.is_empty() && old.values().all(|change| *change == -1));
        assert_eq!(
            old.keys().collect::<Vec<_>>(),
            new.keys().collect::<Vec<_>>()
        );
        assert!(new.values().all(|change| *change == 1));
        assert_eq!(
            delta(CounterSet::All),
            None,
            "counted once overall, before and after"
        );
    }
}
