//! SES adapter for the domain's `MailSender` port: one raw MIME message per call, through SES
//! v2 (`SendEmail` with `Content.Raw`: the message goes out as built, with its text and HTML
//! parts, `Reply-To` and the headers the desk sets). Throttling is retried by the SDK with
//! backoff (more attempts than the other clients); what still fails is `Transient`, for the
//! queue to bring back later. A refusal of the message itself is `Permanent`.

use aws_sdk_sesv2::config::retry::RetryConfig;
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::primitives::Blob;
use aws_sdk_sesv2::types::{Destination, EmailContent, RawMessage};
use aws_sdk_sesv2::Client;
use tickets_domain::store::{MailSender, SendFailure};
use tickets_lambda::{SettingError, Settings};

/// Attempts per message (SES answers a burst over the sending rate with throttling errors).
const ATTEMPTS: u32 = 6;

/// SES's answers that say this message will never go (the others may pass later).
const REFUSALS: &[&str] = &[
    "MessageRejected",
    "BadRequestException",
    "MailFromDomainNotVerifiedException",
];

#[derive(Clone, Debug)]
pub struct SesSender {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesSender {
    pub fn new(client: Client, from: impl Into<String>, configuration_set: Option<String>) -> Self {
        Self {
            client,
            from: from.into(),
            configuration_set,
        }
    }

    /// From the function's shared AWS configuration: the desk's address (`DESK_ADDRESS`) as the
    /// envelope sender, the configuration set (`SES_CONFIGURATION_SET`, optional) whose event
    /// destination reports bounces and complaints.
    pub fn from_config(
        shared: &aws_config::SdkConfig,
        settings: &Settings,
    ) -> Result<Self, SettingError> {
        let config = aws_sdk_sesv2::config::Builder::from(shared)
            .retry_config(RetryConfig::standard().with_max_attempts(ATTEMPTS))
            .build();
        Ok(Self::new(
            Client::from_conf(config),
            settings.required("DESK_ADDRESS")?,
            settings.get("SES_CONFIGURATION_SET").map(str::to_owned),
        ))
    }
}

impl MailSender for SesSender {
    async fn send_raw(&self, to: &str, raw: Vec<u8>) -> Result<String, SendFailure> {
        let message = RawMessage::builder()
            .data(Blob::new(raw))
            .build()
            .map_err(|e| SendFailure::Permanent(format!("raw message: {e}")))?;
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().raw(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await;
        match sent {
            Ok(output) => Ok(output.message_id().unwrap_or_default().to_owned()),
            Err(err) => {
                let code = err.as_service_error().and_then(|e| e.code()).unwrap_or("");
                let refused = REFUSALS.contains(&code);
                // Only SES's error code is kept: its message may name the recipient, and an
                // address never reaches a log line. Anything but a refusal (throttling after
                // the retries, a timeout, an account paused) may pass later: the queue brings
                // the message back.
                let code = if code.is_empty() { "unavailable" } else { code };
                if refused {
                    Err(SendFailure::Permanent(code.to_owned()))
                } else {
                    Err(SendFailure::Transient(code.to_owned()))
                }
            }
        }
    }
}
