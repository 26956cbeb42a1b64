//! The webhook settings a function reads at init.

use std::time::Duration;

use tickets_domain::webhook::{Reach, RetrySchedule};
use tickets_lambda::{SettingError, Settings};

/// `WEBHOOK_ALLOW_LOOPBACK=true` lets deliveries reach this machine (plain `http` too): the
/// local stack's receivers. Never set by `template.yaml` (a test checks it).
pub fn reach(settings: &Settings) -> Reach {
    Reach {
        loopback: settings.get("WEBHOOK_ALLOW_LOOPBACK") == Some("true"),
    }
}

/// `WEBHOOK_RETRY_SECONDS`: the pauses between attempts (Standard Webhooks' schedule when
/// unset; the local stack's is seconds long).
pub fn schedule(settings: &Settings) -> Result<RetrySchedule, SettingError> {
    match settings.get("WEBHOOK_RETRY_SECONDS") {
        None => Ok(RetrySchedule::default()),
        Some(text) => RetrySchedule::parse(text).ok_or_else(|| {
            SettingError::new(
                "WEBHOOK_RETRY_SECONDS",
                "must be whole seconds from 1 to 43200, comma-separated",
            )
        }),
    }
}

/// `WEBHOOK_TIMEOUT_SECONDS`: the longest one attempt may take (default 5, at most 15).
pub fn timeout(settings: &Settings) -> Result<Duration, SettingError> {
    match settings.get("WEBHOOK_TIMEOUT_SECONDS") {
        None => Ok(Duration::from_secs(5)),
        Some(text) => text
            .parse::<u64>()
            .ok()
            .filter(|seconds| (1..=15).contains(seconds))
            .map(Duration::from_secs)
            .ok_or_else(|| SettingError::new("WEBHOOK_TIMEOUT_SECONDS", "must be 1 to 15")),
    }
}
