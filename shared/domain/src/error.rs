//! The domain's one error type. The HTTP crate maps each variant to a status and code, in one place.

use serde::Serialize;
use thiserror::Error;

use crate::store::StoreError;

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
