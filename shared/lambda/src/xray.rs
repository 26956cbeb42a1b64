//! X-Ray subsegments for the AWS calls a function makes.
//!
//! With active tracing, Lambda records a segment per invocation and runs the X-Ray daemon beside
//! the function (`AWS_XRAY_DAEMON_ADDRESS`). The SDK opens a `tracing` span per operation
//! (`DynamoDB.GetItem`, with `rpc.service` and `rpc.method`); this layer times each one and sends
//! it to the daemon over UDP as a subsegment of the invocation's segment, whose trace header
//! (`Root=...;Parent=...;Sampled=1`) `lambda_runtime` puts on the invocation's span. Nothing is
//! sent for an invocation that is not sampled, and the layer is not installed where there is no
//! daemon (locally, in the tests).

use std::net::UdpSocket;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::Context;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;

/// What the layer needs to see: the SDK's operation spans (DEBUG) and the runtime's invocation
/// span (INFO). Everything else stays disabled for it.
pub(crate) fn targets() -> Targets {
    Targets::new()
        .with_target("aws_sdk_dynamodb", tracing::Level::DEBUG)
        .with_target("aws_sdk_s3", tracing::Level::DEBUG)
        .with_target("aws_sdk_eventbridge", tracing::Level::DEBUG)
        .with_target("lambda_runtime", tracing::Level::INFO)
}

pub(crate) struct XrayLayer {
    socket: UdpSocket,
    daemon: String,
}

impl XrayLayer {
    /// A layer sending to the daemon at `address` (`host:port`, as Lambda gives it).
    pub(crate) fn new(address: &str) -> std::io::Result<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0").or_else(|_| UdpSocket::bind("0.0.0.0:0"))?;
        socket.set_nonblocking(true)?;
        Ok(Self {
            socket,
            daemon: address.to_owned(),
        })
    }
}

/// An AWS call in progress.
struct Call {
    service: String,
    operation: String,
    start: f64,
}

/// The invocation's trace header.
struct TraceHeader(String);

#[derive(Default)]
struct Fields {
    service: Option<String>,
    operation: Option<String>,
    trace: Option<String>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        match field.name() {
            "rpc.service" => self.service = Some(value.to_owned()),
            "rpc.method" => self.operation = Some(value.to_owned()),
            "xrayTraceId" => self.trace = Some(value.to_owned()),
            _ => {}
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if matches!(field.name(), "rpc.service" | "rpc.method" | "xrayTraceId") {
            self.record_str(field, format!("{value:?}").trim_matches('"'));
        }
    }
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// `Root`, `Parent` and whether the trace is sampled, from `Root=1-...;Parent=...;Sampled=1`.
fn parse_header(header: &str) -> Option<(&str, &str)> {
    let (mut root, mut parent, mut sampled) = (None, None, false);
    for part in header.split(';') {
        match part.trim().split_once('=') {
            Some(("Root", value)) => root = Some(value),
            Some(("Parent", value)) => parent = Some(value),
            Some(("Sampled", value)) => sampled = value == "1",
            _ => {}
        }
    }
    sampled.then_some((root?, parent?))
}

/// A subsegment id: 16 hex digits.
fn new_id() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos() as u64);
    // Different for each call in the process, and hard to collide across processes.
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let count = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    format!(
        "{:016x}",
        nanos.rotate_left(17)
            ^ count.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            ^ u64::from(std::process::id())
    )
}

/// The daemon's datagram for one finished call.
pub(crate) fn datagram(
    header: &str,
    call_service: &str,
    operation: &str,
    start: f64,
    end: f64,
) -> Option<String> {
    let (root, parent) = parse_header(header)?;
    let document = json!({
        "name": call_service,
        "id": new_id(),
        "trace_id": root,
        "parent_id": parent,
        "type": "subsegment",
        "namespace": "aws",
        "start_time": start,
        "end_time": end,
        "aws": {"operation": operation},
    });
    Some(format!("{{\"format\":\"json\",\"version\":1}}\n{document}"))
}

impl<S> Layer<S> for XrayLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let Some(span) = ctx.span(id) else { return };
        let mut extensions = span.extensions_mut();
        if let (Some(service), Some(operation)) = (fields.service, fields.operation) {
            extensions.insert(Call {
                service,
                operation,
                start: now(),
            });
        } else if let Some(trace) = fields.trace {
            extensions.insert(TraceHeader(trace));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        let Some(call) = span.extensions_mut().remove::<Call>() else {
            return;
        };
        let header = span.scope().skip(1).find_map(|ancestor| {
            ancestor
                .extensions()
                .get::<TraceHeader>()
                .map(|h| h.0.clone())
        });
        let Some(header) = header else { return };
        if let Some(datagram) = datagram(&header, &call.service, &call.operation, call.start, now())
        {
            // Best effort, as X-Ray's own SDKs: a lost datagram loses a subsegment, nothing else.
            let _ = self.socket.send_to(datagram.as_bytes(), &self.daemon);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::layer::SubscriberExt;

    #[test]
    fn only_sampled_headers_with_a_parent_give_a_subsegment() {
        assert_eq!(
            parse_header(
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            ),
            Some(("1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8"))
        );
        assert_eq!(parse_header("Root=1-a;Parent=b;Sampled=0"), None);
        assert_eq!(parse_header("Root=1-a;Sampled=1"), None);
        assert_ne!(new_id(), new_id());
        assert_eq!(new_id().len(), 16);
    }

    #[test]
    fn each_aws_call_in_a_sampled_invocation_reaches_the_daemon_as_a_subsegment() {
        let daemon = UdpSocket::bind("127.0.0.1:0").unwrap();
        daemon
            .set_read_timeout(Some(std::time::Duration::from_secs(5)))
            .unwrap();
        let layer = XrayLayer::new(&daemon.local_addr().unwrap().to_string()).unwrap();
        let subscriber = tracing_subscriber::registry().with(layer.with_filter(targets()));
        tracing::subscriber::with_default(subscriber, || {
            let invocation = tracing::info_span!(
                target: "lambda_runtime::layers::trace",
                "Lambda runtime invoke",
                requestId = "req-1",
                xrayTraceId = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
            );
            let _entered = invocation.enter();
            let call = tracing::debug_span!(
                target: "aws_sdk_dynamodb::operation::get_item",
                "DynamoDB.GetItem",
                "rpc.service" = "DynamoDB",
                "rpc.method" = "GetItem"
            );
            drop(call.enter());
            drop(call);
            // A span of another crate is not a call.
            drop(
                tracing::debug_span!(target: "hyper", "connect", "rpc.service" = "x", "rpc.method" = "y"),
            );
        });
        let mut buffer = [0u8; 4096];
        let size = daemon.recv(&mut buffer).unwrap();
        let text = std::str::from_utf8(&buffer[..size]).unwrap();
        let (header, document) = text.split_once('\n').unwrap();
        assert_eq!(header, r#"{"format":"json","version":1}"#);
        let document: serde_json::Value = serde_json::from_str(document).unwrap();
        assert_eq!(document["name"], "DynamoDB");
        assert_eq!(document["aws"]["operation"], "GetItem");
        assert_eq!(document["trace_id"], "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(document["parent_id"], "53995c3f42cd8ad8");
        assert_eq!(document["namespace"], "aws");
        assert!(document["end_time"].as_f64() >= document["start_time"].as_f64());
        daemon
            .set_read_timeout(Some(std::time::Duration::from_millis(200)))
            .unwrap();
        assert!(
            daemon.recv(&mut buffer).is_err(),
            "one datagram, for the one call"
        );
    }
}
