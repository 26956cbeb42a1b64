//! Attachments (docs/DESIGN.md, Attachments): files never pass through the API. A caller declares
//! a file, gets a short-lived upload URL for a key the server chose, and the upload is checked
//! before the attachment becomes `available`.

use chrono::Duration;
use serde::Deserialize;

use crate::access::Caller;
use crate::error::{DomainError, FieldError};
use crate::model::{
    id_time, new_id, Attachment, AttachmentStatus, Status, Ticket, TicketSummary, Timestamp,
};

/// How long an upload URL is valid, in minutes.
pub const UPLOAD_WINDOW_MINUTES: u32 = 15;
/// How long after its URL expired a declared upload may still be settled, in minutes (S3
/// notifies within seconds; this is the slack). Past both, a `pending` upload that never
/// arrived is stale.
pub const SETTLE_GRACE_MINUTES: u32 = 15;
use crate::validation::FILENAME_MAX;

/// Attachments one ticket may hold, uploads and external links together.
pub const ATTACHMENTS_MAX: usize = 20;

/// The body of `POST /v2/support-tickets/{id}/attachments`.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUpload {
    pub filename: Option<String>,
    pub size: Option<u64>,
    #[serde(rename = "type")]
    pub content_type: Option<String>,
}

/// What an upload may be: a size limit and the content types allowed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRules {
    pub max_bytes: u64,
    pub allowed_types: Vec<String>,
}

impl Default for UploadRules {
    /// 25 MiB of common document and image types.
    fn default() -> Self {
        Self {
            max_bytes: 25 * 1024 * 1024,
            allowed_types: [
                "application/pdf",
                "image/png",
                "image/jpeg",
                "image/gif",
                "image/webp",
                "text/plain",
                "text/csv",
                "application/zip",
                "application/json",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

impl UploadRules {
    /// Rules from settings text: a byte limit and a comma-separated list of content types;
    /// either may be left out for the default. `Err` names the setting that is wrong.
    pub fn from_settings(max_bytes: Option<&str>, types: Option<&str>) -> Result<Self, String> {
        let mut rules = Self::default();
        if let Some(max) = max_bytes {
            rules.max_bytes = max
                .trim()
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or("ATTACHMENT_MAX_BYTES must be a positive whole number")?;
        }
        if let Some(types) = types {
            rules.allowed_types = types
                .split(',')
                .map(normalise_type)
                .filter(|t| !t.is_empty())
                .collect();
            if rules.allowed_types.is_empty() {
                return Err("ATTACHMENT_TYPES must name at least one content type".into());
            }
        }
        Ok(rules)
    }

    /// Whether a stored object is what was declared and what the rules allow.
    pub fn accepts(&self, declared: &Attachment, size: u64, content_type: &str) -> bool {
        size == declared.size
            && size <= self.max_bytes
            && normalise_type(content_type) == declared.content_type
            && self.allowed_types.contains(&declared.content_type)
    }
}

/// Where `GET .../attachments/{id}` may send a caller for an external link: a `302` only to the
/// hosts listed (none by default); any other link is answered in the body, for the caller to
/// decide. So the API's own domain is never an open redirect to whatever a client wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LinkPolicy {
    redirect_hosts: Vec<String>,
}

impl LinkPolicy {
    /// Hosts from settings text, comma separated (`files.example.com,cdn.example.com`).
    pub fn from_setting(hosts: Option<&str>) -> Result<Self, String> {
        let redirect_hosts: Vec<String> = hosts
            .unwrap_or_default()
            .split(',')
            .map(|host| host.trim().to_ascii_lowercase())
            .filter(|host| !host.is_empty())
            .collect();
        if let Some(bad) = redirect_hosts.iter().find(|host| {
            !host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        }) {
            return Err(format!("EXTERNAL_LINK_HOSTS: `{bad}` is not a host name"));
        }
        Ok(Self { redirect_hosts })
    }

    /// Whether a link may be answered with a redirect.
    pub fn redirects_to(&self, url: &str) -> bool {
        link_host(url).is_some_and(|host| self.redirect_hosts.contains(&host))
    }
}

/// The host of an `https://` link, lower-cased; `None` for anything else, and for links that
/// name a user (`https://trusted.example@evil.example/`), which read as one host and go to another.
pub fn link_host(url: &str) -> Option<String> {
    let rest = url
        .get(..8)?
        .eq_ignore_ascii_case("https://")
        .then(|| &url[8..])?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') || authority.contains('\\') {
        return None;
    }
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => host,
        Some(_) => return None,
        None => authority,
    };
    let valid = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
    valid.then(|| host.to_ascii_lowercase())
}

impl Attachment {
    /// When a `pending` upload stops counting: its upload window and the settling slack after
    /// its declaration (the id's time). `None` for every other status.
    pub fn stale_after(&self) -> Option<Timestamp> {
        if self.status != AttachmentStatus::Pending {
            return None;
        }
        let declared = id_time(&self.id)?;
        Some(Timestamp::from(
            declared.as_datetime()
                + Duration::minutes(i64::from(UPLOAD_WINDOW_MINUTES + SETTLE_GRACE_MINUTES)),
        ))
    }

    /// A `pending` upload that never arrived: it is shown nowhere, counts toward no limit, and
    /// the store forgets it later (a TTL).
    pub fn is_stale(&self, now: Timestamp) -> bool {
        self.stale_after().is_some_and(|after| now >= after)
    }
}

impl Ticket {
    /// The ticket as it stands at `now`: without uploads that went stale.
    pub fn as_of(mut self, now: Timestamp) -> Self {
        self.attachments
            .retain(|attachment| !attachment.is_stale(now));
        self
    }
}

/// `Image/PNG; charset=x` → `image/png`.
fn normalise_type(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

/// The S3 key of an upload: chosen by the server, never derived from the filename.
pub fn object_key(ticket_id: &str, attachment_id: &str) -> String {
    format!("tickets/{ticket_id}/{attachment_id}")
}

/// The ticket and attachment ids an object key names, when it is one of ours.
pub fn parse_object_key(key: &str) -> Option<(&str, &str)> {
    let rest = key.strip_prefix("tickets/")?;
    let (ticket_id, attachment_id) = rest.split_once('/')?;
    (crate::model::is_valid_id(ticket_id) && crate::model::is_valid_id(attachment_id))
        .then_some((ticket_id, attachment_id))
}

/// The API route an attachment is downloaded from (never a raw storage URL).
pub fn download_route(ticket_id: &str, attachment_id: &str) -> String {
    format!("/v2/support-tickets/{ticket_id}/attachments/{attachment_id}")
}

/// A filename safe to store and show: no path separators or control characters, at most 255
/// characters, never empty. It stays display metadata only; it never becomes part of a key.
pub fn sanitise_filename(raw: &str) -> String {
    let cleaned: String = raw
        .chars()
        .map(|c| match c {
            '/' | '\\' => '_',
            c if c.is_control() => ' ',
            c => c,
        })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = collapsed.trim_matches(|c: char| c == '.' || c.is_whitespace());
    let name: String = if trimmed.chars().count() > FILENAME_MAX {
        // Keep the extension, if it is short, so the type stays recognisable.
        match trimmed.rsplit_once('.') {
            Some((_, ext)) if !ext.is_empty() && ext.chars().count() <= 16 => {
                let keep = FILENAME_MAX - ext.chars().count() - 1;
                format!("{}.{ext}", trimmed.chars().take(keep).collect::<String>())
            }
            _ => trimmed.chars().take(FILENAME_MAX).collect(),
        }
    } else {
        trimmed.to_owned()
    };
    if name.is_empty() {
        "file".into()
    } else {
        name
    }
}

impl NewUpload {
    /// Checks the declared file against the rules and the ticket, and builds its `pending`
    /// record. Nothing about the file is trusted yet: the upload is checked again when it lands.
    pub fn into_attachment(
        self,
        ticket: &TicketSummary,
        existing: usize,
        caller: &Caller,
        rules: &UploadRules,
    ) -> Result<Attachment, DomainError> {
        let mut problems = Vec::new();
        let filename = match self.filename.as_deref().map(sanitise_filename) {
            Some(name)
                if !self
                    .filename
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .is_empty() =>
            {
                Some(name)
            }
            _ => {
                problems.push(FieldError::new("filename", "is required"));
                None
            }
        };
        let size = match self.size {
            None => {
                problems.push(FieldError::new("size", "is required"));
                None
            }
            Some(0) => {
                problems.push(FieldError::new("size", "must be at least 1 byte"));
                None
            }
            Some(size) if size > rules.max_bytes => {
                problems.push(FieldError::new(
                    "size",
                    format!("must be at most {} bytes", rules.max_bytes),
                ));
                None
            }
            Some(size) => Some(size),
        };
        let content_type = match self.content_type.as_deref().map(normalise_type) {
            None => {
                problems.push(FieldError::new("type", "is required"));
                None
            }
            Some(t) if rules.allowed_types.contains(&t) => Some(t),
            Some(_) => {
                problems.push(FieldError::new(
                    "type",
                    format!("must be one of: {}", rules.allowed_types.join(", ")),
                ));
                None
            }
        };
        let (Some(filename), Some(size), Some(content_type)) = (filename, size, content_type)
        else {
            return Err(DomainError::Validation(problems));
        };
        if ticket.status == Status::Closed {
            return Err(DomainError::Conflict(
                "the ticket is closed: it takes no more attachments".into(),
            ));
        }
        if existing >= ATTACHMENTS_MAX {
            return Err(DomainError::Conflict(format!(
                "a ticket holds at most {ATTACHMENTS_MAX} attachments"
            )));
        }
        let id = new_id();
        Ok(Attachment {
            url: download_route(&ticket.id, &id),
            id,
            filename,
            size,
            content_type,
            status: AttachmentStatus::Pending,
            uploaded_by: Some(caller.id.clone()),
        })
    }
}

impl Caller {
    /// The uploader, agents and admins may remove an attachment; anyone else who can see the
    /// ticket is refused (403). Callers who cannot see the ticket never get this far (404).
    pub fn ensure_may_remove(&self, attachment: &Attachment) -> Result<(), DomainError> {
        if self.is_staff() || attachment.uploaded_by.as_deref() == Some(self.id.as_str()) {
            Ok(())
        } else {
            Err(DomainError::Forbidden(vec![FieldError::new(
                "attachment",
                "only its uploader or an agent may remove it",
            )]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;
    use crate::testing::summary;

    fn upload(filename: &str, size: u64, content_type: &str) -> NewUpload {
        NewUpload {
            filename: Some(filename.into()),
            size: Some(size),
            content_type: Some(content_type.into()),
        }
    }

    #[test]
    fn filenames_lose_paths_and_control_characters_but_stay_readable() {
        assert_eq!(sanitise_filename("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(sanitise_filename("a\\b/c.txt"), "a_b_c.txt");
        assert_eq!(sanitise_filename("inv\u{0}oice\n.pdf"), "inv oice .pdf");
        assert_eq!(sanitise_filename("say \"hi\".txt"), "say \"hi\".txt");
        assert_eq!(sanitise_filename("报告 – résumé.pdf"), "报告 – résumé.pdf");
        assert_eq!(sanitise_filename("  ...  "), "file");
        let long = format!("{}.pdf", "a".repeat(500));
        let kept = sanitise_filename(&long);
        assert_eq!(kept.chars().count(), FILENAME_MAX);
        assert!(kept.ends_with(".pdf"));
    }

    #[test]
    fn an_upload_becomes_a_pending_record_with_a_server_chosen_route() {
        let ticket = summary(Status::Open);
        let caller = Caller::new("client-1", Role::Client);
        let attachment = upload("../x.png", 10, "Image/PNG")
            .into_attachment(&ticket, 0, &caller, &UploadRules::default())
            .unwrap();
        assert_eq!(attachment.status, AttachmentStatus::Pending);
        assert_eq!(attachment.content_type, "image/png");
        assert_eq!(attachment.filename, "_x.png");
        assert_eq!(attachment.url, download_route(&ticket.id, &attachment.id));
        assert_eq!(
            parse_object_key(&object_key(&ticket.id, &attachment.id)),
            Some((ticket.id.as_str(), attachment.id.as_str()))
        );
    }

    #[test]
    fn size_and_type_are_checked_before_any_url_is_issued() {
        let ticket = summary(Status::Open);
        let caller = Caller::new("client-1", Role::Client);
        let rules = UploadRules::default();
        for bad in [
            upload("a.png", rules.max_bytes + 1, "image/png"),
            upload("a.png", 0, "image/png"),
            upload("a.exe", 10, "application/x-msdownload"),
            NewUpload::default(),
        ] {
            let err = bad
                .into_attachment(&ticket, 0, &caller, &rules)
                .unwrap_err();
            assert!(matches!(err, DomainError::Validation(_)));
        }
        let full = upload("a.png", 10, "image/png").into_attachment(
            &ticket,
            ATTACHMENTS_MAX,
            &caller,
            &rules,
        );
        assert!(matches!(full, Err(DomainError::Conflict(_))));
        let closed = upload("a.png", 10, "image/png").into_attachment(
            &summary(Status::Closed),
            0,
            &caller,
            &rules,
        );
        assert!(matches!(closed, Err(DomainError::Conflict(_))));
    }

    #[test]
    fn an_object_is_accepted_only_as_declared() {
        let ticket = summary(Status::Open);
        let caller = Caller::new("client-1", Role::Client);
        let rules = UploadRules::default();
        let declared = upload("a.png", 10, "image/png")
            .into_attachment(&ticket, 0, &caller, &rules)
            .unwrap();
        assert!(rules.accepts(&declared, 10, "image/png"));
        assert!(!rules.accepts(&declared, 11, "image/png"));
        assert!(!rules.accepts(&declared, 10, "text/html"));
    }

    #[test]
    fn only_https_links_to_listed_hosts_redirect() {
        assert_eq!(
            link_host("https://Files.Example.com:8443/a?b#c").as_deref(),
            Some("files.example.com")
        );
        for refused in [
            "http://files.example.com/a",
            "ftp://files.example.com/a",
            "https://",
            "https:///path",
            "https://trusted.example@evil.example/login",
            "https://files.example.com:port/a",
            "javascript:alert(1)",
        ] {
            assert_eq!(link_host(refused), None, "{refused}");
        }
        let none = LinkPolicy::default();
        assert!(!none.redirects_to("https://files.example.com/a"));
        let listed =
            LinkPolicy::from_setting(Some(" Files.example.com , cdn.example.com")).unwrap();
        assert!(listed.redirects_to("https://files.example.com/a.png"));
        assert!(!listed.redirects_to("https://files.example.com.evil.example/a.png"));
        assert!(!listed.redirects_to("http://files.example.com/a.png"));
        assert!(LinkPolicy::from_setting(Some("https://files.example.com")).is_err());
    }

    #[test]
    fn foreign_keys_are_not_ours() {
        assert_eq!(parse_object_key("tickets/some dir/ñ file.png"), None);
        assert_eq!(
            parse_object_key("other/01HMD3V8Q6Y0PZ3F7Q3K2T9W4X/01HMD3V8Q6Y0PZ3F7Q3K2T9W4X"),
            None
        );
    }

    #[test]
    fn uploaders_and_staff_remove_attachments() {
        let ticket = summary(Status::Open);
        let owner = Caller::new("client-1", Role::Client);
        let attachment = upload("a.png", 10, "image/png")
            .into_attachment(
                &ticket,
                0,
                &Caller::new("agent-9", Role::Agent),
                &UploadRules::default(),
            )
            .unwrap();
        assert!(owner.ensure_may_remove(&attachment).is_err());
        assert!(Caller::new("agent-1", Role::Agent)
            .ensure_may_remove(&attachment)
            .is_ok());
        assert!(Caller::new("agent-9", Role::Agent)
            .ensure_may_remove(&attachment)
            .is_ok());
    }
}
