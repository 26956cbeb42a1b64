//! Webhooks: other systems subscribe to the desk's events over HTTPS (docs/API.md, Webhooks).
//! Subscriptions and their rules, Standard Webhooks signatures, which addresses a delivery may
//! reach, and when a failed delivery is tried again.

pub mod address;
pub mod delivery;
pub mod manage;
pub mod retry;
pub mod signing;
pub mod subscription;

pub use retry::RetrySchedule;
pub use signing::Secret;
pub use subscription::{
    NewSubscription, Reach, Signing, Subscription, SubscriptionPatch, WebhookStatus,
};
