//! An in-place ticket edit (`TicketEdit`) as one write of a transaction: exactly what the domain
//! worked out, nothing read from a clock. An edit that changes nothing is a `ConditionCheck`
//! of its guards: the ticket item is not written, so no list index is either. Any other edit is
//! an `Update`: the attributes set and removed are the difference between the ticket items of
//! the edit's base and `after` (so the index keys follow through `ticket_item`, the one place
//! they are derived); the version is stepped, not compared; the guards become the condition.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::{AttributeValue, ConditionCheck, TransactWriteItem, Update};
use tickets_domain::{Guard, Status, StoreError, TicketEdit};

use crate::error::internal;
use crate::items::{
    field, key, ticket_pk, Layout, BY_ALL, IDX_SLA, IDX_SLA_NEXT, IDX_SLA_NEXT_AT, SORT_SLA_DUE,
    TICKET_SK,
};

/// The ticket item's service-level attributes: the clocks and the index keys derived from them.
const CLOCK_ATTRIBUTES: [&str; 5] = [
    "sla",
    IDX_SLA,
    SORT_SLA_DUE.1,
    IDX_SLA_NEXT,
    IDX_SLA_NEXT_AT,
];

/// The write that applies `edit` to its ticket item in `table`, in a transaction.
pub(crate) fn edit_write(
    table: &str,
    layout: &Layout,
    edit: &TicketEdit,
) -> Result<TransactWriteItem, StoreError> {
    if edit.changes_nothing() {
        let mut expression = Expression::default();
        for guard in &edit.guards {
            expression.require(*guard);
        }
        let check = ConditionCheck::builder()
            .table_name(table)
            .set_key(Some(key(ticket_pk(edit.ticket_id()), TICKET_SK)))
            .condition_expression(expression.conditions.join(" AND "))
            .set_expression_attribute_names(Some(expression.names))
            .set_expression_attribute_values(Some(expression.values))
            .build()
            .map_err(internal)?;
        return Ok(TransactWriteItem::builder().condition_check(check).build());
    }
    Ok(TransactWriteItem::builder()
        .update(edit_update(table, layout, edit)?)
        .build())
}

/// The update that applies a changing `edit` to its ticket item in `table`.
fn edit_update(table: &str, layout: &Layout, edit: &TicketEdit) -> Result<Update, StoreError> {
    let before = layout.ticket_item(&edit.base())?;
    // Sorted, so that one edit always reads as the same expression.
    let after: BTreeMap<String, AttributeValue> =
        layout.ticket_item(&edit.after)?.into_iter().collect();
    let mut expression = Expression::default();

    // The clocks, and the index keys derived from them, are written whole whenever the edit
    // moves them: the service-level job may have rewritten them since `before` was read (it
    // keeps the version), so a difference from `before` says nothing of the stored item.
    let clocks_moved = edit.after.sla != edit.before.sla;
    let forced = |attribute: &str| clocks_moved && CLOCK_ATTRIBUTES.contains(&attribute);

    expression.sets.push("#version = #version + :step".into());
    expression.name(field::VERSION);
    expression.value(":step", AttributeValue::N(edit.version_step().to_string()));
    for (attribute, value) in &after {
        if attribute != field::VERSION
            && (forced(attribute) || before.get(attribute) != Some(value))
        {
            expression.sets.push(format!("#{attribute} = :{attribute}"));
            expression.name(attribute);
            expression.value(&format!(":{attribute}"), value.clone());
        }
    }
    let mut removed: Vec<&str> = before
        .keys()
        .map(String::as_str)
        .chain(CLOCK_ATTRIBUTES.into_iter().filter(|a| forced(a)))
        .filter(|a| !after.contains_key(*a))
        .collect();
    removed.sort();
    removed.dedup();
    for attribute in removed {
        expression.removes.push(format!("#{attribute}"));
        expression.name(attribute);
    }
    for guard in &edit.guards {
        expression.require(*guard);
    }
    expression.build(table, edit.ticket_id())
}

#[derive(Default)]
struct Expression {
    sets: Vec<String>,
    removes: Vec<String>,
    conditions: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Expression {
    /// Registers `#attribute` for `attribute`.
    fn name(&mut self, attribute: &str) {
        self.names.insert(format!("#{attribute}"), attribute.into());
    }

    fn value(&mut self, placeholder: &str, value: AttributeValue) {
        self.values.insert(placeholder.into(), value);
    }

    fn require(&mut self, guard: Guard) {
        match guard {
            Guard::Writable => {
                // A visible ticket is one with list-index keys (soft delete removes them).
                self.name(BY_ALL.key);
                self.name(field::STATUS);
                self.value(":closed", AttributeValue::S(Status::Closed.to_string()));
                self.conditions.push(format!(
                    "attribute_exists(#{}) AND #{} <> :closed",
                    BY_ALL.key,
                    field::STATUS
                ));
            }
            Guard::Status(status) => {
                self.name(field::STATUS);
                self.value(":expected", AttributeValue::S(status.to_string()));
                self.conditions
                    .push(format!("#{} = :expected", field::STATUS));
            }
            Guard::Version(version) => {
                self.name(field::VERSION);
                self.value(":read", AttributeValue::N(version.to_string()));
                self.conditions.push(format!("#{} = :read", field::VERSION));
            }
            Guard::NoFirstResponse => {
                let name = format!("#{}", field::FIRST_RESPONSE_AT);
                self.name(field::FIRST_RESPONSE_AT);
                self.value(":nullType", AttributeValue::S("NULL".into()));
                self.conditions.push(format!(
                    "(attribute_not_exists({name}) OR attribute_type({name}, :nullType))"
                ));
            }
        }
    }

    fn build(self, table: &str, ticket_id: &str) -> Result<Update, StoreError> {
        let mut update = format!("SET {}", self.sets.join(", "));
        if !self.removes.is_empty() {
            update.push_str(&format!(" REMOVE {}", self.removes.join(", ")));
        }
        let mut builder = Update::builder()
            .table_name(table)
            .set_key(Some(key(ticket_pk(ticket_id), TICKET_SK)))
            .update_expression(update)
            .set_expression_attribute_names(Some(self.names))
            .set_expression_attribute_values(Some(self.values));
        if !self.conditions.is_empty() {
            builder = builder.condition_expression(self.conditions.join(" AND "));
        }
        builder.build().map_err(internal)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::sample_ticket;
    use tickets_domain::{TicketSummary, Timestamp};

    fn resolved() -> TicketSummary {
        TicketSummary {
            status: Status::Resolved,
            resolution: Some("done".into()),
            resolved_at: Some(sample_ticket().created_at),
            version: 4,
            ..sample_ticket()
        }
    }

    #[test]
    fn a_reopen_sets_what_changed_and_drops_the_resolved_index_keys() {
        let before = resolved();
        let at: Timestamp = "2024-01-16T08:00:00Z".parse().unwrap();
        let mut edit = TicketEdit::check(&before).guarded(Guard::Status(Status::Resolved));
        edit.after.status = Status::Open;
        edit.after.resolved_at = None;
        let edit = edit.stamped("c1", at);
        let update = edit_update("t", &Layout::default(), &edit).unwrap();
        assert_eq!(
            update.update_expression(),
            "SET #version = #version + :step, #changedBy = :changedBy, \
             #idxStatus = :idxStatus, #idxUpdated = :idxUpdated, #resolvedAt = :resolvedAt, \
             #status = :status, #updatedAt = :updatedAt REMOVE #idxResolved, #idxResolvedAt"
        );
        assert_eq!(
            update.condition_expression(),
            Some("attribute_exists(#idxAll) AND #status <> :closed AND #status = :expected")
        );
        let values = update.expression_attribute_values().unwrap();
        assert_eq!(values[":step"], AttributeValue::N("1".into()));
        assert_eq!(values[":idxStatus"], AttributeValue::S("open".into()));
        assert_eq!(values[":resolvedAt"], AttributeValue::Null(true));
        assert_eq!(
            values[":idxUpdated"],
            AttributeValue::S(format!("2024-01-16T08:00:00.000Z#{}", before.id))
        );
    }

    #[test]
    fn an_edit_that_changes_nothing_only_checks_its_guards() {
        let ticket = sample_ticket();
        let edit = TicketEdit::check(&ticket).guarded(Guard::Status(Status::Open));
        let write = edit_write("t", &Layout::default(), &edit).unwrap();
        assert!(write.update().is_none());
        let check = write.condition_check().unwrap();
        assert_eq!(
            check.condition_expression(),
            "attribute_exists(#idxAll) AND #status <> :closed AND #status = :expected"
        );
        assert_eq!(check.key()["sk"], AttributeValue::S("TICKET".into()));
    }
}
