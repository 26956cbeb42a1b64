//! Business hours: the opening intervals of each weekday in a time zone, with holidays, and the
//! arithmetic service-level clocks run on (docs/API.md, Service levels).
//!
//! Each interval of a day is turned into the instants it covers on that date, in the schedule's
//! zone, so daylight-saving changes fall out of the time zone database: on a spring-forward day
//! an interval across the gap is an hour shorter, on a fall-back day an hour longer. An interval
//! ending at `24:00` ends at the next day's midnight, so a day open until midnight runs on into
//! the next day's `00:00` interval without a break.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::model::Timestamp;

/// Minutes in a day: an interval's end may be `24:00`, the next day's midnight.
pub const DAY_MINUTES: u16 = 24 * 60;

/// How far ahead a due time is looked for: no target is longer than a year of open time, and a
/// schedule opens at least one interval a week (the policies' rules), so ten years is plenty.
const HORIZON_DAYS: u32 = 3_660;

/// An opening interval of a day, in minutes after local midnight: `start < end <= 24:00`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Interval {
    pub start: u16,
    pub end: u16,
}

/// When the desk is open: intervals per weekday (Monday first) in a time zone, and the dates it
/// is closed all day.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    zone: Tz,
    week: [Vec<Interval>; 7],
    holidays: BTreeSet<NaiveDate>,
}

/// Which end of an interval a local time is: a time the clocks pass twice (fall back) starts an
/// interval at its first pass and ends one at its second, so the interval covers all it names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Edge {
    Start,
    End,
}

impl Schedule {
    /// A schedule of sorted, non-overlapping intervals (the policies' rules check that first).
    pub fn new(zone: Tz, week: [Vec<Interval>; 7], holidays: BTreeSet<NaiveDate>) -> Self {
        Schedule {
            zone,
            week,
            holidays,
        }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// The open stretches from local `date` on, day after day (at most `days` days), as
    /// instants in order and never overlapping: where the clocks pass a time twice (fall back),
    /// an interval that ends at it and the next that starts at it would otherwise share an hour.
    fn stretches(
        &self,
        date: NaiveDate,
        days: u32,
    ) -> impl Iterator<Item = (DateTime<Utc>, DateTime<Utc>)> + '_ {
        let mut floor: Option<DateTime<Utc>> = None;
        std::iter::successors(Some(date), |date| date.succ_opt())
            .take(days as usize)
            .flat_map(move |date| self.spans(date))
            .filter_map(move |(start, end)| {
                let start = floor.map_or(start, |floor| start.max(floor));
                floor = Some(floor.map_or(end, |floor| floor.max(end)));
                (start < end).then_some((start, end))
            })
    }

    /// The open stretches of local `date`, as instants, in order.
    fn spans(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        if self.holidays.contains(&date) {
            return Vec::new();
        }
        let day = &self.week[date.weekday().num_days_from_monday() as usize];
        day.iter()
            .map(|interval| {
                (
                    self.instant(date, interval.start, Edge::Start),
                    self.instant(date, interval.end, Edge::End),
                )
            })
            .filter(|(start, end)| start < end)
            .collect()
    }

    /// The instant of `minute` after local midnight of `date` (`24:00` is the next midnight).
    /// A time the clocks skip (spring forward) is the first instant after the gap.
    fn instant(&self, date: NaiveDate, minute: u16, edge: Edge) -> DateTime<Utc> {
        let (date, minute) = if minute >= DAY_MINUTES {
            (date.succ_opt().unwrap_or(date), minute - DAY_MINUTES)
        } else {
            (date, minute)
        };
        let time = NaiveTime::from_hms_opt(u32::from(minute / 60), u32::from(minute % 60), 0)
            .unwrap_or(NaiveTime::MIN);
        let mut local = date.and_time(time);
        // Gaps last an hour or two; a day is far more than any zone ever skipped.
        for _ in 0..DAY_MINUTES {
            match self.zone.from_local_datetime(&local) {
                LocalResult::Single(at) => return at.with_timezone(&Utc),
                LocalResult::Ambiguous(first, second) => {
                    let at = if edge == Edge::Start { first } else { second };
                    return at.with_timezone(&Utc);
                }
                LocalResult::None => local += Duration::minutes(1),
            }
        }
        Utc.from_utc_datetime(&local)
    }

    fn local_date(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.zone).date_naive()
    }

    /// The instant at which `open` of open time has passed since `start`.
    fn add(&self, start: DateTime<Utc>, open: Duration) -> DateTime<Utc> {
        if open <= Duration::zero() {
            return start;
        }
        let mut left = open;
        // From the day before: its stretches end no later than this day's midnight, but a
        // zone's odd days are cheaper to look at than to reason about.
        let first = self.local_date(start).pred_opt().unwrap_or(NaiveDate::MIN);
        for (from, to) in self.stretches(first, HORIZON_DAYS) {
            if to <= start {
                continue;
            }
            let from = from.max(start);
            let here = to - from;
            if left <= here {
                return from + left;
            }
            left -= here;
        }
        // Only a schedule without open time gets here (the policies' rules refuse one, and
        // any target longer than a year of the schedule's open time).
        start + open
    }

    /// The open time between `from` and `to`.
    fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        let mut total = Duration::zero();
        if to <= from {
            return total;
        }
        let first = self.local_date(from).pred_opt().unwrap_or(NaiveDate::MIN);
        let last = self.local_date(to).succ_opt().unwrap_or(NaiveDate::MAX);
        let days = u32::try_from((last - first).num_days() + 1).unwrap_or(u32::MAX);
        for (start, end) in self.stretches(first, days) {
            if start >= to {
                break;
            }
            let overlap = end.min(to) - start.max(from);
            if overlap > Duration::zero() {
                total += overlap;
            }
        }
        total
    }

    /// The open minutes of a week without holidays.
    pub fn weekly_open_minutes(&self) -> u32 {
        self.week
            .iter()
            .flatten()
            .map(|interval| u32::from(interval.end - interval.start))
            .sum()
    }
}

/// How a clock counts time: every instant, or only the schedule's open ones.
#[derive(Clone, Copy, Debug)]
pub enum Hours<'a> {
    Calendar,
    Business(&'a Schedule),
}

impl Hours<'_> {
    /// When `counted` time will have passed after `start` (`start` itself for none).
    pub fn add(&self, start: Timestamp, counted: Duration) -> Timestamp {
        let start = start.as_datetime();
        Timestamp::from(match self {
            Hours::Calendar => start + counted.max(Duration::zero()),
            Hours::Business(schedule) => schedule.add(start, counted),
        })
    }

    /// The time counted between `from` and `to` (none when `to` is not after `from`).
    pub fn between(&self, from: Timestamp, to: Timestamp) -> Duration {
        let (from, to) = (from.as_datetime(), to.as_datetime());
        match self {
            Hours::Calendar => (to - from).max(Duration::zero()),
            Hours::Business(schedule) => schedule.between(from, to),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn interval(start: &str, end: &str) -> Interval {
        let minutes = |t: &str| {
            let (h, m) = t.split_once(':').unwrap();
            h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap()
        };
        Interval {
            start: minutes(start),
            end: minutes(end),
        }
    }

    /// Monday to Friday 09:00-18:00 in Madrid, closed on Christmas.
    fn office() -> Schedule {
        let day = vec![interval("09:00", "18:00")];
        let week = [
            day.clone(),
            day.clone(),
            day.clone(),
            day.clone(),
            day,
            vec![],
            vec![],
        ];
        let holidays = BTreeSet::from([NaiveDate::from_ymd_opt(2026, 12, 25).unwrap()]);
        Schedule::new(chrono_tz::Europe::Madrid, week, holidays)
    }

    /// Open around the clock every day (each day 00:00-24:00) in `zone`.
    fn always(zone: Tz) -> Schedule {
        Schedule::new(
            zone,
            std::array::from_fn(|_| vec![interval("00:00", "24:00")]),
            BTreeSet::new(),
        )
    }

    #[test]
    fn a_target_within_one_interval_is_calendar_time() {
        let office = office();
        let hours = Hours::Business(&office);
        // Tuesday 1 December 2026, 10:00 in Madrid is 09:00 UTC.
        let start = at("2026-12-01T09:00:00Z");
        assert_eq!(
            hours.add(start, Duration::minutes(90)),
            at("2026-12-01T10:30:00Z")
        );
        assert_eq!(
            hours.between(start, at("2026-12-01T10:30:00Z")),
            Duration::minutes(90)
        );
    }

    #[test]
    fn evenings_weekends_and_holidays_are_skipped() {
        let office = office();
        let hours = Hours::Business(&office);
        // Friday 16:00 Madrid (15:00 UTC) + 4 h: 2 h on Friday, 2 h from Monday 09:00.
        assert_eq!(
            hours.add(at("2026-12-04T15:00:00Z"), Duration::hours(4)),
            at("2026-12-07T10:00:00Z")
        );
        // Thursday 24 December 17:00 + 2 h: Christmas and the weekend are closed.
        assert_eq!(
            hours.add(at("2026-12-24T16:00:00Z"), Duration::hours(2)),
            at("2026-12-28T09:00:00Z")
        );
        // Started on a Saturday: the clock starts on Monday morning.
        assert_eq!(
            hours.add(at("2026-12-05T12:00:00Z"), Duration::minutes(30)),
            at("2026-12-07T08:30:00Z")
        );
    }

    #[test]
    fn a_day_open_until_midnight_runs_on_into_the_next_days_first_interval() {
        let mut week: [Vec<Interval>; 7] = std::array::from_fn(|_| vec![]);
        week[0] = vec![interval("20:00", "24:00")];
        week[1] = vec![interval("00:00", "02:00")];
        let night = Schedule::new(chrono_tz::UTC, week, BTreeSet::new());
        let hours = Hours::Business(&night);
        // Monday 23:00 + 2 h: 1 h before midnight, 1 h after, no break between.
        assert_eq!(
            hours.add(at("2026-11-30T23:00:00Z"), Duration::hours(2)),
            at("2026-12-01T01:00:00Z")
        );
        assert_eq!(
            hours.between(at("2026-11-30T22:00:00Z"), at("2026-12-01T03:00:00Z")),
            Duration::hours(4)
        );
    }

    #[test]
    fn daylight_saving_days_are_as_long_as_the_clocks_say() {
        // Madrid: 29 March 2026 springs forward (02:00 -> 03:00), 25 October falls back.
        let madrid = always(chrono_tz::Europe::Madrid);
        let hours = Hours::Business(&madrid);
        assert_eq!(
            hours.between(at("2026-03-28T23:00:00Z"), at("2026-03-29T22:00:00Z")),
            Duration::hours(23)
        );
        assert_eq!(
            hours.between(at("2026-10-24T22:00:00Z"), at("2026-10-25T23:00:00Z")),
            Duration::hours(25)
        );
        // New York: 8 March 2026 springs forward at 02:00, 1 November falls back.
        let york = always(chrono_tz::America::New_York);
        let hours = Hours::Business(&york);
        assert_eq!(
            hours.between(at("2026-03-08T05:00:00Z"), at("2026-03-09T04:00:00Z")),
            Duration::hours(23)
        );
        assert_eq!(
            hours.between(at("2026-11-01T04:00:00Z"), at("2026-11-02T05:00:00Z")),
            Duration::hours(25)
        );
        // Open 01:00-04:00 on the spring-forward day: two real hours.
        let mut week: [Vec<Interval>; 7] = std::array::from_fn(|_| vec![]);
        week[6] = vec![interval("01:00", "04:00")];
        let short = Schedule::new(chrono_tz::America::New_York, week, BTreeSet::new());
        let hours = Hours::Business(&short);
        assert_eq!(
            hours.between(at("2026-03-08T00:00:00Z"), at("2026-03-09T00:00:00Z")),
            Duration::hours(2)
        );
        // 01:00 EST is 06:00 UTC: one hour later it is 03:00 EDT, 07:00 UTC.
        assert_eq!(
            hours.add(at("2026-03-08T06:00:00Z"), Duration::minutes(90)),
            at("2026-03-08T07:30:00Z")
        );
    }

    #[test]
    fn a_repeated_hour_between_two_intervals_counts_once() {
        // Havana falls back at 01:00 to 00:00 (1 November 2026): midnight to one happens twice.
        let havana = always(chrono_tz::America::Havana);
        let hours = Hours::Business(&havana);
        let start = at("2026-10-31T12:00:00Z");
        let end = at("2026-11-02T12:00:00Z");
        assert_eq!(hours.between(start, end), Duration::hours(48));
        assert_eq!(hours.add(start, Duration::hours(48)), end);
    }

    fn any_instant() -> impl Strategy<Value = Timestamp> {
        // 2026 and 2027, with both daylight-saving changes of each year.
        (1_767_225_600_000i64..1_830_297_600_000i64)
            .prop_map(|ms| Timestamp::from(DateTime::from_timestamp_millis(ms).unwrap()))
    }

    fn any_minutes() -> impl Strategy<Value = Duration> {
        (0i64..20_000).prop_map(Duration::minutes)
    }

    proptest! {
        #[test]
        fn a_due_time_is_never_before_its_start(start in any_instant(), target in any_minutes()) {
            let office = office();
            prop_assert!(Hours::Business(&office).add(start, target) >= start);
        }

        #[test]
        fn a_later_start_never_falls_due_earlier(
            start in any_instant(), later in 0i64..10_000_000, target in any_minutes()
        ) {
            let office = office();
            let hours = Hours::Business(&office);
            let later = Timestamp::from(start.as_datetime() + Duration::seconds(later));
            prop_assert!(hours.add(later, target) >= hours.add(start, target));
        }

        #[test]
        fn the_time_counted_to_a_due_time_is_the_target(start in any_instant(), target in any_minutes()) {
            for schedule in [office(), always(chrono_tz::America::New_York)] {
                let hours = Hours::Business(&schedule);
                prop_assert_eq!(hours.between(start, hours.add(start, target)), target);
            }
        }

        #[test]
        fn a_pause_adds_exactly_the_open_time_it_took(
            start in any_instant(), run in any_minutes(), pause in 0i64..5_000_000, target in any_minutes()
        ) {
            // Run for `run`, pause for `pause` seconds, resume: the due time is the resume plus
            // what is left, so the pause adds the open time it covered and nothing else.
            let office = office();
            let hours = Hours::Business(&office);
            let run = run.min(target);
            let paused = hours.add(start, run);
            let resumed = Timestamp::from(paused.as_datetime() + Duration::seconds(pause));
            let due = hours.add(resumed, target - run);
            let straight = hours.add(start, target);
            prop_assert_eq!(
                hours.between(start, due),
                target + hours.between(paused, resumed)
            );
            prop_assert!(due >= straight);
        }
    }
}
