//! The support-ticket domain (docs/DESIGN.md): the ticket object, field rules, the status workflow,
//! who may do what, and the storage ports. Pure: no AWS, HTTP or Lambda types.

pub mod access;
pub mod attachment;
pub mod bulk;
pub mod counts;
pub mod create;
#[cfg(any(test, feature = "testing"))]
pub mod doubles;
pub mod edit;
pub mod error;
pub mod export;
pub mod history;
pub mod idempotency;
pub mod lifecycle;
pub mod mail;
pub mod merge;
pub mod model;
pub mod notify;
pub mod rekey;
pub mod reports;
pub mod satisfaction;
pub mod service;
pub mod sla;
pub mod store;
pub mod thread;
pub mod triggers;
pub mod update;
mod validation;
pub mod webhook;
mod workflow;

pub use access::{Caller, Role};
pub use attachment::{NewUpload, UploadRules};
pub use create::{ExternalAttachment, NewTicket};
pub use edit::{Guard, TicketEdit};
pub use error::{DomainError, FieldError};
pub use model::{
    is_valid_id, Attachment, AttachmentStatus, Category, MessageType, Priority, Status,
    ThreadMessage, Ticket, TicketBody, TicketSummary, Timestamp, INITIAL_VERSION, THREAD_WINDOW,
};
pub use store::StoreError;
pub use thread::{NewMessage, PostedMessage};
pub use update::{Patch, TicketPatch};

#[cfg(test)]
pub(crate) mod testing {
    use crate::model::{Category, Priority, Status, TicketSummary, Timestamp};

    /// A ticket of client `client-1` in `status`, as the unit tests start from.
    pub fn summary(status: Status) -> TicketSummary {
        let now = Timestamp::now();
        TicketSummary {
            id: crate::model::new_id(),
            title: "Printer on fire".into(),
            description: "It is on fire.".into(),
            status,
            priority: Priority::High,
            category: Category::Technical,
            client: "client-1".into(),
            assigned_to: None,
            tags: vec![],
            resolution: (status == Status::Resolved || status == Status::Closed)
                .then(|| "Extinguished".to_string()),
            created_at: now,
            updated_at: now,
            resolved_at: None,
            first_response_at: None,
            closed_at: None,
            reopened_at: None,
            deleted_at: None,
            changed_by: None,
            satisfaction: None,
            merged_into: None,
            merged_from: Vec::new(),
            sla: None,
            version: 3,
        }
    }
}
