//! The error envelope, and the one mapping from domain errors to statuses and codes.

use lambda_http::http::StatusCode;
use tickets_domain::{DomainError, FieldError, StoreError};

/// Seconds a caller should wait before retrying when storage is throttled or down.
const RETRY_AFTER_SECS: u32 = 1;

/// An error as the API answers it: status, stable code, a message for a person, field details.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Vec<FieldError>,
    pub retry_after: Option<u32>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
            retry_after: None,
        }
    }

    pub fn with_details(mut self, details: Vec<FieldError>) -> Self {
        self.details = details;
        self
    }

    /// A bad query string or path parameter.
    pub fn invalid_query(details: Vec<FieldError>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETERS",
            "Invalid query parameters",
        )
        .with_details(details)
    }

    pub fn invalid_header(header: &str, message: &str) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "INVALID_PARAMETERS",
            format!("Invalid {header} header"),
        )
        .with_details(vec![FieldError::new(header, message)])
    }

    pub fn invalid_body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_BODY", message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "UNAUTHORIZED", message)
    }

    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Ticket not found")
    }

    /// No such page or file of the pages (`serve-pages`).
    pub fn page_not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "NOT_FOUND", "Page not found")
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "PAYLOAD_TOO_LARGE",
            format!("The request body is larger than {limit} bytes"),
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UNSUPPORTED_MEDIA_TYPE",
            "Send the request body as application/json",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL",
            "Something went wrong on our side; quote the request id when reporting it",
        )
    }
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::Validation(details) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION_FAILED",
                "Some fields are not valid",
            )
            .with_details(details),
            DomainError::Forbidden(details) => {
                Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", "You may not do this")
                    .with_details(details)
            }
            DomainError::NotFound => Self::not_found(),
            DomainError::Conflict(message) => Self::new(StatusCode::CONFLICT, "CONFLICT", message),
            DomainError::PreconditionFailed { expected } => Self::new(
                StatusCode::PRECONDITION_FAILED,
                "PRECONDITION_FAILED",
                format!("It is no longer at version {expected}; read it again"),
            ),
            DomainError::IdempotencyKeyReused => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "VALIDATION_FAILED",
                "This Idempotency-Key was already used with a different request",
            )
            .with_details(vec![FieldError::new(
                "Idempotency-Key",
                "already used for another request",
            )]),
            DomainError::Store(err) => err.into(),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::InvalidCursor => Self::invalid_query(vec![FieldError::new(
                "cursor",
                "is not a cursor this list issued",
            )]),
            StoreError::Unavailable => {
                let mut err = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "SERVICE_UNAVAILABLE",
                    "The service is busy; retry shortly",
                );
                err.retry_after = Some(RETRY_AFTER_SECS);
                err
            }
            // A version conflict that reached the caller was not retried: say so plainly.
            StoreError::VersionConflict => Self::new(
                StatusCode::CONFLICT,
                "CONFLICT",
                "The ticket changed while this request ran; retry it",
            ),
            StoreError::Internal(detail) => {
                tracing::error!(%detail, "storage failure");
                Self::internal()
            }
        }
    }
}
