//! Ticket counters as pure arithmetic: which facets a ticket counts under, and how a change
//! moves the counters. Stores keep one counter per facet and scope and add these deltas.

use std::collections::BTreeMap;

use crate::model::{Category, Priority, Status, TicketSummary};

/// A countable property of a ticket. Counters are kept per scope for every facet.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Facet {
    All,
    Status(Status),
    Category(Category),
    Priority(Priority),
    Tag(String),
    Assignee(String),
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
        facets
    }

    /// Counter changes that turn `before` into `after`: +1 for each facet gained, -1 for each lost.
    pub fn delta(before: Option<&TicketSummary>, after: &TicketSummary) -> BTreeMap<String, i64> {
        let mut delta = BTreeMap::new();
        for facet in before.map(Facet::of).unwrap_or_default() {
            *delta.entry(facet.key()).or_insert(0) -= 1;
        }
        for facet in Facet::of(after) {
            *delta.entry(facet.key()).or_insert(0) += 1;
        }
        delta.retain(|_, change| *change != 0);
        delta
    }
}

/// Counter values by facet key; a facet never counted reads as zero.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counts(pub BTreeMap<String, i64>);

impl Counts {
    pub fn get(&self, facet: &Facet) -> u64 {
        self.0.get(&facet.key()).copied().unwrap_or(0).max(0) as u64
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
    fn only_zero_or_one_filter_has_a_counter() {
        assert_eq!(ListFilter::default().counted_by(), Some(Facet::All));
        let one = ListFilter {
            tag: Some("vpn".into()),
            ..ListFilter::default()
        };
        assert_eq!(one.counted_by(), Some(Facet::Tag("vpn".into())));
        let two = ListFilter {
            status: Some(Status::Open),
            ..one
        };
        assert_eq!(two.counted_by(), None);
    }
}
