//! Opening a ticket: the create command, its rules, and the ticket it produces.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::access::{forbid_for_client, Caller};
use crate::attachment::link_host;
use crate::error::DomainError;
pub use crate::idempotency::{IdempotencyKey, IDEMPOTENCY_WINDOW_HOURS};
use crate::model::{
    new_id, Attachment, AttachmentStatus, Category, MessageType, Priority, Status, ThreadMessage,
    Ticket, TicketSummary, Timestamp, INITIAL_VERSION,
};
use crate::store::{CreateOutcome, TicketCreator};
use crate::validation::{
    Checker, Lines, CONTENT_TYPE_MAX, DESCRIPTION_MAX, EXTERNAL_ATTACHMENTS_MAX, FILENAME_MAX,
    TITLE_MAX, URL_MAX,
};

/// The body of `POST /v2/support-tickets` (and of an ingested create command).
///
/// Required fields are optional here so that a missing one is a field error (422) reported with
/// the others, not a parse error.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NewTicket {
    pub title: Option<String>,
    pub description: Option<String>,
    pub priority: Option<String>,
    pub category: Option<String>,
    pub tags: Option<Vec<String>>,
    pub attachments: Option<Vec<ExternalAttachment>>,
    /// The customer the ticket is for: staff only (a client opens tickets for itself).
    pub client: Option<String>,
    pub assigned_to: Option<String>,
    /// Accepted for compatibility; a new ticket is always `open`.
    pub status: Option<String>,
    pub resolution: Option<String>,
}

/// A link to a file kept elsewhere, as the original API accepts at creation.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalAttachment {
    pub filename: Option<String>,
    pub url: Option<String>,
    pub size: Option<u64>,
    #[serde(rename = "type")]
    pub content_type: Option<String>,
}

impl NewTicket {
    /// Checks the command for `caller` and builds the new ticket, its first thread message (the
    /// description, written by the client) and its external attachments.
    pub fn into_ticket(self, caller: &Caller, now: Timestamp) -> Result<Ticket, DomainError> {
        let other_client = self.client.as_deref().is_some_and(|c| c != caller.id);
        forbid_for_client(
            caller,
            &[
                ("client", other_client),
                ("assignedTo", self.assigned_to.is_some()),
                ("status", self.status.is_some()),
                ("resolution", self.resolution.is_some()),
            ],
        )?;

        let mut check = Checker::default();
        let title = check
            .required("title", &self.title)
            .and_then(|t| check.text("title", t, TITLE_MAX, Lines::Single));
        let description = check
            .required("description", &self.description)
            .and_then(|d| check.text("description", d, DESCRIPTION_MAX, Lines::Multi));
        let priority = check
            .required("priority", &self.priority)
            .and_then(|p| check.one_of("priority", p, Priority::ALL));
        let category = check
            .required("category", &self.category)
            .and_then(|c| check.one_of("category", c, Category::ALL));
        let tags = check.tags(self.tags.as_deref().unwrap_or_default());
        let client = if caller.is_staff() {
            check
                .required("client", &self.client)
                .and_then(|c| check.principal("client", c))
        } else {
            Some(caller.id.clone())
        };
        let assigned_to = match self.assigned_to.as_deref() {
            // As in updates and list filters, `me` is the caller.
            Some("me") => Some(caller.id.clone()),
            Some(a) => check.principal("assignedTo", a),
            None => None,
        };
        if let Some(status) = &self.status {
            if check.one_of("status", status, Status::ALL) != Some(Status::Open) {
                check.fail("status", "a new ticket is always open");
            }
        }
        if self.resolution.is_some() {
            check.fail("resolution", "a new ticket has no resolution");
        }
        let attachments =
            external_attachments(&mut check, self.attachments.unwrap_or_default(), caller);
        check.finish()?;

        // Every value below was checked just above; the fallbacks are never taken.
        let (Some(title), Some(description), Some(priority), Some(category), Some(client)) =
            (title, description, priority, category, client)
        else {
            return Err(DomainError::validation("body", "is incomplete"));
        };
        let id = new_id();
        let first_message = ThreadMessage {
            id: new_id(),
            author: client.clone(),
            message: description.clone(),
            timestamp: now,
            kind: MessageType::User,
            internal: false,
        };
        Ok(Ticket {
            summary: TicketSummary {
                id,
                title,
                description,
                status: Status::Open,
                priority,
                category,
                client,
                assigned_to,
                tags: tags.unwrap_or_default(),
                resolution: None,
                created_at: now,
                updated_at: now,
                resolved_at: None,
                first_response_at: None,
                closed_at: None,
                reopened_at: None,
                deleted_at: None,
                changed_by: Some(caller.id.clone()),
                satisfaction: None,
                merged_into: None,
                merged_from: Vec::new(),
                sla: None,
                version: INITIAL_VERSION,
            },
            threads: vec![first_message],
            threads_truncated: false,
            threads_next_cursor: None,
            attachments,
        })
    }

    /// A digest of the command as the server understood it, so that a retry with the same
    /// `Idempotency-Key` can be told apart from a different request under the same key.
    pub fn fingerprint(&self, caller: &Caller) -> String {
        let mut digest = Sha256::new();
        digest.update(caller.id.as_bytes());
        digest.update([0]);
        // Serialising the typed command gives one canonical text whatever the key order sent.
        digest.update(serde_json::to_vec(self).unwrap_or_default());
        digest
            .finalize()
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }
}

fn external_attachments(
    check: &mut Checker,
    given: Vec<ExternalAttachment>,
    caller: &Caller,
) -> Vec<Attachment> {
    if given.len() > EXTERNAL_ATTACHMENTS_MAX {
        check.fail(
            "attachments",
            format!("must hold at most {EXTERNAL_ATTACHMENTS_MAX} attachments"),
        );
        return Vec::new();
    }
    let mut attachments = Vec::with_capacity(given.len());
    for (index, attachment) in given.into_iter().enumerate() {
        let field = |name: &str| format!("attachments[{index}].{name}");
        let filename = check
            .required(&field("filename"), &attachment.filename)
            .and_then(|f| check.text(&field("filename"), f, FILENAME_MAX, Lines::Single));
        let url = check
            .required(&field("url"), &attachment.url)
            .and_then(|u| check.text(&field("url"), u, URL_MAX, Lines::Single));
        if let Some(url) = &url {
            if link_host(url).is_none() {
                check.fail(&field("url"), "must be an https URL with a host");
            } else if !url.bytes().all(|b| b.is_ascii_graphic()) {
                // It becomes a `Location` header: spaces and other characters must be
                // percent-encoded by the sender.
                check.fail(
                    &field("url"),
                    "must be percent-encoded (no spaces or non-ASCII)",
                );
            }
        }
        let size = check.required(&field("size"), &attachment.size).copied();
        let content_type = check
            .required(&field("type"), &attachment.content_type)
            .and_then(|t| check.text(&field("type"), t, CONTENT_TYPE_MAX, Lines::Single));
        if let (Some(filename), Some(url), Some(size), Some(content_type)) =
            (filename, url, size, content_type)
        {
            attachments.push(Attachment {
                id: new_id(),
                filename,
                url,
                size,
                content_type,
                status: AttachmentStatus::External,
                uploaded_by: Some(caller.id.clone()),
            });
        }
    }
    attachments
}

/// What an idempotent create answered.
#[derive(Debug)]
pub enum Opened {
    /// A new ticket, with the answer kept for a retry.
    Created { ticket_id: String, answer: String },
    /// A retry of a request made before: its first answer, and nothing created.
    Replayed { answer: String },
}

/// Opens `command`'s ticket for `caller`. Under `key`, the first answer (`answer_for` the new
/// ticket) is stored with the ticket, all or nothing; the same request again under that key gets
/// that answer back and creates nothing, a different request under it is refused (422).
pub async fn open_ticket<S: TicketCreator>(
    store: &S,
    caller: &Caller,
    command: NewTicket,
    key: Option<IdempotencyKey>,
    now: Timestamp,
    answer_for: impl FnOnce(&Ticket) -> String,
) -> Result<Opened, DomainError> {
    let fingerprint = command.fingerprint(caller);
    let mut ticket = command.into_ticket(caller, now)?;
    let levels = store.service_levels().await?;
    ticket.summary.sla = levels.track(None, &ticket.summary, None, now);
    let answer = answer_for(&ticket);
    let record = key.map(|key| key.record(&fingerprint, &answer, now));
    match store.create_ticket(&ticket, record.as_ref()).await? {
        CreateOutcome::Created => Ok(Opened::Created {
            ticket_id: ticket.summary.id,
            answer,
        }),
        CreateOutcome::Replayed {
            fingerprint: first,
            response,
        } if first == fingerprint => Ok(Opened::Replayed { answer: response }),
        CreateOutcome::Replayed { .. } => Err(DomainError::IdempotencyKeyReused),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::error::FieldError;

    fn command() -> NewTicket {
        NewTicket {
            title: Some(" Cannot log in ".into()),
            description: Some("The login page shows an error.".into()),
            priority: Some("high".into()),
            category: Some("technical".into()),
            tags: Some(vec!["Login".into(), "login".into()]),
            ..NewTicket::default()
        }
    }

    fn fields(err: DomainError) -> Vec<String> {
        match err {
            DomainError::Validation(e) | DomainError::Forbidden(e) => e
                .into_iter()
                .map(|FieldError { field, .. }| field)
                .collect(),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_client_opens_an_open_ticket_for_itself_with_the_description_as_first_message() {
        let caller = Caller::new("client-1", Role::Client);
        let now = Timestamp::now();
        let ticket = command().into_ticket(&caller, now).unwrap();
        assert_eq!(ticket.title, "Cannot log in");
        assert_eq!(ticket.status, Status::Open);
        assert_eq!(ticket.client, "client-1");
        assert_eq!(ticket.tags, ["login"]);
        assert_eq!(ticket.version, 1);
        assert_eq!(ticket.threads.len(), 1);
        let first = &ticket.threads[0];
        assert_eq!(first.message, "The login page shows an error.");
        assert_eq!(
            (first.kind, first.author.as_str()),
            (MessageType::User, "client-1")
        );
        assert!(!first.internal);
    }

    #[test]
    fn a_client_may_not_set_staff_fields() {
        let caller = Caller::new("client-1", Role::Client);
        let cmd = NewTicket {
            client: Some("client-2".into()),
            assigned_to: Some("agent-1".into()),
            status: Some("open".into()),
            ..command()
        };
        let err = cmd.into_ticket(&caller, Timestamp::now()).unwrap_err();
        assert!(matches!(err, DomainError::Forbidden(_)));
        assert_eq!(fields(err), ["client", "assignedTo", "status"]);

        let own = NewTicket {
            client: Some("client-1".into()),
            ..command()
        };
        assert!(own.into_ticket(&caller, Timestamp::now()).is_ok());
    }

    #[test]
    fn staff_open_tickets_for_a_named_client() {
        let agent = Caller::new("agent-1", Role::Agent);
        let err = command().into_ticket(&agent, Timestamp::now()).unwrap_err();
        assert_eq!(fields(err), ["client"]);
        let ticket = NewTicket {
            client: Some("client-9".into()),
            ..command()
        }
        .into_ticket(&agent, Timestamp::now())
        .unwrap();
        assert_eq!(ticket.client, "client-9");
        assert_eq!(ticket.threads[0].author, "client-9");
    }

    #[test]
    fn every_missing_or_invalid_field_is_reported_together() {
        let caller = Caller::new("c", Role::Client);
        let cmd = NewTicket {
            title: Some("x".repeat(201)),
            priority: Some("critical".into()),
            attachments: Some(vec![ExternalAttachment {
                url: Some("ftp://example.com/a".into()),
                ..ExternalAttachment::default()
            }]),
            ..NewTicket::default()
        };
        let err = cmd.into_ticket(&caller, Timestamp::now()).unwrap_err();
        assert_eq!(
            fields(err),
            [
                "title",
                "description",
                "priority",
                "category",
                "attachments[0].filename",
                "attachments[0].url",
                "attachments[0].size",
                "attachments[0].type"
            ]
        );
    }

    #[test]
    fn external_attachments_are_kept_as_external() {
        let caller = Caller::new("c", Role::Client);
        let cmd = NewTicket {
            attachments: Some(vec![ExternalAttachment {
                filename: Some("screen.png".into()),
                url: Some("https://files.example.com/screen.png".into()),
                size: Some(2048),
                content_type: Some("image/png".into()),
            }]),
            ..command()
        };
        let ticket = cmd.into_ticket(&caller, Timestamp::now()).unwrap();
        assert_eq!(ticket.attachments.len(), 1);
        assert_eq!(ticket.attachments[0].status, AttachmentStatus::External);
    }

    #[test]
    fn the_fingerprint_depends_on_caller_and_content_only() {
        let a = Caller::new("a", Role::Client);
        let b = Caller::new("b", Role::Client);
        assert_eq!(command().fingerprint(&a), command().fingerprint(&a));
        assert_ne!(command().fingerprint(&a), command().fingerprint(&b));
        let other = NewTicket {
            priority: Some("low".into()),
            ..command()
        };
        assert_ne!(command().fingerprint(&a), other.fingerprint(&a));
    }
}
