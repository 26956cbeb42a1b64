//! How SDK failures become the domain's `StoreError`: transient ones are `Unavailable` (503 with
//! `Retry-After`), the rest `Internal` with the detail kept for the logs only.

use std::fmt::Display;

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use tickets_domain::StoreError;

/// Error codes that mean "try again later" rather than "this request is wrong".
const TRANSIENT_CODES: &[&str] = &[
    "ThrottlingException",
    "ProvisionedThroughputExceededException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "LimitExceededException",
];

pub fn store_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    let transient = match &err {
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
        tracing::warn!(error = %DisplayErrorContext(&err), "storage unavailable");
        StoreError::Unavailable
    } else {
        StoreError::Internal(DisplayErrorContext(&err).to_string())
    }
}

pub fn internal(err: impl Display) -> StoreError {
    StoreError::Internal(err.to_string())
}
