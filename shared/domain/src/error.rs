//! The domain's one error type. The HTTP crate maps each variant to a status and code, in one place.

use serde::Serialize;
use thiserror::Error;

/// A problem with one field of a request, as shown in the envelope's `details`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Debug, Error)]
pub enum DomainError {
    /// Field rules failed (422).
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The caller may not do this, or may not set these fields (403).
    #[error("forbidden")]
    Forbidden(Vec<FieldError>),
    /// No such ticket, or one the caller may not know exists (404).
    #[error("not found")]
    NotFound,
    /// The change is not allowed in the ticket's current state (409).
    #[error("{0}")]
    Conflict(String),
    /// `If-Match` names another version than the current one (412).
    #[error("the ticket has changed since version {expected}")]
    PreconditionFailed { expected: u64 },
    /// The same `Idempotency-Key` was used with a different request (422).
    #[error("the idempotency key was already used with a different request")]
    IdempotencyKeyReused,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl DomainError {
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        DomainError::Validation(vec![FieldError::new(field, message)])
    }
}

/// A storage port failed (`store`): what the adapters answer, mapped to the API by `tickets-http`.
#[derive(Debug, Error)]
pub enum StoreError {
    /// A conditional write lost: the ticket changed since it was read.
    #[error("the ticket changed since it was read")]
    VersionConflict,
    /// A list cursor that this store did not issue, or issued for another query.
    #[error("the cursor is not valid for this query")]
    InvalidCursor,
    /// Storage throttled or could not be reached; worth retrying later.
    #[error("storage is unavailable")]
    Unavailable,
    /// Anything else. The text is for logs only, never for a response.
    #[error("storage failed: {0}")]
    Internal(String),
}
