//! SQS → e-mail (docs/DESIGN.md, E-mail). Two kinds of message arrive on the notification
//! queue, copied there by EventBridge rules:
//!
//! - a ticket event (`SupportTicket.Created`, `.MessageAdded`, `.Resolved`, `.Closed`): the
//!   domain's one rule (`notify`) says who is told what; each notice goes to the person's
//!   address (known from their token or their mail), unless they switched notifications off
//!   or the address bounced or complained, as raw MIME through SES;
//! - SES's feedback through the configuration set (`Email Bounced` permanently, `Email
//!   Complaint Received`): the address is suppressed, with the reason.
//!
//! At most one e-mail per event and recipient: the notice is claimed (an item written only if
//! absent) before sending, and a redelivered event finds it claimed. SES takes no idempotency
//! token, so a crash between sending and recording cannot be told from a crash before sending:
//! the claim makes that rare case a lost notice rather than a duplicate (the ticket itself is
//! always there to read; a customer mailed twice learns to distrust the desk's mail). A send
//! that fails for now releases the claim and reports the message failed (the queue brings it
//! back); one SES refuses for good is recorded on the ticket's history, and the message is
//! reported failed alone. Every message of a batch is handled on its own.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent, SqsMessage};
use futures_util::future::join_all;
use lambda_runtime::{Error, LambdaEvent};
use serde_json::{json, Value};
use tickets_domain::history::{AuditEntry, DomainEvent};
use tickets_domain::mail::MailKey;
use tickets_domain::model::SYSTEM;
use tickets_domain::notify::{notifications, NotifySettings, Recipient, Telling};
use tickets_domain::store::{
    ContactStore, HistoryStore, MailSender, MailStore, SendFailure, TicketReader,
};
use tickets_domain::webhook::delivery::BusEvent;
use tickets_domain::{MessageType, StoreError, TicketSummary, Timestamp};
use tickets_lambda::metrics::{self, Metric};
use tickets_mail::{Notice, Outgoing};

/// The agents' shared address, as a recipient.
const RECIPIENT_AGENTS: &str = "agents";

/// The desk's side of its mail.
#[derive(Clone, Debug)]
pub struct Outbound {
    pub key: MailKey,
    /// The desk's address (`DESK_ADDRESS`): the sender, and the base of reply addresses.
    pub desk: String,
    pub desk_name: String,
    /// Where the API is reached (`PUBLIC_URL`): the ticket link and the unsubscribe link.
    pub public_url: String,
    /// The agents' shared address (`NOTIFY_AGENTS_ADDRESS`), if the desk has one.
    pub agents: Option<String>,
}

impl Outbound {
    /// `support+<token>@domain` for the ticket and the recipient (a person's id, or `agents`).
    fn reply_address(&self, ticket_id: &str, recipient: &str) -> String {
        let (local, domain) = self.desk.split_once('@').unwrap_or((&self.desk, ""));
        format!(
            "{local}+{}@{domain}",
            self.key.reply_token(ticket_id, recipient)
        )
    }

    fn domain(&self) -> &str {
        self.desk.split_once('@').map_or("", |(_, domain)| domain)
    }

    fn settings(&self) -> NotifySettings {
        NotifySettings {
            unassigned_to_agents: self.agents.is_some(),
        }
    }
}

pub struct Deps<S, M> {
    pub store: S,
    pub sender: M,
    pub outbound: Outbound,
}

/// Every port the function uses.
pub trait Store: TicketReader + ContactStore + MailStore + HistoryStore {}
impl<T> Store for T where T: TicketReader + ContactStore + MailStore + HistoryStore {}

/// Why a message is reported failed.
#[derive(Debug)]
struct Failed;

pub async fn handle<S, M>(
    deps: &Deps<S, M>,
    event: LambdaEvent<SqsEvent>,
) -> Result<SqsBatchResponse, Error>
where
    S: Store,
    M: MailSender,
{
    let messages = event.payload.records;
    let outcomes = join_all(messages.iter().map(|message| deps.handle_message(message))).await;
    Ok(tickets_lambda::batch_response(
        &messages,
        outcomes.iter().map(Result::is_ok),
    ))
}

/// What became of one notice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    Sent,
    /// Not sent, and rightly so (the reason).
    Skipped(&'static str),
}

impl<S: Store, M: MailSender> Deps<S, M> {
    async fn handle_message(&self, message: &SqsMessage) -> Result<(), Failed> {
        let body: Option<Value> = message
            .body
            .as_deref()
            .and_then(|body| serde_json::from_str(body).ok());
        let Some(body) = body else {
            // Nothing to retry: it will never parse.
            tracing::warn!("notification queue message that is not JSON: dropped");
            return Ok(());
        };
        if body.get("source").and_then(Value::as_str) == Some("aws.ses") {
            return self.feedback(&body).await.map_err(|err| {
                tracing::warn!(error = %err, "SES feedback not recorded");
                Failed
            });
        }
        let Ok(event) = serde_json::from_value::<BusEvent>(body) else {
            tracing::warn!("notification queue message of an unknown shape: dropped");
            return Ok(());
        };
        self.notify(&event).await
    }

    /// A permanent bounce or a complaint suppresses the addresses it names.
    async fn feedback(&self, body: &Value) -> Result<(), StoreError> {
        let detail = &body["detail"];
        let (reason, recipients) = match body["detail-type"].as_str() {
            Some("Email Bounced") if detail["bounce"]["bounceType"] == "Permanent" => {
                ("bounce", &detail["bounce"]["bouncedRecipients"])
            }
            Some("Email Complaint Received") => {
                ("complaint", &detail["complaint"]["complainedRecipients"])
            }
            _ => return Ok(()),
        };
        let now = Timestamp::now();
        for recipient in recipients.as_array().into_iter().flatten() {
            if let Some(address) = recipient["emailAddress"].as_str() {
                self.store.suppress(address, reason, now).await?;
                tracing::info!(reason, "an address was suppressed");
            }
        }
        Ok(())
    }

    /// Every notice a ticket event asks for; the message fails if one of them must be retried.
    async fn notify(&self, event: &BusEvent) -> Result<(), Failed> {
        let domain_event = DomainEvent {
            detail_type: event.detail_type.clone(),
            detail: event.detail.clone(),
        };
        let Some(ticket_id) = event.detail["ticketId"].as_str() else {
            return Ok(());
        };
        let ticket = match self.store.get_summary(ticket_id).await {
            Ok(Some(ticket)) => ticket,
            // Erased meanwhile: nobody is told of a ticket that is gone.
            Ok(None) => return Ok(()),
            Err(err) => {
                tracing::warn!(error = %err, "ticket not read");
                return Err(Failed);
            }
        };
        let wanted = notifications(
            &domain_event,
            ticket.assigned_to.as_deref(),
            self.outbound.settings(),
        );
        let mut failed = false;
        for notification in wanted {
            match self
                .send(
                    &event.id,
                    &ticket,
                    &notification.recipient,
                    &notification.telling,
                )
                .await
            {
                Ok(Sent::Sent) => metrics::count(Metric::MailSent, 1),
                Ok(Sent::Skipped(reason)) => {
                    tracing::info!(event = %event.id, reason, "notice not sent")
                }
                Err(err) => {
                    tracing::warn!(event = %event.id, error = %err, "notice not sent");
                    failed = true;
                }
            }
        }
        if failed {
            Err(Failed)
        } else {
            Ok(())
        }
    }

    async fn send(
        &self,
        event_id: &str,
        ticket: &TicketSummary,
        recipient: &Recipient,
        telling: &Telling,
    ) -> Result<Sent, Error> {
        let (address, recipient_key, principal) = match recipient {
            Recipient::Person(id) => match self.store.contact_of(id).await? {
                Some(contact) if contact.notifications => {
                    (contact.address, format!("person:{id}"), Some(id.as_str()))
                }
                Some(_) => return Ok(Sent::Skipped("switched_off")),
                None => return Ok(Sent::Skipped("no_address")),
            },
            Recipient::Agents => match &self.outbound.agents {
                Some(address) => (address.clone(), RECIPIENT_AGENTS.to_owned(), None),
                None => return Ok(Sent::Skipped("no_agents_address")),
            },
        };
        if self.store.is_suppressed(&address).await? {
            return Ok(Sent::Skipped("suppressed"));
        }
        let Some(notice) = self.notice(ticket, telling).await? else {
            return Ok(Sent::Skipped("nothing_to_tell"));
        };
        if !self
            .store
            .claim_notice(event_id, &recipient_key, Timestamp::now())
            .await?
        {
            return Ok(Sent::Skipped("sent_before"));
        }
        let outgoing = self.outgoing(
            event_id,
            ticket,
            &address,
            &recipient_key,
            principal,
            notice,
        );
        match self.sender.send_raw(&address, outgoing.to_mime()).await {
            Ok(sent_id) => {
                self.store
                    .record_sent(event_id, &recipient_key, &ticket.id, &sent_id)
                    .await?;
                Ok(Sent::Sent)
            }
            Err(SendFailure::Transient(detail)) => {
                // Not sent: the claim goes, so that the queue's next delivery sends it.
                self.store.release_notice(event_id, &recipient_key).await?;
                Err(SendFailure::Transient(detail).into())
            }
            Err(SendFailure::Permanent(detail)) => {
                metrics::count(Metric::MailFailed, 1);
                self.record_failure(event_id, ticket, &recipient_key)
                    .await?;
                Err(SendFailure::Permanent(detail).into())
            }
        }
    }

    /// What the notice says; `None` when there is nothing to say (a message gone, or one the
    /// recipient may not read: the rule never asks for an internal note, and this holds too).
    async fn notice(
        &self,
        ticket: &TicketSummary,
        telling: &Telling,
    ) -> Result<Option<Notice>, StoreError> {
        Ok(Some(match telling {
            Telling::Message(id) => {
                let Some(message) = self.store.thread_message(&ticket.id, id).await? else {
                    return Ok(None);
                };
                // A ticket's first message is its description, which the receipt and the
                // new-ticket notice tell (it is stored beside the description, without text).
                if message.internal || message.message.trim().is_empty() {
                    return Ok(None);
                }
                let author = match message.kind {
                    MessageType::Agent => self.outbound.desk_name.clone(),
                    _ => "The customer".to_owned(),
                };
                Notice::Message {
                    author,
                    text: message.message,
                }
            }
            Telling::Resolved => Notice::Resolved {
                resolution: ticket.resolution.clone(),
            },
            Telling::Closed => Notice::Closed,
            Telling::Acknowledged => Notice::Acknowledged,
            Telling::Opened => Notice::Opened {
                client: "A customer".to_owned(),
                description: ticket.title.clone(),
            },
        }))
    }

    fn outgoing(
        &self,
        event_id: &str,
        ticket: &TicketSummary,
        address: &str,
        recipient_key: &str,
        principal: Option<&str>,
        notice: Notice,
    ) -> Outgoing {
        let outbound = &self.outbound;
        let base = outbound.public_url.trim_end_matches('/');
        // A person switches their own notices off; the agents' shared address is the desk's
        // setting, with no link to stop it.
        let unsubscribe_url = principal.map(|principal| {
            format!(
                "{base}/v2/unsubscribe?token={}",
                outbound.key.unsubscribe_token(principal)
            )
        });
        let domain = outbound.domain();
        let recipient_tag: String = recipient_key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        Outgoing {
            from: (outbound.desk_name.clone(), outbound.desk.clone()),
            to: address.to_owned(),
            reply_to: outbound.reply_address(&ticket.id, principal.unwrap_or(RECIPIENT_AGENTS)),
            reference: ticket.id.clone(),
            title: ticket.title.clone(),
            notice,
            ticket_url: format!("{base}/v2/support-tickets/{}", ticket.id),
            unsubscribe_url,
            // Every notice of a ticket threads under one root, in any mail client.
            thread: vec![format!(
                "ticket-{}@{domain}",
                ticket.id.to_ascii_lowercase()
            )],
            message_id: format!("{event_id}.{recipient_tag}@{domain}"),
        }
    }

    /// A notice SES refused for good, on the ticket's history (who, not the address).
    async fn record_failure(
        &self,
        event_id: &str,
        ticket: &TicketSummary,
        recipient_key: &str,
    ) -> Result<(), StoreError> {
        let now = Timestamp::now();
        let entry = AuditEntry {
            ticket_id: ticket.id.clone(),
            version: ticket.version,
            field: "notification".into(),
            old: Value::Null,
            new: json!({"to": recipient_key, "failed": "refused by the mail service"}),
            by: Some(SYSTEM.to_owned()),
            at: now,
        };
        self.store
            .record_change(&format!("notice:{event_id}:{recipient_key}"), &[entry], now)
            .await
    }
}

/// The desk's choices from the function's settings.
pub fn settings(
    settings: &tickets_lambda::Settings,
) -> Result<Outbound, tickets_lambda::SettingError> {
    use tickets_lambda::SettingError;
    let key = MailKey::new(settings.required("MAIL_SIGNING_KEY")?)
        .map_err(|reason| SettingError::new("MAIL_SIGNING_KEY", reason))?;
    let desk = tickets_domain::mail::desk_address(settings.required("DESK_ADDRESS")?)
        .map_err(|problem| SettingError::new("DESK_ADDRESS", problem))?;
    Ok(Outbound {
        key,
        desk,
        desk_name: settings.get("DESK_NAME").unwrap_or("Support").to_owned(),
        public_url: settings.required("PUBLIC_URL")?.to_owned(),
        agents: settings
            .get("NOTIFY_AGENTS_ADDRESS")
            .map(str::trim)
            .filter(|address| address.contains('@'))
            .map(str::to_owned),
    })
}
