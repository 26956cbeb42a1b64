//! SQS → webhooks. Two kinds of message arrive, on one queue (one set of Lambda pollers):
//!
//! - a domain event (the bus's rule copies every ticket event to the queue): it is fanned out
//!   into one order per active subscription that wants it, each a message of the same queue
//!   (the same event fanned out twice makes the same delivery ids);
//! - an order: one attempt to its receiver, signed, bounded by a timeout, logged. A failed
//!   attempt hides its message for the schedule's next pause and reports it failed, so SQS
//!   brings it back then (no function waits); the last failure of the schedule disables a
//!   subscription that delivered nothing meanwhile, and says so (`SupportWebhook.Disabled`).
//!
//! Every message is handled on its own, side by side: a slow receiver holds back nobody, and a
//! message that cannot be handled is reported alone (`ReportBatchItemFailures`).

use std::time::Instant;

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::future::join_all;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::{json, Value};
use tickets_domain::history::DomainEvent;
use tickets_domain::store::{
    Courier, DeliveryQueue, EventPublisher, StoredSubscription, WebhookStore,
};
use tickets_domain::webhook::delivery::{
    disabled_reason, fan_out, worth_noting, Attempt, BusEvent, DeliveryOrder, Next,
};
use tickets_domain::webhook::retry::jitter;
use tickets_domain::webhook::{RetrySchedule, WebhookStatus};
use tickets_domain::Timestamp;

/// What the function works with, built once at init.
pub struct Deliverer<S, Q, C, P> {
    pub store: S,
    pub queue: Q,
    pub courier: C,
    pub events: P,
    pub schedule: RetrySchedule,
}

/// Why a message is reported failed (it comes back, and after enough receives goes to the
/// dead-letter queue).
#[derive(Debug)]
struct Failed;

pub async fn handle<S, Q, C, P>(
    deliverer: &Deliverer<S, Q, C, P>,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error>
where
    S: WebhookStore,
    Q: DeliveryQueue,
    C: Courier,
    P: EventPublisher,
{
    let messages = event.payload.records;
    // One read of the subscriptions serves the whole batch.
    let subscriptions = deliverer.store.subscriptions().await;
    let outcomes = join_all(messages.iter().map(|message| async {
        match &subscriptions {
            Ok(subscriptions) => deliverer.handle_message(message, subscriptions).await,
            Err(err) => {
                tracing::warn!(error = %err, "webhooks not read");
                Err(Failed)
            }
        }
    }))
    .await;
    Ok(tickets_lambda::batch_response(
        &messages,
        outcomes.iter().map(Result::is_ok),
    ))
}

impl<S, Q, C, P> Deliverer<S, Q, C, P>
where
    S: WebhookStore,
    Q: DeliveryQueue,
    C: Courier,
    P: EventPublisher,
{
    async fn handle_message(
        &self,
        message: &SqsMessage,
        subscriptions: &[StoredSubscription],
    ) -> Result<(), Failed> {
        let id = message.message_id.as_deref().unwrap_or_default();
        let body: Value = message
            .body
            .as_deref()
            .and_then(|body| serde_json::from_str(body).ok())
            .unwrap_or(Value::Null);
        if body.get("detail-type").is_some() {
            let Ok(event) = serde_json::from_value::<BusEvent>(body) else {
                tracing::error!(message_id = %id, "an event that cannot be read");
                return Err(Failed);
            };
            return self.fan_out(&event, subscriptions).await;
        }
        let Ok(order) = serde_json::from_value::<DeliveryOrder>(body) else {
            tracing::error!(message_id = %id, "a message that is neither an event nor an order");
            return Err(Failed);
        };
        let receives = message
            .attributes
            .get("ApproximateReceiveCount")
            .and_then(|count| count.parse().ok())
            .unwrap_or(1);
        let receipt = message.receipt_handle.as_deref().unwrap_or_default();
        self.deliver(&order, receives, receipt, subscriptions).await
    }

    async fn fan_out(
        &self,
        event: &BusEvent,
        subscriptions: &[StoredSubscription],
    ) -> Result<(), Failed> {
        let all: Vec<_> = subscriptions
            .iter()
            .map(|stored| stored.subscription.clone())
            .collect();
        let orders = fan_out(event, &all);
        if orders.is_empty() {
            return Ok(());
        }
        self.queue.enqueue(&orders).await.map_err(|err| {
            tracing::warn!(event = %event.id, error = %err, "deliveries not queued");
            Failed
        })?;
        tracing::info!(event = %event.id, kind = %event.detail_type, deliveries = orders.len(), "event fanned out");
        Ok(())
    }

    /// One attempt of `order`; `Err` only when the message must come back (a retry).
    async fn deliver(
        &self,
        order: &DeliveryOrder,
        receives: u32,
        receipt: &str,
        subscriptions: &[StoredSubscription],
    ) -> Result<(), Failed> {
        let found = subscriptions
            .iter()
            .find(|stored| stored.subscription.id == order.subscription);
        let Some(stored) = found else {
            tracing::info!(delivery = %order.delivery, "dropped: the webhook was removed");
            return Ok(());
        };
        if stored.subscription.status != WebhookStatus::Active {
            tracing::info!(delivery = %order.delivery, status = %stored.subscription.status, "dropped: the webhook is not active");
            return Ok(());
        }
        let now = Timestamp::now();
        let request = order.request(&stored.subscription.url, &stored.signing, now);
        let started = Instant::now();
        let answer = self.courier.post(&request).await;
        let number = if order.manual { 1 } else { receives };
        let attempt = Attempt::new(number, now, answer, started.elapsed());
        let next = Next::after(&attempt, order, &self.schedule, jitter());
        tracing::info!(
            delivery = %order.delivery,
            webhook = %order.subscription,
            attempt = attempt.number,
            status_code = ?attempt.status_code,
            duration_ms = attempt.duration_ms,
            error = ?attempt.error,
            "delivery attempted"
        );
        // The log is a record, not the delivery: a failure to write it does not send again.
        if let Err(err) = self
            .store
            .record_attempt(order, &attempt, next.status())
            .await
        {
            tracing::warn!(delivery = %order.delivery, error = %err, "attempt not logged");
        }
        match next {
            Next::Done => {
                if worth_noting(stored.last_success_at, now) {
                    if let Err(err) = self.store.note_success(&order.subscription, now).await {
                        tracing::warn!(webhook = %order.subscription, error = %err, "success not noted");
                    }
                }
                Ok(())
            }
            Next::RetryIn(pause) => {
                if let Err(err) = self.queue.postpone(receipt, pause).await {
                    // It comes back after the queue's own visibility timeout instead.
                    tracing::warn!(delivery = %order.delivery, error = %err, "retry not scheduled");
                }
                Err(Failed)
            }
            Next::GaveUp => Ok(()),
            Next::Exhausted => {
                self.disable(order, &attempt, now).await;
                Ok(())
            }
        }
    }

    /// After a delivery's last attempt: disables the subscription unless something was
    /// delivered since the delivery began, and tells the admins.
    async fn disable(&self, order: &DeliveryOrder, attempt: &Attempt, now: Timestamp) {
        let reason = disabled_reason(order, attempt);
        match self
            .store
            .disable(&order.subscription, &reason, order.timestamp, now)
            .await
        {
            Ok(false) => {}
            Ok(true) => {
                tracing::warn!(webhook = %order.subscription, "webhook disabled: every attempt failed");
                let event = DomainEvent {
                    detail_type: "SupportWebhook.Disabled".into(),
                    detail: json!({
                        "webhookId": order.subscription,
                        "deliveryId": order.delivery,
                        "reason": reason,
                        "at": now,
                    }),
                };
                if let Err(err) = self.events.publish(&[event]).await {
                    tracing::error!(webhook = %order.subscription, error = %err, "disabled webhook not announced");
                }
            }
            Err(err) => {
                tracing::error!(webhook = %order.subscription, error = %err, "webhook not disabled")
            }
        }
    }
}
