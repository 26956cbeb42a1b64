//! S3 `ObjectCreated` under `inbound/` (where SES's receipt rule stores each raw message) →
//! the message becomes a ticket, a message in its ticket's thread, or nothing, with the reason
//! stored and logged (docs/DESIGN.md, E-mail). Every effect takes ids derived from SES's
//! message id, so a redelivered event finds its work done and changes nothing twice; a message
//! taken is moved beside its ticket's files, one refused stays under `inbound/` until the
//! bucket's lifecycle rule removes it.

use aws_lambda_events::event::s3::S3Event;
use lambda_runtime::{Error, LambdaEvent};
use tickets_domain::attachment::object_key;
use tickets_domain::mail::{
    mail_attachments, mail_ticket, message_text, newcomer_principal, route, InboundDefaults,
    InboundFile, MailIds, MailKey, Route,
};
use tickets_domain::service::post_message_as;
use tickets_domain::store::{
    raw_mail_key, AttachmentWriter, Contact, ContactRemembered, ContactSource, ContactStore,
    FileStore, MailFiles, MailStore, RawMail, ThreadWriter, TicketCreator, TicketReader,
    INBOUND_PREFIX,
};
use tickets_domain::thread::MESSAGE_MAX_BYTES;
use tickets_domain::{
    Caller, DomainError, NewMessage, StoreError, TicketEdit, TicketSummary, Timestamp, UploadRules,
};
use tickets_lambda::metrics::{self, Metric};
use tickets_mail::{InboundMail, Inbox, Reading};
use tickets_s3::event_key;

/// How many `In-Reply-To`/`References` ids are looked up at most (the newest first).
const REFERENCES_LOOKED_UP: usize = 5;

/// The desk's choices for inbound mail.
#[derive(Clone, Debug)]
pub struct Inbound {
    pub inbox: Inbox,
    pub key: MailKey,
    pub rules: UploadRules,
    pub defaults: InboundDefaults,
    /// The largest raw message read (`INBOUND_MAX_BYTES`); a larger one is refused unread.
    pub max_bytes: u64,
    /// Whether an unknown address becomes a new client (`INBOUND_UNKNOWN_SENDERS=create`).
    pub take_strangers: bool,
}

pub struct Deps<S, F> {
    pub store: S,
    pub files: F,
    pub inbound: Inbound,
}

/// What became of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// No object under the key: handled (and moved) before.
    Gone,
    Refused(&'static str),
    Opened {
        ticket: String,
    },
    Replied {
        ticket: String,
    },
    /// Handled before: its ticket or message is stored already.
    Repeated {
        ticket: String,
    },
}

pub async fn handle<S, F>(deps: &Deps<S, F>, event: LambdaEvent<S3Event>) -> Result<(), Error>
where
    S: Store,
    F: FileStore + MailFiles,
{
    for record in event.payload.records {
        let Some(raw_key) = record.s3.object.key else {
            tracing::warn!("S3 record without an object key");
            continue;
        };
        let key = event_key(&raw_key);
        let Some(mail_id) = key
            .strip_prefix(INBOUND_PREFIX)
            .filter(|id| !id.is_empty() && !id.contains('/'))
        else {
            tracing::warn!(key = %key, "not an inbound message's key: ignored");
            continue;
        };
        // A failure is returned so that the event is retried; receiving is safe to repeat.
        let received = receive(deps, &key, mail_id)
            .await
            .inspect_err(|_| metrics::count(Metric::Failures, 1))?;
        match &received {
            Received::Refused(reason) => {
                tracing::warn!(mail = %mail_id, reason, "inbound message refused")
            }
            other => tracing::info!(mail = %mail_id, outcome = ?other, "inbound message handled"),
        }
    }
    Ok(())
}

/// Every port the function uses.
pub trait Store:
    TicketReader + TicketCreator + ThreadWriter + AttachmentWriter + ContactStore + MailStore
{
}
impl<T> Store for T where
    T: TicketReader + TicketCreator + ThreadWriter + AttachmentWriter + ContactStore + MailStore
{
}

/// Handles the raw message under `key`.
pub async fn receive<S, F>(deps: &Deps<S, F>, key: &str, mail_id: &str) -> Result<Received, Error>
where
    S: Store,
    F: FileStore + MailFiles,
{
    let Deps {
        store,
        files,
        inbound,
    } = deps;
    let (bytes, received_at) = match files.raw_mail(key, inbound.max_bytes).await? {
        RawMail::Gone => return Ok(Received::Gone),
        RawMail::TooLarge(_) => return refuse(store, mail_id, "too_large").await,
        RawMail::Found { bytes, received_at } => (bytes, received_at),
    };
    let mail = match inbound.inbox.read(&bytes) {
        Reading::Ignored(why) => return refuse(store, mail_id, why.reason()).await,
        Reading::Mail(mail) => mail,
    };
    let ids = MailIds::new(mail_id, received_at);
    let token = mail.reply_token.as_deref();
    let answered = match token.and_then(|token| inbound.key.ticket_of(token)) {
        Some(ticket) => Some(ticket),
        None => quoted_ticket(store, &mail).await?,
    };
    let mut ticket = match &answered {
        Some(id) => store.get_summary(id).await?,
        None => None,
    };
    // A ticket merged into another one: the conversation goes on there.
    if let Some(into) = ticket.as_ref().and_then(|t| t.merged_into.clone()) {
        ticket = store.get_summary(&into).await?;
    }
    let sender = store.contact_by_address(&mail.from).await?;
    // The reply address vouches for the sender only if it was made for them, about the
    // ticket it names (a merged ticket's address keeps vouching for its client, and one made
    // for who the sender was before they signed in keeps vouching for them).
    let via_reply_address = match (token, &answered, &sender) {
        (Some(token), Some(named), Some(sender)) => std::iter::once(&sender.principal)
            .chain(&sender.former)
            .any(|principal| inbound.key.vouches(token, named, principal)),
        _ => false,
    };
    let routed = route(
        sender.as_ref(),
        ticket.as_ref(),
        via_reply_address,
        mail.authenticated,
        inbound.take_strangers,
    );
    let received = match routed {
        Route::Refuse(reason) => return refuse(store, mail_id, reason).await,
        Route::Open { client } => open(deps, &mail, &ids, &client, None).await?,
        Route::OpenForNewcomer => match newcomer(store, &mail.from).await? {
            Ok(client) => open(deps, &mail, &ids, &client, None).await?,
            Err(reason) => return refuse(store, mail_id, reason).await,
        },
        Route::FollowUp { client, of } => open(deps, &mail, &ids, &client, Some(&of)).await?,
        Route::Reply { ticket, caller } => reply(deps, &mail, &ids, &ticket, &caller).await?,
    };
    let ticket = match &received {
        Received::Opened { ticket }
        | Received::Replied { ticket }
        | Received::Repeated { ticket } => ticket,
        Received::Refused(reason) => return refuse(store, mail_id, reason).await,
        Received::Gone => return Ok(received),
    };
    // The raw message goes with the ticket's files (so that erasing the ticket takes it), and
    // is recorded on the ticket; then it leaves the inbound prefix.
    files
        .store_file(&raw_mail_key(ticket, mail_id), &bytes, "message/rfc822")
        .await?;
    store
        .record_inbound(ticket, mail_id, Timestamp::now())
        .await?;
    files.delete(key).await?;
    Ok(received)
}

async fn refuse<S: MailStore>(
    store: &S,
    mail_id: &str,
    reason: &'static str,
) -> Result<Received, Error> {
    metrics::count(Metric::MailRefused, 1);
    store
        .record_refusal(mail_id, reason, Timestamp::now())
        .await?;
    Ok(Received::Refused(reason))
}

/// The ticket a message quotes in `In-Reply-To`/`References`: one the desk wrote about, by the
/// id SES gave the notice (SES replaces the `Message-ID` the desk sets: `<id@region.amazonses.com>`).
async fn quoted_ticket<S: MailStore>(
    store: &S,
    mail: &InboundMail,
) -> Result<Option<String>, StoreError> {
    let quoted = mail
        .in_reply_to
        .iter()
        .chain(mail.references.iter().rev())
        .filter_map(|id| id.split_once('@').map(|(local, _)| local))
        .filter(|local| !local.is_empty() && local.len() <= 128)
        .take(REFERENCES_LOOKED_UP);
    for sent_id in quoted {
        if let Some(ticket) = store.ticket_of_sent(sent_id).await? {
            return Ok(Some(ticket));
        }
    }
    Ok(None)
}

/// The person made for a new address (or the one who took it meanwhile).
async fn newcomer<S: ContactStore>(
    store: &S,
    address: &str,
) -> Result<Result<String, &'static str>, StoreError> {
    let contact = Contact {
        principal: newcomer_principal(),
        address: address.to_owned(),
        source: ContactSource::Email,
        notifications: true,
        staff: false,
        created_at: Timestamp::now(),
        former: Vec::new(),
    };
    Ok(match store.remember_contact(&contact).await? {
        ContactRemembered::New => Ok(contact.principal),
        ContactRemembered::Taken(owner) if owner.staff => Err("staff_not_a_reply"),
        ContactRemembered::Taken(owner) | ContactRemembered::Known(owner) => Ok(owner.principal),
    })
}

fn files_of(mail: &InboundMail) -> Vec<InboundFile<'_>> {
    mail.attachments
        .iter()
        .map(|file| InboundFile {
            filename: &file.filename,
            content_type: &file.content_type,
            size: file.bytes.len() as u64,
        })
        .collect()
}

/// Opens the message's ticket for `client` (a follow-up of `follows` when given), with its
/// files stored first and their records written with the ticket.
async fn open<S, F>(
    deps: &Deps<S, F>,
    mail: &InboundMail,
    ids: &MailIds,
    client: &str,
    follows: Option<&str>,
) -> Result<Received, Error>
where
    S: Store,
    F: FileStore + MailFiles,
{
    let ticket_id = ids.id("ticket");
    if deps.store.get_summary(&ticket_id).await?.is_some() {
        return Ok(Received::Repeated { ticket: ticket_id });
    }
    let now = Timestamp::now();
    // A new message is read whole (a forwarded conversation is the story); a reply's quote
    // is cut.
    let text = if follows.is_some() {
        &mail.text
    } else {
        &mail.full_text
    };
    let mut ticket = mail_ticket(
        client,
        &mail.subject,
        text,
        follows,
        &deps.inbound.defaults,
        ids,
        now,
    )?;
    let (taken, left) = mail_attachments(
        &files_of(mail),
        ids,
        &ticket_id,
        client,
        0,
        &deps.inbound.rules,
    );
    log_left_out(&left);
    for (n, attachment) in &taken {
        let file = &mail.attachments[*n];
        deps.files
            .store_file(
                &object_key(&ticket_id, &attachment.id),
                &file.bytes,
                &attachment.content_type,
            )
            .await?;
    }
    ticket.attachments = taken
        .into_iter()
        .map(|(_, attachment)| attachment)
        .collect();
    let levels = deps.store.service_levels().await?;
    ticket.summary.sla = levels.track(None, &ticket.summary, None, now);
    deps.store.create_ticket(&ticket, None).await?;
    metrics::count(Metric::MailTickets, 1);
    Ok(Received::Opened { ticket: ticket_id })
}

/// Writes the message in `ticket_id`'s thread as `caller`, then adds its files as
/// attachments: a message the ticket refuses (closed meanwhile) leaves no file behind. After a
/// crash, the message found stored, the files it has not got yet are added.
async fn reply<S, F>(
    deps: &Deps<S, F>,
    mail: &InboundMail,
    ids: &MailIds,
    ticket_id: &str,
    caller: &Caller,
) -> Result<Received, Error>
where
    S: Store,
    F: FileStore + MailFiles,
{
    let message_id = ids.id("message");
    let Some(ticket) = deps.store.get_ticket(ticket_id).await? else {
        return Ok(Received::Refused("ticket_gone"));
    };
    // The ticket's other files count toward its cap; this message's own (added by an attempt
    // before a crash) do not, so that a retry takes the same files as the first attempt.
    let files = files_of(mail);
    let own: Vec<String> = (0..files.len()).map(|n| ids.attachment(n)).collect();
    let existing = ticket
        .attachments
        .iter()
        .filter(|a| !own.contains(&a.id))
        .count();
    let (taken, left) = mail_attachments(
        &files,
        ids,
        ticket_id,
        &caller.id,
        existing,
        &deps.inbound.rules,
    );
    let posted_before = deps
        .store
        .thread_message(ticket_id, &message_id)
        .await?
        .is_some();
    if !posted_before {
        let mut text = message_text(&mail.text, MESSAGE_MAX_BYTES);
        if text.is_empty() {
            if taken.is_empty() {
                return Ok(Received::Refused("empty"));
            }
            text = "(attachments)".into();
        }
        let message = NewMessage {
            message: Some(text),
            internal: Some(false),
        };
        match post_message_as(&deps.store, ticket_id, caller, message, Some(&message_id)).await {
            Ok(_) => metrics::count(Metric::MailReplies, 1),
            // Closed, merged or deleted since it was read, or a text the thread refuses.
            Err(DomainError::Conflict(_)) => return Ok(Received::Refused("ticket_closed")),
            Err(DomainError::NotFound) => return Ok(Received::Refused("ticket_gone")),
            Err(DomainError::Validation(_) | DomainError::Forbidden(_)) => {
                return Ok(Received::Refused("message_refused"))
            }
            Err(err) => return Err(err.into()),
        }
    }
    log_left_out(&left);
    for (n, attachment) in &taken {
        if ticket.attachments.iter().any(|a| a.id == attachment.id) {
            continue;
        }
        let file = &mail.attachments[*n];
        deps.files
            .store_file(
                &object_key(ticket_id, &attachment.id),
                &file.bytes,
                &attachment.content_type,
            )
            .await?;
        if !add_attachment(&deps.store, ticket_id, attachment).await? {
            // The ticket closed between the message and its files: the file goes again.
            tracing::warn!(
                file = n,
                reason = "ticket_closed",
                "an inbound file was not attached"
            );
            deps.files
                .delete(&object_key(ticket_id, &attachment.id))
                .await?;
        }
    }
    let ticket = ticket_id.to_owned();
    Ok(if posted_before {
        Received::Repeated { ticket }
    } else {
        Received::Replied { ticket }
    })
}

/// Adds an attachment record beside its ticket (the ticket as it is when written); `false`
/// when the ticket takes no more (closed or gone).
async fn add_attachment<S: Store>(
    store: &S,
    ticket_id: &str,
    attachment: &tickets_domain::Attachment,
) -> Result<bool, Error> {
    for _ in 0..3 {
        let Some(ticket): Option<TicketSummary> = store.get_summary(ticket_id).await? else {
            return Ok(false);
        };
        if ticket.status == tickets_domain::Status::Closed || ticket.is_deleted() {
            return Ok(false);
        }
        match store
            .add_attachment(attachment, &TicketEdit::check(&ticket))
            .await
        {
            Ok(()) => return Ok(true),
            Err(StoreError::VersionConflict) => continue,
            Err(err) => return Err(err.into()),
        }
    }
    Err(StoreError::VersionConflict.into())
}

fn log_left_out(left: &[(usize, &'static str)]) {
    for (n, reason) in left {
        tracing::warn!(file = n, reason, "an inbound file was not attached");
    }
}

/// The desk's choices from the function's settings.
pub fn settings(
    settings: &tickets_lambda::Settings,
) -> Result<Inbound, tickets_lambda::SettingError> {
    use tickets_lambda::SettingError;
    let desk = tickets_domain::mail::desk_address(settings.required("DESK_ADDRESS")?)
        .map_err(|problem| SettingError::new("DESK_ADDRESS", problem))?;
    let key = MailKey::new(settings.required("MAIL_SIGNING_KEY")?)
        .map_err(|reason| SettingError::new("MAIL_SIGNING_KEY", reason))?;
    let max_bytes = match settings.get("INBOUND_MAX_BYTES") {
        Some(text) => text
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                SettingError::new("INBOUND_MAX_BYTES", "must be a positive whole number")
            })?,
        None => tickets_mail::Limits::default().max_bytes as u64,
    };
    let take_strangers = match settings.get("INBOUND_UNKNOWN_SENDERS").map(str::trim) {
        None | Some("create") => true,
        Some("reject") => false,
        Some(_) => {
            return Err(SettingError::new(
                "INBOUND_UNKNOWN_SENDERS",
                "must be create or reject",
            ))
        }
    };
    let defaults = InboundDefaults {
        category: settings
            .parsed(
                "INBOUND_CATEGORY",
                tickets_domain::Category::General,
                "a ticket category",
            )?
            .to_string(),
        priority: settings
            .parsed(
                "INBOUND_PRIORITY",
                tickets_domain::Priority::Medium,
                "a ticket priority",
            )?
            .to_string(),
    };
    let rules = UploadRules::from_settings(
        settings.get("ATTACHMENT_MAX_BYTES"),
        settings.get("ATTACHMENT_TYPES"),
    )
    .map_err(|reason| SettingError::new("ATTACHMENT_MAX_BYTES", reason))?;
    let limits = tickets_mail::Limits {
        max_bytes: usize::try_from(max_bytes).unwrap_or(usize::MAX),
        ..tickets_mail::Limits::default()
    };
    Ok(Inbound {
        inbox: Inbox::new([desk], limits),
        key,
        rules,
        defaults,
        max_bytes,
        take_strangers,
    })
}
