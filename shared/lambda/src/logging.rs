//! Logging: one line per event on stdout, which Lambda sends to CloudWatch Logs.
//!
//! In JSON (what the template asks for), each line is flat and carries the keys a user of
//! Powertools for AWS Lambda looks for: `level`, `message`, `timestamp`, `service`,
//! `function_name`, `cold_start`, `function_request_id` and `xray_trace_id` (from the span
//! `lambda_runtime` opens around every invocation), then the event's own fields.

use std::fmt;
use std::sync::OnceLock;

use serde_json::{Map, Value};
use tracing::level_filters::LevelFilter;
use tracing::{Event, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt::format::{JsonFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::Layer;

use crate::Settings;

/// The service every function logs and measures under, unless `POWERTOOLS_SERVICE_NAME` names
/// another.
pub const SERVICE: &str = "support-tickets";

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
        let format = FlatJson {
            service: env("POWERTOOLS_SERVICE_NAME").unwrap_or(SERVICE).to_owned(),
            function_name: env("AWS_LAMBDA_FUNCTION_NAME")
                .unwrap_or_default()
                .to_owned(),
        };
        lines
            .fmt_fields(JsonFields::new())
            .event_format(format)
            .with_filter(filter)
            .boxed()
    } else {
        lines.with_filter(filter).boxed()
    };
    // With active tracing, each AWS call becomes an X-Ray subsegment (see `xray`).
    let xray = env("AWS_XRAY_DAEMON_ADDRESS")
        .and_then(|address| crate::xray::XrayLayer::new(address).ok())
        .map(|layer| layer.with_filter(crate::xray::targets()));
    // A second call (tests start several handlers in one process) keeps the first set-up.
    let _ = tracing_subscriber::registry()
        .with(lines)
        .with(xray)
        .try_init();
}

/// One flat JSON object per event (see the module's documentation).
struct FlatJson {
    service: String,
    function_name: String,
}

/// The first invocation's request id: that invocation, and only it, is the cold start.
static FIRST_REQUEST: OnceLock<String> = OnceLock::new();

impl<S, N> FormatEvent<S, N> for FlatJson
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut record = Map::new();
        record.insert("level".into(), event.metadata().level().as_str().into());
        let mut fields = Map::new();
        event.record(&mut FieldVisitor(&mut fields));
        record.insert(
            "message".into(),
            fields.remove("message").unwrap_or(Value::from("")),
        );
        record.insert("timestamp".into(), now_rfc3339().into());
        record.insert("service".into(), self.service.as_str().into());
        if !self.function_name.is_empty() {
            record.insert("function_name".into(), self.function_name.as_str().into());
        }
        // The invocation's span (and any inside it): its fields, as JSON text.
        let mut span_fields = Map::new();
        if let Some(scope) = ctx.event_scope() {
            for span in scope.from_root() {
                if let Some(formatted) = span.extensions().get::<FormattedFields<N>>() {
                    if let Ok(Value::Object(map)) = serde_json::from_str(formatted.as_str()) {
                        span_fields.extend(map);
                    }
                }
            }
        }
        if let Some(Value::String(request_id)) = span_fields.remove("requestId") {
            let first = FIRST_REQUEST.get_or_init(|| request_id.clone());
            record.insert("cold_start".into(), (*first == request_id).into());
            record.insert("function_request_id".into(), request_id.into());
        }
        if let Some(trace) = span_fields.remove("xrayTraceId") {
            record.insert("xray_trace_id".into(), trace);
        }
        for (name, value) in span_fields.into_iter().chain(fields) {
            record.entry(name).or_insert(value);
        }
        let line = serde_json::to_string(&record).map_err(|_| fmt::Error)?;
        writeln!(writer, "{line}")
    }
}

/// An event's fields as JSON values.
struct FieldVisitor<'a>(&'a mut Map<String, Value>);

impl tracing::field::Visit for FieldVisitor<'_> {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }
}

/// `2026-11-30T10:00:00.123Z`, from the system clock.
fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
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

    /// What the formatter writes for events inside two invocations' spans.
    fn lines_of(log: impl FnOnce()) -> Vec<Value> {
        use std::sync::{Arc, Mutex};
        let buffer = Arc::new(Mutex::new(Vec::<u8>::new()));
        let sink = buffer.clone();
        let layer = tracing_subscriber::fmt::layer()
            .fmt_fields(JsonFields::new())
            .event_format(FlatJson {
                service: "support-tickets".into(),
                function_name: "get-ticket".into(),
            })
            .with_writer(move || SharedBuffer(sink.clone()));
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, log);
        let text = String::from_utf8(buffer.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    struct SharedBuffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for SharedBuffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn json_lines_carry_the_powertools_keys_and_only_the_first_invocation_is_cold() {
        let lines = lines_of(|| {
            for (request, trace) in [("req-1", "Root=1-a"), ("req-2", "Root=1-b")] {
                let span = tracing::info_span!(
                    "Lambda runtime invoke",
                    requestId = request,
                    xrayTraceId = trace
                );
                let _entered = span.enter();
                tracing::warn!(status = 503u64, "storage unavailable");
            }
            tracing::info!("outside any invocation");
        });
        assert_eq!(lines.len(), 3);
        let first = &lines[0];
        assert_eq!(first["level"], "WARN");
        assert_eq!(first["message"], "storage unavailable");
        assert_eq!(first["service"], "support-tickets");
        assert_eq!(first["function_name"], "get-ticket");
        assert_eq!(first["function_request_id"], "req-1");
        assert_eq!(first["xray_trace_id"], "Root=1-a");
        assert_eq!(first["cold_start"], true);
        assert_eq!(first["status"], 503);
        assert!(first["timestamp"].as_str().unwrap().ends_with('Z'));
        assert_eq!(lines[1]["cold_start"], false);
        assert_eq!(lines[1]["function_request_id"], "req-2");
        assert!(lines[2].get("function_request_id").is_none());
    }

    #[test]
    fn timestamps_are_utc_with_milliseconds() {
        assert!(now_rfc3339().ends_with('Z'));
        assert_eq!(now_rfc3339().len(), "2026-11-30T10:00:00.123Z".len());
    }

    #[test]
    fn lambda_levels_map_to_tracing_levels() {
        assert_eq!(lambda_level("DEBUG"), LevelFilter::DEBUG);
        assert_eq!(lambda_level("warn"), LevelFilter::WARN);
        assert_eq!(lambda_level("FATAL"), LevelFilter::ERROR);
        assert_eq!(lambda_level("loud"), LevelFilter::INFO);
    }
}
