//! The e-mail channel's rules (docs/DESIGN.md, E-mail): the signed addresses and links a
//! notification carries, the ids an inbound message's effects take (the same on every
//! delivery of the message, which is what makes handling it twice change nothing), where an
//! inbound message goes and as whom, and the ticket a new message opens.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::access::{Caller, Role};
use crate::attachment::{download_route, sanitise_filename, UploadRules, ATTACHMENTS_MAX};
use crate::create::NewTicket;
use crate::error::DomainError;
use crate::model::{Attachment, AttachmentStatus, Status, Ticket, TicketSummary, Timestamp};
use std::collections::BTreeSet;

use crate::error::StoreError;
use crate::rekey::{signs_in_as, start_rekey, Rekey};
use crate::store::{Contact, ContactRemembered, ContactSource, ContactStore, JobQueue, RekeyJobs};
use crate::validation::{DESCRIPTION_MAX, TITLE_MAX};

pub use crate::model::MAIL_PRINCIPAL_PREFIX;

/// The longest local part of the desk's address: its reply addresses add `+` and a 42-character
/// token, and a local part holds at most 64 characters (RFC 5321).
pub const DESK_LOCAL_MAX: usize = 64 - 1 - 42;

/// The desk's address (`DESK_ADDRESS`), lowercased, when its reply addresses can be written.
pub fn desk_address(text: &str) -> Result<String, String> {
    let address = text.trim().to_lowercase();
    match address.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && local.len() <= DESK_LOCAL_MAX
                && !local.contains('+')
                && domain.contains('.') =>
        {
            Ok(address)
        }
        _ => Err(format!(
            "must be an address whose part before @ has 1 to {DESK_LOCAL_MAX} characters, without +"
        )),
    }
}

/// The key that signs reply addresses and unsubscribe links (`MAIL_SIGNING_KEY`).
#[derive(Clone)]
pub struct MailKey(Vec<u8>);

impl std::fmt::Debug for MailKey {
    /// A key never reaches a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MailKey(..)")
    }
}

/// Characters of a reply token's signature (base32, 5 bits each: 80 bits).
const REPLY_SIGNATURE_CHARS: usize = 16;
/// Bytes of an unsubscribe link's signature.
const LINK_SIGNATURE_BYTES: usize = 16;

impl MailKey {
    /// A key of at least 32 characters (the template makes one of 64).
    pub fn new(secret: &str) -> Result<Self, String> {
        if secret.trim().len() < 32 {
            return Err("MAIL_SIGNING_KEY must be at least 32 characters".into());
        }
        Ok(Self(secret.trim().as_bytes().to_vec()))
    }

    fn mac(&self, purpose: &str, value: &str) -> Vec<u8> {
        // HMAC takes a key of any length: this cannot fail.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return Vec::new();
        };
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The token of a ticket's reply address for one recipient (`support+<token>@domain`): the
    /// ticket's id and a signature over the ticket and the recipient, in lowercase letters and
    /// digits (mail systems may lowercase a local part). It vouches for that recipient only:
    /// a reply that comes to it from anyone else is not vouched for ([`MailKey::vouches`]), so
    /// a notice forwarded or seen on a shared list lets nobody write as the client.
    pub fn reply_token(&self, ticket_id: &str, recipient: &str) -> String {
        let id = ticket_id.to_ascii_lowercase();
        let signature = base32(&self.mac("reply", &format!("{id}\0{recipient}")));
        format!("{id}{}", &signature[..REPLY_SIGNATURE_CHARS])
    }

    /// The ticket a reply token names (not yet vouched for: see [`MailKey::vouches`]).
    pub fn ticket_of(&self, token: &str) -> Option<String> {
        let token = token.to_ascii_lowercase();
        if token.len() != 26 + REPLY_SIGNATURE_CHARS || !token.is_ascii() {
            return None;
        }
        let ticket = token[..26].to_ascii_uppercase();
        crate::model::is_valid_id(&ticket).then_some(ticket)
    }

    /// Whether `token` was made for `recipient` about `ticket_id`.
    pub fn vouches(&self, token: &str, ticket_id: &str, recipient: &str) -> bool {
        let expected = self.reply_token(ticket_id, recipient);
        constant_eq(expected.as_bytes(), token.to_ascii_lowercase().as_bytes())
    }

    /// The token of a person's unsubscribe link: their id and a signature.
    pub fn unsubscribe_token(&self, principal: &str) -> String {
        let signature = self.mac("unsubscribe", principal);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(principal),
            URL_SAFE_NO_PAD.encode(&signature[..LINK_SIGNATURE_BYTES])
        )
    }

    /// The person an unsubscribe token names, when its signature holds.
    pub fn unsubscriber(&self, token: &str) -> Option<String> {
        let (who, _) = token.split_once('.')?;
        let principal = String::from_utf8(URL_SAFE_NO_PAD.decode(who).ok()?).ok()?;
        constant_eq(
            self.unsubscribe_token(&principal).as_bytes(),
            token.as_bytes(),
        )
        .then_some(principal)
    }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Lowercase RFC 4648 base32 without padding.
fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for byte in bytes {
        buffer = (buffer << 8) | u32::from(*byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The ids an inbound message's effects take: derived from SES's message id and the time the
/// message was received, so that every delivery of one message writes the same items (and a
/// second one finds them written). ULIDs, like every id of the desk, in time order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailIds {
    pub mail_id: String,
    pub received_at: Timestamp,
}

impl MailIds {
    pub fn new(mail_id: impl Into<String>, received_at: Timestamp) -> Self {
        Self {
            mail_id: mail_id.into(),
            received_at,
        }
    }

    /// The id the message's `n`th file takes as an attachment.
    pub fn attachment(&self, n: usize) -> String {
        self.id(&format!("attachment-{n}"))
    }

    /// The id of what the message makes under `what` (`ticket`, `message`).
    pub fn id(&self, what: &str) -> String {
        let digest = Sha256::digest(format!("{}\0{what}", self.mail_id));
        let mut random = [0u8; 16];
        random[6..].copy_from_slice(&digest[..10]);
        let millis = self.received_at.as_datetime().timestamp_millis().max(0) as u64;
        ulid::Ulid::from_parts(millis, u128::from_be_bytes(random)).to_string()
    }
}

/// The id of a person the desk knows only by an e-mail address (`mail:<id>`).
pub fn newcomer_principal() -> String {
    format!("{MAIL_PRINCIPAL_PREFIX}{}", crate::model::new_id())
}

/// What an inbound message becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// A new ticket of `client` (its first message).
    Open { client: String },
    /// A new ticket of someone the desk does not know yet: a person is made for the address.
    OpenForNewcomer,
    /// A message in the ticket, written by `caller`.
    Reply { ticket: String, caller: Caller },
    /// A new ticket of `client`, following up its closed ticket `of`.
    FollowUp { client: String, of: String },
    /// Nothing: the reason is logged and stored.
    Refuse(&'static str),
}

/// Where a message goes and as whom. `sender` is the known person of the message's `From`
/// (none when the address is new), `ticket` the ticket the message answers (found from its
/// reply address or its `In-Reply-To`/`References`), `via_reply_address` whether the message
/// came to the ticket's signed reply address, `authenticated` whether SES found the sender's
/// domain aligned (DKIM or DMARC pass). The rules:
/// - a reply from the ticket's client is the client's message, when it came to the signed reply
///   address or is authenticated (an `In-Reply-To` alone is easy to forge: it needs DKIM/DMARC);
/// - a reply from an agent is the agent's public message, only when authenticated;
/// - anyone else cannot write into a ticket, whatever address they know;
/// - a reply to a closed ticket opens a new ticket that follows it up;
/// - a message that answers no ticket opens one for its sender, unless the sender is staff
///   (agents write from the desk) or unknown and the desk takes no strangers.
pub fn route(
    sender: Option<&Contact>,
    ticket: Option<&TicketSummary>,
    via_reply_address: bool,
    authenticated: bool,
    take_strangers: bool,
) -> Route {
    let staff = sender.is_some_and(|contact| contact.staff);
    match ticket {
        Some(ticket) => {
            let Some(sender) = sender else {
                return Route::Refuse("sender_not_on_ticket");
            };
            if ticket.is_deleted() {
                return Route::Refuse("ticket_deleted");
            }
            if staff {
                return if authenticated {
                    Route::Reply {
                        ticket: ticket.id.clone(),
                        caller: Caller::new(sender.principal.clone(), Role::Agent),
                    }
                } else {
                    Route::Refuse("staff_not_authenticated")
                };
            }
            if sender.principal != ticket.client {
                return Route::Refuse("sender_not_on_ticket");
            }
            if !(via_reply_address || authenticated) {
                return Route::Refuse("client_not_authenticated");
            }
            if ticket.status == Status::Closed {
                Route::FollowUp {
                    client: ticket.client.clone(),
                    of: ticket.id.clone(),
                }
            } else {
                Route::Reply {
                    ticket: ticket.id.clone(),
                    caller: Caller::new(sender.principal.clone(), Role::Client),
                }
            }
        }
        None => match sender {
            Some(_) if staff => Route::Refuse("staff_not_a_reply"),
            Some(sender) => Route::Open {
                client: sender.principal.clone(),
            },
            None if take_strangers => Route::OpenForNewcomer,
            None => Route::Refuse("unknown_sender"),
        },
    }
}

/// What a new ticket from e-mail takes when the desk says nothing else
/// (`INBOUND_CATEGORY`, `INBOUND_PRIORITY`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundDefaults {
    pub category: String,
    pub priority: String,
}

impl Default for InboundDefaults {
    fn default() -> Self {
        Self {
            category: "general".into(),
            priority: "medium".into(),
        }
    }
}

/// A file of an inbound message, as the domain needs it.
#[derive(Clone, Debug)]
pub struct InboundFile<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub size: u64,
}

/// A file that did not become an attachment: its index among the message's files, and why.
pub type LeftOut = (usize, &'static str);

/// The attachments an inbound message's files become on `ticket_id` (the files that pass the
/// upload rules, up to the ticket's cap after `existing` ones), `available` at once: the
/// function stores each file before the record. Each with its index among `files`, so that the
/// caller knows which bytes go where; the files left out are named with the reason.
pub fn mail_attachments(
    files: &[InboundFile<'_>],
    ids: &MailIds,
    ticket_id: &str,
    uploader: &str,
    existing: usize,
    rules: &UploadRules,
) -> (Vec<(usize, Attachment)>, Vec<LeftOut>) {
    let mut taken = Vec::new();
    let mut left = Vec::new();
    for (n, file) in files.iter().enumerate() {
        let content_type = file.content_type.trim().to_ascii_lowercase();
        let reason = if file.size == 0 {
            Some("empty")
        } else if file.size > rules.max_bytes {
            Some("too_large")
        } else if !rules.allowed_types.contains(&content_type) {
            Some("type_not_allowed")
        } else if existing + taken.len() >= ATTACHMENTS_MAX {
            Some("too_many")
        } else {
            None
        };
        if let Some(reason) = reason {
            left.push((n, reason));
            continue;
        }
        let id = ids.attachment(n);
        taken.push((
            n,
            Attachment {
                url: download_route(ticket_id, &id),
                id,
                filename: sanitise_filename(file.filename),
                size: file.size,
                content_type,
                status: AttachmentStatus::Available,
                uploaded_by: Some(uploader.to_owned()),
            },
        ));
    }
    (taken, left)
}

/// The ticket a new inbound message opens for `client`: its subject as the title (cleaned, cut
/// to the limit), its text as the description (cut to the limit), the desk's defaults, and the
/// ids derived from the message. A follow-up names the closed ticket it follows.
pub fn mail_ticket(
    client: &str,
    subject: &str,
    text: &str,
    follows: Option<&str>,
    defaults: &InboundDefaults,
    ids: &MailIds,
    now: Timestamp,
) -> Result<Ticket, DomainError> {
    let mut title = clean_line(subject);
    if title.is_empty() {
        title = "(no subject)".into();
    }
    let mut description = clean_text(text);
    if let Some(closed) = follows {
        description = format!("Follow-up of the closed ticket {closed}.\n\n{description}");
    }
    if description.trim().is_empty() {
        description = "(no text)".into();
    }
    let command = NewTicket {
        title: Some(cut(&title, TITLE_MAX)),
        description: Some(cut(&description, DESCRIPTION_MAX)),
        priority: Some(defaults.priority.clone()),
        category: Some(defaults.category.clone()),
        ..NewTicket::default()
    };
    let mut ticket = command.into_ticket(&Caller::new(client, Role::Client), now)?;
    ticket.summary.id = ids.id("ticket");
    for message in &mut ticket.threads {
        message.id = ids.id("message");
    }
    Ok(ticket)
}

/// The text of a message as a thread message takes it: without control characters other than
/// line breaks and tabs, cut to `max` bytes at a character boundary.
pub fn message_text(text: &str, max: usize) -> String {
    let clean = clean_text(text);
    let mut end = clean.len().min(max);
    while !clean.is_char_boundary(end) {
        end -= 1;
    }
    clean[..end].trim().to_owned()
}

/// One line: whitespace runs become one space, control characters go.
fn clean_line(text: &str) -> String {
    text.split_whitespace()
        .map(|word| word.chars().filter(|c| !c.is_control()).collect::<String>())
        .filter(|word| !word.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn clean_text(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter(|c| !c.is_control() || matches!(c, '\n' | '\t'))
        .collect::<String>()
        .trim()
        .to_owned()
}

/// At most `max` characters (the limits count characters).
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => text[..end].trim_end().to_owned(),
        None => text.to_owned(),
    }
}

/// A person's notification choice as `GET/PUT /v2/me/notifications` shows it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NotificationChoice {
    /// The address notices go to; none when the desk knows none.
    pub address: Option<String>,
    /// Whether notices are sent.
    pub email: bool,
}

/// The body of `PUT /v2/me/notifications`.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewNotificationChoice {
    pub email: Option<bool>,
}

/// Remembers the caller's verified address (from its token), once per person and process:
/// the first call of each person in a warm function writes (or finds) their contact, later
/// calls write nothing; after a failure the next call tries again. An address that belongs to
/// a person who wrote by e-mail first is that same person signing in: a job moves them to the
/// signed-in id ([`crate::rekey`]); their calls check again until it has. What became of that
/// move, when there is one.
pub async fn remember_caller<S, Q>(
    store: &S,
    queue: &Q,
    caller: &Caller,
) -> Result<Option<Rekey>, StoreError>
where
    S: ContactStore + RekeyJobs,
    Q: JobQueue,
{
    static REMEMBERED: std::sync::Mutex<BTreeSet<String>> = std::sync::Mutex::new(BTreeSet::new());
    let remembered = || {
        REMEMBERED
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    };
    let Some(address) = caller.email() else {
        return Ok(None);
    };
    if remembered().contains(&caller.id) {
        return Ok(None);
    }
    let now = Timestamp::now();
    let contact = Contact {
        principal: caller.id.clone(),
        address: address.to_owned(),
        source: ContactSource::Token,
        notifications: true,
        staff: caller.is_staff(),
        created_at: now,
        former: Vec::new(),
    };
    let rekey = match store.remember_contact(&contact).await? {
        ContactRemembered::Taken(owner) if signs_in_as(caller, &owner) => {
            Some(start_rekey(store, queue, &owner.principal, &caller.id, now).await?)
        }
        _ => None,
    };
    if matches!(rekey, None | Some(Rekey::Ended)) {
        remembered().insert(caller.id.clone());
    }
    Ok(rekey)
}

/// The caller's notification choice.
pub async fn notification_choice<S, Q>(
    store: &S,
    queue: &Q,
    caller: &Caller,
) -> Result<NotificationChoice, DomainError>
where
    S: ContactStore + RekeyJobs,
    Q: JobQueue,
{
    remember_caller(store, queue, caller).await?;
    Ok(match store.contact_of(&caller.id).await? {
        Some(contact) => NotificationChoice {
            address: Some(contact.address),
            email: contact.notifications,
        },
        None => NotificationChoice {
            address: None,
            email: false,
        },
    })
}

/// Switches the caller's notifications on or off. Without a known address there is nothing to
/// switch (409: the caller's token carries no verified address).
pub async fn choose_notifications<S, Q>(
    store: &S,
    queue: &Q,
    caller: &Caller,
    choice: NewNotificationChoice,
) -> Result<NotificationChoice, DomainError>
where
    S: ContactStore + RekeyJobs,
    Q: JobQueue,
{
    let Some(on) = choice.email else {
        return Err(DomainError::validation(
            "email",
            "is required (true or false)",
        ));
    };
    remember_caller(store, queue, caller).await?;
    if !store.set_notifications(&caller.id, on).await? {
        return Err(DomainError::Conflict(
            "the desk knows no e-mail address of yours".into(),
        ));
    }
    notification_choice(store, queue, caller).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::ContactSource;
    use crate::testing::summary;

    fn key() -> MailKey {
        MailKey::new("a signing key of more than thirty-two characters").unwrap()
    }

    fn contact(principal: &str, staff: bool) -> Contact {
        Contact {
            principal: principal.into(),
            address: format!("{principal}@example.com"),
            source: ContactSource::Email,
            notifications: true,
            staff,
            created_at: Timestamp::now(),
            former: Vec::new(),
        }
    }

    #[test]
    fn a_reply_token_names_its_ticket_and_vouches_for_its_recipient_only() {
        let ticket = crate::model::new_id();
        let token = key().reply_token(&ticket, "client-1");
        assert_eq!(token.len(), 42);
        assert!(token
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
        assert_eq!(key().ticket_of(&token), Some(ticket.clone()));
        assert!(key().vouches(&token, &ticket, "client-1"));
        assert!(key().vouches(&token.to_uppercase(), &ticket, "client-1"));
        assert!(
            !key().vouches(&token, &ticket, "agents"),
            "another recipient"
        );
        let mut forged = token.clone();
        forged.replace_range(41.., if token.ends_with('a') { "b" } else { "a" });
        assert!(!key().vouches(&forged, &ticket, "client-1"));
        let other = MailKey::new("another signing key, also long enough to be used").unwrap();
        assert!(!other.vouches(&token, &ticket, "client-1"));
        assert_eq!(key().ticket_of("short"), None);
    }

    #[test]
    fn an_unsubscribe_token_names_its_person_only_with_its_signature() {
        let token = key().unsubscribe_token("mail:01ABC");
        assert_eq!(key().unsubscriber(&token).as_deref(), Some("mail:01ABC"));
        let (_, signature) = token.split_once('.').unwrap();
        let swapped = format!("{}.{signature}", URL_SAFE_NO_PAD.encode("someone-else"));
        assert_eq!(key().unsubscriber(&swapped), None);
        assert_eq!(key().unsubscriber("garbage"), None);
        assert_eq!(key().unsubscriber(""), None);
    }

    #[test]
    fn the_desk_address_leaves_room_for_reply_tokens() {
        assert_eq!(
            desk_address(" Support@Desk.Example ").unwrap(),
            "support@desk.example"
        );
        let longest = format!("{}@desk.example", "s".repeat(DESK_LOCAL_MAX));
        assert!(desk_address(&longest).is_ok());
        let reply = format!("s+{}", key().reply_token(&crate::model::new_id(), "x"));
        assert!(reply.len() <= 64);
        for bad in [
            format!("{}@desk.example", "s".repeat(DESK_LOCAL_MAX + 1)),
            "support+x@desk.example".into(),
            "support".into(),
            "@desk.example".into(),
        ] {
            assert!(desk_address(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(MailKey::new("too short").is_err());
    }

    #[test]
    fn ids_of_one_message_are_the_same_every_time_and_differ_by_purpose() {
        let at = Timestamp::now();
        let one = MailIds::new("ses-1", at);
        let again = MailIds::new("ses-1", at);
        assert_eq!(one.id("ticket"), again.id("ticket"));
        assert_ne!(one.id("ticket"), one.id("message"));
        assert_ne!(one.id("ticket"), MailIds::new("ses-2", at).id("ticket"));
        assert!(crate::model::is_valid_id(&one.id("ticket")));
    }

    #[test]
    fn the_client_replies_and_strangers_do_not() {
        let ticket = summary(Status::Resolved);
        let client = contact(&ticket.client, false);
        assert!(matches!(
            route(Some(&client), Some(&ticket), true, false, true),
            Route::Reply { caller, .. } if caller.role() == Role::Client
        ));
        assert_eq!(
            route(Some(&client), Some(&ticket), false, false, true),
            Route::Refuse("client_not_authenticated")
        );
        let stranger = contact("someone-else", false);
        assert_eq!(
            route(Some(&stranger), Some(&ticket), true, true, true),
            Route::Refuse("sender_not_on_ticket")
        );
        assert_eq!(
            route(None, Some(&ticket), true, true, true),
            Route::Refuse("sender_not_on_ticket")
        );
    }

    #[test]
    fn an_agent_replies_only_when_authenticated() {
        let ticket = summary(Status::Open);
        let agent = contact("agent-1", true);
        assert!(matches!(
            route(Some(&agent), Some(&ticket), false, true, true),
            Route::Reply { caller, .. } if caller.role() == Role::Agent
        ));
        assert_eq!(
            route(Some(&agent), Some(&ticket), true, false, true),
            Route::Refuse("staff_not_authenticated")
        );
        assert_eq!(
            route(Some(&agent), None, false, true, true),
            Route::Refuse("staff_not_a_reply")
        );
    }

    #[test]
    fn a_reply_to_a_closed_ticket_follows_it_up_and_new_mail_opens_tickets() {
        let ticket = summary(Status::Closed);
        let client = contact(&ticket.client, false);
        assert_eq!(
            route(Some(&client), Some(&ticket), true, false, true),
            Route::FollowUp {
                client: ticket.client.clone(),
                of: ticket.id.clone()
            }
        );
        assert_eq!(
            route(Some(&client), None, false, false, false),
            Route::Open {
                client: ticket.client.clone()
            }
        );
        assert_eq!(
            route(None, None, false, false, true),
            Route::OpenForNewcomer
        );
        assert_eq!(
            route(None, None, false, false, false),
            Route::Refuse("unknown_sender")
        );
    }

    #[test]
    fn a_mail_ticket_takes_the_subject_text_and_defaults() {
        let ids = MailIds::new("ses-1", Timestamp::now());
        let ticket = mail_ticket(
            "mail:1",
            "  Printer\tis\r\n on fire ",
            "It smokes.\r\n\r\nHelp\u{7}!",
            None,
            &InboundDefaults::default(),
            &ids,
            Timestamp::now(),
        )
        .unwrap();
        assert_eq!(ticket.title, "Printer is on fire");
        assert_eq!(ticket.description, "It smokes.\n\nHelp!");
        assert_eq!(ticket.client, "mail:1");
        assert_eq!(ticket.id, ids.id("ticket"));
        assert_eq!(ticket.threads[0].id, ids.id("message"));
        let long = "x".repeat(TITLE_MAX + 50);
        let empty = mail_ticket(
            "mail:1",
            &long,
            " ",
            Some("T1"),
            &InboundDefaults::default(),
            &ids,
            Timestamp::now(),
        )
        .unwrap();
        assert_eq!(empty.title.chars().count(), TITLE_MAX);
        assert!(empty
            .description
            .starts_with("Follow-up of the closed ticket T1."));
        let blank = mail_ticket(
            "mail:1",
            "",
            "",
            None,
            &InboundDefaults::default(),
            &ids,
            Timestamp::now(),
        )
        .unwrap();
        assert_eq!(
            (blank.title.as_str(), blank.description.as_str()),
            ("(no subject)", "(no text)")
        );
    }

    #[test]
    fn files_become_available_attachments_under_the_rules() {
        let ids = MailIds::new("ses-1", Timestamp::now());
        let files = [
            InboundFile {
                filename: "report.pdf",
                content_type: "application/PDF",
                size: 10,
            },
            InboundFile {
                filename: "run.exe",
                content_type: "application/x-msdownload",
                size: 10,
            },
            InboundFile {
                filename: "huge.pdf",
                content_type: "application/pdf",
                size: u64::MAX,
            },
            InboundFile {
                filename: "empty.txt",
                content_type: "text/plain",
                size: 0,
            },
        ];
        let (taken, left) =
            mail_attachments(&files, &ids, "T", "mail:1", 0, &UploadRules::default());
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].0, 0);
        assert_eq!(taken[0].1.status, AttachmentStatus::Available);
        assert_eq!(taken[0].1.content_type, "application/pdf");
        assert_eq!(taken[0].1.id, ids.attachment(0));
        assert_eq!(
            left,
            [(1, "type_not_allowed"), (2, "too_large"), (3, "empty")]
        );
        let (taken, left) = mail_attachments(
            &files[..1],
            &ids,
            "T",
            "mail:1",
            ATTACHMENTS_MAX,
            &UploadRules::default(),
        );
        assert!(taken.is_empty());
        assert_eq!(left, [(0, "too_many")]);
    }

    #[test]
    fn message_text_is_cut_at_a_character_boundary() {
        assert_eq!(message_text("ééé", 3), "é");
        assert_eq!(message_text(" a\u{0}b ", 10), "ab");
    }
}
