//! Use cases that span the ports: changing a stored ticket safely under concurrent writers.

use std::borrow::Borrow;
use std::future::Future;

use crate::access::Caller;
use crate::attachment::{object_key, parse_object_key, NewUpload, UploadRules};
use crate::edit::TicketEdit;
use crate::error::DomainError;
use crate::model::{
    Attachment, AttachmentStatus, Status, ThreadMessage, Ticket, TicketSummary, Timestamp,
};
use crate::store::{
    AttachmentReader, AttachmentWriter, FileStore, PresignedUpload, StoreError, ThreadWriter,
    TicketReader, TicketWriter, UploadVerdict,
};
use crate::thread::NewMessage;

/// How often a change is re-applied after losing a race with another writer.
pub(crate) const MAX_ATTEMPTS: u32 = 10;

/// Reads the ticket, applies `change` for `caller`, and saves it (its next version, stamped with
/// the caller and the time) conditionally on the version read. Losing a race re-reads and
/// re-applies the change, so concurrent changes to different fields are all kept; with
/// `expected_version` (`If-Match`) a race is a 412 instead.
///
/// `change` returns `None` when it changes nothing: nothing is written and the ticket is
/// returned as it is.
pub async fn modify_ticket<S, F>(
    store: &S,
    id: &str,
    caller: &Caller,
    expected_version: Option<u64>,
    change: F,
) -> Result<Ticket, DomainError>
where
    S: TicketReader + TicketWriter,
    F: Fn(&TicketSummary, Timestamp) -> Result<Option<TicketSummary>, DomainError>,
{
    let read = || store.get_ticket(id);
    let (ticket, after) = modify(store, caller, expected_version, read, change).await?;
    Ok(match after {
        Some(summary) => Ticket { summary, ..ticket },
        None => ticket,
    })
}

/// `modify_ticket` on the ticket's own fields only (one read of two small items, whatever the
/// thread), answering them.
pub async fn modify_summary<S, F>(
    store: &S,
    id: &str,
    caller: &Caller,
    expected_version: Option<u64>,
    change: F,
) -> Result<TicketSummary, DomainError>
where
    S: TicketReader + TicketWriter,
    F: Fn(&TicketSummary, Timestamp) -> Result<Option<TicketSummary>, DomainError>,
{
    let read = || store.get_summary(id);
    let (ticket, after) = modify(store, caller, expected_version, read, change).await?;
    Ok(after.unwrap_or(ticket))
}

/// The loop of `modify_ticket`: the ticket as `read`, and what was saved (`None`: nothing).
async fn modify<S, T, R, Fut, F>(
    store: &S,
    caller: &Caller,
    expected_version: Option<u64>,
    read: R,
    change: F,
) -> Result<(T, Option<TicketSummary>), DomainError>
where
    S: TicketWriter,
    T: Borrow<TicketSummary>,
    R: Fn() -> Fut,
    Fut: Future<Output = Result<Option<T>, StoreError>>,
    F: Fn(&TicketSummary, Timestamp) -> Result<Option<TicketSummary>, DomainError>,
{
    let levels = store.service_levels().await?;
    for _ in 0..MAX_ATTEMPTS {
        let ticket = caller.visible(read().await?)?;
        let before: &TicketSummary = ticket.borrow();
        if let Some(expected) = expected_version {
            if expected != before.version {
                return Err(DomainError::PreconditionFailed { expected });
            }
        }
        let now = Timestamp::now();
        let Some(mut after) = change(before, now)? else {
            return Ok((ticket, None));
        };
        after.sla = levels.track(Some(before), &after, None, now);
        let after = after.revised(&caller.id, now);
        match store.save_ticket(before, &after).await {
            Ok(()) => return Ok((ticket, Some(after))),
            Err(StoreError::VersionConflict) => match expected_version {
                Some(expected) => return Err(DomainError::PreconditionFailed { expected }),
                None => continue,
            },
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::VersionConflict.into())
}

impl TicketSummary {
    /// Soft delete (admins): the ticket leaves every list and count but can be restored.
    pub fn soft_deleted(
        &self,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<TicketSummary, DomainError> {
        caller.ensure_admin()?;
        if self.is_deleted() {
            return Err(DomainError::Conflict(
                "the ticket is already deleted".into(),
            ));
        }
        Ok(TicketSummary {
            deleted_at: Some(now),
            ..self.clone()
        })
    }

    /// Undoes a soft delete (admins).
    pub fn restored(&self, caller: &Caller) -> Result<TicketSummary, DomainError> {
        caller.ensure_admin()?;
        if !self.is_deleted() {
            return Err(DomainError::Conflict("the ticket is not deleted".into()));
        }
        Ok(TicketSummary {
            deleted_at: None,
            ..self.clone()
        })
    }
}

/// Posts a message in a ticket's thread for `caller`. The message and its effects on the
/// ticket are written together; when the ticket changed in a way that matters (its status), the
/// message is worked out again on the fresh ticket.
pub async fn post_message<S>(
    store: &S,
    id: &str,
    caller: &Caller,
    message: NewMessage,
) -> Result<ThreadMessage, DomainError>
where
    S: TicketReader + ThreadWriter,
{
    post_message_as(store, id, caller, message, None).await
}

/// [`post_message`] under a message id chosen by the caller (an inbound e-mail's, the same on
/// every delivery of it: the second write finds the message stored and changes nothing).
pub async fn post_message_as<S>(
    store: &S,
    id: &str,
    caller: &Caller,
    message: NewMessage,
    message_id: Option<&str>,
) -> Result<ThreadMessage, DomainError>
where
    S: TicketReader + ThreadWriter,
{
    let levels = store.service_levels().await?;
    for _ in 0..MAX_ATTEMPTS {
        let ticket = caller.visible(store.get_summary(id).await?)?;
        let mut posted = message
            .clone()
            .post(&ticket, caller, Timestamp::now(), &levels)?;
        if let Some(message_id) = message_id {
            posted.message.id = message_id.to_owned();
        }
        match store.add_message(&posted).await {
            Ok(()) => return Ok(posted.message),
            Err(StoreError::VersionConflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::VersionConflict.into())
}

/// Declares an upload on a ticket for `caller`: stores the `pending` record and returns it
/// with the presigned upload. Nothing is stored when the declaration is refused.
pub async fn request_upload<S, F>(
    store: &S,
    files: &F,
    id: &str,
    caller: &Caller,
    upload: NewUpload,
    rules: &UploadRules,
) -> Result<(Attachment, PresignedUpload), DomainError>
where
    S: TicketReader + AttachmentWriter,
    F: FileStore,
{
    for _ in 0..MAX_ATTEMPTS {
        let now = Timestamp::now();
        let ticket = caller.live(store.get_ticket(id).await?)?.as_of(now);
        let attachment =
            upload
                .clone()
                .into_attachment(&ticket, ticket.attachments.len(), caller, rules)?;
        let presigned = files
            .presign_upload(&object_key(id, &attachment.id), &attachment)
            .await?;
        let edit = TicketEdit::check(&ticket.summary);
        match store.add_attachment(&attachment, &edit).await {
            Ok(()) => return Ok((attachment, presigned)),
            // Closed or deleted meanwhile: the next read says which.
            Err(StoreError::VersionConflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::VersionConflict.into())
}

/// The attachment of a ticket the caller may see, or `NotFound`.
pub async fn find_attachment<S: AttachmentReader>(
    store: &S,
    ticket_id: &str,
    attachment_id: &str,
    caller: &Caller,
) -> Result<(TicketSummary, Attachment), DomainError> {
    let (ticket, attachment) = match store.get_attachment(ticket_id, attachment_id).await? {
        Some((ticket, attachment)) => (Some(ticket), attachment),
        None => (None, None),
    };
    let ticket = caller.live(ticket)?;
    let attachment = attachment
        .filter(|attachment| !attachment.is_stale(Timestamp::now()))
        .ok_or(DomainError::NotFound)?;
    Ok((ticket, attachment))
}

/// What became of an upload notification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UploadOutcome {
    Available,
    Rejected,
    /// Nothing to do: not one of our keys, no such attachment, already settled, or no object.
    Ignored(&'static str),
}

/// Checks an uploaded object against its declaration and settles the attachment: `available`
/// with the real size, or `rejected` with the object deleted. Safe to repeat.
pub async fn settle_upload<S, F>(
    store: &S,
    files: &F,
    rules: &UploadRules,
    key: &str,
) -> Result<UploadOutcome, DomainError>
where
    S: AttachmentReader + AttachmentWriter,
    F: FileStore,
{
    let Some((ticket_id, attachment_id)) = parse_object_key(key) else {
        return Ok(UploadOutcome::Ignored("not an attachment key"));
    };
    let Some((_, Some(attachment))) = store.get_attachment(ticket_id, attachment_id).await? else {
        return Ok(UploadOutcome::Ignored("no such attachment"));
    };
    match attachment.status {
        AttachmentStatus::Pending => {}
        // A rejected upload's object must be gone, also when a first try died before deleting.
        AttachmentStatus::Rejected => {
            files.delete(key).await?;
            return Ok(UploadOutcome::Ignored("already rejected"));
        }
        _ => return Ok(UploadOutcome::Ignored("already settled")),
    }
    let Some(object) = files.inspect(key).await? else {
        return Ok(UploadOutcome::Ignored("no object under the key"));
    };
    // An object for an upload that went stale came too late to count: it is refused like a
    // mismatch (its URL had expired; AWS would not have taken it).
    let in_time = !attachment.is_stale(Timestamp::now());
    if in_time && rules.accepts(&attachment, object.size, &object.content_type) {
        let verdict = UploadVerdict::Available { size: object.size };
        store
            .settle_attachment(ticket_id, attachment_id, &verdict)
            .await?;
        Ok(UploadOutcome::Available)
    } else {
        // Marked first: a retry after a failed delete still finds it rejected and deletes.
        store
            .settle_attachment(ticket_id, attachment_id, &UploadVerdict::Rejected)
            .await?;
        files.delete(key).await?;
        Ok(UploadOutcome::Rejected)
    }
}

/// Removes an attachment: its file, then its record.
pub async fn remove_attachment<S, F>(
    store: &S,
    files: &F,
    ticket_id: &str,
    attachment_id: &str,
    caller: &Caller,
) -> Result<(), DomainError>
where
    S: AttachmentReader + AttachmentWriter,
    F: FileStore,
{
    let (ticket, attachment) = find_attachment(store, ticket_id, attachment_id, caller).await?;
    caller.ensure_may_remove(&attachment)?;
    if ticket.status == Status::Closed {
        return Err(DomainError::Conflict(
            "the ticket is closed: its attachments stay".into(),
        ));
    }
    if attachment.status != AttachmentStatus::External {
        files.delete(&object_key(ticket_id, attachment_id)).await?;
    }
    let edit = TicketEdit::check(&ticket);
    match store.remove_attachment(attachment_id, &edit).await {
        Ok(()) => Ok(()),
        Err(StoreError::VersionConflict) => Err(DomainError::NotFound),
        Err(err) => Err(err.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::model::Status;
    use crate::testing::summary;

    #[test]
    fn only_admins_delete_and_restore_and_each_only_once() {
        let admin = Caller::new("root", Role::Admin);
        let agent = Caller::new("agent", Role::Agent);
        let ticket = summary(Status::Open);
        assert!(matches!(
            ticket.soft_deleted(&agent, Timestamp::now()),
            Err(DomainError::Forbidden(_))
        ));
        let deleted = ticket.soft_deleted(&admin, Timestamp::now()).unwrap();
        assert!(deleted.is_deleted());
        assert!(matches!(
            deleted.soft_deleted(&admin, Timestamp::now()),
            Err(DomainError::Conflict(_))
        ));
        let restored = deleted.restored(&admin).unwrap();
        assert!(!restored.is_deleted());
        assert!(matches!(
            restored.restored(&admin),
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn a_deleted_ticket_is_visible_to_admins_only() {
        let mut ticket = summary(Status::Open);
        ticket.deleted_at = Some(Timestamp::now());
        assert!(Caller::new("root", Role::Admin).can_see(&ticket));
        assert!(!Caller::new("agent", Role::Agent).can_see(&ticket));
        assert!(!Caller::new("client-1", Role::Client).can_see(&ticket));
    }
}
