//! Writing a notification e-mail: the text and HTML bodies from one template (every value
//! escaped in the HTML), a subject with the ticket's reference, and the headers that make it
//! behave: `Reply-To` the ticket's reply address, `Auto-Submitted: auto-generated` (other
//! systems do not answer it; RFC 3834), `List-Unsubscribe` with its one-click `POST` form
//! (RFC 8058: the link itself changes nothing on a plain `GET`), and `In-Reply-To` /
//! `References` so that the recipient's client threads it. The result is the raw MIME message
//! SES sends as it is (`Content.Raw`).

use mail_builder::headers::raw::Raw;
use mail_builder::headers::url::URL;
use mail_builder::MessageBuilder;

use crate::reply::REPLY_MARKER;

/// What a notification says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Someone wrote in the thread (an agent to the client, or the client to the agent).
    Message {
        author: String,
        text: String,
    },
    /// The ticket was resolved, with the resolution.
    Resolved {
        resolution: Option<String>,
    },
    Closed,
    /// A ticket was opened (to the agents), with its description.
    Opened {
        client: String,
        description: String,
    },
    /// A new ticket's receipt: its reference, to its client.
    Acknowledged,
}

/// One e-mail to one person.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outgoing {
    /// The desk's sending address and display name.
    pub from: (String, String),
    pub to: String,
    /// The ticket's reply address (`support+<token>@domain`).
    pub reply_to: String,
    /// The ticket's reference, shown in the subject (`[#<reference>]`).
    pub reference: String,
    pub title: String,
    pub notice: Notice,
    /// Where the ticket is read, and the signed link that switches notifications off.
    pub ticket_url: String,
    /// `None` for a shared address, which nobody can switch off by a link (the desk's setting).
    pub unsubscribe_url: Option<String>,
    /// The ids of the messages before this one (threading); without angle brackets.
    pub thread: Vec<String>,
    /// This message's own id (SES replaces it; what it answers is stored instead).
    pub message_id: String,
}

impl Outgoing {
    pub fn subject(&self) -> String {
        let title = self.title.replace(['\r', '\n'], " ");
        match &self.notice {
            Notice::Resolved { .. } => format!("[#{}] Resolved: {title}", self.reference),
            Notice::Closed => format!("[#{}] Closed: {title}", self.reference),
            Notice::Opened { .. } => format!("[#{}] New ticket: {title}", self.reference),
            Notice::Acknowledged => format!("[#{}] Received: {title}", self.reference),
            Notice::Message { .. } => format!("Re: [#{}] {title}", self.reference),
        }
    }

    /// The body's paragraphs: (a heading line, the text), the same for both bodies.
    fn paragraphs(&self) -> (String, String) {
        match &self.notice {
            Notice::Message { author, text } => (format!("{author} wrote:"), text.clone()),
            Notice::Resolved { resolution } => (
                "Your ticket was resolved.".into(),
                resolution
                    .clone()
                    .unwrap_or_else(|| "Reply to this e-mail if anything is left to do.".into()),
            ),
            Notice::Closed => (
                "Your ticket was closed.".into(),
                "A reply to this e-mail opens a new ticket.".into(),
            ),
            Notice::Opened {
                client,
                description,
            } => (format!("{client} opened a ticket:"), description.clone()),
            Notice::Acknowledged => (
                "We received your request and opened a ticket.".into(),
                "Reply to this e-mail to add to it.".into(),
            ),
        }
    }

    pub fn text_body(&self) -> String {
        let (heading, text) = self.paragraphs();
        let unsubscribe = self
            .unsubscribe_url
            .as_ref()
            .map_or_else(String::new, |url| format!("Stop these e-mails: {url}\n"));
        format!(
            "## {marker} ##\n\n{heading}\n\n{text}\n\n--\nTicket #{reference}: {url}\n{unsubscribe}",
            marker = capitalised(REPLY_MARKER),
            reference = self.reference,
            url = self.ticket_url,
        )
    }

    pub fn html_body(&self) -> String {
        let (heading, text) = self.paragraphs();
        let paragraphs: String = text
            .split("\n\n")
            .map(|paragraph| format!("<p>{}</p>", escape(paragraph).replace('\n', "<br>")))
            .collect();
        format!(
            "<!DOCTYPE html><html><body>\
             <p style=\"color:#888\">## {marker} ##</p>\
             <p><strong>{heading}</strong></p>{paragraphs}\
             <hr><p style=\"color:#888\">Ticket <a href=\"{url}\">#{reference}</a>{unsubscribe}</p></body></html>",
            marker = escape(&capitalised(REPLY_MARKER)),
            heading = escape(&heading),
            reference = escape(&self.reference),
            url = escape(&self.ticket_url),
            unsubscribe = self.unsubscribe_url.as_ref().map_or_else(String::new, |url| format!(
                " · <a href=\"{}\">Stop these e-mails</a>",
                escape(url)
            )),
        )
    }

    /// The raw MIME message.
    pub fn to_mime(&self) -> Vec<u8> {
        let mut builder = MessageBuilder::new()
            .from((self.from.0.as_str(), self.from.1.as_str()))
            .to(self.to.as_str())
            .reply_to(self.reply_to.as_str())
            .subject(self.subject())
            .message_id(self.message_id.as_str())
            .header("Auto-Submitted", Raw::new("auto-generated"))
            .text_body(self.text_body())
            .html_body(self.html_body());
        if let Some(url) = &self.unsubscribe_url {
            builder = builder
                .header("List-Unsubscribe", URL::new(url.as_str()))
                .header(
                    "List-Unsubscribe-Post",
                    Raw::new("List-Unsubscribe=One-Click"),
                );
        }
        if let Some(last) = self.thread.last() {
            builder = builder
                .in_reply_to(last.as_str())
                .references(self.thread.clone());
        }
        // Writing to memory does not fail.
        builder.write_to_vec().unwrap_or_default()
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Text as HTML: the five characters that mean something there, escaped.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use mail_parser::MessageParser;

    use super::*;

    fn answer(text: &str) -> Outgoing {
        Outgoing {
            from: ("Acme Support".into(), "support@desk.example".into()),
            to: "alice@example.com".into(),
            reply_to: "support+t8k2m4q9@desk.example".into(),
            reference: "T8K2M4Q9".into(),
            title: "Printer <jams>".into(),
            notice: Notice::Message {
                author: "Bob (Acme)".into(),
                text: text.into(),
            },
            ticket_url: "https://desk.example/tickets/01J?x=1&y=2".into(),
            unsubscribe_url: Some("https://api.desk.example/v2/unsubscribe?token=abc".into()),
            thread: vec![
                "first@desk.example".into(),
                "second@email.amazonses.com".into(),
            ],
            message_id: "01JNOTICE@desk.example".into(),
        }
    }

    #[test]
    fn the_raw_message_reads_back_with_both_bodies_and_its_headers() {
        let mime = answer("Please restart it.\n\nThen try <b>again</b> & tell us.").to_mime();
        let message = MessageParser::default().parse(&mime).expect("parses");
        assert_eq!(message.subject(), Some("Re: [#T8K2M4Q9] Printer <jams>"));
        let reply_to = message
            .reply_to()
            .and_then(|a| a.first())
            .and_then(|a| a.address.clone());
        assert_eq!(reply_to.as_deref(), Some("support+t8k2m4q9@desk.example"));
        assert_eq!(
            message.header_raw("Auto-Submitted").map(str::trim),
            Some("auto-generated")
        );
        assert_eq!(
            message.header_raw("List-Unsubscribe").map(str::trim),
            Some("<https://api.desk.example/v2/unsubscribe?token=abc>")
        );
        assert_eq!(
            message.header_raw("List-Unsubscribe-Post").map(str::trim),
            Some("List-Unsubscribe=One-Click")
        );
        assert_eq!(
            message.in_reply_to().as_text(),
            Some("second@email.amazonses.com")
        );
        let text = message.body_text(0).unwrap();
        assert!(text.contains("Then try <b>again</b> & tell us."), "{text}");
        let html = message.body_html(0).unwrap();
        assert!(
            html.contains("Then try &lt;b&gt;again&lt;/b&gt; &amp; tell us."),
            "{html}"
        );
        assert!(!html.contains("<b>again"), "values are escaped in HTML");
        assert!(html.contains("x=1&amp;y=2"));
    }

    #[test]
    fn a_reply_to_the_notification_keeps_only_what_was_written_above_the_marker() {
        let notice = answer("Restart it.").text_body();
        let reply = format!("It works, thanks!\n\n{notice}");
        assert_eq!(crate::new_text(&reply), "It works, thanks!");
    }

    #[test]
    fn a_title_cannot_add_headers() {
        let mut outgoing = answer("x");
        outgoing.title = "Hi\r\nBcc: victim@example.com".into();
        let mime = String::from_utf8(outgoing.to_mime()).unwrap();
        assert!(!mime.contains("\r\nBcc:"), "{mime}");
    }
}
