//! Daily: erases for good the tickets soft-deleted longer than `PURGE_AFTER_DAYS` (default 30)
//! ago: their items, files, history and counts. Reads only those tickets, from an index; the
//! clock is injected.

use lambda_runtime::{Error, LambdaEvent};
use serde::Serialize;
use serde_json::Value;
use tickets_domain::lifecycle::{purge_deleted, PurgeReport, PURGE_AFTER_DAYS};
use tickets_domain::store::{FileStore, Removed, TicketEraser};
use tickets_domain::Timestamp;
use tickets_lambda::{SettingError, Settings};

pub struct Deps<S, F> {
    pub store: S,
    pub files: F,
    pub after_days: u32,
    pub clock: fn() -> Timestamp,
}

/// `PURGE_AFTER_DAYS`, a whole number of days.
pub fn after_days(settings: &Settings) -> Result<u32, SettingError> {
    settings.parsed(
        "PURGE_AFTER_DAYS",
        PURGE_AFTER_DAYS,
        "a whole number of days",
    )
}

#[derive(Debug, Serialize)]
pub struct Purged {
    pub erased: Vec<String>,
    pub removed: Removed,
}

/// Any event triggers a run (the schedule's, or a manual invoke).
pub async fn handle<S: TicketEraser, F: FileStore>(
    deps: &Deps<S, F>,
    _event: LambdaEvent<Value>,
) -> Result<Purged, Error> {
    let PurgeReport { erased, removed } =
        purge_deleted(&deps.store, &deps.files, (deps.clock)(), deps.after_days).await?;
    tracing::info!(
        erased = erased.len(),
        messages = removed.messages,
        files = removed.files,
        history_entries = removed.history_entries,
        "purge run"
    );
    Ok(Purged { erased, removed })
}
