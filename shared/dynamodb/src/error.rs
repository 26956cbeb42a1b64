//! How SDK failures become the domain's `StoreError`: transient ones are `Unavailable` (503 with
//! `Retry-After`), the rest `Internal` with the detail kept for the logs only
//! ([`tickets_lambda::classify`] decides which is which, for every AWS client).

use std::fmt::Display;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use tickets_domain::StoreError;
use tickets_lambda::{classify, AwsFailure};

pub fn store_error<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match classify("storage", &err) {
        AwsFailure::Transient => StoreError::Unavailable,
        AwsFailure::Permanent(detail) => StoreError::Internal(detail),
    }
}

/// Whether a conditional write's condition held: `false` when DynamoDB refused it for that
/// (ConditionalCheckFailed), the failure otherwise.
pub fn condition_held<O, E, R>(result: Result<O, SdkError<E, R>>) -> Result<bool, StoreError>
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match result {
        Ok(_) => Ok(true),
        Err(err)
            if err.as_service_error().and_then(ProvideErrorMetadata::code)
                == Some("ConditionalCheckFailedException") =>
        {
            Ok(false)
        }
        Err(err) => Err(store_error(err)),
    }
}

pub fn internal(err: impl Display) -> StoreError {
    StoreError::Internal(err.to_string())
}
