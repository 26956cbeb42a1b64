//! How a failed AWS call is classified, the same for every client (DynamoDB, S3, EventBridge):
//! a failure worth retrying later (throttling, a service's own trouble, a timeout, a dropped
//! connection) or one that retrying will not fix. The adapters turn the first into a 503 with
//! `Retry-After` and keep the detail of the second for their logs only.

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::display::DisplayErrorContext;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// Service error codes that mean "try again later" rather than "this request is wrong", across
/// the services the functions call.
const TRANSIENT_CODES: &[&str] = &[
    // DynamoDB
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "LimitExceededException",
    // S3
    "SlowDown",
    "InternalError",
    "RequestTimeout",
    // any service
    "ServiceUnavailable",
    "InternalFailure",
    "Throttling",
];

/// A failed AWS call, classified.
#[derive(Debug, PartialEq, Eq)]
pub enum AwsFailure {
    /// Worth retrying later.
    Transient,
    /// Retrying will not help; the SDK's full description, for logs only.
    Permanent(String),
}

/// Classifies `err`; a transient failure is logged (as a warning, naming `what` failed) here.
pub fn classify<E, R>(what: &str, err: &SdkError<E, R>) -> AwsFailure
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let transient = match err {
        SdkError::TimeoutError(_) | SdkError::DispatchFailure(_) | SdkError::ResponseError(_) => {
            true
        }
        SdkError::ServiceError(service) => service
            .err()
            .code()
            .is_some_and(|code| TRANSIENT_CODES.contains(&code)),
        _ => false,
    };
    if transient {
        tracing::warn!(error = %DisplayErrorContext(err), "{what}: unavailable");
        AwsFailure::Transient
    } else {
        AwsFailure::Permanent(format!("{what}: {}", DisplayErrorContext(err)))
    }
}
