//! `GET /v2/reports?from&to&interval&groupBy`: the desk's figures per day, week or month,
//! overall or per agent, category or priority (agents and admins), read from the per-day
//! items the stream consumer keeps: O(days × groups) items, never a ticket. As JSON in the
//! envelope, or as CSV with `Accept: text/csv`.

use lambda_http::http::{header, HeaderValue};
use lambda_http::{Body, Error, Request, Response};
use tickets_domain::reports::{self, ReportParams, Tz};
use tickets_domain::store::ReportStore;
use tickets_domain::{DomainError, Timestamp};
use tickets_http::request::QueryParams;
use tickets_http::{respond, Api, ApiError, Reply};

pub struct Deps<S> {
    pub api: Api<S>,
    /// The days of the reports (`REPORT_TIME_ZONE`).
    pub zone: Tz,
}

/// The parameters the route knows.
const PARAMS: [&str; 4] = ["from", "to", "interval", "groupBy"];

pub async fn handle<S: ReportStore>(deps: &Deps<S>, req: Request) -> Result<Response<Body>, Error> {
    let wants_csv = accepts_csv(&req);
    Ok(match get_report(deps, &req).await {
        Ok(report) if wants_csv => csv_response(&report),
        Ok(report) => {
            let mut response = respond(&req, Ok(Reply::ok(&report)));
            // The same URL answers CSV to another `Accept`.
            response
                .headers_mut()
                .insert(header::VARY, HeaderValue::from_static("Accept"));
            response
        }
        Err(err) => respond(&req, Err(err)),
    })
}

async fn get_report<S: ReportStore>(
    deps: &Deps<S>,
    req: &Request,
) -> Result<reports::Report, ApiError> {
    let caller = deps.api.auth.caller(req)?;
    // Refused before the parameters are looked at.
    caller.ensure_staff("read reports")?;
    let query = QueryParams::read(req, &PARAMS)?;
    let params = ReportParams {
        from: query.get("from"),
        to: query.get("to"),
        interval: query.get("interval"),
        group_by: query.get("groupBy"),
    };
    reports::read_report(
        &deps.api.store,
        &caller,
        &params,
        deps.zone,
        Timestamp::now(),
    )
    .await
    .map_err(|err| match err {
        // Only the query string can be wrong: a 400, as for every route's query.
        DomainError::Validation(problems) => ApiError::invalid_query(problems),
        other => other.into(),
    })
}

/// Whether the caller asked for CSV: `text/csv` among the types of `Accept` (any quality
/// above zero), JSON otherwise.
fn accepts_csv(req: &Request) -> bool {
    req.headers()
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|media| {
            let mut parts = media.split(';').map(str::trim);
            let kind = parts.next().unwrap_or_default();
            let refused = parts.any(|p| p.replace(' ', "").eq_ignore_ascii_case("q=0"));
            kind.eq_ignore_ascii_case("text/csv") && !refused
        })
}

fn csv_response(report: &reports::Report) -> Response<Body> {
    let mut response = Response::new(Body::Text(reports::to_csv(report)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    let name = format!(
        "attachment; filename=\"report-{}-{}.csv\"",
        report.from, report.to
    );
    if let Ok(value) = HeaderValue::from_str(&name) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    response
}
