//! EventBridge adapter for the domain's `EventPublisher` port. `PutEvents` can accept part of
//! a request and refuse the rest (`FailedEntryCount`); the refused entries are sent again, and
//! only when they keep failing is the whole publish an error: never dropped silently.

#[cfg(feature = "testing")]
pub mod testing;

use std::future::Future;
use std::time::Duration;

use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use aws_sdk_eventbridge::Client;
use tickets_domain::history::DomainEvent;
use tickets_domain::store::EventPublisher;
use tickets_domain::StoreError;

/// The `source` of every event this service publishes.
pub const SOURCE: &str = "support-tickets";
/// `PutEvents` takes at most ten entries per request.
const BATCH: usize = 10;
/// Sends of the entries still failing, the first one included.
const ATTEMPTS: u32 = 4;

#[derive(Clone, Debug)]
pub struct EventBus {
    client: Client,
    bus: String,
}

impl EventBus {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self {
            client,
            bus: bus.into(),
        }
    }

    /// The client from the function's shared AWS configuration, the bus from `EVENT_BUS_NAME`.
    pub fn from_config(
        shared: &aws_config::SdkConfig,
        settings: &tickets_lambda::Settings,
    ) -> Result<Self, tickets_lambda::SettingError> {
        let bus = settings.required("EVENT_BUS_NAME")?;
        Ok(Self::new(Client::new(shared), bus))
    }

    fn entry(&self, event: &DomainEvent) -> PutEventsRequestEntry {
        PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(SOURCE)
            .detail_type(&event.detail_type)
            .detail(event.detail.to_string())
            .build()
    }

    /// One `PutEvents`: for each entry, whether it failed.
    async fn put(&self, entries: Vec<PutEventsRequestEntry>) -> Result<Vec<bool>, StoreError> {
        let count = entries.len();
        let output = self
            .client
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|err| {
                tracing::warn!(error = %DisplayErrorContext(&err), "PutEvents failed");
                StoreError::Unavailable
            })?;
        let results = output.entries.unwrap_or_default();
        Ok((0..count)
            .map(|i| results.get(i).is_none_or(|r| r.error_code.is_some()))
            .collect())
    }
}

/// Sends `entries`, then again only those that failed, up to `ATTEMPTS` sends in all. `Err`
/// when some still fail: the caller reports its work as failed and it is delivered again.
pub async fn send_until_accepted<E, F, Fut>(entries: Vec<E>, mut send: F) -> Result<(), StoreError>
where
    E: Clone,
    F: FnMut(Vec<E>) -> Fut,
    Fut: Future<Output = Result<Vec<bool>, StoreError>>,
{
    let mut pending = entries;
    for attempt in 0..ATTEMPTS {
        if pending.is_empty() {
            return Ok(());
        }
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
        }
        let failed = send(pending.clone()).await?;
        pending = pending
            .into_iter()
            .zip(failed)
            .filter_map(|(entry, failed)| failed.then_some(entry))
            .collect();
    }
    if pending.is_empty() {
        Ok(())
    } else {
        tracing::error!(failed = pending.len(), "events still refused after retries");
        Err(StoreError::Unavailable)
    }
}

impl EventPublisher for EventBus {
    async fn publish(&self, events: &[DomainEvent]) -> Result<(), StoreError> {
        for chunk in events.chunks(BATCH) {
            let entries = chunk.iter().map(|event| self.entry(event)).collect();
            send_until_accepted(entries, |entries| self.put(entries)).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    #[tokio::test]
    async fn only_refused_entries_are_sent_again_until_accepted() {
        let sent = RefCell::new(Vec::new());
        // The first send refuses entries 1 and 3, the second refuses 3 again, then all pass.
        let result = send_until_accepted(vec![0, 1, 2, 3], |batch: Vec<i32>| {
            sent.borrow_mut().push(batch.clone());
            let round = sent.borrow().len();
            async move {
                Ok(batch
                    .iter()
                    .map(|n| match round {
                        1 => *n == 1 || *n == 3,
                        2 => *n == 3,
                        _ => false,
                    })
                    .collect())
            }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(*sent.borrow(), vec![vec![0, 1, 2, 3], vec![1, 3], vec![3]]);
    }

    #[tokio::test]
    async fn entries_that_keep_failing_make_the_publish_fail() {
        let sends = RefCell::new(0);
        let result = send_until_accepted(vec!["a", "b"], |batch: Vec<&str>| {
            *sends.borrow_mut() += 1;
            async move { Ok(batch.iter().map(|e| *e == "b").collect()) }
        })
        .await;
        assert!(matches!(result, Err(StoreError::Unavailable)));
        assert_eq!(*sends.borrow(), ATTEMPTS);
    }
}
