//! The desk's service-level policies: the document admins write (`PUT /v2/sla-policies`), its
//! rules, and which policy a ticket is measured by.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::DomainError;
use crate::model::{Category, Priority, TicketSummary};
use crate::validation::{Checker, Lines};

use super::schedule::{Hours, Interval, Schedule, DAY_MINUTES};

/// The weekdays of `schedule.hours`, Monday first.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The longest target: a year, in minutes.
pub const TARGET_MAX_MINUTES: i64 = 525_600;

/// How many policies a desk may have, and holidays its schedule.
pub const POLICIES_MAX: usize = 50;
pub const HOLIDAYS_MAX: usize = 400;
const POLICY_NAME_MAX: usize = 100;

/// When a clock warns, as a share of its target, unless the document says otherwise.
pub const WARN_AT_PERCENT: u8 = 80;

/// The body of `PUT /v2/sla-policies`, and what `GET` answers. Members are optional here so that
/// a missing one is a field error (422) reported with the others.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SlaDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleDocument>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warn_at_percent: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policies: Option<Vec<PolicyDocument>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScheduleDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Per weekday (`mon` .. `sun`), intervals as `["09:00", "18:00"]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<BTreeMap<String, Vec<Vec<String>>>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holidays: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PolicyDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, rename = "match", skip_serializing_if = "Option::is_none")]
    pub matches: Option<MatchDocument>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_hours: Option<bool>,
    /// Per priority: the targets in minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub targets: Option<BTreeMap<String, TargetsDocument>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatchDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Vec<String>>,
}

#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TargetsDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_response: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_response: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<i64>,
}

/// One target of each kind a priority has, in minutes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Targets {
    pub first_response: Option<u32>,
    pub next_response: Option<u32>,
    pub resolution: Option<u32>,
}

/// A policy as the clocks use it.
#[derive(Clone, Debug, PartialEq)]
pub struct Policy {
    pub name: String,
    tags: Vec<String>,
    categories: Vec<Category>,
    priorities: Vec<Priority>,
    business_hours: bool,
    targets: BTreeMap<Priority, Targets>,
}

impl Policy {
    /// Whether the policy applies to `ticket`: each criterion it names holds (any of its tags,
    /// one of its categories, one of its priorities); a policy naming none applies to all.
    pub fn matches(&self, ticket: &TicketSummary) -> bool {
        (self.tags.is_empty() || self.tags.iter().any(|tag| ticket.tags.contains(tag)))
            && (self.categories.is_empty() || self.categories.contains(&ticket.category))
            && (self.priorities.is_empty() || self.priorities.contains(&ticket.priority))
    }

    /// The targets for a ticket of `priority` (none when the policy sets none for it).
    pub fn targets(&self, priority: Priority) -> Targets {
        self.targets.get(&priority).copied().unwrap_or_default()
    }
}

/// The desk's service levels, checked: what every change of a ticket is measured against.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SlaPolicies {
    schedule: Option<Schedule>,
    warn_at_percent: u8,
    policies: Vec<Policy>,
    frozen: bool,
}

impl SlaPolicies {
    /// No policies: no ticket is measured.
    pub fn none() -> Self {
        SlaPolicies {
            warn_at_percent: WARN_AT_PERCENT,
            ..SlaPolicies::default()
        }
    }

    /// Policies that cannot be read (a stored document the rules no longer accept): changes
    /// leave every ticket's clocks as they are, rather than dropping what they counted, until
    /// an admin writes a document again.
    pub fn frozen() -> Self {
        SlaPolicies {
            frozen: true,
            ..SlaPolicies::none()
        }
    }

    pub fn is_frozen(&self) -> bool {
        self.frozen
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty()
    }

    /// The first policy, in the document's order, that applies to `ticket`.
    pub fn policy_for(&self, ticket: &TicketSummary) -> Option<&Policy> {
        self.policies.iter().find(|policy| policy.matches(ticket))
    }

    /// How `policy` counts time: business hours on the desk's schedule, or every minute.
    pub fn hours(&self, policy: &Policy) -> Hours<'_> {
        match (&self.schedule, policy.business_hours) {
            (Some(schedule), true) => Hours::Business(schedule),
            _ => Hours::Calendar,
        }
    }

    pub fn warn_at_percent(&self) -> u8 {
        self.warn_at_percent
    }
}

impl SlaDocument {
    /// The document's rules, every problem at once (422 with `details`): a known time zone;
    /// weekdays `mon` .. `sun` with `"HH:MM"` intervals that start before they end, end by
    /// `24:00` and do not overlap; dates as `YYYY-MM-DD`; a warning share of 1 to 99 percent;
    /// policies with unique names, known categories and priorities, and targets of 1 minute to a
    /// year; a schedule when a policy counts business hours.
    pub fn check(&self) -> Result<SlaPolicies, DomainError> {
        let mut check = Checker::default();
        let schedule = self
            .schedule
            .as_ref()
            .and_then(|schedule| schedule.check(&mut check));
        let warn_at_percent = match self.warn_at_percent {
            None => WARN_AT_PERCENT,
            Some(percent @ 1..=99) => percent as u8,
            Some(_) => {
                check.fail("warnAtPercent", "must be a whole number from 1 to 99");
                WARN_AT_PERCENT
            }
        };
        let given = self.policies.as_deref().unwrap_or_default();
        if given.len() > POLICIES_MAX {
            check.fail(
                "policies",
                format!("must hold at most {POLICIES_MAX} policies"),
            );
        }
        let mut names = BTreeSet::new();
        let mut policies = Vec::new();
        for (index, policy) in given.iter().enumerate() {
            let at = format!("policies[{index}]");
            if let Some(policy) = policy.check(&at, &mut check) {
                if !names.insert(policy.name.clone()) {
                    check.fail(&format!("{at}.name"), "is the name of an earlier policy");
                }
                if policy.business_hours && self.schedule.is_none() {
                    check.fail(
                        &format!("{at}.businessHours"),
                        "needs the schedule: add `schedule` or count calendar time",
                    );
                }
                policies.push(policy);
            }
        }
        if let Some(schedule) = &schedule {
            let year = u64::from(schedule.weekly_open_minutes()) * 52;
            for (index, policy) in given.iter().enumerate() {
                let business = policy.business_hours == Some(true);
                for (priority, targets) in policy.targets.iter().flatten().filter(|_| business) {
                    for (name, minutes) in [
                        ("firstResponse", targets.first_response),
                        ("nextResponse", targets.next_response),
                        ("resolution", targets.resolution),
                    ] {
                        if minutes.is_some_and(|minutes| minutes > 0 && minutes as u64 > year) {
                            check.fail(
                                &format!("policies[{index}].targets.{priority}.{name}"),
                                "needs more than a year of the schedule's open time",
                            );
                        }
                    }
                }
            }
        }
        check.finish()?;
        Ok(SlaPolicies {
            schedule,
            warn_at_percent,
            policies,
            frozen: false,
        })
    }
}

impl ScheduleDocument {
    fn check(&self, check: &mut Checker) -> Option<Schedule> {
        let zone: Option<Tz> = match &self.time_zone {
            None => {
                check.fail("schedule.timeZone", "is required");
                None
            }
            Some(name) => {
                let zone = name.parse().ok();
                if zone.is_none() {
                    check.fail(
                        "schedule.timeZone",
                        "must be a time zone of the IANA database, e.g. Europe/Madrid",
                    );
                }
                zone
            }
        };
        let mut week: [Vec<Interval>; 7] = Default::default();
        let mut open = false;
        for (day, intervals) in self.hours.iter().flatten() {
            let Some(weekday) = WEEKDAYS.iter().position(|name| name == day) else {
                check.fail(
                    &format!("schedule.hours.{day}"),
                    "is not a weekday: mon, tue, wed, thu, fri, sat or sun",
                );
                continue;
            };
            week[weekday] = day_intervals(day, intervals, check);
            open |= !week[weekday].is_empty();
        }
        if !open {
            check.fail("schedule.hours", "must open at least one interval a week");
        }
        let given = self.holidays.as_deref().unwrap_or_default();
        if given.len() > HOLIDAYS_MAX {
            check.fail(
                "schedule.holidays",
                format!("must hold at most {HOLIDAYS_MAX} dates"),
            );
        }
        let mut holidays = BTreeSet::new();
        for (index, date) in given.iter().enumerate() {
            // Exactly `YYYY-MM-DD`: the parser alone would take `2026-1-5` too.
            let parsed = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                .ok()
                .filter(|_| date.len() == 10);
            match parsed {
                Some(date) => {
                    holidays.insert(date);
                }
                None => check.fail(
                    &format!("schedule.holidays[{index}]"),
                    "must be a date as YYYY-MM-DD",
                ),
            }
        }
        Some(Schedule::new(zone?, week, holidays))
    }
}

/// A day's intervals, sorted; each bad one reported by its position as given.
fn day_intervals(day: &str, given: &[Vec<String>], check: &mut Checker) -> Vec<Interval> {
    let mut intervals: Vec<(usize, Interval)> = Vec::new();
    for (index, pair) in given.iter().enumerate() {
        let field = format!("schedule.hours.{day}[{index}]");
        let [start, end] = pair.as_slice() else {
            check.fail(&field, "must be two times, [\"09:00\", \"18:00\"]");
            continue;
        };
        match (minute_of_day(start), minute_of_day(end)) {
            (Some(start), Some(end)) if start < end && start < DAY_MINUTES => {
                intervals.push((index, Interval { start, end }));
            }
            (Some(_), Some(_)) => check.fail(
                &field,
                "must end after it starts (write a night shift as two intervals)",
            ),
            _ => check.fail(&field, "must be two times from 00:00 to 24:00 as HH:MM"),
        }
    }
    intervals.sort_by_key(|(_, interval)| *interval);
    for pair in intervals.windows(2) {
        if pair[1].1.start < pair[0].1.end {
            check.fail(
                &format!("schedule.hours.{day}[{}]", pair[1].0),
                "overlaps another interval of the day",
            );
        }
    }
    intervals
        .into_iter()
        .map(|(_, interval)| interval)
        .collect()
}

/// `"HH:MM"` as minutes after midnight, `24:00` included.
fn minute_of_day(text: &str) -> Option<u16> {
    let (hours, minutes) = text.split_once(':')?;
    let digits = |part: &str| part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit());
    if !digits(hours) || !digits(minutes) {
        return None;
    }
    let (hours, minutes): (u16, u16) = (hours.parse().ok()?, minutes.parse().ok()?);
    let total = hours * 60 + minutes;
    (minutes < 60 && total <= DAY_MINUTES).then_some(total)
}

impl PolicyDocument {
    fn check(&self, at: &str, check: &mut Checker) -> Option<Policy> {
        let name = match &self.name {
            None => {
                check.fail(&format!("{at}.name"), "is required");
                None
            }
            Some(name) => check.text(&format!("{at}.name"), name, POLICY_NAME_MAX, Lines::Single),
        };
        let matches = self.matches.clone().unwrap_or_default();
        let tags = matches
            .tags
            .as_deref()
            .map(|tags| check.tags_at(&format!("{at}.match.tags"), tags))
            .unwrap_or(Some(Vec::new()));
        let categories = listed(
            check,
            &format!("{at}.match.category"),
            &matches.category,
            Category::ALL,
        );
        let priorities = listed(
            check,
            &format!("{at}.match.priority"),
            &matches.priority,
            Priority::ALL,
        );
        let mut targets = BTreeMap::new();
        match &self.targets {
            Some(given) if !given.is_empty() => {
                for (priority, minutes) in given {
                    let field = format!("{at}.targets.{priority}");
                    let Some(priority) = check.one_of(&field, priority, Priority::ALL) else {
                        continue;
                    };
                    targets.insert(priority, minutes.check(&field, check));
                }
            }
            _ => check.fail(
                &format!("{at}.targets"),
                "must name the targets of a priority",
            ),
        }
        Some(Policy {
            name: name?,
            tags: tags?,
            categories: categories?,
            priorities: priorities?,
            business_hours: self.business_hours.unwrap_or(false),
            targets,
        })
    }
}

/// A list of enum values, each reported by position when unknown.
fn listed<T: std::str::FromStr + Copy + std::fmt::Display>(
    check: &mut Checker,
    field: &str,
    given: &Option<Vec<String>>,
    all: &[T],
) -> Option<Vec<T>> {
    let mut values = Vec::new();
    let mut valid = true;
    for (index, value) in given.iter().flatten().enumerate() {
        match check.one_of(&format!("{field}[{index}]"), value, all) {
            Some(value) => values.push(value),
            None => valid = false,
        }
    }
    valid.then_some(values)
}

impl TargetsDocument {
    fn check(&self, at: &str, check: &mut Checker) -> Targets {
        let mut minutes = |name: &str, value: Option<i64>| match value {
            None => None,
            Some(value @ 1..=TARGET_MAX_MINUTES) => Some(value as u32),
            Some(_) => {
                check.fail(
                    &format!("{at}.{name}"),
                    format!("must be a whole number of minutes from 1 to {TARGET_MAX_MINUTES}"),
                );
                None
            }
        };
        Targets {
            first_response: minutes("firstResponse", self.first_response),
            next_response: minutes("nextResponse", self.next_response),
            resolution: minutes("resolution", self.resolution),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;
    use crate::testing::summary;

    fn document(json: serde_json::Value) -> SlaDocument {
        serde_json::from_value(json).unwrap()
    }

    fn refused(json: serde_json::Value) -> Vec<String> {
        match document(json).check() {
            Err(DomainError::Validation(details)) => details.into_iter().map(|d| d.field).collect(),
            other => panic!("not refused: {other:?}"),
        }
    }

    fn madrid() -> serde_json::Value {
        serde_json::json!({
            "timeZone": "Europe/Madrid",
            "hours": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "13:00"], ["14:00", "18:00"]]},
            "holidays": ["2026-12-25"]
        })
    }

    #[test]
    fn the_first_matching_policy_applies() {
        let policies = document(serde_json::json!({
            "schedule": madrid(),
            "policies": [
                {"name": "Enterprise", "match": {"tags": ["Enterprise"], "category": ["technical"]},
                 "businessHours": true, "targets": {"urgent": {"firstResponse": 30}}},
                {"name": "Everyone", "targets": {"urgent": {"resolution": 240}}}
            ]
        }))
        .check()
        .unwrap();
        let mut ticket = summary(Status::Open);
        ticket.tags = vec!["enterprise".into()];
        assert_eq!(policies.policy_for(&ticket).unwrap().name, "Enterprise");
        ticket.category = Category::Billing;
        assert_eq!(policies.policy_for(&ticket).unwrap().name, "Everyone");
        let everyone = policies.policy_for(&ticket).unwrap();
        assert_eq!(everyone.targets(Priority::Urgent).resolution, Some(240));
        assert_eq!(everyone.targets(Priority::Low), Targets::default());
        assert!(matches!(policies.hours(everyone), Hours::Calendar));
        assert_eq!(policies.warn_at_percent(), WARN_AT_PERCENT);
    }

    #[test]
    fn bad_documents_are_refused_field_by_field() {
        let fields = refused(serde_json::json!({
            "schedule": {
                "timeZone": "Mars/Olympus",
                "hours": {"mon": [["18:00", "09:00"], ["08:00", "10:00"], ["09:30", "11:00"]],
                          "fun": [], "tue": [["9:00", "10:00"], ["10:00", "24:30"], ["+9:00", "23:00"]]},
                "holidays": ["25/12/2026", "2026-1-5"]
            },
            "warnAtPercent": 100,
            "policies": [
                {"name": "A", "targets": {"critical": {"firstResponse": 10},
                                          "high": {"resolution": -5, "nextResponse": 0}}},
                {"name": "A", "match": {"category": ["hardware"]}, "targets": {"low": {}}},
                {"targets": {}}
            ]
        }));
        assert_eq!(
            fields,
            [
                "schedule.timeZone",
                "schedule.hours.fun",
                "schedule.hours.mon[0]",
                "schedule.hours.mon[2]",
                "schedule.hours.tue[0]",
                "schedule.hours.tue[1]",
                "schedule.hours.tue[2]",
                "schedule.holidays[0]",
                "schedule.holidays[1]",
                "warnAtPercent",
                "policies[0].targets.critical",
                "policies[0].targets.high.nextResponse",
                "policies[0].targets.high.resolution",
                "policies[1].match.category[0]",
                "policies[2].name",
                "policies[2].targets",
            ]
        );
    }

    #[test]
    fn business_hours_need_a_schedule_that_opens() {
        assert_eq!(
            refused(serde_json::json!({
                "policies": [{"name": "Office", "businessHours": true,
                              "targets": {"low": {"resolution": 60}}}]
            })),
            ["policies[0].businessHours"]
        );
        assert_eq!(
            refused(serde_json::json!({"schedule": {"timeZone": "UTC", "hours": {"sat": []}}})),
            ["schedule.hours"]
        );
        let night = serde_json::json!({"schedule": {"timeZone": "UTC",
            "hours": {"fri": [["22:00", "24:00"]], "sat": [["00:00", "06:00"]]}}});
        assert!(document(night).check().is_ok());
        // Eight open hours a week cannot hold a year-long target.
        assert_eq!(
            refused(serde_json::json!({
                "schedule": {"timeZone": "UTC", "hours": {"fri": [["22:00", "24:00"]], "sat": [["00:00", "06:00"]]}},
                "policies": [{"name": "Night", "businessHours": true,
                              "targets": {"low": {"resolution": 525600, "firstResponse": 60}}}]
            })),
            ["policies[0].targets.low.resolution"]
        );
    }

    #[test]
    fn an_empty_document_measures_nothing() {
        let policies = SlaDocument::default().check().unwrap();
        assert!(policies.is_empty());
        assert!(policies.policy_for(&summary(Status::Open)).is_none());
    }
}
