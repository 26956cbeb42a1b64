//! Adapters of the webhook ports: the webhook queue (SQS: each order a message, retries by
//! the message's visibility), host names resolved by the system, the HTTP client that
//! delivers to the addresses the reach allows and to no other, and the settings they read.

mod courier;
mod queue;
pub mod settings;

pub use courier::{HttpCourier, SystemResolver};
pub use queue::SqsDeliveries;
