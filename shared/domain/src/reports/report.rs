//! A report: the query a lead asks (`GET /v2/reports`), and the answer assembled from the
//! stored figures of its days.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, Days, NaiveDate};
use serde::Serialize;

use crate::error::{DomainError, FieldError};
use crate::model::{Category, Priority};

use super::figures::{month_of, names, Dimension, Figures};
use super::sketch::{Quantile, Sketch, MEDIAN, P90};

/// The longest report, in days (`from` to `to`, both included): a year, leap day included.
pub const MAX_DAYS: u64 = 366;
/// The most rows (periods × groups) a report answers: about 3 MB of JSON, well within what a
/// function may answer (6 MB). A year a day at a time fits for up to 27 agents.
pub const MAX_ROWS: usize = 10_000;
/// The days a report covers when the query names no `from`.
pub const DEFAULT_DAYS: u64 = 30;

crate::model::wire_enum!(
    /// How long each row's period is.
    Interval {
        Day => "day",
        Week => "week",
        Month => "month",
    }
);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportQuery {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: Interval,
    pub group_by: Dimension,
}

/// The raw query parameters, as the caller sent them.
#[derive(Clone, Debug, Default)]
pub struct ReportParams<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub interval: Option<&'a str>,
    pub group_by: Option<&'a str>,
}

impl ReportQuery {
    /// Checks every parameter, naming each that is wrong; `today` (in the report's time zone)
    /// is `to` when none is given, and `from` is `DEFAULT_DAYS` before it.
    pub fn parse(params: &ReportParams<'_>, today: NaiveDate) -> Result<Self, DomainError> {
        let mut errors = Vec::new();
        let mut date = |field: &str, value: Option<&str>| match value {
            None => Ok(None),
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()
                .filter(|day| day.year() >= 2000 && day.year() <= 9999 && text.len() == 10)
                .map(Some)
                .ok_or_else(|| {
                    errors.push(FieldError::new(field, "must be a date, YYYY-MM-DD"));
                }),
        };
        let to = date("to", params.to);
        let from = date("from", params.from);
        let interval = match params.interval {
            None => Some(Interval::Day),
            Some(text) => text.parse().ok().or_else(|| {
                errors.push(FieldError::new("interval", "must be day, week or month"));
                None
            }),
        };
        let group_by = match params.group_by {
            None => Some(Dimension::All),
            Some(text) => text.parse().ok().or_else(|| {
                errors.push(FieldError::new(
                    "groupBy",
                    "must be none, agent, category or priority",
                ));
                None
            }),
        };
        let (Ok(to), Ok(from), Some(interval), Some(group_by)) = (to, from, interval, group_by)
        else {
            return Err(DomainError::Validation(errors));
        };
        let to = to.unwrap_or(today);
        let from = from.unwrap_or_else(|| to - Days::new(DEFAULT_DAYS - 1));
        if from > to {
            return Err(DomainError::validation("from", "must not be after `to`"));
        }
        if (to - from).num_days() as u64 + 1 > MAX_DAYS {
            return Err(DomainError::validation(
                "to",
                format!("a report covers at most {MAX_DAYS} days"),
            ));
        }
        Ok(ReportQuery {
            from,
            to,
            interval,
            group_by,
        })
    }

    /// The first day whose stored figures the report reads: its backlog before `from` is the
    /// months before `from`'s month and the days of that month before `from`.
    pub fn first_stored_day(&self) -> NaiveDate {
        month_of(self.from)
    }

    /// The first day of the period `day` is in.
    fn period_of(&self, day: NaiveDate) -> NaiveDate {
        match self.interval {
            Interval::Day => day,
            Interval::Week => day - Days::new(u64::from(day.weekday().num_days_from_monday())),
            Interval::Month => month_of(day),
        }
    }
}

/// The stored figures a report is made of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StoredFigures {
    /// The backlog changes of every month before `from`'s month, by group.
    pub months_before: Vec<(Option<String>, i64)>,
    /// The figures of each day from the first of `from`'s month to `to`, by group.
    pub days: Vec<(NaiveDate, Option<String>, Figures)>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Minutes {
    pub median: Option<u64>,
    pub p90: Option<u64>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SlaFigures {
    pub met: i64,
    pub breached: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SatisfactionFigures {
    pub good: i64,
    pub bad: i64,
}

/// One period's figures (of one group, or of all).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    pub created: i64,
    pub resolved: i64,
    pub closed: i64,
    pub reopened: i64,
    /// Unsettled tickets at the end of the period.
    pub backlog: i64,
    pub first_response_minutes: Minutes,
    pub resolution_minutes: Minutes,
    pub sla: SlaFigures,
    pub satisfaction: SatisfactionFigures,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SeriesRow {
    /// The period's first day (a week starts on Monday, a month on its 1st; the first and last
    /// periods may reach outside `from`..`to`, whose days alone count).
    pub period: NaiveDate,
    pub group: Option<String>,
    #[serde(flatten)]
    pub figures: Row,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub interval: Interval,
    pub group_by: Dimension,
    pub time_zone: String,
    pub totals: Row,
    pub series: Vec<SeriesRow>,
}

/// Figures being added up, with their minutes' sketches.
#[derive(Clone, Debug, Default)]
struct Sum {
    figures: BTreeMap<String, i64>,
    first_response: Sketch,
    resolution: Sketch,
}

impl Sum {
    fn add(&mut self, figures: &Figures) {
        for (name, count) in figures {
            let bucket = |prefix: &str| name.strip_prefix(prefix)?.parse::<u16>().ok();
            let count_up = u64::try_from(*count).unwrap_or(0);
            if let Some(bucket) = bucket(names::FIRST_RESPONSE) {
                self.first_response.add(bucket, count_up);
            } else if let Some(bucket) = bucket(names::RESOLUTION) {
                self.resolution.add(bucket, count_up);
            } else if name != names::BACKLOG {
                *self.figures.entry(name.clone()).or_insert(0) += count;
            }
        }
    }

    fn row(&self, backlog: i64) -> Row {
        let get = |name: &str| self.figures.get(name).copied().unwrap_or(0);
        let minutes = |sketch: &Sketch| {
            let at = |quantile: Quantile| sketch.quantile(quantile);
            Minutes {
                median: at(MEDIAN),
                p90: at(P90),
            }
        };
        Row {
            created: get(names::CREATED),
            resolved: get(names::RESOLVED),
            closed: get(names::CLOSED),
            reopened: get(names::REOPENED),
            backlog,
            first_response_minutes: minutes(&self.first_response),
            resolution_minutes: minutes(&self.resolution),
            sla: SlaFigures {
                met: get(names::SLA_MET),
                breached: get(names::SLA_BREACHED),
            },
            satisfaction: SatisfactionFigures {
                good: get(names::GOOD),
                bad: get(names::BAD),
            },
        }
    }
}

/// The groups a report shows rows for: every category or priority, every agent with a figure
/// or a backlog in the stored figures read, or the one group of all.
fn groups_of(query: &ReportQuery, stored: &StoredFigures) -> Vec<Option<String>> {
    match query.group_by {
        Dimension::All => vec![None],
        Dimension::Category => Category::ALL
            .iter()
            .map(|c| Some(c.as_str().into()))
            .collect(),
        Dimension::Priority => Priority::ALL
            .iter()
            .map(|p| Some(p.as_str().into()))
            .collect(),
        Dimension::Agent => {
            // Figures that went back to zero (a ticket reassigned) leave their items behind.
            let seen: BTreeSet<&Option<String>> = stored
                .months_before
                .iter()
                .filter(|(_, backlog)| *backlog != 0)
                .map(|(group, _)| group)
                .chain(
                    stored
                        .days
                        .iter()
                        .filter(|(_, _, figures)| figures.values().any(|count| *count != 0))
                        .map(|(_, group, _)| group),
                )
                .collect();
            // Agents in order, tickets without one last.
            let mut groups: Vec<Option<String>> =
                seen.into_iter().flatten().cloned().map(Some).collect();
            groups.push(None);
            groups
        }
    }
}

/// Assembles the report: a row per period and group (periods and groups with nothing are
/// there, with zeros), and the totals of the whole range.
pub fn assemble(query: &ReportQuery, stored: &StoredFigures, time_zone: &str) -> Report {
    let groups = groups_of(query, stored);
    let mut backlog: BTreeMap<Option<String>, i64> = BTreeMap::new();
    for (group, change) in &stored.months_before {
        *backlog.entry(group.clone()).or_insert(0) += change;
    }
    let mut by_day: BTreeMap<NaiveDate, Vec<(&Option<String>, &Figures)>> = BTreeMap::new();
    for (day, group, figures) in &stored.days {
        if *day < query.from {
            *backlog.entry(group.clone()).or_insert(0) += figures.get(names::BACKLOG).unwrap_or(&0);
        } else if *day <= query.to {
            by_day.entry(*day).or_default().push((group, figures));
        }
    }
    let mut series = Vec::new();
    let mut totals = Sum::default();
    let mut day = query.from;
    while day <= query.to {
        let period = query.period_of(day);
        let mut sums: BTreeMap<&Option<String>, Sum> = BTreeMap::new();
        while day <= query.to && query.period_of(day) == period {
            for (group, figures) in by_day.get(&day).map(Vec::as_slice).unwrap_or_default() {
                sums.entry(group).or_default().add(figures);
                totals.add(figures);
                *backlog.entry((*group).clone()).or_insert(0) +=
                    figures.get(names::BACKLOG).unwrap_or(&0);
            }
            day = day + Days::new(1);
        }
        for group in &groups {
            let sum = sums.get(group).cloned().unwrap_or_default();
            series.push(SeriesRow {
                period,
                group: group.clone(),
                figures: sum.row(backlog.get(group).copied().unwrap_or(0)),
            });
        }
    }
    Report {
        from: query.from,
        to: query.to,
        interval: query.interval,
        group_by: query.group_by,
        time_zone: time_zone.into(),
        totals: totals.row(backlog.values().sum()),
        series,
    }
}

/// The report's rows as CSV (RFC 4180), one per period and group, the JSON's figures in the
/// same order; an empty cell where the JSON has `null`.
pub fn to_csv(report: &Report) -> String {
    let mut csv = String::from(
        "period,group,created,resolved,closed,reopened,backlog,firstResponseMedian,\
         firstResponseP90,resolutionMedian,resolutionP90,slaMet,slaBreached,\
         satisfactionGood,satisfactionBad\r\n",
    );
    let optional = |value: Option<u64>| value.map(|v| v.to_string()).unwrap_or_default();
    for row in &report.series {
        let f = &row.figures;
        let fields = [
            row.period.to_string(),
            csv_text(row.group.as_deref().unwrap_or("")),
            f.created.to_string(),
            f.resolved.to_string(),
            f.closed.to_string(),
            f.reopened.to_string(),
            f.backlog.to_string(),
            optional(f.first_response_minutes.median),
            optional(f.first_response_minutes.p90),
            optional(f.resolution_minutes.median),
            optional(f.resolution_minutes.p90),
            f.sla.met.to_string(),
            f.sla.breached.to_string(),
            f.satisfaction.good.to_string(),
            f.satisfaction.bad.to_string(),
        ];
        csv.push_str(&fields.join(","));
        csv.push_str("\r\n");
    }
    csv
}

/// A text cell: quoted when it holds a comma, quote or line break, and kept from being read
/// as a formula by a spreadsheet (a leading `=`, `+`, `-`, `@` gets a `'`).
fn csv_text(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    fn params<'a>(
        from: &'a str,
        to: &'a str,
        interval: &'a str,
        group_by: &'a str,
    ) -> ReportParams<'a> {
        ReportParams {
            from: Some(from),
            to: Some(to),
            interval: Some(interval),
            group_by: Some(group_by),
        }
    }

    fn figures(pairs: &[(&str, i64)]) -> Figures {
        pairs
            .iter()
            .map(|(name, count)| (name.to_string(), *count))
            .collect()
    }

    fn fields(err: DomainError) -> Vec<String> {
        match err {
            DomainError::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("not a validation error: {other:?}"),
        }
    }

    #[test]
    fn a_query_names_every_bad_parameter_and_keeps_to_a_year() {
        let today = day("2026-11-30");
        let query = ReportQuery::parse(&ReportParams::default(), today).unwrap();
        assert_eq!((query.from, query.to), (day("2026-11-01"), today));
        assert_eq!(
            (query.interval, query.group_by),
            (Interval::Day, Dimension::All)
        );

        let wrong = params("2026-13-01", "yesterday", "hour", "client");
        let err = ReportQuery::parse(&wrong, today).unwrap_err();
        assert_eq!(fields(err), ["to", "from", "interval", "groupBy"]);

        let backwards = params("2026-11-30", "2026-11-01", "day", "none");
        assert_eq!(
            fields(ReportQuery::parse(&backwards, today).unwrap_err()),
            ["from"]
        );
        let leap_year = params("2024-01-01", "2024-12-31", "month", "agent");
        assert!(ReportQuery::parse(&leap_year, today).is_ok(), "366 days");
        let too_long = params("2025-01-01", "2026-01-02", "month", "agent");
        assert_eq!(
            fields(ReportQuery::parse(&too_long, today).unwrap_err()),
            ["to"]
        );
        let short = params("2026-1-1", "2026-11-30", "day", "none");
        assert_eq!(
            fields(ReportQuery::parse(&short, today).unwrap_err()),
            ["from"]
        );
    }

    #[test]
    fn every_period_is_there_and_the_backlog_runs_on_from_before_the_range() {
        let query = ReportQuery::parse(
            &params("2026-11-04", "2026-11-17", "week", "none"),
            day("2026-12-01"),
        )
        .unwrap();
        assert_eq!(query.first_stored_day(), day("2026-11-01"));
        let stored = StoredFigures {
            months_before: vec![(None, 10)],
            days: vec![
                // Before `from`: only its backlog carries in.
                (
                    day("2026-11-02"),
                    None,
                    figures(&[("created", 2), ("backlog", 2)]),
                ),
                (
                    day("2026-11-04"),
                    None,
                    figures(&[("created", 1), ("backlog", 1), ("firstResponse:5", 1)]),
                ),
                (
                    day("2026-11-05"),
                    None,
                    figures(&[("resolved", 3), ("backlog", -3), ("resolution:100", 3)]),
                ),
                (
                    day("2026-11-16"),
                    None,
                    figures(&[("good", 1), ("slaBreached", 2)]),
                ),
            ],
        };
        let report = assemble(&query, &stored, "UTC");
        let periods: Vec<_> = report
            .series
            .iter()
            .map(|row| row.period.to_string())
            .collect();
        assert_eq!(periods, ["2026-11-02", "2026-11-09", "2026-11-16"]);
        let first = &report.series[0].figures;
        assert_eq!((first.created, first.resolved, first.backlog), (1, 3, 10));
        assert_eq!(
            first.first_response_minutes,
            Minutes {
                median: Some(5),
                p90: Some(5)
            }
        );
        let middle = &report.series[1].figures;
        assert_eq!(
            middle,
            &Row {
                backlog: 10,
                ..Row::default()
            },
            "a quiet week has zeros"
        );
        assert_eq!(report.series[2].figures.satisfaction.good, 1);
        assert_eq!(report.totals.created, 1);
        assert_eq!(report.totals.backlog, 10);
        assert_eq!(report.totals.sla.breached, 2);
        assert_eq!(
            report.totals.resolution_minutes.median,
            Some(super::super::sketch::representative(100))
        );
    }

    #[test]
    fn groups_are_every_category_or_every_agent_seen_and_totals_add_them_up() {
        let query = ReportQuery::parse(
            &params("2026-11-01", "2026-11-02", "day", "category"),
            day("2026-12-01"),
        )
        .unwrap();
        let stored = StoredFigures {
            months_before: vec![],
            days: vec![(
                day("2026-11-02"),
                Some("billing".into()),
                figures(&[("created", 2), ("backlog", 2)]),
            )],
        };
        let report = assemble(&query, &stored, "UTC");
        assert_eq!(report.series.len(), 2 * Category::ALL.len());
        assert_eq!(report.totals.created, 2);
        assert_eq!(report.totals.backlog, 2);

        let query = ReportQuery {
            group_by: Dimension::Agent,
            ..query
        };
        let stored = StoredFigures {
            months_before: vec![(Some("agent-b".into()), 4)],
            days: vec![(
                day("2026-11-01"),
                Some("agent-a".into()),
                figures(&[("closed", 1)]),
            )],
        };
        let report = assemble(&query, &stored, "UTC");
        let groups: Vec<_> = report
            .series
            .iter()
            .take(3)
            .map(|row| row.group.clone())
            .collect();
        assert_eq!(
            groups,
            [Some("agent-a".into()), Some("agent-b".into()), None]
        );
        assert_eq!(report.series[1].figures.backlog, 4);
        assert_eq!(report.totals.backlog, 4);
    }

    #[test]
    fn the_csv_has_a_row_per_period_and_group_and_keeps_text_from_being_a_formula() {
        let query = ReportQuery::parse(
            &params("2026-11-01", "2026-11-01", "day", "agent"),
            day("2026-12-01"),
        )
        .unwrap();
        let stored = StoredFigures {
            months_before: vec![],
            days: vec![(
                day("2026-11-01"),
                Some("=cmd,\"x\"".into()),
                figures(&[("created", 1), ("backlog", 1)]),
            )],
        };
        let csv = to_csv(&assemble(&query, &stored, "UTC"));
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines.len(), 4, "header, two rows, and the last line break");
        assert!(lines[0].starts_with("period,group,created,"));
        assert_eq!(
            lines[1],
            "2026-11-01,\"'=cmd,\"\"x\"\"\",1,0,0,0,1,,,,,0,0,0,0"
        );
        assert_eq!(lines[2], "2026-11-01,,0,0,0,0,0,,,,,0,0,0,0");
    }
}
