//! Hourly: closes tickets resolved longer than `AUTO_CLOSE_AFTER_DAYS` (default 4), each with
//! a `system` message. Reads only due tickets, from an index; the clock is injected.

use lambda_runtime::{Error, LambdaEvent};
use serde::Serialize;
use serde_json::Value;
use tickets_domain::store::TicketCloser;
use tickets_domain::triggers::{close_resolved_tickets, CloseReport};
use tickets_domain::Timestamp;
use tickets_lambda::{SettingError, Settings};

pub const DEFAULT_AFTER_DAYS: u32 = 4;

pub struct Deps<S> {
    pub store: S,
    pub after_days: u32,
    pub clock: fn() -> Timestamp,
}

/// `AUTO_CLOSE_AFTER_DAYS`, a whole number of days.
pub fn after_days(settings: &Settings) -> Result<u32, SettingError> {
    settings.parsed(
        "AUTO_CLOSE_AFTER_DAYS",
        DEFAULT_AFTER_DAYS,
        "a whole number of days",
    )
}

#[derive(Debug, Serialize)]
pub struct Closed {
    pub closed: Vec<String>,
    pub skipped: Vec<String>,
}

/// Any event triggers a run (the schedule's, or a manual invoke).
pub async fn handle<S: TicketCloser>(
    deps: &Deps<S>,
    _event: LambdaEvent<Value>,
) -> Result<Closed, Error> {
    let CloseReport { closed, skipped } =
        close_resolved_tickets(&deps.store, (deps.clock)(), deps.after_days).await?;
    tracing::info!(
        closed = closed.len(),
        skipped = skipped.len(),
        "auto-close run"
    );
    Ok(Closed { closed, skipped })
}
