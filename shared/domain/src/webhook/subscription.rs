//! Webhook subscriptions: who may register one, which URLs and events it may name, how it is
//! paused, resumed, changed and re-keyed, and which events it receives.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::error::DomainError;
use crate::history::EVENT_TYPES;
use crate::model::{new_id, Timestamp};
use crate::validation::{Checker, Lines};

use super::address::is_public;
use super::signing::Secret;

pub const URL_MAX: usize = 2_048;
pub const DESCRIPTION_MAX: usize = 500;
/// Every event type, in `events`.
pub const ALL_EVENTS: &str = "*";
/// How long the secret a rotation replaces still signs deliveries beside the new one.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;

/// Where deliveries may go besides public addresses: loopback receivers, which only a local run
/// allows (`WEBHOOK_ALLOW_LOOPBACK`, never set by the template). Plain `http` is then allowed
/// for loopback receivers, and only for them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Reach {
    pub loopback: bool,
}

impl Reach {
    /// Whether a delivery may connect to `address`.
    pub fn allows(&self, address: IpAddr) -> bool {
        is_public(address) || (self.loopback && address.is_loopback())
    }
}

crate::model::wire_enum!(
    /// Whether a subscription receives deliveries: `disabled` is what failing for a day does.
    WebhookStatus {
        Active => "active",
        Paused => "paused",
        Disabled => "disabled",
    }
);

/// A subscription as the API shows it (never its secrets).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    #[serde(rename = "_id")]
    pub id: String,
    pub url: String,
    /// Event types, or `["*"]` for all.
    pub events: Vec<String>,
    pub description: Option<String>,
    pub status: WebhookStatus,
    pub created_by: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Why it was disabled, when it was.
    pub disabled_reason: Option<String>,
    pub version: u64,
}

/// The keys a subscription signs with: the current one, and during a rotation the one before,
/// until it expires.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signing {
    pub current: Secret,
    pub previous: Option<(Secret, Timestamp)>,
}

impl Signing {
    /// The secrets a delivery at `now` is signed with.
    pub fn secrets_at(&self, now: Timestamp) -> Vec<&Secret> {
        let mut secrets = vec![&self.current];
        if let Some((previous, until)) = &self.previous {
            if now < *until {
                secrets.push(previous);
            }
        }
        secrets
    }

    /// A new current secret; the one it replaces signs beside it for a day.
    pub fn rotated(&self, now: Timestamp) -> Result<(Signing, Secret), getrandom::Error> {
        let fresh = Secret::generate()?;
        let until =
            Timestamp::from(now.as_datetime() + chrono::Duration::hours(ROTATION_OVERLAP_HOURS));
        let signing = Signing {
            current: fresh.clone(),
            previous: Some((self.current.clone(), until)),
        };
        Ok((signing, fresh))
    }
}

impl Subscription {
    /// Whether an event of `detail_type` goes to this subscription now.
    pub fn wants(&self, detail_type: &str) -> bool {
        self.status == WebhookStatus::Active
            && self
                .events
                .iter()
                .any(|event| event == ALL_EVENTS || event == detail_type)
    }
}

/// The body of `POST /v2/webhooks`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NewSubscription {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
}

/// The body of `PATCH /v2/webhooks/{id}`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SubscriptionPatch {
    pub url: Option<String>,
    pub events: Option<Vec<String>>,
    pub description: Option<String>,
    /// `active` (resume, also after being disabled) or `paused`.
    pub status: Option<String>,
    /// A new secret, answered once; the old one signs beside it for a day.
    pub rotate_secret: Option<bool>,
}

impl NewSubscription {
    /// The subscription `caller` (an admin) registers at `now`, with its first secret: an
    /// `https` URL whose host is a name or a public address (names are resolved, and refused
    /// when they lead inside, by the store before anything is kept), one or more known event
    /// types or `*`.
    pub fn check(
        &self,
        caller: &Caller,
        reach: Reach,
        now: Timestamp,
    ) -> Result<(Subscription, Signing), DomainError> {
        caller.ensure_admin()?;
        let mut check = Checker::default();
        let url = match &self.url {
            None => {
                check.fail("url", "is required");
                None
            }
            Some(url) => check_url(&mut check, url, reach),
        };
        let events = match &self.events {
            None => {
                check.fail("events", "is required");
                None
            }
            Some(events) => check_events(&mut check, events),
        };
        let description = self
            .description
            .as_deref()
            .and_then(|text| check.text("description", text, DESCRIPTION_MAX, Lines::Multi));
        check.finish()?;
        let (Some(url), Some(events)) = (url, events) else {
            return Err(DomainError::validation("body", "is not a subscription"));
        };
        let secret = Secret::generate().map_err(|_| {
            DomainError::Store(crate::error::StoreError::Internal(
                "no random source for a webhook secret".into(),
            ))
        })?;
        Ok((
            Subscription {
                id: new_id(),
                url,
                events,
                description,
                status: WebhookStatus::Active,
                created_by: caller.id.clone(),
                created_at: now,
                updated_at: now,
                disabled_reason: None,
                version: 1,
            },
            Signing {
                current: secret,
                previous: None,
            },
        ))
    }
}

impl SubscriptionPatch {
    /// The subscription as the patch leaves it (admins; the same rules as a registration), and
    /// whether the secret is to be rotated. `None` when it changes nothing.
    pub fn apply(
        &self,
        subscription: &Subscription,
        caller: &Caller,
        reach: Reach,
        now: Timestamp,
    ) -> Result<Option<Subscription>, DomainError> {
        caller.ensure_admin()?;
        let mut check = Checker::default();
        let mut after = subscription.clone();
        if let Some(url) = &self.url {
            if let Some(url) = check_url(&mut check, url, reach) {
                after.url = url;
            }
        }
        if let Some(events) = &self.events {
            if let Some(events) = check_events(&mut check, events) {
                after.events = events;
            }
        }
        if let Some(text) = &self.description {
            after.description = check.text("description", text, DESCRIPTION_MAX, Lines::Multi);
        }
        match self.status.as_deref() {
            None => {}
            Some("active") => {
                after.status = WebhookStatus::Active;
                after.disabled_reason = None;
            }
            Some("paused") => after.status = WebhookStatus::Paused,
            Some(_) => check.fail("status", "must be active or paused"),
        }
        check.finish()?;
        if after == *subscription && self.rotate_secret != Some(true) {
            return Ok(None);
        }
        after.version += 1;
        after.updated_at = now;
        Ok(Some(after))
    }

    pub fn rotates(&self) -> bool {
        self.rotate_secret == Some(true)
    }
}

/// An `https` URL with a host, no credentials and no fragment, whose host, when it is an
/// address, may be reached. Stored as parsed (normalised).
fn check_url(check: &mut Checker, text: &str, reach: Reach) -> Option<String> {
    if text.len() > URL_MAX {
        check.fail("url", format!("must be at most {URL_MAX} characters"));
        return None;
    }
    let Ok(url) = url::Url::parse(text) else {
        check.fail("url", "must be an absolute https URL");
        return None;
    };
    let loopback = match url.host() {
        Some(url::Host::Ipv4(v4)) => v4.is_loopback(),
        Some(url::Host::Ipv6(v6)) => v6.is_loopback(),
        // `localhost`, its subdomains (RFC 6761) and their fully qualified forms.
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => false,
    };
    let scheme_ok =
        url.scheme() == "https" || (url.scheme() == "http" && reach.loopback && loopback);
    if !scheme_ok {
        check.fail("url", "must use https");
        return None;
    }
    if !url.username().is_empty() || url.password().is_some() {
        check.fail("url", "must not carry credentials");
        return None;
    }
    if url.fragment().is_some() {
        check.fail("url", "must not have a fragment");
        return None;
    }
    let address = match url.host() {
        Some(url::Host::Ipv4(v4)) => Some(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => Some(IpAddr::V6(v6)),
        Some(url::Host::Domain(_)) if loopback && !reach.loopback => {
            check.fail("url", "must not lead to this machine or a private network");
            return None;
        }
        Some(url::Host::Domain(_)) => None,
        None => {
            check.fail("url", "must name a host");
            return None;
        }
    };
    if address.is_some_and(|address| !reach.allows(address)) {
        check.fail("url", "must not lead to this machine or a private network");
        return None;
    }
    Some(url.into())
}

/// Known event types (each at most once) or `*` alone.
fn check_events(check: &mut Checker, events: &[String]) -> Option<Vec<String>> {
    if events.is_empty() {
        check.fail("events", "must name at least one event type, or *");
        return None;
    }
    if events.iter().any(|event| event == ALL_EVENTS) {
        if events.len() > 1 {
            check.fail("events", "* stands alone: it is every event type");
            return None;
        }
        return Some(vec![ALL_EVENTS.into()]);
    }
    let mut kept: Vec<String> = Vec::with_capacity(events.len());
    let mut valid = true;
    for (index, event) in events.iter().enumerate() {
        if !EVENT_TYPES.contains(&event.as_str()) {
            check.fail(
                &format!("events[{index}]"),
                "is not an event type of the desk",
            );
            valid = false;
        } else if !kept.contains(event) {
            kept.push(event.clone());
        }
    }
    valid.then_some(kept)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;

    fn admin() -> Caller {
        Caller::new("admin-1", Role::Admin)
    }

    fn register(url: &str, events: &[&str], reach: Reach) -> Result<Subscription, Vec<String>> {
        let body = NewSubscription {
            url: Some(url.into()),
            events: Some(events.iter().map(|e| e.to_string()).collect()),
            description: None,
        };
        match body.check(&admin(), reach, Timestamp::now()) {
            Ok((subscription, _)) => Ok(subscription),
            Err(DomainError::Validation(details)) => {
                Err(details.into_iter().map(|d| d.field).collect())
            }
            Err(other) => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_admin_registers_an_https_url_for_known_events() {
        let subscription = register(
            "https://hooks.example.com/desk?team=7",
            &[
                "SupportTicket.Created",
                "SupportTicket.Created",
                "SupportTicket.MessageAdded",
            ],
            Reach::default(),
        )
        .unwrap();
        assert_eq!(subscription.url, "https://hooks.example.com/desk?team=7");
        assert_eq!(
            subscription.events,
            ["SupportTicket.Created", "SupportTicket.MessageAdded"]
        );
        assert!(subscription.wants("SupportTicket.Created"));
        assert!(!subscription.wants("SupportTicket.Closed"));
        let all = register("https://hooks.example.com", &["*"], Reach::default()).unwrap();
        assert!(all.wants("SupportTicket.SlaBreached"));

        let agent = Caller::new("agent-1", Role::Agent);
        let body = NewSubscription {
            url: Some("https://hooks.example.com".into()),
            events: Some(vec!["*".into()]),
            description: None,
        };
        assert!(matches!(
            body.check(&agent, Reach::default(), Timestamp::now()),
            Err(DomainError::Forbidden(_))
        ));
    }

    #[test]
    fn urls_that_lead_inside_or_are_not_https_are_refused() {
        for url in [
            "http://hooks.example.com",
            "https://127.0.0.1/hook",
            "https://[::1]/hook",
            "https://169.254.169.254/latest/meta-data",
            "https://10.0.0.1",
            "https://localhost:8443",
            "https://user:pass@hooks.example.com",
            "https://hooks.example.com/#fragment",
            "ftp://hooks.example.com",
            "not a url",
        ] {
            assert_eq!(
                register(url, &["*"], Reach::default()).unwrap_err(),
                ["url"],
                "{url}"
            );
        }
        assert_eq!(
            register(
                "https://hooks.example.com",
                &["Ticket.Made", "*"],
                Reach::default()
            )
            .unwrap_err(),
            ["events"]
        );
        assert_eq!(
            register(
                "https://hooks.example.com",
                &["Ticket.Made"],
                Reach::default()
            )
            .unwrap_err(),
            ["events[0]"]
        );
    }

    #[test]
    fn loopback_receivers_only_where_the_local_setting_allows_them() {
        let local = Reach { loopback: true };
        assert!(register("http://127.0.0.1:8900/hook", &["*"], local).is_ok());
        assert!(register("http://localhost:8900/hook", &["*"], local).is_ok());
        // Still never a private network, nor plain http to anywhere else.
        assert!(register("https://10.0.0.1/hook", &["*"], local).is_err());
        assert!(register("http://hooks.example.com", &["*"], local).is_err());
    }

    #[test]
    fn pause_resume_and_rotation() {
        let subscription = register("https://hooks.example.com", &["*"], Reach::default()).unwrap();
        let patch = |json: serde_json::Value| -> SubscriptionPatch {
            serde_json::from_value(json).unwrap()
        };
        let now = Timestamp::now();
        let paused = patch(serde_json::json!({"status": "paused"}))
            .apply(&subscription, &admin(), Reach::default(), now)
            .unwrap()
            .unwrap();
        assert_eq!(paused.status, WebhookStatus::Paused);
        assert!(!paused.wants("SupportTicket.Created"));
        assert_eq!(paused.version, subscription.version + 1);
        assert!(patch(serde_json::json!({"status": "paused"}))
            .apply(&paused, &admin(), Reach::default(), now)
            .unwrap()
            .is_none());

        let signing = Signing {
            current: Secret::generate().unwrap(),
            previous: None,
        };
        let (rotated, fresh) = signing.rotated(now).unwrap();
        assert_eq!(rotated.secrets_at(now), [&fresh, &signing.current]);
        let tomorrow = Timestamp::from(now.as_datetime() + chrono::Duration::hours(25));
        assert_eq!(rotated.secrets_at(tomorrow), [&fresh]);
    }
}
