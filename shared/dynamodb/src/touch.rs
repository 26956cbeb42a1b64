//! The in-place ticket update that goes with a change beside the ticket (a message, an
//! attachment): bump `version`, move `updatedAt`, and hold only while the ticket is visible and
//! not closed. Callers add what their change implies.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{AttributeValue, Update};
use tickets_domain::{Status, StoreError, Timestamp};

use crate::error::internal;
use crate::items::{key, sort_value, ticket_pk, TICKET_SK};

pub(crate) struct Touch {
    ticket_id: String,
    sets: Vec<String>,
    removes: Vec<String>,
    conditions: Vec<String>,
    names: HashMap<String, String>,
    values: HashMap<String, AttributeValue>,
}

impl Touch {
    pub fn new(ticket_id: &str, now: Timestamp, by: &str) -> Self {
        let mut touch = Touch {
            ticket_id: ticket_id.to_owned(),
            sets: vec!["#version = #version + :one".into()],
            removes: Vec::new(),
            // A visible ticket is one with list-index keys (soft delete removes them).
            conditions: vec![
                "attribute_exists(#idxAll)".into(),
                "#status <> :closed".into(),
            ],
            names: HashMap::new(),
            values: HashMap::new(),
        };
        touch.name("#version", "version");
        touch.name("#idxAll", "idxAll");
        touch.name("#status", "status");
        touch.value(":one", AttributeValue::N("1".into()));
        touch.value(":closed", AttributeValue::S(Status::Closed.to_string()));
        touch.set("updatedAt", AttributeValue::S(now.to_string()));
        touch.set("idxUpdated", AttributeValue::S(sort_value(&now, ticket_id)));
        touch.set("changedBy", AttributeValue::S(by.to_owned()));
        touch
    }

    pub fn name(&mut self, placeholder: &str, attribute: &str) {
        self.names.insert(placeholder.into(), attribute.into());
    }

    pub fn value(&mut self, placeholder: &str, value: AttributeValue) {
        self.values.insert(placeholder.into(), value);
    }

    /// `SET attribute = value`.
    pub fn set(&mut self, attribute: &str, value: AttributeValue) {
        let (name, placeholder) = (format!("#{attribute}"), format!(":{attribute}"));
        self.sets.push(format!("{name} = {placeholder}"));
        self.name(&name, attribute);
        self.value(&placeholder, value);
    }

    /// `REMOVE attribute`.
    pub fn remove(&mut self, attribute: &str) {
        let name = format!("#{attribute}");
        self.removes.push(name.clone());
        self.name(&name, attribute);
    }

    /// An extra condition, written with placeholders registered through `name` and `value`.
    pub fn require(&mut self, condition: &str) {
        self.conditions.push(condition.into());
    }

    pub fn build(self, table: &str) -> Result<Update, StoreError> {
        Update::builder()
            .table_name(table)
            .set_key(Some(key(ticket_pk(&self.ticket_id), TICKET_SK)))
            .update_expression(if self.removes.is_empty() {
                format!("SET {}", self.sets.join(", "))
            } else {
                format!(
                    "SET {} REMOVE {}",
                    self.sets.join(", "),
                    self.removes.join(", ")
                )
            })
            .condition_expression(self.conditions.join(" AND "))
            .set_expression_attribute_names(Some(self.names))
            .set_expression_attribute_values(Some(self.values))
            .build()
            .map_err(internal)
    }
}
