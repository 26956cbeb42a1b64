//! Every minute: works forward the service-level clocks of the tickets with a warning or a due
//! time that has come, so that `SlaWarning` and `SlaBreached` are announced within two minutes
//! of their moment. Reads only those tickets, from an index; the clock is injected.

use lambda_runtime::{Error, LambdaEvent};
use serde::Serialize;
use serde_json::Value;
use tickets_domain::store::{ClockWatcher, TicketWriter};
use tickets_domain::triggers::{check_clocks, ClockReport};
use tickets_domain::Timestamp;

pub struct Deps<S> {
    pub store: S,
    pub clock: fn() -> Timestamp,
}

#[derive(Debug, Serialize)]
pub struct Checked {
    pub moved: Vec<String>,
    pub skipped: Vec<String>,
}

/// Any event triggers a run (the schedule's, or a manual invoke).
pub async fn handle<S>(deps: &Deps<S>, _event: LambdaEvent<Value>) -> Result<Checked, Error>
where
    S: ClockWatcher + TicketWriter,
{
    let ClockReport {
        moved,
        skipped,
        failed,
    } = check_clocks(&deps.store, (deps.clock)()).await?;
    tracing::info!(
        moved = moved.len(),
        skipped = skipped.len(),
        failed = failed.len(),
        "service-level run"
    );
    // The others are written; the failed ones make the run an error (its alarm), and the
    // next run takes them again.
    if !failed.is_empty() {
        return Err(format!("{} tickets could not be written", failed.len()).into());
    }
    Ok(Checked { moved, skipped })
}
