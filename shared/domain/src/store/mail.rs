//! The e-mail channel's storage: the raw messages SES receives, what became of each, the
//! notices sent (one per event and recipient), the addresses that bounced or complained, and
//! the sending itself.

use std::future::Future;

use crate::error::StoreError;
use crate::model::{ThreadMessage, Timestamp};

/// Where SES's receipt rule writes raw messages: `inbound/<SES message id>`.
pub const INBOUND_PREFIX: &str = "inbound/";

/// Where a raw message is kept once it became part of a ticket: with the ticket's files, so
/// that erasing the ticket erases it.
pub fn raw_mail_key(ticket_id: &str, mail_id: &str) -> String {
    format!("tickets/{ticket_id}/mail/{mail_id}")
}

/// A raw inbound message as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawMail {
    /// Nothing under the key (handled and moved before, or never there).
    Gone,
    /// Larger than the desk reads: its size, unread.
    TooLarge(u64),
    Found {
        bytes: Vec<u8>,
        received_at: Timestamp,
    },
}

/// The raw messages and the files they carry (deleting is the `FileStore`'s).
pub trait MailFiles: Send + Sync {
    /// The message under `key`, read only when at most `max_bytes`.
    fn raw_mail(
        &self,
        key: &str,
        max_bytes: u64,
    ) -> impl Future<Output = Result<RawMail, StoreError>> + Send;

    /// Stores a file of a message under `key` (an attachment's object key).
    fn store_file(
        &self,
        key: &str,
        bytes: &[u8],
        content_type: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// What the channel records.
pub trait MailStore: Send + Sync {
    /// An inbound message refused, with the reason (ids and reason only, never an address).
    fn record_refusal(
        &self,
        mail_id: &str,
        reason: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// An inbound message that became part of `ticket_id` (its raw copy is kept with the
    /// ticket's files under [`raw_mail_key`]).
    fn record_inbound(
        &self,
        ticket_id: &str,
        mail_id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The ticket a message the desk sent was about, by the id SES gave it.
    fn ticket_of_sent(
        &self,
        sent_id: &str,
    ) -> impl Future<Output = Result<Option<String>, StoreError>> + Send;

    /// Claims the notice of `event_id` to `recipient`: `false` when it was claimed before
    /// (sent, or being sent by an attempt that may have died).
    fn claim_notice(
        &self,
        event_id: &str,
        recipient: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Gives a claim up (the notice was not sent: the next delivery of its event sends it).
    fn release_notice(
        &self,
        event_id: &str,
        recipient: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// A notice sent: SES's id on the claim, and SES's id naming the ticket (replies quote it).
    fn record_sent(
        &self,
        event_id: &str,
        recipient: &str,
        ticket_id: &str,
        sent_id: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Stops all mail to an address (a permanent bounce or a complaint), with the reason.
    fn suppress(
        &self,
        address: &str,
        reason: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn is_suppressed(&self, address: &str)
        -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// One message of a ticket's thread.
    fn thread_message(
        &self,
        ticket_id: &str,
        message_id: &str,
    ) -> impl Future<Output = Result<Option<ThreadMessage>, StoreError>> + Send;
}

/// Why sending failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SendFailure {
    /// Worth trying again later (throttled after the retries, unreachable).
    #[error("sending failed for now: {0}")]
    Transient(String),
    /// Never going to work for this message (the address or the message is refused).
    #[error("sending refused: {0}")]
    Permanent(String),
}

/// Sends a raw MIME message; the id SES gave it.
pub trait MailSender: Send + Sync {
    fn send_raw(
        &self,
        to: &str,
        raw: Vec<u8>,
    ) -> impl Future<Output = Result<String, SendFailure>> + Send;
}
