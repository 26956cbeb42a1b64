//! Reports a support lead reads: volumes, response and resolution times, service levels and
//! satisfaction per day, week or month, overall or per agent, category or priority.
//!
//! The figures are kept per day and group by the stream consumer (`figures::delta` of every
//! ticket change, counted once), so a report reads O(days × groups) stored items and never a
//! ticket; `report::assemble` makes the answer of them.

pub mod figures;
pub mod report;
pub mod sketch;

pub use chrono_tz::Tz;

use crate::access::Caller;
use crate::error::DomainError;
use crate::model::Timestamp;
use crate::store::ReportStore;

/// The setting naming the reports' time zone (an IANA name; UTC when unset). The stream
/// consumer counts days in it and the report reads them so: after changing it, rebuild the
/// figures (`cargo run -p tickets-recount --bin rebuild-reports`).
pub const ZONE_SETTING: &str = "REPORT_TIME_ZONE";
/// What `ZONE_SETTING` must be, for the error at start.
pub const ZONE_EXPECTED: &str = "an IANA time zone name, such as Europe/Madrid";

pub use figures::{delta, facts, recount, Cell, Dimension, Figures, Period, ReportDelta};
pub use report::{assemble, to_csv, Interval, Report, ReportParams, ReportQuery, StoredFigures};

/// The report `caller` asks for: agents and admins only; every parameter checked before
/// anything is read. Days are days in `zone`; `now` says which day is today.
pub async fn read_report<S: ReportStore>(
    store: &S,
    caller: &Caller,
    params: &ReportParams<'_>,
    zone: Tz,
    now: Timestamp,
) -> Result<Report, DomainError> {
    caller.ensure_staff("read reports")?;
    let query = ReportQuery::parse(params, figures::day_of(now, zone))?;
    let stored = store.read_figures(query.group_by, &query).await?;
    let report = assemble(&query, &stored, zone.name());
    if report.series.len() > report::MAX_ROWS {
        return Err(DomainError::validation(
            "interval",
            format!(
                "the report would have {} rows, more than {}: choose a longer interval, a \
                 shorter range or another grouping",
                report.series.len(),
                report::MAX_ROWS
            ),
        ));
    }
    Ok(report)
}
