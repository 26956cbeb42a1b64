//! The webhook queue on SQS, as the deliveries' queue: an order is a message; a failed attempt hides its message for
//! the pause the retry schedule says (`ChangeMessageVisibility`, at most 12 hours), so retries
//! never wait inside a function.

use std::time::Duration;

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::types::SendMessageBatchRequestEntry;
use aws_sdk_sqs::Client;
use tickets_domain::store::DeliveryQueue;
use tickets_domain::webhook::delivery::DeliveryOrder;
use tickets_domain::StoreError;

/// `SendMessageBatch` takes at most ten messages.
const BATCH: usize = 10;
/// The longest SQS hides a message.
const LONGEST_PAUSE: Duration = Duration::from_secs(43_200);

#[derive(Clone, Debug)]
pub struct SqsDeliveries {
    client: Client,
    queue_url: String,
}

impl SqsDeliveries {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The client from the function's shared AWS configuration, the queue from
    /// `WEBHOOK_QUEUE_URL`.
    pub fn from_config(
        shared: &aws_config::SdkConfig,
        settings: &tickets_lambda::Settings,
    ) -> Result<Self, tickets_lambda::SettingError> {
        let url = settings.required("WEBHOOK_QUEUE_URL")?;
        Ok(Self::new(Client::new(shared), url))
    }

    async fn send(&self, orders: &[DeliveryOrder]) -> Result<Vec<DeliveryOrder>, StoreError> {
        let mut entries = Vec::with_capacity(orders.len());
        for (index, order) in orders.iter().enumerate() {
            let body = serde_json::to_string(order)
                .map_err(|err| StoreError::Internal(err.to_string()))?;
            let entry = SendMessageBatchRequestEntry::builder()
                .id(index.to_string())
                .message_body(body)
                .build()
                .map_err(|err| StoreError::Internal(err.to_string()))?;
            entries.push(entry);
        }
        let output = self
            .client
            .send_message_batch()
            .queue_url(&self.queue_url)
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|err| {
                tracing::warn!(error = %DisplayErrorContext(&err), "SendMessageBatch failed");
                StoreError::Unavailable
            })?;
        Ok(output
            .failed
            .iter()
            .filter_map(|failed| failed.id.parse::<usize>().ok())
            .filter_map(|index| orders.get(index).cloned())
            .collect())
    }
}

impl DeliveryQueue for SqsDeliveries {
    /// Sends the orders ten at a time; the ones refused are sent once more, then it is an
    /// error (the event is reported failed and fanned out again: the same delivery ids).
    async fn enqueue(&self, orders: &[DeliveryOrder]) -> Result<(), StoreError> {
        for chunk in orders.chunks(BATCH) {
            let refused = self.send(chunk).await?;
            if !refused.is_empty() && !self.send(&refused).await?.is_empty() {
                tracing::error!(refused = refused.len(), "deliveries not queued");
                return Err(StoreError::Unavailable);
            }
        }
        Ok(())
    }

    /// Hides the received message for `pause`: it comes back then, one receive more.
    async fn postpone(&self, receipt: &str, pause: Duration) -> Result<(), StoreError> {
        let seconds = pause.min(LONGEST_PAUSE).as_secs().max(1);
        self.client
            .change_message_visibility()
            .queue_url(&self.queue_url)
            .receipt_handle(receipt)
            .visibility_timeout(i32::try_from(seconds).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(|err| {
                tracing::warn!(error = %DisplayErrorContext(&err), "ChangeMessageVisibility failed");
                StoreError::Unavailable
            })?;
        Ok(())
    }
}
