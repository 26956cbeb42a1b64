//! S3 `ObjectCreated` → the attachment is checked: the real size and content type must be the
//! declared ones and within the limits; then it is `available`, otherwise the object is deleted
//! and the attachment `rejected`. Unknown keys are logged and ignored, and a repeated event
//! changes nothing.

use aws_lambda_events::event::s3::S3Event;
use lambda_runtime::{Error, LambdaEvent};
use tickets_domain::service::settle_upload;
use tickets_domain::service::UploadOutcome;
use tickets_domain::store::{AttachmentReader, AttachmentWriter, FileStore};
use tickets_domain::UploadRules;
use tickets_lambda::metrics::{self, Metric};
use tickets_s3::event_key;

pub struct Deps<S, F> {
    pub store: S,
    pub files: F,
    pub rules: UploadRules,
}

pub async fn handle<S, F>(deps: &Deps<S, F>, event: LambdaEvent<S3Event>) -> Result<(), Error>
where
    S: AttachmentReader + AttachmentWriter,
    F: FileStore,
{
    for record in event.payload.records {
        let Some(raw_key) = record.s3.object.key else {
            tracing::warn!("S3 record without an object key");
            continue;
        };
        let key = event_key(&raw_key);
        // A failure is returned so that the event is retried; settling is safe to repeat.
        let outcome = settle_upload(&deps.store, &deps.files, &deps.rules, &key)
            .await
            .inspect_err(|_| metrics::count(Metric::Failures, 1))?;
        if outcome == UploadOutcome::Rejected {
            metrics::count(Metric::AttachmentsRejected, 1);
        }
        tracing::info!(key = %key, outcome = ?outcome, "upload checked");
    }
    Ok(())
}
