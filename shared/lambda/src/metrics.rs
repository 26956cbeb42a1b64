//! Business metrics in CloudWatch's embedded metric format (EMF): one JSON line on stdout per
//! data point, which CloudWatch Logs turns into a metric (namespace `SupportTickets`, dimension
//! `service`). No API call, nothing to wait for, nothing to fail.

use std::io::Write;
use std::sync::OnceLock;

use serde_json::json;

/// The namespace every metric goes to.
pub const NAMESPACE: &str = "SupportTickets";

static SERVICE: OnceLock<String> = OnceLock::new();

/// What the service counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    TicketsCreated,
    MessagesPosted,
    AttachmentsRejected,
    EventsPublished,
    /// Inbound e-mail: tickets opened, replies taken, messages refused.
    MailTickets,
    MailReplies,
    MailRefused,
    /// Notifications sent, and those not sent for good (refused by SES).
    MailSent,
    MailFailed,
    /// Requests answered 5xx and event records given up on.
    Failures,
}

impl Metric {
    pub fn name(self) -> &'static str {
        match self {
            Metric::TicketsCreated => "TicketsCreated",
            Metric::MessagesPosted => "MessagesPosted",
            Metric::AttachmentsRejected => "AttachmentsRejected",
            Metric::EventsPublished => "EventsPublished",
            Metric::MailTickets => "MailTickets",
            Metric::MailReplies => "MailReplies",
            Metric::MailRefused => "MailRefused",
            Metric::MailSent => "MailSent",
            Metric::MailFailed => "MailFailed",
            Metric::Failures => "Failures",
        }
    }
}

/// Names the service the metrics are counted under (at init; the first call wins).
pub(crate) fn set_service(service: &str) {
    let _ = SERVICE.set(service.to_owned());
}

/// The EMF line for `value` of `metric`.
pub fn line(metric: Metric, value: u64) -> String {
    let service = SERVICE
        .get()
        .map_or(crate::logging::SERVICE, String::as_str);
    let millis = chrono::Utc::now().timestamp_millis();
    json!({
        "_aws": {
            "Timestamp": millis,
            "CloudWatchMetrics": [{
                "Namespace": NAMESPACE,
                "Dimensions": [["service"]],
                "Metrics": [{"Name": metric.name(), "Unit": "Count"}],
            }],
        },
        "service": service,
        metric.name(): value,
    })
    .to_string()
}

/// Counts `value` of `metric` (nothing when `value` is 0).
pub fn count(metric: Metric, value: u64) {
    if value == 0 {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", line(metric, value));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_data_point_is_one_emf_line() {
        let line: serde_json::Value =
            serde_json::from_str(&line(Metric::TicketsCreated, 2)).unwrap();
        let directive = &line["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], NAMESPACE);
        assert_eq!(directive["Dimensions"], json!([["service"]]));
        assert_eq!(directive["Metrics"][0]["Name"], "TicketsCreated");
        assert_eq!(line["TicketsCreated"], 2);
        assert!(line["service"].is_string());
        assert!(line["_aws"]["Timestamp"].as_i64().unwrap() > 1_700_000_000_000);
    }
}
