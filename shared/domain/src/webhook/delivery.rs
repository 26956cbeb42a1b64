//! One delivery: an event on its way to one subscription. Which subscriptions an event goes to,
//! the request a receiver gets (the Standard Webhooks headers and the payload), what an
//! attempt's answer means, and what follows a failed attempt.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::model::Timestamp;

use super::retry::RetrySchedule;
use super::signing::signature_header;
use super::subscription::{Signing, Subscription};

/// The prefix of the event types a webhook may receive (the desk's ticket events).
pub const TICKET_EVENTS: &str = "SupportTicket.";
/// The members of an event's detail that people wrote (a resolution, a file's name): the bus
/// carries them to the account's own services; a webhook, which leaves the account, does not.
const FREE_TEXT: &[&str] = &["resolution", "filename"];
/// What a failed answer keeps of the receiver's body: a short, cleaned excerpt, never more.
pub const EXCERPT_MAX: usize = 200;

/// An event from the bus as the webhook queue receives it (EventBridge's envelope).
#[derive(Clone, Debug, Deserialize)]
pub struct BusEvent {
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub time: Option<String>,
    #[serde(default)]
    pub detail: Value,
}

/// One event for one subscription: what the webhook queue carries from the fan-out to the
/// attempts, and what the delivery log keeps to send it again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryOrder {
    pub subscription: String,
    /// The delivery's id; `msg_<id>` is its `webhook-id`, the same on every attempt.
    pub delivery: String,
    #[serde(rename = "type")]
    pub event_type: String,
    /// When the event happened.
    pub timestamp: Timestamp,
    pub data: Value,
    /// Sent again by an admin: one attempt, no schedule.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub manual: bool,
}

impl DeliveryOrder {
    /// The `webhook-id` header: one per event and subscription, kept by every retry, so that
    /// a receiver recognises a message it already has.
    pub fn webhook_id(&self) -> String {
        format!("msg_{}", self.delivery)
    }

    /// The JSON a receiver gets: the Standard Webhooks shape, with the event's detail as
    /// `data` (ids, status, version, who and when: never a message's text).
    pub fn body(&self) -> String {
        json!({"type": self.event_type, "timestamp": self.timestamp, "data": self.data}).to_string()
    }

    /// The signed request for this delivery at `now`.
    pub fn request(&self, url: &str, signing: &Signing, now: Timestamp) -> Outgoing {
        let id = self.webhook_id();
        let timestamp = now.as_datetime().timestamp();
        let body = self.body();
        let signature = signature_header(signing.secrets_at(now), &id, timestamp, &body);
        Outgoing {
            url: url.to_owned(),
            headers: vec![
                ("content-type", "application/json".into()),
                ("webhook-id", id),
                ("webhook-timestamp", timestamp.to_string()),
                ("webhook-signature", signature),
            ],
            body,
        }
    }
}

/// The orders an event makes: one per active subscription that wants its type. The delivery
/// id is derived from the event and the subscription (the event's time, then a hash), so an
/// event fanned out twice makes the same orders, and receivers see one `webhook-id`.
pub fn fan_out(event: &BusEvent, subscriptions: &[Subscription]) -> Vec<DeliveryOrder> {
    if !event.detail_type.starts_with(TICKET_EVENTS) {
        return Vec::new();
    }
    let timestamp = event
        .time
        .as_deref()
        .and_then(|time| time.parse::<Timestamp>().ok())
        .or_else(|| {
            event
                .detail
                .get("at")
                .and_then(|at| serde_json::from_value(at.clone()).ok())
        })
        .unwrap_or_else(Timestamp::now);
    let mut data = event.detail.clone();
    if let Value::Object(members) = &mut data {
        members.retain(|name, _| !FREE_TEXT.contains(&name.as_str()));
    }
    subscriptions
        .iter()
        .filter(|subscription| subscription.wants(&event.detail_type))
        .map(|subscription| DeliveryOrder {
            subscription: subscription.id.clone(),
            delivery: delivery_id(&event.id, &subscription.id, timestamp),
            event_type: event.detail_type.clone(),
            timestamp,
            data: data.clone(),
            manual: false,
        })
        .collect()
}

fn delivery_id(event: &str, subscription: &str, at: Timestamp) -> String {
    let digest = Sha256::digest(format!("{event}/{subscription}").as_bytes());
    let mut random = [0u8; 16];
    random.copy_from_slice(&digest[..16]);
    let millis = u64::try_from(at.as_datetime().timestamp_millis()).unwrap_or(0);
    ulid::Ulid::from_parts(millis, u128::from_be_bytes(random)).to_string()
}

/// A request for a receiver.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub url: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: String,
}

/// What a receiver did with one request, as the courier saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// It answered with this status; `excerpt` is the start of its body, cleaned.
    Status { code: u16, excerpt: String },
    /// No answer: the reason in a few words (timed out, refused address, no connection).
    NoAnswer(String),
}

/// One attempt, as the delivery log keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Attempt {
    pub number: u32,
    pub at: Timestamp,
    pub status_code: Option<u16>,
    pub duration_ms: u64,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The start of the receiver's body when it failed, cleaned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
}

impl Attempt {
    pub fn new(number: u32, at: Timestamp, answer: Answer, took: Duration) -> Self {
        let duration_ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX);
        let (status_code, error, response) = match answer {
            Answer::Status { code, .. } if (200..300).contains(&code) => (Some(code), None, None),
            Answer::Status { code, excerpt } => {
                let error = if (300..400).contains(&code) {
                    format!("answered {code}: redirects are not followed")
                } else {
                    format!("answered {code}")
                };
                let excerpt = (!excerpt.is_empty()).then_some(excerpt);
                (Some(code), Some(error), excerpt)
            }
            Answer::NoAnswer(reason) => (None, Some(reason), None),
        };
        Attempt {
            number,
            at,
            status_code,
            duration_ms,
            error,
            response,
        }
    }

    pub fn succeeded(&self) -> bool {
        self.error.is_none()
    }
}

/// The start of a receiver's body as the log may keep it: at most `EXCERPT_MAX` characters,
/// control characters (line breaks included) replaced by spaces.
pub fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(EXCERPT_MAX * 4)])
        .chars()
        .take(EXCERPT_MAX)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

crate::model::wire_enum!(
    /// Where a delivery stands: `pending` while retries are scheduled.
    DeliveryStatus {
        Pending => "pending",
        Succeeded => "succeeded",
        Failed => "failed",
    }
);

/// A delivery as `GET /v2/webhooks/{id}/deliveries` shows it: the event, how it stands and
/// every attempt so far.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeliveryRecord {
    #[serde(rename = "_id")]
    pub id: String,
    pub event: String,
    pub timestamp: Timestamp,
    pub data: Value,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
    pub updated_at: Timestamp,
}

impl DeliveryRecord {
    /// The order that sends it once more, on an admin's request.
    pub fn retry_order(&self, subscription: &str) -> DeliveryOrder {
        DeliveryOrder {
            subscription: subscription.to_owned(),
            delivery: self.id.clone(),
            event_type: self.event.clone(),
            timestamp: self.timestamp,
            data: self.data.clone(),
            manual: true,
        }
    }
}

/// What follows an attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Next {
    /// Delivered.
    Done,
    /// Try again after this pause.
    RetryIn(Duration),
    /// Every scheduled attempt failed: the subscription may be disabled.
    Exhausted,
    /// An admin's single attempt failed: nothing more.
    GaveUp,
}

impl Next {
    /// After `attempt` of `order`, by `schedule`; `jitter` in `[0, 1)` spreads the pause.
    pub fn after(
        attempt: &Attempt,
        order: &DeliveryOrder,
        schedule: &RetrySchedule,
        jitter: f64,
    ) -> Next {
        if attempt.succeeded() {
            Next::Done
        } else if order.manual {
            Next::GaveUp
        } else {
            schedule
                .pause_after(attempt.number, jitter)
                .map_or(Next::Exhausted, Next::RetryIn)
        }
    }

    /// How the delivery stands after this step.
    pub fn status(self) -> DeliveryStatus {
        match self {
            Next::Done => DeliveryStatus::Succeeded,
            Next::RetryIn(_) => DeliveryStatus::Pending,
            Next::Exhausted | Next::GaveUp => DeliveryStatus::Failed,
        }
    }
}

/// How often a success is written to the subscription (`lastSuccessAt`): often enough to tell
/// a receiver that fails for a day from one that fails for one event, rarely enough that a
/// busy subscription's item is not written at every delivery.
pub const SUCCESS_NOTE_EVERY: chrono::TimeDelta = chrono::TimeDelta::hours(1);

/// Whether a success at `now` is worth writing down, given the last one written.
pub fn worth_noting(last_success_at: Option<Timestamp>, now: Timestamp) -> bool {
    last_success_at.is_none_or(|last| now.as_datetime() - last.as_datetime() >= SUCCESS_NOTE_EVERY)
}

/// Why a subscription was disabled.
pub fn disabled_reason(order: &DeliveryOrder, attempt: &Attempt) -> String {
    format!(
        "every attempt of delivery {} failed (the last: {})",
        order.delivery,
        attempt.error.as_deref().unwrap_or("no answer")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::webhook::signing::Secret;
    use crate::webhook::subscription::WebhookStatus;

    fn subscription(id: &str, events: &[&str], status: WebhookStatus) -> Subscription {
        let now = Timestamp::now();
        Subscription {
            id: id.into(),
            url: "https://hooks.example.com/".into(),
            events: events.iter().map(|e| e.to_string()).collect(),
            description: None,
            status,
            created_by: "admin-1".into(),
            created_at: now,
            updated_at: now,
            disabled_reason: None,
            version: 1,
        }
    }

    fn event(kind: &str) -> BusEvent {
        BusEvent {
            id: "6f1c2a7e-0000-4000-8000-000000000001".into(),
            detail_type: kind.into(),
            time: Some("2026-11-30T10:00:00Z".into()),
            detail: json!({"ticketId": "01JT", "version": 1}),
        }
    }

    #[test]
    fn an_event_goes_to_each_active_subscription_that_wants_it() {
        let subscriptions = [
            subscription("a", &["SupportTicket.Created"], WebhookStatus::Active),
            subscription("b", &["*"], WebhookStatus::Active),
            subscription("c", &["SupportTicket.Closed"], WebhookStatus::Active),
            subscription("d", &["*"], WebhookStatus::Paused),
            subscription("e", &["*"], WebhookStatus::Disabled),
        ];
        let orders = fan_out(&event("SupportTicket.Created"), &subscriptions);
        let to: Vec<&str> = orders.iter().map(|o| o.subscription.as_str()).collect();
        assert_eq!(to, ["a", "b"]);
        assert_eq!(orders[0].timestamp.to_string(), "2026-11-30T10:00:00.000Z");
        // Other sources' events (the desk's own notices) go nowhere.
        assert!(fan_out(&event("SupportWebhook.Disabled"), &subscriptions).is_empty());
    }

    #[test]
    fn what_people_wrote_stays_in_the_account() {
        let resolved = BusEvent {
            detail: json!({"ticketId": "01JT", "status": "resolved", "resolution": "Replaced the toner"}),
            ..event("SupportTicket.Resolved")
        };
        let added = BusEvent {
            detail: json!({"ticketId": "01JT", "attachmentId": "01JA", "filename": "payslip.pdf", "size": 10}),
            ..event("SupportTicket.AttachmentAdded")
        };
        let to = [subscription("a", &["*"], WebhookStatus::Active)];
        assert_eq!(
            fan_out(&resolved, &to)[0].data,
            json!({"ticketId": "01JT", "status": "resolved"})
        );
        assert_eq!(
            fan_out(&added, &to)[0].data,
            json!({"ticketId": "01JT", "attachmentId": "01JA", "size": 10})
        );
    }

    #[test]
    fn the_same_event_fanned_out_twice_makes_the_same_delivery_ids() {
        let subscriptions = [
            subscription("a", &["*"], WebhookStatus::Active),
            subscription("b", &["*"], WebhookStatus::Active),
        ];
        let first = fan_out(&event("SupportTicket.Created"), &subscriptions);
        let again = fan_out(&event("SupportTicket.Created"), &subscriptions);
        assert_eq!(first, again);
        assert_ne!(first[0].delivery, first[1].delivery);
        assert!(crate::model::is_valid_id(&first[0].delivery));
        let other = BusEvent {
            id: "another".into(),
            ..event("SupportTicket.Created")
        };
        assert_ne!(
            fan_out(&other, &subscriptions)[0].delivery,
            first[0].delivery
        );
    }

    #[test]
    fn a_request_is_signed_by_every_secret_in_use_and_keeps_its_id() {
        let order = fan_out(
            &event("SupportTicket.Created"),
            &[subscription("a", &["*"], WebhookStatus::Active)],
        )
        .remove(0);
        let (old, new) = (Secret::generate().unwrap(), Secret::generate().unwrap());
        let now = Timestamp::now();
        let until = Timestamp::from(now.as_datetime() + chrono::Duration::hours(1));
        let signing = Signing {
            current: new.clone(),
            previous: Some((old.clone(), until)),
        };
        let request = order.request("https://hooks.example.com/", &signing, now);
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.clone())
                .unwrap()
        };
        let timestamp: i64 = header("webhook-timestamp").parse().unwrap();
        assert_eq!(header("webhook-id"), format!("msg_{}", order.delivery));
        assert_eq!(
            header("webhook-signature"),
            format!(
                "{} {}",
                new.sign(&order.webhook_id(), timestamp, &request.body),
                old.sign(&order.webhook_id(), timestamp, &request.body)
            )
        );
        let body: Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["type"], "SupportTicket.Created");
        assert_eq!(body["data"]["ticketId"], "01JT");
        // After the overlap, only the new secret signs.
        let later = Timestamp::from(until.as_datetime() + chrono::Duration::seconds(1));
        let request = order.request("https://hooks.example.com/", &signing, later);
        assert_eq!(
            request.headers[3].1.split(' ').count(),
            1,
            "{:?}",
            request.headers
        );
    }

    #[test]
    fn only_a_2xx_answer_delivers() {
        let took = Duration::from_millis(12);
        let now = Timestamp::now();
        let ok = Attempt::new(
            1,
            now,
            Answer::Status {
                code: 204,
                excerpt: String::new(),
            },
            took,
        );
        assert!(ok.succeeded());
        assert_eq!((ok.status_code, ok.duration_ms), (Some(204), 12));
        let moved = Attempt::new(
            1,
            now,
            Answer::Status {
                code: 302,
                excerpt: String::new(),
            },
            took,
        );
        assert_eq!(
            moved.error.as_deref(),
            Some("answered 302: redirects are not followed")
        );
        let broken = Attempt::new(
            1,
            now,
            Answer::Status {
                code: 500,
                excerpt: "boom".into(),
            },
            took,
        );
        assert_eq!(
            (broken.error.as_deref(), broken.response.as_deref()),
            (Some("answered 500"), Some("boom"))
        );
        let silent = Attempt::new(1, now, Answer::NoAnswer("timed out".into()), took);
        assert_eq!(
            (silent.status_code, silent.error.as_deref()),
            (None, Some("timed out"))
        );
    }

    #[test]
    fn a_failure_is_retried_by_the_schedule_then_exhausted() {
        let schedule = RetrySchedule::parse("1,2").unwrap();
        let mut order = fan_out(
            &event("SupportTicket.Created"),
            &[subscription("a", &["*"], WebhookStatus::Active)],
        )
        .remove(0);
        let failed = |number| {
            Attempt::new(
                number,
                Timestamp::now(),
                Answer::NoAnswer("no connection".into()),
                Duration::ZERO,
            )
        };
        let next =
            |attempt: &Attempt, order: &DeliveryOrder| Next::after(attempt, order, &schedule, 0.5);
        assert_eq!(
            next(&failed(1), &order),
            Next::RetryIn(Duration::from_secs(1))
        );
        assert_eq!(
            next(&failed(2), &order),
            Next::RetryIn(Duration::from_secs(2))
        );
        assert_eq!(next(&failed(3), &order), Next::Exhausted);
        assert_eq!(next(&failed(3), &order).status(), DeliveryStatus::Failed);
        order.manual = true;
        assert_eq!(next(&failed(1), &order), Next::GaveUp);
    }

    #[test]
    fn an_excerpt_is_short_and_on_one_line() {
        let long = format!("line one\r\nline two\t{}", "x".repeat(500));
        let cut = excerpt(long.as_bytes());
        assert_eq!(cut.chars().count(), EXCERPT_MAX);
        assert!(!cut.contains('\n') && cut.starts_with("line one  line two"));
        assert_eq!(excerpt(&[0xff, b'a']), "\u{fffd}a");
    }

    #[test]
    fn successes_are_noted_at_most_hourly() {
        let now = Timestamp::now();
        assert!(worth_noting(None, now));
        let recent = Timestamp::from(now.as_datetime() - chrono::Duration::minutes(5));
        assert!(!worth_noting(Some(recent), now));
        let old = Timestamp::from(now.as_datetime() - chrono::Duration::minutes(61));
        assert!(worth_noting(Some(old), now));
    }
}
