//! The ticket object as the API shows it (docs/DESIGN.md, The ticket): field names, enums and
//! timestamps.

use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A point in time, always shown as RFC 3339 UTC with milliseconds (`2024-01-15T10:30:00.000Z`).
///
/// The fixed width makes the text sort like the time, which the storage indexes rely on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    /// 1970-01-01T00:00:00.000Z.
    pub const EPOCH: Timestamp = Timestamp(DateTime::UNIX_EPOCH);

    pub fn now() -> Self {
        Self::from(Utc::now())
    }

    pub fn as_datetime(&self) -> DateTime<Utc> {
        self.0
    }
}

impl From<DateTime<Utc>> for Timestamp {
    /// Keeps millisecond precision, the precision the text form carries.
    fn from(value: DateTime<Utc>) -> Self {
        let millis = value.timestamp_millis();
        Self(DateTime::from_timestamp_millis(millis).unwrap_or(value))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl FromStr for Timestamp {
    type Err = chrono::ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self::from(
            DateTime::parse_from_rfc3339(s)?.with_timezone(&Utc),
        ))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Declares a closed set of values with their wire names, in one place.
macro_rules! wire_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $wire:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::serde::Serialize, ::serde::Deserialize,
        )]
        pub enum $name {
            $(#[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(&self) -> &'static str {
                match self {
                    $($name::$variant => $wire),+
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ();

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($wire => Ok($name::$variant),)+
                    _ => Err(()),
                }
            }
        }
    };
}

pub(crate) use wire_enum;

wire_enum!(
    /// Where a ticket is in its workflow. New tickets are `open`; `closed` is terminal.
    Status {
        Open => "open",
        Pending => "pending",
        InProgress => "in_progress",
        Resolved => "resolved",
        Closed => "closed",
    }
);

wire_enum!(Priority {
    Low => "low",
    Medium => "medium",
    High => "high",
    Urgent => "urgent",
});

wire_enum!(Category {
    Technical => "technical",
    Billing => "billing",
    Account => "account",
    FeatureRequest => "feature_request",
    General => "general",
});

wire_enum!(
    /// Who wrote a thread message.
    MessageType {
        User => "user",
        Agent => "agent",
        System => "system",
    }
);

wire_enum!(AttachmentStatus {
    Pending => "pending",
    Available => "available",
    Rejected => "rejected",
    External => "external",
});

/// A server-generated identifier: a ULID, opaque and URL-safe, ordered by creation time.
///
/// Ids from one process are strictly increasing, also within the same millisecond, so thread
/// messages sort in the order they were written.
pub fn new_id() -> String {
    static GENERATOR: Mutex<ulid::Generator> = Mutex::new(ulid::Generator::new());
    let mut generator = GENERATOR
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    // Overflow needs 2^80 ids in one millisecond; fall back to a fresh random id regardless.
    generator
        .generate()
        .unwrap_or_else(|_| ulid::Ulid::new())
        .to_string()
}

/// True when `text` has the shape of an id this service generates (guards path parameters).
/// An id as it would have been issued at `at` (seeds and tests that need a past).
pub fn id_at(at: Timestamp) -> String {
    let millis = u64::try_from(at.as_datetime().timestamp_millis()).unwrap_or(0);
    ulid::Ulid::from_parts(millis, rand_bits()).to_string()
}

fn rand_bits() -> u128 {
    ulid::Ulid::new().random()
}

/// When an id was issued: ids are ULIDs, whose first 48 bits are the milliseconds of their
/// creation. `None` for text that is not one.
pub fn id_time(id: &str) -> Option<Timestamp> {
    let millis = ulid::Ulid::from_string(id).ok()?.timestamp_ms();
    DateTime::from_timestamp_millis(i64::try_from(millis).ok()?).map(Timestamp::from)
}

pub fn is_valid_id(text: &str) -> bool {
    text.len() == 26 && ulid::Ulid::from_string(text).is_ok()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadMessage {
    #[serde(rename = "_id")]
    pub id: String,
    pub author: String,
    pub message: String,
    pub timestamp: Timestamp,
    #[serde(rename = "type")]
    pub kind: MessageType,
    pub internal: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(rename = "_id")]
    pub id: String,
    pub filename: String,
    pub url: String,
    pub size: u64,
    #[serde(rename = "type")]
    pub content_type: String,
    pub status: AttachmentStatus,
    /// Who added it; they (and staff) may remove it.
    #[serde(rename = "uploadedBy")]
    pub uploaded_by: Option<String>,
}

/// The ticket without its thread and attachments: what lists show and what the ticket item stores.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketSummary {
    #[serde(rename = "_id")]
    pub id: String,
    pub title: String,
    /// Stored apart from the fields lists show (docs/DATA_MODEL.md): empty in list summaries and
    /// wherever only the listed fields were read, and then left out of the JSON.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub status: Status,
    pub priority: Priority,
    pub category: Category,
    pub client: String,
    pub assigned_to: Option<String>,
    pub tags: Vec<String>,
    pub resolution: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub resolved_at: Option<Timestamp>,
    pub first_response_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    /// When the ticket was last reopened (moved from `resolved` back to an active status);
    /// absent until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopened_at: Option<Timestamp>,
    /// Set while the ticket is soft-deleted; only admins see such a ticket.
    pub deleted_at: Option<Timestamp>,
    /// Who made the latest change to the ticket's own fields (`system` for automation).
    pub changed_by: Option<String>,
    /// The client's rating, once given (tickets stored before ratings existed have none).
    #[serde(default)]
    pub satisfaction: Option<Satisfaction>,
    /// Set once the ticket was merged into another (then it is closed for good); absent
    /// otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<String>,
    /// The tickets merged into this one, oldest merge first; absent when there are none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub merged_from: Vec<String>,
    /// The service-level clocks, when a policy applies (staff see them; docs/API.md).
    #[serde(default)]
    pub sla: Option<crate::sla::Sla>,
    /// Bumped on every change; also sent as the `ETag`.
    pub version: u64,
}

/// A client's rating of the help it got (the rules: `satisfaction.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Rating {
    Good,
    Bad,
}

impl Rating {
    pub const ALL: [Rating; 2] = [Rating::Good, Rating::Bad];
}

impl std::fmt::Display for Rating {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Rating::Good => "good",
            Rating::Bad => "bad",
        })
    }
}

impl std::str::FromStr for Rating {
    type Err = ();

    fn from_str(value: &str) -> Result<Self, ()> {
        match value {
            "good" => Ok(Rating::Good),
            "bad" => Ok(Rating::Bad),
            _ => Err(()),
        }
    }
}

/// A ticket's rating as it shows on the ticket.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Satisfaction {
    pub rating: Rating,
    pub comment: Option<String>,
    /// When the rating was last given or changed.
    pub rated_at: Timestamp,
    /// When it was first given: the window to change it runs from here.
    pub first_rated_at: Timestamp,
}

/// A ticket's description with the stamp of the change that last wrote it: what the store keeps
/// apart from the listed fields, and what the history learns a description change from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TicketBody {
    pub description: String,
    pub client: String,
    pub version: u64,
    pub changed_by: Option<String>,
    pub updated_at: Timestamp,
}

impl TicketBody {
    pub fn of(ticket: &TicketSummary) -> Self {
        TicketBody {
            description: ticket.description.clone(),
            client: ticket.client.clone(),
            version: ticket.version,
            changed_by: ticket.changed_by.clone(),
            updated_at: ticket.updated_at,
        }
    }
}

/// The whole ticket: its summary fields with the thread and attachments.
///
/// The thread is a bounded window (the oldest messages, see `THREAD_WINDOW`), so a ticket
/// answers within Lambda's 6 MB response limit however long its thread grows. When more
/// messages follow, `threadsTruncated` is true and `threadsNextCursor` continues the thread
/// on `GET /v2/support-tickets/{id}/threads`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Ticket {
    #[serde(flatten)]
    pub summary: TicketSummary,
    pub threads: Vec<ThreadMessage>,
    pub threads_truncated: bool,
    pub threads_next_cursor: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// How many thread messages a ticket embeds: 50 × 64 KiB stays far below 6 MB.
pub const THREAD_WINDOW: usize = 50;

/// The id automation acts under in histories and threads.
pub const SYSTEM: &str = "system";

/// The prefix of the id of a person the desk knows only by an e-mail address (`mail:<id>`).
pub const MAIL_PRINCIPAL_PREFIX: &str = "mail:";

/// The version every new ticket starts at.
pub const INITIAL_VERSION: u64 = 1;

impl TicketSummary {
    pub fn is_deleted(&self) -> bool {
        self.deleted_at.is_some()
    }

    /// The ticket once a change by `by` at `at` is stored: the next version, stamped with who
    /// and when. The one place a ticket's version moves.
    pub fn revised(mut self, by: &str, at: Timestamp) -> TicketSummary {
        self.version += 1;
        self.updated_at = at;
        self.changed_by = Some(by.to_owned());
        self
    }
}

impl std::borrow::Borrow<TicketSummary> for Ticket {
    fn borrow(&self) -> &TicketSummary {
        &self.summary
    }
}

impl std::ops::Deref for Ticket {
    type Target = TicketSummary;

    fn deref(&self) -> &TicketSummary {
        &self.summary
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revision_is_the_next_version_stamped_with_who_and_when() {
        let mut ticket = crate::testing::summary(Status::Open);
        ticket.changed_by = Some("someone-else".into());
        let at: Timestamp = "2030-02-03T04:05:06Z".parse().unwrap();
        let revised = ticket.clone().revised("agent-1", at);
        assert_eq!(revised.version, ticket.version + 1);
        assert_eq!(revised.updated_at, at);
        assert_eq!(revised.changed_by.as_deref(), Some("agent-1"));
        assert_eq!(
            TicketSummary {
                version: ticket.version,
                updated_at: ticket.updated_at,
                changed_by: ticket.changed_by.clone(),
                ..revised
            },
            ticket
        );
    }

    #[test]
    fn timestamps_print_as_fixed_width_utc_with_millis() {
        let ts: Timestamp = "2024-01-15T10:30:00Z".parse().unwrap();
        assert_eq!(ts.to_string(), "2024-01-15T10:30:00.000Z");
        let offset: Timestamp = "2024-01-15T12:30:00.5+02:00".parse().unwrap();
        assert_eq!(offset.to_string(), "2024-01-15T10:30:00.500Z");
    }

    #[test]
    fn timestamp_text_sorts_like_time() {
        let a: Timestamp = "2024-01-15T10:30:00.999Z".parse().unwrap();
        let b: Timestamp = "2024-01-15T10:30:01Z".parse().unwrap();
        assert!(a < b);
        assert!(a.to_string() < b.to_string());
    }

    #[test]
    fn enums_use_their_wire_names() {
        assert_eq!(
            serde_json::to_string(&Status::InProgress).unwrap(),
            "\"in_progress\""
        );
        assert_eq!(
            "feature_request".parse::<Category>(),
            Ok(Category::FeatureRequest)
        );
        assert!("Open".parse::<Status>().is_err());
    }

    #[test]
    fn ids_increase_strictly_even_within_a_millisecond() {
        let ids: Vec<String> = (0..1000).map(|_| new_id()).collect();
        assert!(ids.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn ids_are_ulids_and_validated() {
        let id = new_id();
        assert!(is_valid_id(&id));
        assert!(!is_valid_id("../etc/passwd"));
        assert!(!is_valid_id(""));
    }
}
