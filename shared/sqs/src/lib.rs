//! The data jobs' queue on SQS: each step of a job is one message (`{"job": "<id>"}`), sent by
//! the step before it, so a job of any size runs as a chain of bounded invocations, and a step
//! that fails comes back with its message.

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::Client;
use tickets_domain::store::JobQueue;
use tickets_domain::StoreError;

#[derive(Clone, Debug)]
pub struct SqsJobQueue {
    client: Client,
    queue_url: String,
}

impl SqsJobQueue {
    pub fn new(client: Client, queue_url: impl Into<String>) -> Self {
        Self {
            client,
            queue_url: queue_url.into(),
        }
    }

    /// The client from the function's shared AWS configuration, the queue from
    /// `DATA_JOB_QUEUE_URL`.
    pub fn from_config(
        shared: &aws_config::SdkConfig,
        settings: &tickets_lambda::Settings,
    ) -> Result<Self, tickets_lambda::SettingError> {
        let url = settings.required("DATA_JOB_QUEUE_URL")?;
        Ok(Self::new(Client::new(shared), url))
    }
}

/// The body of a step's message.
pub fn step_message(job: &str) -> String {
    serde_json::json!({ "job": job }).to_string()
}

/// The job a step's message names.
pub fn job_of(body: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    value.get("job")?.as_str().map(str::to_owned)
}

impl JobQueue for SqsJobQueue {
    async fn next_step(&self, job: &str) -> Result<(), StoreError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(step_message(job))
            .send()
            .await
            .map_err(|err| {
                tracing::warn!(error = %DisplayErrorContext(&err), "SendMessage failed");
                StoreError::Unavailable
            })?;
        Ok(())
    }
}
