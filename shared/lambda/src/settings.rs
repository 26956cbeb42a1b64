//! The one place that reads the process environment. A function's `main` builds one
//! [`Settings`] at init and hands each client and rule what it needs from it; a variable that
//! is missing or malformed fails init with the variable's name. Nothing else reads the
//! environment: clippy's `disallowed-methods` (clippy.toml) refuses `std::env::var*` everywhere
//! but here.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

/// A variable of the environment is missing or malformed.
#[derive(Debug, thiserror::Error)]
#[error("{name} {problem}")]
pub struct SettingError {
    name: String,
    problem: String,
}

impl SettingError {
    pub fn new(name: &str, problem: impl Into<String>) -> Self {
        Self {
            name: name.to_string(),
            problem: problem.into(),
        }
    }

    /// The variable at fault.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// The environment a function was started with, read once.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    vars: BTreeMap<String, String>,
}

/// How long one storage request may take when `STORAGE_ATTEMPT_TIMEOUT_SECONDS` is not set:
/// well within a function's own timeout, so that a hung connection becomes a retry and a
/// storage that stays away a 503, never a Lambda timeout.
pub const STORAGE_ATTEMPT_TIMEOUT: Duration = Duration::from_secs(2);

impl Settings {
    /// The process environment (variables that are not valid UTF-8 are left out).
    #[allow(clippy::disallowed_methods)] // the one module allowed to read it
    pub fn from_env() -> Self {
        Self::from_pairs(std::env::vars_os().filter_map(|(name, value)| {
            Some((name.into_string().ok()?, value.into_string().ok()?))
        }))
    }

    /// Settings from the given variables only (tests, tools).
    pub fn from_pairs<K: Into<String>, V: Into<String>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Self {
        Self {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A variable's value; a blank value counts as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.vars
            .get(name)
            .map(String::as_str)
            .filter(|value| !value.trim().is_empty())
    }

    /// A variable that must be set.
    pub fn required(&self, name: &str) -> Result<&str, SettingError> {
        self.get(name)
            .ok_or_else(|| SettingError::new(name, "is not set"))
    }

    /// A variable parsed as `T`, or `default` when unset; `what` describes a valid value for
    /// the error (e.g. "a whole number of days").
    pub fn parsed<T: FromStr>(
        &self,
        name: &str,
        default: T,
        what: &str,
    ) -> Result<T, SettingError> {
        match self.get(name) {
            None => Ok(default),
            Some(value) => value
                .trim()
                .parse()
                .map_err(|_| SettingError::new(name, format!("must be {what}"))),
        }
    }

    /// Whether a variable is set to `true`.
    pub fn is_true(&self, name: &str) -> bool {
        self.get(name).is_some_and(|value| value.trim() == "true")
    }

    /// `STORAGE_ATTEMPT_TIMEOUT_SECONDS`: how long one DynamoDB or S3 request may take. The
    /// local stack raises it for its one-process server; in AWS it stays unset.
    pub fn storage_attempt_timeout(&self) -> Result<Duration, SettingError> {
        const NAME: &str = "STORAGE_ATTEMPT_TIMEOUT_SECONDS";
        let seconds: u64 = self.parsed(
            NAME,
            STORAGE_ATTEMPT_TIMEOUT.as_secs(),
            "a positive whole number of seconds",
        )?;
        if seconds == 0 {
            return Err(SettingError::new(
                NAME,
                "must be a positive whole number of seconds",
            ));
        }
        Ok(Duration::from_secs(seconds))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Settings {
        Settings::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn unset_and_blank_are_the_same_and_required_names_the_variable() {
        let s = settings(&[("TABLE_NAME", "tickets"), ("BUCKET_NAME", "  ")]);
        assert_eq!(s.required("TABLE_NAME").unwrap(), "tickets");
        let err = s.required("BUCKET_NAME").unwrap_err();
        assert_eq!(err.name(), "BUCKET_NAME");
        assert_eq!(err.to_string(), "BUCKET_NAME is not set");
        assert!(s.get("EVENT_BUS_NAME").is_none());
    }

    #[test]
    fn parsed_values_default_when_unset_and_name_the_variable_when_malformed() {
        let s = settings(&[("DAYS", " 7 "), ("BAD", "seven")]);
        assert_eq!(s.parsed("DAYS", 4u32, "days").unwrap(), 7);
        assert_eq!(s.parsed("UNSET", 4u32, "days").unwrap(), 4);
        let err = s.parsed("BAD", 4u32, "a whole number of days").unwrap_err();
        assert_eq!(err.to_string(), "BAD must be a whole number of days");
    }

    #[test]
    fn the_storage_timeout_defaults_to_two_seconds_and_refuses_zero() {
        assert_eq!(
            settings(&[]).storage_attempt_timeout().unwrap(),
            STORAGE_ATTEMPT_TIMEOUT
        );
        let slow = settings(&[("STORAGE_ATTEMPT_TIMEOUT_SECONDS", "10")]);
        assert_eq!(
            slow.storage_attempt_timeout().unwrap(),
            Duration::from_secs(10)
        );
        assert!(settings(&[("STORAGE_ATTEMPT_TIMEOUT_SECONDS", "0")])
            .storage_attempt_timeout()
            .is_err());
        assert!(settings(&[("S3_FORCE_PATH_STYLE", "true")]).is_true("S3_FORCE_PATH_STYLE"));
    }
}
