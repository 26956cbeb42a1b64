//! Changing a ticket: the `PATCH` command and the rules of who may change what, and when.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::access::{forbid_for_client, Caller};
use crate::error::DomainError;
use crate::model::{Category, Priority, Status, TicketSummary, Timestamp};
use crate::validation::{Checker, Lines, DESCRIPTION_MAX, RESOLUTION_MAX, TITLE_MAX};

/// A field of a partial update: left out, set to `null`, or set to a value.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Patch<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Patch<T> {
    pub fn is_present(&self) -> bool {
        !matches!(self, Patch::Absent)
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    /// `null` or the value; an absent field is left out by its struct
    /// (`skip_serializing_if = "Patch::is_absent"`).
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Patch::Value(value) => value.serialize(serializer),
            Patch::Absent | Patch::Null => serializer.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(deserializer)?.map_or(Patch::Null, Patch::Value))
    }
}

/// The body of `PATCH /v2/support-tickets/{id}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TicketPatch {
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    pub title: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    pub description: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    pub status: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    pub priority: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    pub category: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    pub assigned_to: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    pub tags: Patch<Vec<String>>,
    #[serde(default, skip_serializing_if = "Patch::is_absent")]
    pub resolution: Patch<String>,
}

impl TicketPatch {
    /// Applies the patch for `caller`. Returns the changed ticket (version bumped, `updatedAt`
    /// set), or `None` when the patch changes nothing, so that nothing is written.
    ///
    /// Order of checks: fields the caller may not set (403), field rules (422), then the
    /// ticket's state (409).
    pub fn apply(
        &self,
        ticket: &TicketSummary,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<Option<TicketSummary>, DomainError> {
        forbid_for_client(
            caller,
            &[
                ("status", self.status.is_present()),
                ("priority", self.priority.is_present()),
                ("category", self.category.is_present()),
                ("assignedTo", self.assigned_to.is_present()),
                ("resolution", self.resolution.is_present()),
            ],
        )?;
        let fields = [
            self.title.is_present(),
            self.description.is_present(),
            self.status.is_present(),
            self.priority.is_present(),
            self.category.is_present(),
            self.assigned_to.is_present(),
            self.tags.is_present(),
            self.resolution.is_present(),
        ];
        if !fields.contains(&true) {
            return Err(DomainError::validation("body", "names no field to change"));
        }

        let mut after = ticket.clone();
        let mut check = Checker::default();
        let mut target_status = None;
        match &self.title {
            Patch::Value(v) => set(
                &mut after.title,
                check.text("title", v, TITLE_MAX, Lines::Single),
            ),
            Patch::Null => check.fail("title", "must not be null"),
            Patch::Absent => {}
        }
        match &self.description {
            Patch::Value(v) => set(
                &mut after.description,
                check.text("description", v, DESCRIPTION_MAX, Lines::Multi),
            ),
            Patch::Null => check.fail("description", "must not be null"),
            Patch::Absent => {}
        }
        match &self.status {
            Patch::Value(v) => target_status = check.one_of("status", v, Status::ALL),
            Patch::Null => check.fail("status", "must not be null"),
            Patch::Absent => {}
        }
        match &self.priority {
            Patch::Value(v) => set(
                &mut after.priority,
                check.one_of("priority", v, Priority::ALL),
            ),
            Patch::Null => check.fail("priority", "must not be null"),
            Patch::Absent => {}
        }
        match &self.category {
            Patch::Value(v) => set(
                &mut after.category,
                check.one_of("category", v, Category::ALL),
            ),
            Patch::Null => check.fail("category", "must not be null"),
            Patch::Absent => {}
        }
        match &self.assigned_to {
            Patch::Value(v) => {
                let assignee = if v == "me" {
                    Some(caller.id.clone())
                } else {
                    check.principal("assignedTo", v)
                };
                if assignee.is_some() {
                    after.assigned_to = assignee;
                }
            }
            Patch::Null => after.assigned_to = None,
            Patch::Absent => {}
        }
        match &self.tags {
            Patch::Value(v) => set(&mut after.tags, check.tags(v)),
            Patch::Null => after.tags = Vec::new(),
            Patch::Absent => {}
        }
        match &self.resolution {
            Patch::Value(v) => {
                if let Some(text) = check.text("resolution", v, RESOLUTION_MAX, Lines::Multi) {
                    after.resolution = Some(text);
                }
            }
            Patch::Null => after.resolution = None,
            Patch::Absent => {}
        }
        check.finish()?;

        if let Some(to) = target_status {
            after.transition(to, now)?;
        }
        if after.status == Status::Resolved && after.resolution.is_none() {
            return Err(DomainError::validation(
                "resolution",
                "cannot be removed from a resolved ticket",
            ));
        }
        if after == *ticket {
            return Ok(None);
        }
        self.check_state(ticket, &after, caller)?;
        Ok(Some(after))
    }

    /// State rules: a closed ticket only takes tag changes; a client edits only while its ticket
    /// is `open` or `pending`.
    fn check_state(
        &self,
        before: &TicketSummary,
        after: &TicketSummary,
        caller: &Caller,
    ) -> Result<(), DomainError> {
        if !caller.is_staff() && !matches!(before.status, Status::Open | Status::Pending) {
            return Err(DomainError::Conflict(format!(
                "a {} ticket can no longer be edited by its client",
                before.status
            )));
        }
        if before.status == Status::Closed {
            let tags_only = TicketSummary {
                tags: before.tags.clone(),
                ..after.clone()
            };
            if tags_only != *before {
                return Err(DomainError::Conflict(match &before.merged_into {
                    Some(into) => {
                        format!("the ticket was merged into {into}: only its tags may change")
                    }
                    None => "the ticket is closed: only its tags may change".into(),
                }));
            }
        }
        Ok(())
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *field = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::testing::summary;

    fn patch(json: &str) -> TicketPatch {
        serde_json::from_str(json).unwrap()
    }

    fn client() -> Caller {
        Caller::new("client-1", Role::Client)
    }

    fn agent() -> Caller {
        Caller::new("agent-1", Role::Agent)
    }

    #[test]
    fn a_patch_serialises_to_what_it_was_read_from() {
        let p = patch(r#"{"tags": ["A"], "assignedTo": null}"#);
        assert_eq!(
            serde_json::to_value(&p).unwrap(),
            serde_json::json!({"assignedTo": null, "tags": ["A"]})
        );
    }

    #[test]
    fn null_absent_and_value_are_told_apart() {
        let p = patch(r#"{"assignedTo": null, "tags": ["A"]}"#);
        assert_eq!(p.assigned_to, Patch::Null);
        assert_eq!(p.title, Patch::Absent);
        assert_eq!(p.tags, Patch::Value(vec!["A".to_string()]));
        assert!(serde_json::from_str::<TicketPatch>(r#"{"bogus": 1}"#).is_err());
    }

    #[test]
    fn a_change_sets_the_fields_it_names_and_leaves_the_stamp_to_the_save() {
        let before = summary(Status::Open);
        let now = Timestamp::now();
        let after = patch(r#"{"title": "New title", "priority": "urgent"}"#)
            .apply(&before, &agent(), now)
            .unwrap()
            .unwrap();
        assert_eq!(after.title, "New title");
        assert_eq!(after.priority, Priority::Urgent);
        assert_eq!(
            (after.version, after.updated_at),
            (before.version, before.updated_at)
        );
    }

    #[test]
    fn a_patch_that_changes_nothing_writes_nothing() {
        let before = summary(Status::Open);
        let same = format!(r#"{{"title": "{}"}}"#, before.title);
        assert_eq!(
            patch(&same)
                .apply(&before, &agent(), Timestamp::now())
                .unwrap(),
            None
        );
    }

    #[test]
    fn a_client_may_not_write_staff_fields() {
        let before = summary(Status::Open);
        for body in [
            r#"{"status": "closed"}"#,
            r#"{"assignedTo": "client-1"}"#,
            r#"{"resolution": "done"}"#,
            r#"{"priority": "urgent"}"#,
        ] {
            let err = patch(body)
                .apply(&before, &client(), Timestamp::now())
                .unwrap_err();
            assert!(matches!(err, DomainError::Forbidden(_)), "{body}");
        }
    }

    #[test]
    fn a_client_edits_only_while_open_or_pending() {
        let body = patch(r#"{"title": "Still broken"}"#);
        for status in [Status::Open, Status::Pending] {
            assert!(body
                .apply(&summary(status), &client(), Timestamp::now())
                .is_ok());
        }
        for status in [Status::InProgress, Status::Resolved, Status::Closed] {
            let err = body
                .apply(&summary(status), &client(), Timestamp::now())
                .unwrap_err();
            assert!(matches!(err, DomainError::Conflict(_)), "{status}");
        }
    }

    #[test]
    fn a_closed_ticket_takes_only_tag_changes() {
        let closed = summary(Status::Closed);
        let tags = patch(r#"{"tags": ["archived"]}"#).apply(&closed, &agent(), Timestamp::now());
        assert_eq!(tags.unwrap().unwrap().tags, ["archived"]);
        let err = patch(r#"{"priority": "low"}"#)
            .apply(&closed, &agent(), Timestamp::now())
            .unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)));
        let err = patch(r#"{"status": "open"}"#)
            .apply(&closed, &agent(), Timestamp::now())
            .unwrap_err();
        assert!(matches!(err, DomainError::Conflict(_)));
    }

    #[test]
    fn resolving_with_a_resolution_in_the_same_patch_works() {
        let now = Timestamp::now();
        let after = patch(r#"{"status": "resolved", "resolution": "Reset the password"}"#)
            .apply(&summary(Status::InProgress), &agent(), now)
            .unwrap()
            .unwrap();
        assert_eq!(after.status, Status::Resolved);
        assert_eq!(after.resolved_at, Some(now));
        let err = patch(r#"{"status": "resolved"}"#)
            .apply(&summary(Status::InProgress), &agent(), now)
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation(_)));
    }

    #[test]
    fn nulls_clear_optional_fields_and_are_refused_for_required_ones() {
        let mut before = summary(Status::Open);
        before.assigned_to = Some("agent-2".into());
        let after = patch(r#"{"assignedTo": null}"#)
            .apply(&before, &agent(), Timestamp::now())
            .unwrap()
            .unwrap();
        assert_eq!(after.assigned_to, None);
        let err = patch(r#"{"title": null}"#)
            .apply(&before, &agent(), Timestamp::now())
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation(_)));
    }

    #[test]
    fn assigned_to_me_means_the_caller() {
        let after = patch(r#"{"assignedTo": "me"}"#)
            .apply(&summary(Status::Open), &agent(), Timestamp::now())
            .unwrap()
            .unwrap();
        assert_eq!(after.assigned_to.as_deref(), Some("agent-1"));
    }

    #[test]
    fn an_empty_patch_is_refused() {
        let err = patch("{}")
            .apply(&summary(Status::Open), &agent(), Timestamp::now())
            .unwrap_err();
        assert!(matches!(err, DomainError::Validation(_)));
    }
}
