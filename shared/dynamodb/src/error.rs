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

pub fn internal(err: impl Display) -> StoreError {
    StoreError::Internal(err.to_string())
}
