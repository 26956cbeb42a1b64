//! `GET` and `POST /v2/unsubscribe?token=...`: the link at the foot of every notification
//! (and its `List-Unsubscribe` header). The token is signed for one person; no sign-in is
//! needed. A `GET` only shows a page that asks to confirm, because mail scanners fetch links
//! on their own; the `POST` (the page's button, or a mail client's one-click unsubscribe,
//! RFC 8058) switches the person's notifications off. One function for both: they are one
//! operation, the link and its confirmation. Pages are plain HTML that loads nothing.

use lambda_http::http::{header, Method, StatusCode};
use lambda_http::{Body, Error, Request, RequestExt, Response};
use tickets_domain::mail::MailKey;
use tickets_domain::store::ContactStore;
use tickets_mail::compose::escape;

pub struct Deps<S> {
    pub store: S,
    pub key: MailKey,
}

pub async fn handle<S: ContactStore>(
    deps: &Deps<S>,
    req: Request,
) -> Result<Response<Body>, Error> {
    let token = req
        .query_string_parameters_ref()
        .and_then(|params| params.first("token"))
        .unwrap_or_default()
        .to_owned();
    let Some(principal) = deps.key.unsubscriber(&token) else {
        return page(
            StatusCode::BAD_REQUEST,
            "This link is not valid",
            "Use the link of a recent e-mail from the desk, or change your notifications in your account.",
            None,
        );
    };
    match *req.method() {
        Method::GET | Method::HEAD => page(
            StatusCode::OK,
            "Stop e-mail notifications?",
            "You will no longer receive e-mails about your tickets. You can switch them on again in your account.",
            Some(&token),
        ),
        Method::POST => match deps.store.set_notifications(&principal, false).await {
            Ok(_) => {
                tracing::info!("notifications switched off by link");
                page(
                    StatusCode::OK,
                    "You are unsubscribed",
                    "The desk sends you no more e-mail notifications.",
                    None,
                )
            }
            Err(err) => {
                tracing::error!(error = %err, "notifications not switched off");
                page(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Please try again",
                    "Your choice could not be saved just now.",
                    None,
                )
            }
        },
        _ => page(
            StatusCode::METHOD_NOT_ALLOWED,
            "Not allowed",
            "This link takes GET and POST only.",
            None,
        ),
    }
}

/// A small page; with `confirm`, a form that posts the token back.
fn page(
    status: StatusCode,
    title: &str,
    text: &str,
    confirm: Option<&str>,
) -> Result<Response<Body>, Error> {
    let form = confirm.map_or_else(String::new, |token| {
        format!(
            "<form method=\"post\" action=\"?token={}\"><button type=\"submit\">Unsubscribe</button></form>",
            escape(token)
        )
    });
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\"><title>{title}</title></head>\
         <body style=\"font-family:sans-serif;max-width:32em;margin:3em auto\">\
         <h1>{title}</h1><p>{text}</p>{form}</body></html>",
        title = escape(title),
        text = escape(text),
    );
    Ok(Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
        .header(header::CACHE_CONTROL, "no-store")
        .header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
        )
        .header("referrer-policy", "no-referrer")
        .body(Body::Text(html))?)
}
