//! The data jobs' queue on SQS: each step of a job is one message (`{"job": "<id>", "kind":
//! "erasure" | "export"}`; no kind is an erasure, as the first jobs were written), sent by
//! the step before it, so a job of any size runs as a chain of bounded invocations, and a step
//! that fails comes back with its message.

use aws_sdk_sqs::error::DisplayErrorContext;
use aws_sdk_sqs::Client;
use tickets_domain::store::{JobKind, JobQueue};
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
pub fn step_message(job: &str, kind: JobKind) -> String {
    serde_json::json!({ "job": job, "kind": kind }).to_string()
}

/// The job a step's message names, and its kind.
pub fn job_of(body: &str) -> Option<(String, JobKind)> {
    let value: serde_json::Value = serde_json::from_str(body).ok()?;
    let job = value.get("job")?.as_str()?.to_owned();
    let kind = match value.get("kind") {
        None => JobKind::Erasure,
        Some(kind) => kind.as_str()?.parse().ok()?,
    };
    Some((job, kind))
}

impl JobQueue for SqsJobQueue {
    async fn next_step(&self, job: &str, kind: JobKind) -> Result<(), StoreError> {
        self.client
            .send_message()
            .queue_url(&self.queue_url)
            .message_body(step_message(job, kind))
            .send()
            .await
            .map_err(|err| {
                tracing::warn!(error = %DisplayErrorContext(&err), "SendMessage failed");
                StoreError::Unavailable
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_message_names_its_job_and_kind() {
        let body = step_message("01J", JobKind::Export);
        assert_eq!(job_of(&body), Some(("01J".into(), JobKind::Export)));
        assert_eq!(
            job_of(r#"{"job":"01K"}"#),
            Some(("01K".into(), JobKind::Erasure))
        );
        assert_eq!(job_of(r#"{"job":"01K","kind":"mystery"}"#), None);
        assert_eq!(job_of(r#"{"kind":"export"}"#), None);
        assert_eq!(job_of("not json"), None);
    }
}
