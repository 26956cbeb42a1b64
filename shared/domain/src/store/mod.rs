//! The storage ports, one module per concern. The domain owns them; the DynamoDB and S3
//! adapters implement them. Each handler asks only for the ports it uses.

mod attachments;
mod contacts;
mod events;
mod exports;
mod files;
mod history;
mod lifecycle;
mod mail;
mod reports;
mod sla;
mod threads;
mod tickets;
mod webhooks;

pub use attachments::{AttachmentReader, AttachmentWriter, UploadVerdict};
pub use contacts::{Contact, ContactRemembered, ContactSource, ContactStore, RekeyJob, RekeyJobs};
pub use events::{Change, EventPublisher};
pub use exports::{
    ArchivePart, ArchiveStore, ExportJob, ExportJobs, ExportProgress, Exported, IdPage,
};
pub use files::{FileStore, PresignedUpload, StoredObject};
pub use history::{HistoryPage, HistoryStore};
pub use lifecycle::{
    ClientData, ErasureJob, ErasureJobs, ErasurePlan, FailedJobs, JobKind, JobQueue, JobStatus,
    Removed, TicketEraser,
};
pub use mail::{
    raw_mail_key, MailFiles, MailSender, MailStore, RawMail, SendFailure, INBOUND_PREFIX,
};
pub use reports::ReportStore;
pub use sla::{ClockWatcher, ServiceLevels, SlaStore, StoredSla};
pub use threads::{MessagePage, ThreadReader, ThreadWriter};
pub use tickets::{
    CreateOutcome, IdempotencyRecord, IdempotencyStore, ListFilter, ListQuery, PageStart,
    Remembered, SlaQueue, Sort, SortField, TicketCloser, TicketCreator, TicketLister, TicketMerger,
    TicketPage, TicketReader, TicketWriter,
};

pub use webhooks::{
    Courier, DeliveryPage, DeliveryQueue, HostResolver, StoredSubscription, WebhookStore,
};

pub use crate::access::Scope;
pub use crate::counts::{CounterSet, Counts, Facet, Tally};
pub use crate::error::StoreError;

/// One page of a ticket's thread or history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageQuery {
    pub limit: u32,
    /// From a previous page's `next_cursor`; `None` starts at the first message.
    pub cursor: Option<String>,
}
