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
/// attachment routes), where data jobs are queued (for the routes that start one), and how to
/// identify callers. Built once in `main` and shared by every invocation.
#[derive(Clone, Debug)]
pub struct Api<S, F = (), Q = ()> {
    pub store: S,
    pub files: F,
    pub jobs: Q,
    pub auth: Auth,
}

/// Remembers the caller's verified address for notifications (once per person and warm
/// function), and starts moving a person who wrote by e-mail first to the id they signed in
/// with; a failure is logged and never fails the request.
pub async fn remember_contact<S, Q>(store: &S, queue: &Q, caller: &tickets_domain::Caller)
where
    S: tickets_domain::store::ContactStore + tickets_domain::store::RekeyJobs,
    Q: tickets_domain::store::JobQueue,
{
    match tickets_domain::mail::remember_caller(store, queue, caller).await {
        Ok(Some(tickets_domain::rekey::Rekey::Queued)) => {
            tracing::info!("a person who wrote by e-mail signed in: their move is queued")
        }
        Ok(_) => {}
        Err(err) => tracing::warn!(error = %err, "contact not remembered"),
    }
}

impl<S> Api<S> {
    pub fn new(store: S, auth: Auth) -> Self {
        Self {
            store,
            files: (),
            jobs: (),
            auth,
        }
    }
}

impl<S, F> Api<S, F> {
    pub fn with_files(store: S, files: F, auth: Auth) -> Self {
        Self {
            store,
            files,
            jobs: (),
            auth,
        }
    }

    /// The same, queueing data jobs on `jobs`.
    pub fn with_jobs<Q>(self, jobs: Q) -> Api<S, F, Q> {
        Api {
            store: self.store,
            files: self.files,
            jobs,
            auth: self.auth,
        }
    }
}
