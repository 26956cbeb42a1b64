//! Logging: one line per event on stdout, which Lambda sends to CloudWatch Logs.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::Settings;

/// Sets up logging as Lambda's advanced logging controls ask: JSON lines when
/// `AWS_LAMBDA_LOG_FORMAT` is `JSON`, at the level of `AWS_LAMBDA_LOG_LEVEL`, else of `RUST_LOG`
/// (a level, or `target=level` directives), else `INFO`. Each line carries the invocation's
/// span (`requestId`), which `lambda_runtime` opens around every invocation.
///
/// The filter is a plain list of targets and levels: the same settings as
/// `lambda_runtime::tracing::init_default_subscriber` in practice, without the regex engine that
/// its `EnvFilter` links into every binary (about 0.2 MB).
pub fn init_logging(settings: &Settings) {
    let env = |name: &str| settings.get(name);
    let filter = match env("AWS_LAMBDA_LOG_LEVEL") {
        Some(level) => Targets::new().with_default(lambda_level(level)),
        None => env("RUST_LOG")
            .and_then(|directives| directives.parse().ok())
            .unwrap_or_else(|| Targets::new().with_default(LevelFilter::INFO)),
    };
    let json = env("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json"));
    let lines = tracing_subscriber::fmt::layer()
        .with_target(false)
        .without_time()
        .with_ansi(false);
    let lines = if json {
        lines.json().with_filter(filter).boxed()
    } else {
        lines.with_filter(filter).boxed()
    };
    // A second call (tests start several handlers in one process) keeps the first set-up.
    let _ = tracing_subscriber::registry().with(lines).try_init();
}

/// Lambda's log levels: TRACE, DEBUG, INFO, WARN, ERROR, FATAL (logged as ERROR).
fn lambda_level(level: &str) -> LevelFilter {
    match level.trim().to_ascii_uppercase().as_str() {
        "FATAL" => LevelFilter::ERROR,
        other => other.parse().unwrap_or(LevelFilter::INFO),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lambda_levels_map_to_tracing_levels() {
        assert_eq!(lambda_level("DEBUG"), LevelFilter::DEBUG);
        assert_eq!(lambda_level("warn"), LevelFilter::WARN);
        assert_eq!(lambda_level("FATAL"), LevelFilter::ERROR);
        assert_eq!(lambda_level("loud"), LevelFilter::INFO);
    }
}
