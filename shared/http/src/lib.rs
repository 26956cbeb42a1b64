//! HTTP glue shared by the API functions (and only by them): caller identity, request parsing,
//! the response envelope and the one mapping from domain errors to statuses and codes.

pub mod auth;
mod change;
pub mod error;
pub mod request;
pub mod response;
#[cfg(feature = "testing")]
pub mod testing;

pub use auth::Auth;
pub use change::change_ticket;
pub use error::ApiError;
pub use response::{respond, Reply};

/// What every API function's handler gets: its storage port, where files live (for the
/// attachment routes), and how to identify callers. Built once in `main` and shared by every
/// invocation.
#[derive(Clone, Debug)]
pub struct Api<S, F = ()> {
    pub store: S,
    pub files: F,
    pub auth: Auth,
}

/// Remembers the caller's verified address for notifications (once per person and warm
/// function); a failure is logged and never fails the request.
pub async fn remember_contact<S: tickets_domain::store::ContactStore>(
    store: &S,
    caller: &tickets_domain::Caller,
) {
    if let Err(err) = tickets_domain::mail::remember_caller(store, caller).await {
        tracing::warn!(error = %err, "contact not remembered");
    }
}

impl<S> Api<S> {
    pub fn new(store: S, auth: Auth) -> Self {
        Self {
            store,
            files: (),
            auth,
        }
    }
}

impl<S, F> Api<S, F> {
    pub fn with_files(store: S, files: F, auth: Auth) -> Self {
        Self { store, files, auth }
    }
}
