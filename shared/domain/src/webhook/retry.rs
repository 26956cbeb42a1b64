//! When a failed delivery is tried again: Standard Webhooks' schedule (5 s, 5 min, 30 min, 2 h,
//! 5 h, 10 h, 10 h: about 27 hours in all), each pause spread by up to a fifth either way so
//! that receivers coming back are not hit by every retry at once. The schedule is a setting
//! (`WEBHOOK_RETRY_SECONDS`): the local stack uses one of seconds, to watch a retry happen.

use std::time::Duration;

/// The most pauses a schedule may have: a delivery's attempts are its message's receives, and
/// the webhook queue sets a message aside after 12 (`template.yaml`): one attempt per pause
/// and the first, with one receive to spare for a crash.
pub const MAX_PAUSES: usize = 10;

/// The pauses after each failed attempt, in seconds.
pub const RETRY_SECONDS: [u64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetrySchedule(Vec<u64>);

impl Default for RetrySchedule {
    fn default() -> Self {
        RetrySchedule(RETRY_SECONDS.to_vec())
    }
}

impl RetrySchedule {
    /// `"5,300,1800"`: whole seconds, each at most 12 hours (the longest a queue message can be
    /// hidden), one to `MAX_PAUSES` of them.
    pub fn parse(text: &str) -> Option<Self> {
        let pauses: Option<Vec<u64>> = text
            .split(',')
            .map(|part| {
                part.trim()
                    .parse()
                    .ok()
                    .filter(|s| (1..=43_200).contains(s))
            })
            .collect();
        pauses
            .filter(|p| (1..=MAX_PAUSES).contains(&p.len()))
            .map(RetrySchedule)
    }

    /// How many attempts a delivery gets: the first and one per pause.
    pub fn attempts(&self) -> u32 {
        u32::try_from(self.0.len() + 1).unwrap_or(u32::MAX)
    }

    /// The pause after `failed` failed attempts (1 for the first), spread by `jitter` (a number
    /// in `[0, 1)`: up to a fifth shorter or longer); `None` once every attempt has failed.
    pub fn pause_after(&self, failed: u32, jitter: f64) -> Option<Duration> {
        let base = *self.0.get(usize::try_from(failed).ok()?.checked_sub(1)?)?;
        let spread = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
        Some(Duration::from_secs_f64(
            (base as f64 * spread).min(43_200.0),
        ))
    }
}

/// A number in `[0, 1)` from the operating system's random source, to spread a pause (`0.5`,
/// no spread, if the source fails).
pub fn jitter() -> f64 {
    getrandom::u32().map_or(0.5, |n| f64::from(n) / (f64::from(u32::MAX) + 1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn about_a_day_of_retries_then_none() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.attempts(), 8);
        let total: f64 = (1..schedule.attempts())
            .map(|n| schedule.pause_after(n, 0.5).unwrap().as_secs_f64())
            .sum();
        assert!((24.0 * 3600.0..30.0 * 3600.0).contains(&total), "{total}");
        assert_eq!(schedule.pause_after(8, 0.5), None);
        assert_eq!(schedule.pause_after(0, 0.5), None);
    }

    #[test]
    fn jitter_spreads_each_pause_by_a_fifth() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.pause_after(2, 0.0), Some(Duration::from_secs(240)));
        assert_eq!(schedule.pause_after(2, 1.0), Some(Duration::from_secs(360)));
    }

    #[test]
    fn the_schedule_is_a_setting() {
        let local = RetrySchedule::parse("1, 2,3").unwrap();
        assert_eq!(local.attempts(), 4);
        let eleven = ["1"; 11].join(",");
        for bad in ["", "0", "5,x", "50000", eleven.as_str()] {
            assert!(RetrySchedule::parse(bad).is_none(), "{bad}");
        }
    }
}
