//! Webhooks: the subscriptions and their delivery log (the table), the queue deliveries travel
//! through, the name resolution the address rules use, and the HTTP client that delivers.

use std::future::Future;
use std::net::IpAddr;
use std::time::Duration;

use crate::error::StoreError;
use crate::model::Timestamp;
use crate::webhook::delivery::{
    Answer, Attempt, DeliveryOrder, DeliveryRecord, DeliveryStatus, Outgoing,
};
use crate::webhook::{Signing, Subscription};

use super::PageQuery;

/// A subscription with its keys and when a delivery last succeeded (noted at most hourly).
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSubscription {
    pub subscription: Subscription,
    pub signing: Signing,
    pub last_success_at: Option<Timestamp>,
}

/// One page of a subscription's delivery log, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct DeliveryPage {
    pub deliveries: Vec<DeliveryRecord>,
    pub next_cursor: Option<String>,
}

pub trait WebhookStore: Send + Sync {
    /// Every subscription of the desk (a few dozen at most), read consistently.
    fn subscriptions(
        &self,
    ) -> impl Future<Output = Result<Vec<StoredSubscription>, StoreError>> + Send;

    fn subscription(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<Option<StoredSubscription>, StoreError>> + Send;

    /// Stores `stored` if the stored version is still `previous` (`0`: a new subscription);
    /// `VersionConflict` otherwise.
    fn put_subscription(
        &self,
        stored: &StoredSubscription,
        previous: u64,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Removes it; `false` when there was none. Its delivery log expires on its own.
    fn remove_subscription(
        &self,
        id: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Adds `attempt` to the delivery's log entry (made by its first attempt) and sets where
    /// the delivery stands.
    fn record_attempt(
        &self,
        order: &DeliveryOrder,
        attempt: &Attempt,
        status: DeliveryStatus,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    fn deliveries(
        &self,
        subscription: &str,
        page: &PageQuery,
    ) -> impl Future<Output = Result<DeliveryPage, StoreError>> + Send;

    fn delivery(
        &self,
        subscription: &str,
        delivery: &str,
    ) -> impl Future<Output = Result<Option<DeliveryRecord>, StoreError>> + Send;

    /// Writes down that a delivery succeeded at `at`.
    fn note_success(
        &self,
        id: &str,
        at: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Disables the subscription with `reason` if it is active and no delivery succeeded
    /// since `failing_since`; whether it did.
    fn disable(
        &self,
        id: &str,
        reason: &str,
        failing_since: Timestamp,
        at: Timestamp,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
}

/// The queue between the fan-out and the attempts.
pub trait DeliveryQueue: Send + Sync {
    /// Queues every order (each one message); `Err` when some could not be queued.
    fn enqueue(
        &self,
        orders: &[DeliveryOrder],
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Holds back a received order (by its receipt) for `pause`: it comes back then, to be
    /// tried again.
    fn postpone(
        &self,
        receipt: &str,
        pause: Duration,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
}

/// The addresses a host name stands for now.
pub trait HostResolver: Send + Sync {
    /// `None` when the name does not resolve.
    fn addresses(&self, host: &str) -> impl Future<Output = Option<Vec<IpAddr>>> + Send;
}

/// Sends a delivery's request: one attempt, bounded by a timeout, redirects not followed,
/// only to addresses the reach allows (checked again at every attempt: DNS can change).
pub trait Courier: Send + Sync {
    fn post(&self, request: &Outgoing) -> impl Future<Output = Answer> + Send;
}
