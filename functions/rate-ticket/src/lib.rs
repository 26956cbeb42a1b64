//! `PUT /v2/support-tickets/{id}/satisfaction`: the ticket's own client rates the help it got,
//! once the ticket is resolved or closed, and may change the rating within a window after the
//! first one (`SATISFACTION_WINDOW_DAYS`, default 7).

use lambda_http::{Body, Error, Request, Response};
use tickets_domain::satisfaction::{NewRating, RATING_WINDOW_DAYS};
use tickets_domain::store::{TicketReader, TicketWriter};
use tickets_http::{change_ticket, respond, Api, ApiError, Reply};
use tickets_lambda::{SettingError, Settings};

/// How long a rating may be changed after the first one, in days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window(pub u32);

impl Default for Window {
    fn default() -> Self {
        Window(RATING_WINDOW_DAYS)
    }
}

impl Window {
    /// `SATISFACTION_WINDOW_DAYS`, a whole number of days.
    pub fn from_settings(settings: &Settings) -> Result<Self, SettingError> {
        settings
            .parsed(
                "SATISFACTION_WINDOW_DAYS",
                RATING_WINDOW_DAYS,
                "a whole number of days",
            )
            .map(Window)
    }
}

pub async fn handle<S>(api: &Api<S>, window: Window, req: Request) -> Result<Response<Body>, Error>
where
    S: TicketReader + TicketWriter,
{
    Ok(respond(&req, rate_ticket(api, window, &req).await))
}

async fn rate_ticket<S>(api: &Api<S>, window: Window, req: &Request) -> Result<Reply, ApiError>
where
    S: TicketReader + TicketWriter,
{
    let caller = api.auth.caller(req)?;
    let rating: NewRating = tickets_http::request::json_body(req)?;
    change_ticket(api, req, &caller, |ticket, now| {
        rating.apply(ticket, &caller, now, window.0)
    })
    .await
}
