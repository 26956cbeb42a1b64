//! What the webhook routes do, for admins only: register a subscription, list, show, change
//! and remove them, read a subscription's delivery log, and send a delivery again.

use std::net::IpAddr;

use serde::Serialize;

use crate::access::Caller;
use crate::error::{DomainError, StoreError};
use crate::model::Timestamp;
use crate::store::{
    DeliveryPage, DeliveryQueue, HostResolver, PageQuery, StoredSubscription, WebhookStore,
};

use super::delivery::DeliveryRecord;
use super::subscription::{NewSubscription, Reach, Subscription, SubscriptionPatch, WebhookStatus};

/// The most subscriptions a desk may have: each event is checked against all of them.
pub const MAX_SUBSCRIPTIONS: usize = 50;

const PRIVATE: &str = "must not lead to this machine or a private network";

/// A subscription with the secret it signs with: answered once, when the secret is new.
#[derive(Clone, Debug, Serialize)]
pub struct WithSecret {
    #[serde(flatten)]
    pub subscription: Subscription,
    pub secret: String,
}

/// Registers the subscription `body` describes, after resolving its host: a name that leads
/// to any address the reach does not allow is refused, as an address is.
pub async fn register<S: WebhookStore, R: HostResolver>(
    store: &S,
    resolver: &R,
    caller: &Caller,
    body: &NewSubscription,
    reach: Reach,
    now: Timestamp,
) -> Result<WithSecret, DomainError> {
    let (subscription, signing) = body.check(caller, reach, now)?;
    ensure_reachable(resolver, &subscription.url, reach).await?;
    if store.subscriptions().await?.len() >= MAX_SUBSCRIPTIONS {
        return Err(DomainError::Conflict(format!(
            "The desk has {MAX_SUBSCRIPTIONS} webhooks, the most it may have; remove one first"
        )));
    }
    let secret = signing.current.to_text();
    let stored = StoredSubscription {
        subscription,
        signing,
        last_success_at: None,
    };
    store.put_subscription(&stored, 0).await?;
    Ok(WithSecret {
        subscription: stored.subscription,
        secret,
    })
}

/// Refuses a URL whose host name resolves to no address, or to any address the reach does not
/// allow (the URL's own rules already judged an address written in it).
pub async fn ensure_reachable<R: HostResolver>(
    resolver: &R,
    url: &str,
    reach: Reach,
) -> Result<(), DomainError> {
    let Some(host) = url::Url::parse(url).ok().and_then(|url| match url.host() {
        Some(url::Host::Domain(name)) => Some(name.to_owned()),
        _ => None,
    }) else {
        return Ok(());
    };
    match resolver.addresses(&host).await {
        None => Err(DomainError::validation(
            "url",
            "names a host that does not resolve",
        )),
        Some(addresses) if addresses.is_empty() => Err(DomainError::validation(
            "url",
            "names a host that does not resolve",
        )),
        Some(addresses) if addresses.iter().all(|a: &IpAddr| reach.allows(*a)) => Ok(()),
        Some(_) => Err(DomainError::validation("url", PRIVATE)),
    }
}

pub async fn list<S: WebhookStore>(
    store: &S,
    caller: &Caller,
) -> Result<Vec<Subscription>, DomainError> {
    caller.ensure_admin()?;
    Ok(store
        .subscriptions()
        .await?
        .into_iter()
        .map(|stored| stored.subscription)
        .collect())
}

async fn find<S: WebhookStore>(
    store: &S,
    caller: &Caller,
    id: &str,
) -> Result<StoredSubscription, DomainError> {
    caller.ensure_admin()?;
    store.subscription(id).await?.ok_or(DomainError::NotFound)
}

pub async fn show<S: WebhookStore>(
    store: &S,
    caller: &Caller,
    id: &str,
) -> Result<Subscription, DomainError> {
    Ok(find(store, caller, id).await?.subscription)
}

/// The subscription as `patch` leaves it, and its new secret when the patch rotated it.
/// `expected` (`If-Match`) makes the change conditional on the version.
#[allow(clippy::too_many_arguments)]
pub async fn change<S: WebhookStore, R: HostResolver>(
    store: &S,
    resolver: &R,
    caller: &Caller,
    id: &str,
    patch: &SubscriptionPatch,
    expected: Option<u64>,
    reach: Reach,
    now: Timestamp,
) -> Result<(Subscription, Option<String>), DomainError> {
    let stored = find(store, caller, id).await?;
    if let Some(expected) = expected.filter(|e| *e != stored.subscription.version) {
        return Err(DomainError::PreconditionFailed { expected });
    }
    let Some(after) = patch.apply(&stored.subscription, caller, reach, now)? else {
        return Ok((stored.subscription, None));
    };
    if after.url != stored.subscription.url {
        ensure_reachable(resolver, &after.url, reach).await?;
    }
    let (signing, secret) = if patch.rotates() {
        let (signing, fresh) = stored
            .signing
            .rotated(now)
            .map_err(|_| StoreError::Internal("no random source for a webhook secret".into()))?;
        (signing, Some(fresh.to_text()))
    } else {
        (stored.signing.clone(), None)
    };
    let previous = stored.subscription.version;
    let changed = StoredSubscription {
        subscription: after,
        signing,
        last_success_at: stored.last_success_at,
    };
    match store.put_subscription(&changed, previous).await {
        Err(StoreError::VersionConflict) => Err(DomainError::Conflict(
            "The webhook changed while this request ran; retry it".into(),
        )),
        Err(other) => Err(other.into()),
        Ok(()) => Ok((changed.subscription, secret)),
    }
}

pub async fn remove<S: WebhookStore>(
    store: &S,
    caller: &Caller,
    id: &str,
) -> Result<(), DomainError> {
    caller.ensure_admin()?;
    if store.remove_subscription(id).await? {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

/// A page of the subscription's deliveries, newest first.
pub async fn deliveries<S: WebhookStore>(
    store: &S,
    caller: &Caller,
    id: &str,
    page: &PageQuery,
) -> Result<DeliveryPage, DomainError> {
    find(store, caller, id).await?;
    Ok(store.deliveries(id, page).await?)
}

/// Queues one more attempt of a logged delivery (same `webhook-id`), for an active
/// subscription; the delivery as it stands.
pub async fn retry<S: WebhookStore, Q: DeliveryQueue>(
    store: &S,
    queue: &Q,
    caller: &Caller,
    id: &str,
    delivery: &str,
) -> Result<DeliveryRecord, DomainError> {
    let stored = find(store, caller, id).await?;
    let record = store
        .delivery(id, delivery)
        .await?
        .ok_or(DomainError::NotFound)?;
    if stored.subscription.status != WebhookStatus::Active {
        return Err(DomainError::Conflict(format!(
            "The webhook is {}; resume it first",
            stored.subscription.status
        )));
    }
    queue.enqueue(&[record.retry_order(id)]).await?;
    Ok(record)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Mutex;

    use super::*;
    use crate::access::Role;
    use crate::webhook::delivery::{Attempt, DeliveryOrder, DeliveryStatus};

    /// Subscriptions in memory, with the table's version rule.
    #[derive(Default)]
    struct Memory(Mutex<BTreeMap<String, StoredSubscription>>);

    impl WebhookStore for Memory {
        async fn subscriptions(&self) -> Result<Vec<StoredSubscription>, StoreError> {
            Ok(self.0.lock().unwrap().values().cloned().collect())
        }
        async fn subscription(&self, id: &str) -> Result<Option<StoredSubscription>, StoreError> {
            Ok(self.0.lock().unwrap().get(id).cloned())
        }
        async fn put_subscription(
            &self,
            stored: &StoredSubscription,
            previous: u64,
        ) -> Result<(), StoreError> {
            let mut all = self.0.lock().unwrap();
            let now = all
                .get(&stored.subscription.id)
                .map_or(0, |s| s.subscription.version);
            if now != previous {
                return Err(StoreError::VersionConflict);
            }
            all.insert(stored.subscription.id.clone(), stored.clone());
            Ok(())
        }
        async fn remove_subscription(&self, id: &str) -> Result<bool, StoreError> {
            Ok(self.0.lock().unwrap().remove(id).is_some())
        }
        async fn record_attempt(
            &self,
            _: &DeliveryOrder,
            _: &Attempt,
            _: DeliveryStatus,
        ) -> Result<(), StoreError> {
            Ok(())
        }
        async fn deliveries(&self, _: &str, _: &PageQuery) -> Result<DeliveryPage, StoreError> {
            Ok(DeliveryPage {
                deliveries: Vec::new(),
                next_cursor: None,
            })
        }
        async fn delivery(&self, _: &str, _: &str) -> Result<Option<DeliveryRecord>, StoreError> {
            Ok(None)
        }
        async fn note_success(&self, _: &str, _: Timestamp) -> Result<(), StoreError> {
            Ok(())
        }
        async fn disable(
            &self,
            _: &str,
            _: &str,
            _: Timestamp,
            _: Timestamp,
        ) -> Result<bool, StoreError> {
            Ok(false)
        }
    }

    /// Names and the addresses they stand for, as a DNS server would answer.
    struct Names(&'static [(&'static str, &'static str)]);

    impl HostResolver for Names {
        async fn addresses(&self, host: &str) -> Option<Vec<IpAddr>> {
            let found: Vec<IpAddr> = self
                .0
                .iter()
                .filter(|(name, _)| *name == host)
                .map(|(_, address)| address.parse().unwrap())
                .collect();
            (!found.is_empty()).then_some(found)
        }
    }

    const NAMES: Names = Names(&[
        ("hooks.example.com", "93.184.215.14"),
        ("inside.example.com", "10.0.0.1"),
        // One public address and one private: refused, since either may be used.
        ("split.example.com", "93.184.215.14"),
        ("split.example.com", "192.168.1.20"),
        ("metadata.example.com", "169.254.169.254"),
        ("localhost", "127.0.0.1"),
    ]);

    fn admin() -> Caller {
        Caller::new("admin-1", Role::Admin)
    }

    fn body(url: &str) -> NewSubscription {
        NewSubscription {
            url: Some(url.into()),
            events: Some(vec!["*".into()]),
            description: None,
        }
    }

    async fn field_error(result: Result<impl std::fmt::Debug, DomainError>) -> String {
        match result {
            Err(DomainError::Validation(details)) => {
                format!("{}: {}", details[0].field, details[0].message)
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn a_name_that_leads_inside_is_refused_at_registration() {
        let store = Memory::default();
        let now = Timestamp::now();
        let registered = register(
            &store,
            &NAMES,
            &admin(),
            &body("https://hooks.example.com/in"),
            Reach::default(),
            now,
        )
        .await
        .unwrap();
        assert!(registered.secret.starts_with("whsec_"));
        for url in [
            "https://inside.example.com/",
            "https://split.example.com/",
            "https://metadata.example.com/latest/meta-data/",
            "https://localhost:8443/",
        ] {
            let refused =
                register(&store, &NAMES, &admin(), &body(url), Reach::default(), now).await;
            assert_eq!(
                field_error(refused).await,
                format!("url: {PRIVATE}"),
                "{url}"
            );
        }
        let unknown = register(
            &store,
            &NAMES,
            &admin(),
            &body("https://nowhere.example.com/"),
            Reach::default(),
            now,
        )
        .await;
        assert_eq!(
            field_error(unknown).await,
            "url: names a host that does not resolve"
        );
        // Loopback only where the local-only setting allows it.
        let local = Reach { loopback: true };
        assert!(register(
            &store,
            &NAMES,
            &admin(),
            &body("http://localhost:8443/"),
            local,
            now
        )
        .await
        .is_ok());
        assert_eq!(store.0.lock().unwrap().len(), 2);
    }

    #[tokio::test]
    async fn only_admins_manage_webhooks_and_a_desk_has_at_most_fifty() {
        let store = Memory::default();
        let now = Timestamp::now();
        let agent = Caller::new("agent-1", Role::Agent);
        let forbidden = register(
            &store,
            &NAMES,
            &agent,
            &body("https://hooks.example.com/"),
            Reach::default(),
            now,
        )
        .await;
        assert!(matches!(forbidden, Err(DomainError::Forbidden(_))));
        assert!(matches!(
            list(&store, &agent).await,
            Err(DomainError::Forbidden(_))
        ));
        for _ in 0..MAX_SUBSCRIPTIONS {
            register(
                &store,
                &NAMES,
                &admin(),
                &body("https://hooks.example.com/"),
                Reach::default(),
                now,
            )
            .await
            .unwrap();
        }
        let over = register(
            &store,
            &NAMES,
            &admin(),
            &body("https://hooks.example.com/"),
            Reach::default(),
            now,
        )
        .await;
        assert!(matches!(over, Err(DomainError::Conflict(_))), "{over:?}");
        assert_eq!(
            list(&store, &admin()).await.unwrap().len(),
            MAX_SUBSCRIPTIONS
        );
    }

    #[tokio::test]
    async fn a_rotation_answers_the_new_secret_and_keeps_the_old_for_a_day() {
        let store = Memory::default();
        let now = Timestamp::now();
        let first = register(
            &store,
            &NAMES,
            &admin(),
            &body("https://hooks.example.com/"),
            Reach::default(),
            now,
        )
        .await
        .unwrap();
        let id = first.subscription.id.clone();
        let rotate = SubscriptionPatch {
            rotate_secret: Some(true),
            ..Default::default()
        };
        let stale = change(
            &store,
            &NAMES,
            &admin(),
            &id,
            &rotate,
            Some(7),
            Reach::default(),
            now,
        )
        .await;
        assert!(matches!(
            stale,
            Err(DomainError::PreconditionFailed { expected: 7 })
        ));
        let (after, secret) = change(
            &store,
            &NAMES,
            &admin(),
            &id,
            &rotate,
            Some(1),
            Reach::default(),
            now,
        )
        .await
        .unwrap();
        let secret = secret.unwrap();
        assert_ne!(secret, first.secret);
        assert_eq!(after.version, 2);
        let stored = store.subscription(&id).await.unwrap().unwrap();
        let in_use: Vec<String> = stored
            .signing
            .secrets_at(now)
            .iter()
            .map(|s| s.to_text())
            .collect();
        assert_eq!(in_use, [secret, first.secret]);
        // Moving the URL inside is refused, and changes nothing.
        let inside = SubscriptionPatch {
            url: Some("https://inside.example.com/".into()),
            ..Default::default()
        };
        let refused = change(
            &store,
            &NAMES,
            &admin(),
            &id,
            &inside,
            None,
            Reach::default(),
            now,
        )
        .await;
        assert_eq!(field_error(refused).await, format!("url: {PRIVATE}"));
        assert_eq!(store.subscription(&id).await.unwrap().unwrap(), stored);
        assert!(matches!(remove(&store, &admin(), &id).await, Ok(())));
        assert!(matches!(
            remove(&store, &admin(), &id).await,
            Err(DomainError::NotFound)
        ));
    }
}
