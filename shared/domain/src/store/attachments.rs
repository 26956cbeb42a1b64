//! Attachment records (their files are the `FileStore`'s).

use std::future::Future;

use crate::edit::TicketEdit;
use crate::error::StoreError;
use crate::model::{Attachment, TicketSummary};

pub trait AttachmentReader: Send + Sync {
    /// The ticket and one of its attachments, read together. `None` when there is no ticket;
    /// the attachment is `None` when the ticket has no such attachment.
    fn get_attachment(
        &self,
        ticket_id: &str,
        attachment_id: &str,
    ) -> impl Future<Output = Result<Option<(TicketSummary, Option<Attachment>)>, StoreError>> + Send;
}

pub trait AttachmentWriter: Send + Sync {
    /// Stores a new attachment record and applies `edit` to its ticket, in one transaction
    /// (`VersionConflict` when a guard of the edit no longer holds).
    fn add_attachment(
        &self,
        attachment: &Attachment,
        edit: &TicketEdit,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Moves a `pending` attachment to its verdict. `false` when it was not pending (already
    /// settled, e.g. a redelivered event): nothing changes then.
    fn settle_attachment(
        &self,
        ticket_id: &str,
        attachment_id: &str,
        verdict: &UploadVerdict,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Removes the attachment record and applies `edit` to its ticket, in one transaction.
    fn remove_attachment(
        &self,
        attachment_id: &str,
        edit: &TicketEdit,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What checking an uploaded object decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadVerdict {
    /// As declared and allowed; `size` is the real size.
    Available {
        size: u64,
    },
    Rejected,
}
