//! The data jobs' cost: a client with `BENCH_JOB_TICKETS` tickets (default 1,000), a person
//! who wrote by e-mail, is exported, then moved to the id they sign in with, then erased, each
//! job run step by step through `run-data-jobs` as its queue would run it (one message per
//! step), every request counted by the proxy. The client's tickets are clones of one made by
//! `create-ticket`, so the table is back at its size afterwards.

use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};

use crate::stats::{Cost, JobRow};
use crate::{http_body, seed, Function, Harness, Pools, COST_ENV};

/// The client whose data the jobs export, move and erase: a person who wrote by e-mail first,
/// and the id they sign in with.
const JOB_CLIENT: &str = "mail:bench-jobs-client";
const SIGNED_IN: &str = "bench-jobs-signed-in";
const JOB_ADDRESS: &str = "bench-jobs-client@example.com";
/// The client the fixtures of the two routes name (replaced by `JOB_CLIENT`).
const FIXTURE_EXPORT_CLIENT: &str = "client-export-fixture";
const FIXTURE_ERASE_CLIENT: &str = "client-erase-fixture";
/// A job's steps at most (1,000 tickets take 40 steps of 25, plus the last).
const MAX_STEPS: u32 = 2_000;

/// Exports, moves, then erases, a client of `tickets` tickets; a row per job.
pub fn job_rows(
    h: &Harness,
    pools: &mut Pools,
    functions: &[Function],
    tokio: &tokio::runtime::Runtime,
    sdk: &aws_sdk_dynamodb::Client,
    table: &str,
    tickets: usize,
) -> Vec<JobRow> {
    let find = |name: &str| functions.iter().find(|f| f.name == name);
    let (Some(create), Some(export), Some(settings), Some(erase), Some(steps)) = (
        find("create-ticket"),
        find("export-client"),
        find("get-notification-settings"),
        find("erase-client"),
        find("run-data-jobs"),
    ) else {
        return vec![];
    };
    // The client's tickets: one through create-ticket (its description is its first message),
    // cloned.
    let mut event: Value = serde_json::from_str(&create.fixture).expect("fixture is JSON");
    event["body"] = Value::String(
        json!({"client": JOB_CLIENT, "title": "Export and erase me", "description": "A ticket of the data jobs' client.",
               "priority": "low", "category": "general"})
        .to_string(),
    );
    let case = Function {
        name: create.name.clone(),
        binary: create.binary.clone(),
        fixture: event.to_string(),
    };
    let Ok(mut running) = h.start(&create.name, &create.binary, &h.settings.moto) else {
        return vec![];
    };
    let saved = std::mem::take(&mut pools.tickets);
    let made = h.invoke(&mut running, pools.event(&case));
    pools.tickets = saved;
    h.stop(running);
    let Some(template) = made
        .ok()
        .and_then(|answer| http_body(&answer.body))
        .and_then(|body| body["data"]["_id"].as_str().map(str::to_owned))
    else {
        eprintln!("warning: the data jobs' client's first ticket was not created");
        return vec![];
    };
    let mut seeder = tokio
        .block_on(seed::Seeder::new(sdk, table, &template))
        .expect("read the data jobs' template ticket");
    tokio
        .block_on(seeder.add(tickets.saturating_sub(1)))
        .expect("seed the data jobs' client");

    tokio
        .block_on(seed::contact(
            sdk,
            table,
            JOB_CLIENT,
            JOB_ADDRESS,
            tickets_domain::store::ContactSource::Email,
        ))
        .expect("seed the data jobs' client's address");
    // The person signs in: their first call (their notification settings) starts the move.
    let mut signing_in: Value = serde_json::from_str(&settings.fixture).expect("fixture is JSON");
    signing_in["requestContext"]["authorizer"]["jwt"]["claims"] =
        json!({"sub": SIGNED_IN, "email": JOB_ADDRESS, "email_verified": "true"});
    let move_job = tickets_domain::rekey::rekey_job_id(JOB_CLIENT);
    let jobs = [
        (
            "export a client",
            export,
            export.fixture.replace(FIXTURE_EXPORT_CLIENT, JOB_CLIENT),
            "export",
            None,
        ),
        (
            "move a person who wrote by e-mail, signing in,",
            settings,
            signing_in.to_string(),
            "rekey",
            Some(move_job),
        ),
        (
            "erase a client",
            erase,
            erase.fixture.replace(FIXTURE_ERASE_CLIENT, SIGNED_IN),
            "erasure",
            None,
        ),
    ];
    jobs.into_iter()
        .map(|(label, route, event, kind, job)| {
            run_job(
                h,
                tokio,
                sdk,
                table,
                (route, event, job),
                steps,
                kind,
                format!("{label} of {tickets} tickets"),
            )
        })
        .collect()
}

/// Starts a job through its route (`event`), then runs its steps until it ends. The job's id is
/// `job`, or the one the route answers.
#[allow(clippy::too_many_arguments)]
fn run_job(
    h: &Harness,
    tokio: &tokio::runtime::Runtime,
    sdk: &aws_sdk_dynamodb::Client,
    table: &str,
    (route, event, job): (&Function, String, Option<String>),
    steps: &Function,
    kind: &str,
    label: String,
) -> JobRow {
    let mut row = JobRow {
        label,
        ..JobRow::default()
    };
    let Ok(mut running) = h.start_with(&route.name, &route.binary, &h.settings.proxy, COST_ENV)
    else {
        return row;
    };
    let _ = crate::stats::proxy_take(&h.settings.proxy);
    let started = h.invoke(&mut running, event);
    h.stop(running);
    row.start = crate::stats::proxy_take(&h.settings.proxy);
    let answered = started
        .ok()
        .and_then(|answer| http_body(&answer.body))
        .and_then(|body| body["data"]["_id"].as_str().map(str::to_owned));
    let Some(job) = job.or(answered) else {
        eprintln!("warning: {} did not start a job", route.name);
        return row;
    };
    let Ok(mut running) = h.start_with(&steps.name, &steps.binary, &h.settings.proxy, COST_ENV)
    else {
        return row;
    };
    let clock = Instant::now();
    let mut cost = Cost::default();
    let mut busy = Duration::ZERO;
    while row.steps < MAX_STEPS {
        let message = json!({"Records": [{
            "messageId": format!("bench-step-{}", row.steps), "receiptHandle": "bench",
            "body": json!({"job": job, "kind": kind}).to_string(),
            "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {},
            "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:bench-data-jobs",
            "awsRegion": "us-east-1"
        }]});
        let Ok(step) = h.invoke(&mut running, message.to_string()) else {
            break;
        };
        row.steps += 1;
        busy += step.latency;
        cost += crate::stats::proxy_take(&h.settings.proxy);
        match status(tokio, sdk, table, &job).as_deref() {
            Some("running") => {}
            ended => {
                row.done = ended == Some("done");
                break;
            }
        }
    }
    h.stop(running);
    row.elapsed = clock.elapsed();
    row.busy = busy;
    row.steps_cost = cost;
    row
}

/// A job's status, read directly.
fn status(
    tokio: &tokio::runtime::Runtime,
    sdk: &aws_sdk_dynamodb::Client,
    table: &str,
    job: &str,
) -> Option<String> {
    let item = tokio
        .block_on(
            sdk.get_item()
                .table_name(table)
                .key("pk", AttributeValue::S(format!("JOB#{job}")))
                .key("sk", AttributeValue::S("JOB".into()))
                .consistent_read(true)
                .send(),
        )
        .ok()?
        .item?;
    match item.get("status") {
        Some(AttributeValue::S(status)) => Some(status.clone()),
        _ => None,
    }
}
