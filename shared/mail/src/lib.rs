//! Reading an inbound e-mail as SES receiving stores it in the bucket: the raw message, with
//! SES's own headers prepended on top of the sender's. [`Inbox::read`] answers what to do with
//! it: ignore it (and why: every ignored message is logged with its reason), or take it as a
//! message from an address, with the new text of a reply (quoted history and signature cut
//! off; the full text kept), the ids that thread it, the reply address it was sent to, the
//! files it carries, and whether its sender is authenticated. Nothing here panics on any input
//! (a property test feeds it arbitrary bytes), and nothing here knows tickets: which ticket a
//! message belongs to, and whether its sender may write there, is the domain's decision.

pub mod compose;
mod reply;

use std::borrow::Cow;

use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};

pub use compose::{Notice, Outgoing};
pub use reply::new_text;

/// What the reader accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest raw message read (SES receives up to 40 MB; what is larger is refused).
    pub max_bytes: usize,
    /// The most MIME parts a message may have (a message of thousands of parts is a bomb).
    pub max_parts: usize,
    /// An inline image with a `Content-ID` at most this size is part of the text (a logo in a
    /// signature), not an attachment.
    pub inline_image_max: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 30 * 1024 * 1024,
            max_parts: 100,
            inline_image_max: 16 * 1024,
        }
    }
}

/// Why a message is not taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ignored {
    TooLarge {
        bytes: usize,
    },
    /// Not a message: no header could be read.
    Malformed,
    NoSender,
    TooManyParts {
        parts: usize,
    },
    /// An automatic answer (`Auto-Submitted` other than `no`, `X-Autoreply`, an out-of-office).
    AutoReply,
    /// Mail to many (`Precedence: bulk`, `list` or `junk`).
    Bulk,
    /// A bounce or another delivery report.
    Bounce,
    /// From one of the desk's own addresses: answering it would loop.
    FromDesk,
    /// SES's spam or virus verdict.
    Spam,
    Virus,
}

impl Ignored {
    /// The reason, as logs and stored rejections name it.
    pub fn reason(&self) -> &'static str {
        match self {
            Ignored::TooLarge { .. } => "too_large",
            Ignored::Malformed => "malformed",
            Ignored::NoSender => "no_sender",
            Ignored::TooManyParts { .. } => "too_many_parts",
            Ignored::AutoReply => "auto_reply",
            Ignored::Bulk => "bulk",
            Ignored::Bounce => "bounce",
            Ignored::FromDesk => "from_desk",
            Ignored::Spam => "spam",
            Ignored::Virus => "virus",
        }
    }
}

/// What a message is, once read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reading {
    Ignored(Ignored),
    Mail(Box<InboundMail>),
}

/// A message taken.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundMail {
    /// The sender's address, lowercased.
    pub from: String,
    pub from_name: Option<String>,
    /// The subject, decoded (encoded words, charsets); empty when there is none.
    pub subject: String,
    /// What the sender wrote in this message: the quoted history and the signature cut off.
    pub text: String,
    /// The whole text, as sent (HTML converted when there is no text part).
    pub full_text: String,
    /// Ids without their angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// The token of the desk's reply address it was sent to (`support+<token>@domain`).
    pub reply_token: Option<String>,
    pub attachments: Vec<InboundFile>,
    /// The sender's domain is vouched for by SES's own check: a DKIM signature of that domain
    /// (or its parent) verified, or DMARC passed.
    pub authenticated: bool,
}

/// A file a message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundFile {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// The desk's side: its own addresses (the ones mail loops through) and the limits.
#[derive(Clone, Debug)]
pub struct Inbox {
    /// Lowercased; `support@desk.example` also covers `support+<token>@desk.example`.
    desk: Vec<String>,
    limits: Limits,
}

/// The authentication service SES's `Authentication-Results` header names.
const SES_AUTHSERV: &str = "amazonses.com";

impl Inbox {
    pub fn new(desk_addresses: impl IntoIterator<Item = impl AsRef<str>>, limits: Limits) -> Self {
        Self {
            desk: desk_addresses
                .into_iter()
                .map(|address| address.as_ref().trim().to_lowercase())
                .filter(|address| address.contains('@'))
                .collect(),
            limits,
        }
    }

    /// Reads a raw message.
    pub fn read(&self, raw: &[u8]) -> Reading {
        if raw.len() > self.limits.max_bytes {
            return Reading::Ignored(Ignored::TooLarge { bytes: raw.len() });
        }
        let Some(message) = MessageParser::default().parse(raw) else {
            return Reading::Ignored(Ignored::Malformed);
        };
        // Not one header a message has (From, Date, Received, Content-Type...): the bytes only
        // looked like lines of `name: value` here and there.
        if message.parts.is_empty()
            || message
                .headers()
                .iter()
                .all(|h| h.name().is_empty() || h.name.is_other())
        {
            return Reading::Ignored(Ignored::Malformed);
        }
        if message.parts.len() > self.limits.max_parts {
            return Reading::Ignored(Ignored::TooManyParts {
                parts: message.parts.len(),
            });
        }
        let top = TopHeaders::of(&message);
        // SES's verdicts first: spam is never answered, whatever it says it is.
        if top.first("X-SES-Virus-Verdict").is_some_and(failed) {
            return Reading::Ignored(Ignored::Virus);
        }
        if top.first("X-SES-Spam-Verdict").is_some_and(failed) {
            return Reading::Ignored(Ignored::Spam);
        }
        let Some((from, from_name)) = first_address(message.from()) else {
            return Reading::Ignored(Ignored::NoSender);
        };
        if is_bounce(&message, &top, &from) {
            return Reading::Ignored(Ignored::Bounce);
        }
        if let Some(ignored) = automatic(&message, &top) {
            return Reading::Ignored(ignored);
        }
        if self.desk_token(&from).is_some() {
            return Reading::Ignored(Ignored::FromDesk);
        }
        let reply_token = all_addresses(message.to())
            .chain(all_addresses(message.cc()))
            .find_map(|address| self.desk_token(&address).flatten());
        let full_text = message
            .body_text(0)
            .map(|text| text.replace("\r\n", "\n"))
            .unwrap_or_default();
        let mut attachments = Vec::new();
        for part in message.attachments() {
            if let Some(file) = self.file(part) {
                attachments.push(file);
            }
        }
        Reading::Mail(Box::new(InboundMail {
            authenticated: authenticated(&top, &from),
            subject: message.subject().unwrap_or_default().trim().to_owned(),
            text: new_text(&full_text),
            full_text,
            message_id: message.message_id().map(unbracket),
            in_reply_to: ids(message.in_reply_to()),
            references: ids(message.references()),
            reply_token,
            attachments,
            from,
            from_name,
        }))
    }

    /// For one of the desk's addresses: `Some(token)` when it is a plus address of one
    /// (`Some(None)` for the plain one); `None` for any other address.
    fn desk_token(&self, address: &str) -> Option<Option<String>> {
        let (local, domain) = address.rsplit_once('@')?;
        let (base, token) = match local.split_once('+') {
            Some((base, token)) => (base, Some(token)),
            None => (local, None),
        };
        let plain = format!("{base}@{domain}");
        if !self.desk.contains(&plain) {
            return None;
        }
        Some(token.filter(|token| is_token(token)).map(str::to_owned))
    }

    /// A part as a file, unless it is a small inline image of the text (a logo).
    fn file(&self, part: &mail_parser::MessagePart<'_>) -> Option<InboundFile> {
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(subtype) => format!("{}/{}", ct.ctype(), subtype),
                None => ct.ctype().to_owned(),
            })
            .unwrap_or_else(|| "application/octet-stream".into())
            .to_lowercase();
        let bytes: Cow<'_, [u8]> = match &part.body {
            PartType::Message(inner) => Cow::Borrowed(inner.raw_message()),
            _ => Cow::Borrowed(part.contents()),
        };
        let inline = part
            .content_disposition()
            .is_none_or(|disposition| disposition.is_inline());
        if inline
            && part.content_id().is_some()
            && content_type.starts_with("image/")
            && bytes.len() <= self.limits.inline_image_max
        {
            return None;
        }
        let filename = part
            .attachment_name()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned)
            .unwrap_or_else(|| default_name(&content_type));
        Some(InboundFile {
            filename,
            content_type,
            bytes: bytes.into_owned(),
        })
    }
}

/// A name for a file that came without one.
fn default_name(content_type: &str) -> String {
    match content_type {
        "message/rfc822" => "message.eml".into(),
        _ => match content_type.split_once('/') {
            Some((_, subtype)) if subtype.chars().all(|c| c.is_ascii_alphanumeric()) => {
                format!("attachment.{subtype}")
            }
            _ => "attachment".into(),
        },
    }
}

/// Reply tokens are short, lowercase letters and digits (the desk makes them).
fn is_token(token: &str) -> bool {
    (4..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
}

/// A verdict header's value says `FAIL`.
fn failed(value: &str) -> bool {
    value.trim().eq_ignore_ascii_case("FAIL")
}

/// The top-level headers in order, raw (unfolded), as the message has them: the topmost copy
/// of a header is the one SES prepended; copies further down are the sender's.
struct TopHeaders<'m> {
    headers: Vec<(&'m str, String)>,
}

impl<'m> TopHeaders<'m> {
    fn of(message: &'m mail_parser::Message<'m>) -> Self {
        Self {
            headers: message
                .headers_raw()
                .map(|(name, value)| (name, unfold(value)))
                .collect(),
        }
    }

    fn first(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(header, _)| header.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

fn unfold(value: &str) -> String {
    value
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first address of a list or group, lowercased, with its name.
fn first_address(address: Option<&Address<'_>>) -> Option<(String, Option<String>)> {
    let first = address?.first()?;
    let email = first.address.as_deref()?.trim().to_lowercase();
    email.contains('@').then(|| {
        let name = first
            .name
            .as_deref()
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::to_owned);
        (email, name)
    })
}

fn all_addresses<'a>(address: Option<&'a Address<'a>>) -> impl Iterator<Item = String> + 'a {
    address
        .into_iter()
        .flat_map(|address| address.iter())
        .filter_map(|addr| addr.address.as_deref())
        .map(|address| address.trim().to_lowercase())
}

fn unbracket(id: &str) -> String {
    id.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(id) => vec![unbracket(id)],
        HeaderValue::TextList(ids) => ids.iter().map(|id| unbracket(id)).collect(),
        _ => Vec::new(),
    }
}

/// A delivery report: a `multipart/report`, a null return path, or the mailer daemon.
fn is_bounce(message: &mail_parser::Message<'_>, top: &TopHeaders<'_>, from: &str) -> bool {
    let report = message.content_type().is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|subtype| subtype.eq_ignore_ascii_case("report"))
    });
    let null_sender = top
        .first("Return-Path")
        .is_some_and(|path| path.trim() == "<>");
    let local = from.split('@').next().unwrap_or_default();
    report || null_sender || local == "mailer-daemon" || local == "postmaster"
}

/// An automatic message: an auto-reply (RFC 3834 and the common headers), or bulk mail.
fn automatic(message: &mail_parser::Message<'_>, top: &TopHeaders<'_>) -> Option<Ignored> {
    if top
        .first("Auto-Submitted")
        .is_some_and(|value| !value.trim().eq_ignore_ascii_case("no"))
        || top.first("X-Autoreply").is_some()
        || top.first("X-Autorespond").is_some()
        || top.first("X-Auto-Response-Suppress").is_some_and(|value| {
            value.to_ascii_lowercase().contains("all") || value.to_ascii_lowercase().contains("oof")
        })
    {
        return Some(Ignored::AutoReply);
    }
    if let Some(precedence) = top.first("Precedence") {
        match precedence.trim().to_ascii_lowercase().as_str() {
            "bulk" | "list" | "junk" => return Some(Ignored::Bulk),
            "auto_reply" => return Some(Ignored::AutoReply),
            _ => {}
        }
    }
    let subject = message.subject().unwrap_or_default().to_lowercase();
    if [
        "automatic reply:",
        "auto-reply:",
        "out of office:",
        "autoreply:",
    ]
    .iter()
    .any(|prefix| subject.starts_with(prefix))
    {
        return Some(Ignored::AutoReply);
    }
    None
}

/// Whether SES vouches for the sender's domain: its (topmost) `Authentication-Results` shows a
/// DKIM signature that verified for the From domain or a parent of it, or DMARC passed for it.
fn authenticated(top: &TopHeaders<'_>, from: &str) -> bool {
    let Some(results) = top.first("Authentication-Results") else {
        return false;
    };
    let mut clauses = results.split(';').map(str::trim);
    if !clauses
        .next()
        .is_some_and(|authserv| authserv.eq_ignore_ascii_case(SES_AUTHSERV))
    {
        return false;
    }
    let domain = from.rsplit_once('@').map_or("", |(_, domain)| domain);
    let aligned = |signer: &str| signer == domain || domain.ends_with(&format!(".{signer}"));
    clauses.any(|clause| {
        let mut words = clause.split_whitespace();
        let Some(result) = words.next().map(str::to_ascii_lowercase) else {
            return false;
        };
        let property = |name: &str| {
            clause
                .split_whitespace()
                .find_map(|word| word.strip_prefix(name))
                .map(|value| value.trim_start_matches('@').to_ascii_lowercase())
        };
        match result.as_str() {
            "dkim=pass" => property("header.i=")
                .or_else(|| property("header.d="))
                .is_some_and(|signer| {
                    aligned(signer.rsplit_once('@').map_or(signer.as_str(), |(_, d)| d))
                }),
            "dmarc=pass" => property("header.from=").is_some_and(|d| d == domain),
            _ => false,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inbox() -> Inbox {
        Inbox::new(["support@desk.example"], Limits::default())
    }

    #[test]
    fn plus_addresses_of_the_desk_carry_a_token() {
        let inbox = inbox();
        assert_eq!(
            inbox.desk_token("support+t8k2m4q9@desk.example"),
            Some(Some("t8k2m4q9".into()))
        );
        assert_eq!(inbox.desk_token("support@desk.example"), Some(None));
        assert_eq!(inbox.desk_token("support+NOT!@desk.example"), Some(None));
        assert_eq!(inbox.desk_token("alice@desk.example"), None);
        assert_eq!(inbox.desk_token("support@other.example"), None);
    }

    #[test]
    fn only_ses_results_for_the_senders_domain_authenticate() {
        let top = |value: &str| TopHeaders {
            headers: vec![("Authentication-Results", value.to_owned())],
        };
        let from = "bob@desk.example";
        assert!(authenticated(
            &top("amazonses.com; spf=pass; dkim=pass header.i=@desk.example; dmarc=pass header.from=desk.example"),
            from
        ));
        assert!(authenticated(
            &top("amazonses.com; dkim=pass header.i=@mail.desk.example"),
            "bob@mail.desk.example"
        ));
        assert!(authenticated(
            &top("amazonses.com; dkim=pass header.i=@desk.example"),
            "bob@eu.desk.example"
        ));
        assert!(!authenticated(&top("amazonses.com; dkim=pass header.i=@attacker.example; dmarc=fail header.from=desk.example"), from));
        assert!(!authenticated(
            &top("mx.attacker.example; dkim=pass header.i=@desk.example"),
            from
        ));
        assert!(!authenticated(
            &top("amazonses.com; dkim=pass header.i=@sk.example"),
            "bob@desk.example"
        ));
    }

    #[test]
    fn larger_than_the_limit_is_refused_unread() {
        let inbox = Inbox::new(
            ["support@desk.example"],
            Limits {
                max_bytes: 10,
                ..Limits::default()
            },
        );
        assert_eq!(
            inbox.read(b"From: a@b.example\r\n\r\nHello there"),
            Reading::Ignored(Ignored::TooLarge { bytes: 32 })
        );
    }
}
