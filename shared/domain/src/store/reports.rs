use std::future::Future;

use crate::error::StoreError;
use crate::model::Timestamp;
use crate::reports::{Dimension, ReportDelta, ReportQuery, StoredFigures};

/// The reports' stored figures: per day (and, for the backlog, per month) and group.
pub trait ReportStore: Send + Sync {
    /// Adds the figures of each change (its id: the stream record's), once per id: a change
    /// counted before adds nothing. Changes may be written together, so that one stored item
    /// takes one write for many changes. The ids of the changes that could not be counted (to
    /// be tried again); `at` dates the marks of those counted.
    fn count_changes(
        &self,
        changes: &[(String, ReportDelta)],
        at: Timestamp,
    ) -> impl Future<Output = Result<Vec<String>, StoreError>> + Send;

    /// The stored figures a report over `query` is made of, in `dimension`: the backlog of the
    /// months before `from`'s month, and every day from that month's first to `to`.
    fn read_figures(
        &self,
        dimension: Dimension,
        query: &ReportQuery,
    ) -> impl Future<Output = Result<StoredFigures, StoreError>> + Send;
}
