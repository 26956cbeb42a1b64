//! The benchmark behind `infra/bench.sh` (see docs/PERFORMANCE.md).
//!
//! Every function under `functions/` that has a fixture `events/<name>.json` and a release
//! binary is measured, nothing to register: a new function is in the next run. The fixtures'
//! placeholder ids are swapped for real ones on every invocation (a seeded ticket for the
//! fixture ticket id, an attachment created by an earlier invocation for the fixture attachment
//! id, fresh values for request, event and message ids). `ORDER_LAST` and `CONSUMES_TICKETS`
//! are the only lists to keep: functions that consume what another one produced run after it,
//! and functions that use a ticket up per invocation get spare ones.
//!
//! One run:
//! 1. creates two tickets through `create-ticket`, one of them measured by a service-level policy
//!    (year-long targets), and clones them into `BENCH_TICKETS` tickets, a tenth measured;
//! 2. cost per operation at that size: each function once through the counting proxy
//!    (`infra/local_proxy.py`), which records every DynamoDB and S3 request;
//! 3. the floors: `bench-hello` under the same emulator, and the bare SDK `GetItem` in process;
//! 4. `BENCH_COLD` cold starts of every function, then `BENCH_WARM` warm invocations of each;
//! 5. grows the table to `BENCH_TICKETS_LARGE` tickets and measures the cost again;
//! 6. prints the tables (and writes them to `BENCH_REPORT`).

mod jobs;
mod reports;
mod runtime_api;
mod seed;
mod stats;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use serde_json::Value;

use runtime_api::{Event, Msg, RuntimeApi};
use stats::Cost;

/// These run last, in this order: the functions that add tickets (so that the others see the
/// table at its seeded size), then those that use what others leave behind: attachments are
/// declared, uploaded, read and removed; tickets are deleted, then restored.
const ORDER_LAST: &[&str] = &[
    "create-ticket",
    "ingest-tickets",
    "create-attachment",
    "on-attachment-uploaded",
    "get-attachment",
    "delete-attachment",
    "delete-ticket",
    "restore-ticket",
];

/// Functions whose every invocation uses a ticket up (a merge closes its source): each gets a
/// spare ticket of its own per invocation, seeded just before it is measured, after every other
/// function's warm loop (so that those see the table at its seeded size).
const CONSUMES_TICKETS: &[&str] = &["merge-tickets"];

/// Functions whose every invocation uses a webhook up (`delete-webhook`): spare ones, seeded
/// the same way.
const CONSUMES_WEBHOOKS: &[&str] = &["delete-webhook"];

/// A desk has at most 50 webhooks: those `create-webhook` made are removed (between measured
/// invocations) once there are this many.
const MADE_WEBHOOKS_KEPT: usize = 30;

/// The function that reads inbound mail: each invocation gets a message of its own.
const INBOUND_FUNCTION: &str = "on-email-received";

/// The pause before each cold start.
const COLD_SETTLE: Duration = Duration::from_millis(100);

/// The function whose warm loop the storage floor is measured beside (its target is in
/// docs/PERFORMANCE.md, "Targets").
const FLOOR_FUNCTION: &str = "get-ticket";

/// Extra list queries for the cost table (the fixture's own query is measured too).
const COST_QUERIES: &[(&str, &str)] = &[
    ("list-tickets", "status=open&countByStatus=true"),
    ("list-tickets", "category=technical&priority=high&limit=50"),
    ("list-tickets", "page=5&limit=20"),
    // A thread's first page, then the page after it: a continuation reads the ticket beside
    // the page, so that access is decided on the ticket as it is now.
    ("list-thread-messages", "limit=1"),
    ("list-thread-messages", "limit=1&cursor={nextCursor}"),
    // The service-level queue: a page of the tenth of the table whose clocks run.
    ("list-tickets", "sla=active"),
    ("list-tickets", "sort=slaDueAt&limit=50"),
];

/// The function that consumes the table's stream: the cost tables' "later" column.
const STREAM_CONSUMER: &str = "on-ticket-change";

/// In a cost query, the `nextCursor` of the case before it (on the same ticket).
const NEXT_CURSOR: &str = "{nextCursor}";

/// The cost runs count requests, not time: moto answers an index Query by testing every item of
/// the table (seconds at 50,000 tickets, where DynamoDB reads only the page), so the functions
/// wait for it there instead of timing out after the 2 s meant for DynamoDB.
const COST_ENV: &[(&str, &str)] = &[("STORAGE_ATTEMPT_TIMEOUT_SECONDS", "60")];

/// Fresh tickets for each cost run (added to the table's size).
const COST_TICKETS: usize = 4;

/// The fixtures' placeholder ids.
const FIXTURE_TICKET: &str = "01JD6ZKQ8C4W3M5T7N9P1R3S5V";
/// The rating fixture's ticket: resolved, of the fixture's client (a resolved clone each time).
const FIXTURE_RESOLVED_TICKET: &str = "01JD6ZKQ8E8Z0B2D4F6H8K0M2P";
/// The merge fixture's target (a seeded ticket, as `FIXTURE_TICKET`) and source (a spare one).
const FIXTURE_TARGET_TICKET: &str = "01JD6ZKQ8F0A2C4E6G8J0M2P4R";
const FIXTURE_SOURCE_TICKET: &str = "01JD6ZKQ8G1B3D5F7H9K1N3Q5S";
const FIXTURE_ATTACHMENT: &str = "01JD6ZKQ8D6X8Z0B2D4F6H8K0M";
/// The webhook the webhook fixtures name (seeded active, delivering to the bench's receiver),
/// the delivery in its log, and the one `delete-webhook` removes (a spare one each time).
const FIXTURE_WEBHOOK: &str = "01JD6ZKQ8H2C4E6G8J0M2P4R6T";
const FIXTURE_DELIVERY: &str = "01JD6ZKQ8K4E6G8J0M2P4R6T8W";
const FIXTURE_SPARE_WEBHOOK: &str = "01JD6ZKQ8J3D5F7H9K1N3Q5S7V";
/// Request, event, message and schedule ids: each invocation gets its own.
const FIXTURE_UNIQUE: &[&str] = &[
    "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    "c4ca4238a0b923820dcc509a6f75849b",
    "059f36b4-87a3-44ab-83d2-661975830a7d",
    "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
    // The merge fixture's Idempotency-Key: every invocation a new merge.
    "7e2f4c1a-5b3d-4e8f-9a6c-0d1b2c3e4f50",
    // The delivery that deliver-webhooks' fixture attempts: every invocation a new one.
    "01JD6ZKQ8M5F7H9K1N3Q5S7V9X",
];

pub struct Settings {
    root: PathBuf,
    bin_dir: PathBuf,
    moto: String,
    proxy: String,
    port: u16,
    cold: usize,
    warm: usize,
    tickets: usize,
    tickets_large: usize,
    report: PathBuf,
    zip_dir: Option<PathBuf>,
    env: Vec<(String, String)>,
}

/// The benchmark's environment, read once (through the project's one reader of it).
fn env() -> &'static tickets_lambda::Settings {
    static ENV: std::sync::OnceLock<tickets_lambda::Settings> = std::sync::OnceLock::new();
    ENV.get_or_init(tickets_lambda::Settings::from_env)
}

fn var(name: &str, default: &str) -> String {
    env().get(name).unwrap_or(default).to_string()
}

impl Settings {
    fn from_env() -> Self {
        let root = PathBuf::from(var("BENCH_ROOT", "."));
        let moto = var("BENCH_MOTO", "http://127.0.0.1:5405");
        let mut env = vec![];
        for name in [
            "TABLE_NAME",
            "BUCKET_NAME",
            "EVENT_BUS_NAME",
            "AUTO_CLOSE_AFTER_DAYS",
            "S3_FORCE_PATH_STYLE",
            "AWS_REGION",
            "AWS_DEFAULT_REGION",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "RUST_LOG",
            "AWS_LAMBDA_LOG_FORMAT",
            "AWS_LAMBDA_LOG_LEVEL",
            "AWS_XRAY_DAEMON_ADDRESS",
            "WEBHOOK_QUEUE_URL",
            "WEBHOOK_ALLOW_LOOPBACK",
            "DATA_JOB_QUEUE_URL",
            "DESK_ADDRESS",
            "MAIL_SIGNING_KEY",
            "PUBLIC_URL",
            "NOTIFY_AGENTS_ADDRESS",
        ] {
            if let Some(value) = self::env().get(name) {
                env.push((name.to_string(), value.to_string()));
            }
        }
        if let Some(value) = self::env().get("BENCH_GLIBC_TUNABLES") {
            env.push(("GLIBC_TUNABLES".to_string(), value.to_string()));
        }
        Self {
            bin_dir: PathBuf::from(var("BENCH_BIN_DIR", "target/release")),
            proxy: var("BENCH_PROXY", "http://127.0.0.1:9506"),
            port: var("BENCH_PORT", "9505").parse().expect("BENCH_PORT"),
            cold: var("BENCH_COLD", "20").parse().expect("BENCH_COLD"),
            warm: var("BENCH_WARM", "1000").parse().expect("BENCH_WARM"),
            tickets: var("BENCH_TICKETS", "1000").parse().expect("BENCH_TICKETS"),
            tickets_large: var("BENCH_TICKETS_LARGE", "50000")
                .parse()
                .expect("BENCH_TICKETS_LARGE"),
            report: PathBuf::from(var("BENCH_REPORT", ".local/bench/report.md")),
            zip_dir: self::env().get("BENCH_ZIP_DIR").map(PathBuf::from),
            root,
            moto,
            env,
        }
    }
}

/// A function under test: its binary and its fixture.
pub struct Function {
    name: String,
    binary: PathBuf,
    fixture: String,
}

fn discover(settings: &Settings) -> Vec<Function> {
    let mut names: Vec<String> = std::fs::read_dir(settings.root.join("functions"))
        .expect("functions/")
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let rank = |name: &str| ORDER_LAST.iter().position(|n| *n == name);
    names.sort_by(|a, b| rank(a).cmp(&rank(b)).then(a.cmp(b)));
    let only = var("BENCH_ONLY", "");
    let only: Vec<&str> = only.split(',').filter(|n| !n.is_empty()).collect();
    let mut functions = vec![];
    for name in names {
        let fixture = settings.root.join("events").join(format!("{name}.json"));
        let binary = settings.bin_dir.join(&name);
        match (std::fs::read_to_string(&fixture), binary.exists()) {
            _ if !only.is_empty() && !only.contains(&name.as_str()) => {}
            (Ok(fixture), true) => functions.push(Function {
                name,
                binary,
                fixture,
            }),
            _ => eprintln!(
                "warning: {name} is not benchmarked (needs {} and {})",
                fixture.display(),
                binary.display()
            ),
        }
    }
    functions
}

/// Real ids for the fixtures: seeded tickets, attachments created during the run, counters.
pub struct Pools<'a> {
    tickets: Vec<String>,
    attachments: Vec<(String, String)>,
    cursors: BTreeMap<String, usize>,
    unique: u64,
    /// Tickets created by the functions themselves (create-ticket, ingest-tickets).
    created: usize,
    /// The ticket that the last event was given.
    last_ticket: String,
    /// Tickets for the functions that use one up (`CONSUMES_TICKETS`), one per invocation.
    spare: Vec<String>,
    /// Resolved tickets, one per rating.
    resolved: Vec<String>,
    /// Webhooks for the functions that remove one (`CONSUMES_WEBHOOKS`), one per invocation.
    spare_webhooks: Vec<String>,
    /// Webhooks `create-webhook` made, and what removes them.
    made_webhooks: Vec<String>,
    remove_webhooks: &'a dyn Fn(&[String]),
    /// Where SES's receipt rule would store a raw message (`<moto>/<bucket>/inbound/`): each
    /// invocation of `on-email-received` gets a new message there, from a new address.
    inbound: String,
}

impl Pools<'_> {
    /// The fixture with this invocation's ids.
    fn event(&mut self, function: &Function) -> String {
        let cursor = self.cursors.entry(function.name.clone()).or_default();
        let n = *cursor;
        *cursor += 1;
        let mut event = function.fixture.clone();
        if event.contains(FIXTURE_ATTACHMENT) && !self.attachments.is_empty() {
            let (ticket, attachment) = &self.attachments[n % self.attachments.len()];
            self.last_ticket.clone_from(ticket);
            event = event
                .replace(FIXTURE_TICKET, ticket)
                .replace(FIXTURE_ATTACHMENT, attachment);
        } else if !self.tickets.is_empty() {
            let ticket = &self.tickets[n % self.tickets.len()];
            self.last_ticket.clone_from(ticket);
            event = event
                .replace(FIXTURE_TICKET, ticket)
                .replace(FIXTURE_TARGET_TICKET, ticket);
        }
        if event.contains(FIXTURE_RESOLVED_TICKET) {
            let resolved = self.resolved.pop().unwrap_or_default();
            self.last_ticket.clone_from(&resolved);
            event = event.replace(FIXTURE_RESOLVED_TICKET, &resolved);
        }
        if event.contains(FIXTURE_SOURCE_TICKET) {
            let spare = self.spare.pop().unwrap_or_default();
            event = event.replace(FIXTURE_SOURCE_TICKET, &spare);
        }
        if event.contains(FIXTURE_SPARE_WEBHOOK) {
            let spare = self.spare_webhooks.pop().unwrap_or_default();
            event = event.replace(FIXTURE_SPARE_WEBHOOK, &spare);
        }
        if function.name == "create-webhook" && self.made_webhooks.len() >= MADE_WEBHOOKS_KEPT {
            (self.remove_webhooks)(&std::mem::take(&mut self.made_webhooks));
        }
        self.unique += 1;
        if function.name == INBOUND_FUNCTION {
            event = self.inbound_mail(&event);
        }
        for id in FIXTURE_UNIQUE {
            let unique = format!("{}{:012x}", &id[..id.len() - 12], self.unique);
            event = event.replace(id, &unique);
        }
        event
    }

    /// Stores a new raw message where the receipt rule would (straight into the server, not
    /// counted) and points the S3 event at it.
    fn inbound_mail(&self, event: &str) -> String {
        let id = format!("bench{:012x}", self.unique);
        let raw = format!(
            "X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n\
             Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=customer.example; \
             dkim=pass header.i=@customer.example; dmarc=pass header.from=customer.example\r\n\
             From: Customer {id} <{id}@customer.example>\r\nTo: support@desk.example\r\n\
             Subject: The printer is on fire\r\nMessage-ID: <{id}@customer.example>\r\n\
             MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
             It smokes since this morning.\r\n\r\nThanks,\r\nA customer\r\n"
        );
        let (status, _) = http("PUT", &format!("{}{id}", self.inbound), &[], raw.as_bytes());
        if status / 100 != 2 {
            eprintln!("warning: storing an inbound message answered {status}");
        }
        let mut event: Value = serde_json::from_str(event).unwrap_or_default();
        event["Records"][0]["s3"]["object"]["key"] = Value::from(format!("inbound/{id}"));
        event.to_string()
    }

    /// Learns from a response: a declared attachment is uploaded to its presigned URL and
    /// becomes available to the attachment functions; a created ticket is counted.
    fn observe(&mut self, function: &Function, response: &[u8]) {
        let Some(body) = http_body(response) else {
            return;
        };
        let data = &body["data"];
        if function.name == "create-webhook" {
            self.made_webhooks
                .extend(data["_id"].as_str().map(str::to_string));
            return;
        }
        if let (Some(url), Some(id)) = (data["upload"]["url"].as_str(), data["_id"].as_str()) {
            let ticket = url
                .split("tickets/")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .unwrap_or_default()
                .to_string();
            let mut headers: Vec<(String, String)> = data["upload"]["headers"]
                .as_object()
                .map(|h| {
                    h.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                        .collect()
                })
                .unwrap_or_default();
            if !headers
                .iter()
                .any(|(k, _)| k.eq_ignore_ascii_case("content-type"))
            {
                headers.push(("content-type".into(), "image/png".into()));
            }
            let size = data["size"].as_u64().unwrap_or(20480) as usize;
            let (status, _) = http("PUT", url, &headers, &vec![0x89; size]);
            if status / 100 == 2 {
                self.attachments.push((ticket, id.to_string()));
            } else {
                eprintln!("warning: upload to {url} answered {status}");
            }
        } else if (function.name == "create-ticket" && data["_id"].is_string())
            || function.name == "ingest-tickets"
        {
            self.created += 1;
        }
    }
}

/// A webhook receiver on a loopback port that answers every request `204` (the bench's
/// deliveries go there); its URL.
fn receiver() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
    let url = format!(
        "http://{}/bench",
        listener.local_addr().expect("its address")
    );
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut stream = stream;
            let mut request = Vec::new();
            let mut chunk = [0u8; 4096];
            // The headers, then as much body as they announce.
            while let Ok(n @ 1..) = stream.read(&mut chunk) {
                request.extend_from_slice(&chunk[..n]);
                let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&request[..end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|line| line.strip_prefix("content-length:"))
                    .and_then(|value| value.trim().parse().ok())
                    .unwrap_or(0);
                if request.len() >= end + 4 + length {
                    break;
                }
            }
            let _ = stream.write_all(
                b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
            );
        }
    });
    url
}

/// The API Gateway response's status and JSON body, for HTTP functions.
fn http_body(response: &[u8]) -> Option<Value> {
    let outer: Value = serde_json::from_slice(response).ok()?;
    let body = outer.get("body")?.as_str()?;
    serde_json::from_str(body).ok()
}

/// Whether an invocation succeeded: no error reported, and a 2xx/3xx for HTTP functions.
fn succeeded(ok: bool, response: &[u8]) -> bool {
    if !ok {
        return false;
    }
    let Ok(outer) = serde_json::from_slice::<Value>(response) else {
        return true;
    };
    match outer.get("statusCode").and_then(Value::as_u64) {
        Some(code) => code < 400,
        None => outer["batchItemFailures"]
            .as_array()
            .is_none_or(|failures| failures.is_empty()),
    }
}

/// A function's process under the emulator, waiting for its next event.
struct Running {
    child: Child,
    next: Sender<Event>,
    init: Duration,
}

struct Invocation {
    latency: Duration,
    ok: bool,
    body: Vec<u8>,
}

struct Harness<'a> {
    settings: &'a Settings,
    api: RuntimeApi,
    logs: PathBuf,
}

impl Harness<'_> {
    fn start(&self, name: &str, binary: &Path, endpoint: &str) -> Result<Running, String> {
        self.start_with(name, binary, endpoint, &[])
    }

    fn start_with(
        &self,
        name: &str,
        binary: &Path,
        endpoint: &str,
        extra_env: &[(&str, &str)],
    ) -> Result<Running, String> {
        self.api.drain();
        let log = std::fs::File::create(self.logs.join(format!("{name}.log")))
            .map_err(|e| e.to_string())?;
        let mut command = Command::new(binary);
        command
            .env_clear()
            .env("AWS_LAMBDA_RUNTIME_API", &self.api.addr)
            .env("AWS_LAMBDA_FUNCTION_NAME", name)
            .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
            .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
            .env("AWS_LAMBDA_LOG_GROUP_NAME", format!("/aws/lambda/{name}"))
            .env("AWS_LAMBDA_LOG_STREAM_NAME", "2026/11/24/[$LATEST]bench")
            .env("AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand")
            .env("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023")
            .env("LAMBDA_TASK_ROOT", "/var/task")
            .env("_HANDLER", "bootstrap")
            .env("TZ", ":UTC")
            .env("AWS_ENDPOINT_URL", endpoint)
            .envs(self.settings.env.iter().map(|(k, v)| (k, v)))
            .envs(extra_env.iter().copied())
            .stdin(Stdio::null())
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log);
        let started = Instant::now();
        let mut child = command.spawn().map_err(|e| format!("{name}: {e}"))?;
        loop {
            match self.api.recv(Duration::from_secs(30)) {
                Some(Msg::Next { at, reply }) => {
                    return Ok(Running {
                        child,
                        next: reply,
                        init: at - started,
                    })
                }
                Some(Msg::InitError { body }) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!(
                        "{name}: init error {}",
                        String::from_utf8_lossy(&body)
                    ));
                }
                Some(_) => continue,
                None => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(format!("{name}: no `next` within 30 s (see its log)"));
                }
            }
        }
    }

    fn invoke(&self, running: &mut Running, event: String) -> Result<Invocation, String> {
        let id = format!("bench-{}", ulid::Ulid::new());
        running
            .next
            .send(Event {
                id: id.clone(),
                body: event.into_bytes(),
            })
            .map_err(|_| "the function closed its connection".to_string())?;
        let (mut delivered, mut done, mut next) = (None, None, None);
        while delivered.is_none() || done.is_none() || next.is_none() {
            match self.api.recv(Duration::from_secs(30)) {
                Some(Msg::Delivered { id: got, at }) if got == id => delivered = Some(at),
                Some(Msg::Done {
                    id: got,
                    ok,
                    body,
                    at,
                }) if got == id => done = Some((ok, body, at)),
                Some(Msg::Next { reply, .. }) => next = Some(reply),
                Some(_) => {}
                None => {
                    let exited = running.child.try_wait().ok().flatten();
                    return Err(format!("no answer within 30 s (process: {exited:?})"));
                }
            }
        }
        let (ok, body, at) = done.expect("checked");
        running.next = next.expect("checked");
        Ok(Invocation {
            latency: at - delivered.expect("checked"),
            ok,
            body,
        })
    }

    fn stop(&self, mut running: Running) {
        let _ = running.child.kill();
        let _ = running.child.wait();
    }
}

/// /proc/<pid>/status fields in KiB.
fn proc_status(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|line| {
            line.strip_prefix(field)?
                .trim_start_matches(':')
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or(0)
}

#[derive(Default)]
struct Measured {
    init: Vec<Duration>,
    first: Vec<Duration>,
    warm: Vec<Duration>,
    hwm_kib: u64,
    /// Anonymous and file-backed resident memory after the 100th invocation.
    anon_100_kib: u64,
    file_100_kib: u64,
    /// Resident memory after the last invocation: anonymous (heap, stacks, relocated data)
    /// and file-backed (the binary's and libraries' pages that were touched).
    anon_kib: u64,
    file_kib: u64,
    rss_100_kib: u64,
    rss_last_kib: u64,
    failed: usize,
    invocations: usize,
    note: String,
}

impl Measured {
    /// Counts an invocation (and its failure, if it failed), lets the pools learn from its
    /// response, and gives back its latency.
    fn record(&mut self, pools: &mut Pools, f: &Function, inv: Invocation) -> Duration {
        self.invocations += 1;
        if !succeeded(inv.ok, &inv.body) {
            self.failed += 1;
            self.note = first_line(&inv.body);
        }
        pools.observe(f, &inv.body);
        inv.latency
    }
}

/// `cold` cold starts: init and first invocation each time.
fn cold_starts(h: &Harness, pools: &mut Pools, f: &Function, m: &mut Measured) {
    for _ in 0..h.settings.cold {
        // The previous first invocation can leave moto busy for a while after it answered (an
        // index query allocates a lot for Python's collector): let it settle, so that init
        // measures the function and not the server beside it on the same two cores.
        std::thread::sleep(COLD_SETTLE);
        let mut running = match h.start(&f.name, &f.binary, &h.settings.moto) {
            Ok(r) => r,
            Err(e) => {
                m.note = e;
                return;
            }
        };
        m.init.push(running.init);
        let event = pools.event(f);
        match h.invoke(&mut running, event) {
            Ok(inv) => {
                let latency = m.record(pools, f, inv);
                m.first.push(latency);
            }
            Err(e) => m.note = e,
        }
        h.stop(running);
    }
}

/// `warm` invocations of one process; RSS after the 100th and the last. `beside`, if given, runs
/// before each invocation with the invocation's ticket (the storage floor, measured in step).
fn warm_loop(
    h: &Harness,
    pools: &mut Pools,
    f: &Function,
    m: &mut Measured,
    mut beside: Option<&mut dyn FnMut(&str)>,
) {
    let mut running = match h.start(&f.name, &f.binary, &h.settings.moto) {
        Ok(r) => r,
        Err(e) => {
            m.note = e;
            return;
        }
    };
    let pid = running.child.id();
    for i in 1..=h.settings.warm {
        let event = pools.event(f);
        if let Some(beside) = beside.as_mut() {
            beside(&pools.last_ticket);
        }
        match h.invoke(&mut running, event) {
            Ok(inv) => {
                let latency = m.record(pools, f, inv);
                m.warm.push(latency);
            }
            Err(e) => {
                m.note = e;
                break;
            }
        }
        if i == 100 {
            m.rss_100_kib = proc_status(pid, "VmRSS");
            m.anon_100_kib = proc_status(pid, "RssAnon");
            m.file_100_kib = proc_status(pid, "RssFile");
        }
    }
    m.rss_last_kib = proc_status(pid, "VmRSS");
    m.hwm_kib = proc_status(pid, "VmHWM");
    m.anon_kib = proc_status(pid, "RssAnon");
    m.file_kib = proc_status(pid, "RssFile");
    let _ = std::fs::copy(
        format!("/proc/{pid}/smaps"),
        h.logs.join(format!("{}.smaps", f.name)),
    );
    h.stop(running);
}

/// A create-ticket fixture whose ticket carries `tags`.
fn with_tags(fixture: &str, tags: &[&str]) -> String {
    let mut event: Value = serde_json::from_str(fixture).expect("a JSON fixture");
    let mut body: Value =
        serde_json::from_str(event["body"].as_str().unwrap_or("{}")).expect("a JSON body");
    body["tags"] = serde_json::json!(tags);
    event["body"] = Value::String(body.to_string());
    event.to_string()
}

fn first_line(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    text.chars().take(400).collect()
}

/// The cost of one invocation of each function (and each extra list query), through the proxy,
/// on `fresh` tickets (clones no other invocation has touched, so that both table sizes see
/// tickets of the same shape); then the sized cases (`SIZED_CASES`).
fn cost_phase(
    h: &Harness,
    pools: &mut Pools,
    functions: &[Function],
    fresh: Vec<String>,
) -> Vec<CostRow> {
    let saved = (
        std::mem::replace(&mut pools.tickets, fresh),
        std::mem::take(&mut pools.attachments),
        std::mem::take(&mut pools.cursors),
    );
    let mut rows = cost_rows(h, pools, functions);
    rows.extend(sized_rows(h, pools, functions));
    (pools.tickets, pools.attachments, pools.cursors) = saved;
    rows
}

/// One row of the cost tables: what an invocation cost itself, and what the stream consumer
/// then spent on the records it wrote.
pub struct CostRow {
    pub label: String,
    pub function: String,
    pub now: Cost,
    pub later: Cost,
    pub ok: bool,
}

/// The stream records written since the last call (the proxy reads the table's stream).
fn stream_take(h: &Harness) -> Value {
    let table = var("TABLE_NAME", "tickets-bench");
    let (status, body) = http(
        "GET",
        &format!("{}/__bench/stream?table={table}", h.settings.proxy),
        &[],
        &[],
    );
    if status != 200 {
        eprintln!("warning: the proxy's stream reader answered {status}");
        return Value::Null;
    }
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

/// Runs the stream consumer, through the proxy, on the records each row's invocation wrote,
/// and records what that cost as the row's `later`.
fn consume_later(
    h: &Harness,
    functions: &[Function],
    rows: &mut [CostRow],
    records: Vec<(usize, Value)>,
) {
    let records: Vec<_> = records
        .into_iter()
        .filter(|(_, r)| r["Records"].as_array().is_some_and(|a| !a.is_empty()))
        .collect();
    let Some(consumer) = functions.iter().find(|f| f.name == STREAM_CONSUMER) else {
        return;
    };
    if records.is_empty() {
        return;
    }
    let mut running = match h.start_with(
        STREAM_CONSUMER,
        &consumer.binary,
        &h.settings.proxy,
        COST_ENV,
    ) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("warning: {e}");
            return;
        }
    };
    for (row, event) in records {
        let _ = stats::proxy_take(&h.settings.proxy);
        match h.invoke(&mut running, event.to_string()) {
            Ok(inv) if succeeded(inv.ok, &inv.body) => {
                rows[row].later = stats::proxy_take(&h.settings.proxy);
            }
            Ok(inv) => eprintln!(
                "warning: {STREAM_CONSUMER} after {}: {}",
                rows[row].label,
                first_line(&inv.body)
            ),
            Err(e) => eprintln!("warning: {STREAM_CONSUMER} after {}: {e}", rows[row].label),
        }
    }
    h.stop(running);
    let _ = stream_take(h); // what the consumer itself wrote (history) is not a row's
}

fn cost_rows(h: &Harness, pools: &mut Pools, functions: &[Function]) -> Vec<CostRow> {
    let mut rows = vec![];
    for f in functions {
        let mut cases = vec![(f.name.clone(), f.fixture.clone())];
        for (name, query) in COST_QUERIES {
            if *name == f.name {
                cases.push((format!("{name} ?{query}"), with_query(&f.fixture, query)));
            }
        }
        let mut running = match h.start_with(&f.name, &f.binary, &h.settings.proxy, COST_ENV) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("warning: {e}");
                continue;
            }
        };
        let mut next_cursor = String::new();
        let mut written = vec![];
        for (label, fixture) in cases {
            // Every case of a function names the same ticket, so that a continuation case
            // continues the page of the case before it.
            pools.cursors.insert(f.name.clone(), 0);
            let case = Function {
                name: f.name.clone(),
                binary: f.binary.clone(),
                fixture: fixture.replace(NEXT_CURSOR, &next_cursor),
            };
            let _ = stats::proxy_take(&h.settings.proxy);
            let _ = stream_take(h);
            let event = pools.event(&case);
            let (cost, ok, body) = measure(h, &mut running, pools, &case, event, &label);
            next_cursor = body
                .and_then(|body| body["pagination"]["nextCursor"].as_str().map(str::to_owned))
                .unwrap_or_default();
            if f.name != STREAM_CONSUMER {
                written.push((rows.len(), stream_take(h)));
            }
            rows.push(CostRow {
                label,
                function: f.name.clone(),
                now: cost,
                later: Cost::default(),
                ok,
            });
        }
        h.stop(running);
        consume_later(h, functions, &mut rows, written);
    }
    rows
}

/// The shapes the write targets are stated for (docs/COST.md): a ticket with a description of
/// the maximum length, and one with a title of the maximum length and the most tags, each
/// created, answered with a 1 KB message, and changed in one field.
const SIZED_SHAPES: &[(&str, &str)] = &[
    ("10 KB description", "description"),
    ("200-char title, 20 tags of 50", "title+tags"),
];

fn sized_body(shape: &str) -> Value {
    let mut body = serde_json::json!({
        "client": "client-1", "title": "Sized ticket", "description": "A sized ticket.",
        "priority": "high", "category": "technical", "tags": ["login"]
    });
    match shape {
        "description" => body["description"] = Value::String("d".repeat(10_000)),
        _ => {
            body["title"] = Value::String("t".repeat(200));
            body["tags"] = (0..20)
                .map(|i| Value::String(format!("{i:02}{}", "g".repeat(48))))
                .collect();
        }
    }
    body
}

/// The sized cases: create-ticket, add-thread-message (the first response, then a plain
/// reply) and update-ticket on each shape.
fn sized_rows(h: &Harness, pools: &mut Pools, functions: &[Function]) -> Vec<CostRow> {
    let find = |name: &str| functions.iter().find(|f| f.name == name);
    let (Some(create), Some(message), Some(update)) = (
        find("create-ticket"),
        find("add-thread-message"),
        find("update-ticket"),
    ) else {
        return vec![];
    };
    let mut rows = vec![];
    let mut written = vec![];
    for (label, shape) in SIZED_SHAPES {
        let mut ticket = String::new();
        // The fixture's caller is an agent: its first reply is the first response, which
        // changes the ticket; the second is a plain reply, which only checks it.
        let steps: [(&Function, String, Value); 4] = [
            (
                create,
                format!("create-ticket ({label})"),
                sized_body(shape),
            ),
            (
                message,
                format!("add-thread-message, 1 KB, first response ({label})"),
                serde_json::json!({"message": "m".repeat(1_000)}),
            ),
            (
                message,
                format!("add-thread-message, 1 KB ({label})"),
                serde_json::json!({"message": "m".repeat(1_000)}),
            ),
            (
                update,
                format!("update-ticket, one field ({label})"),
                serde_json::json!({"priority": "low"}),
            ),
        ];
        for (f, row_label, body) in steps {
            let mut event: Value = serde_json::from_str(&f.fixture).expect("fixture is JSON");
            event["body"] = Value::String(body.to_string());
            let mut fixture = event.to_string();
            if !ticket.is_empty() {
                fixture = fixture.replace(FIXTURE_TICKET, &ticket);
            }
            let case = Function {
                name: f.name.clone(),
                binary: f.binary.clone(),
                fixture,
            };
            let mut running = match h.start_with(&f.name, &f.binary, &h.settings.proxy, COST_ENV) {
                Ok(r) => r,
                Err(e) => {
                    eprintln!("warning: {e}");
                    break;
                }
            };
            let _ = stats::proxy_take(&h.settings.proxy);
            let _ = stream_take(h);
            let saved = std::mem::take(&mut pools.tickets);
            let event = pools.event(&case);
            pools.tickets = saved;
            let (cost, ok, body) = measure(h, &mut running, pools, &case, event, &row_label);
            if f.name == "create-ticket" {
                ticket = body
                    .and_then(|b| b["data"]["_id"].as_str().map(str::to_owned))
                    .unwrap_or_default();
            }
            h.stop(running);
            written.push((rows.len(), stream_take(h)));
            rows.push(CostRow {
                label: row_label,
                function: f.name.clone(),
                now: cost,
                later: Cost::default(),
                ok,
            });
        }
    }
    consume_later(h, functions, &mut rows, written);
    rows
}

/// One invocation through the proxy: what it cost, whether it succeeded, and the HTTP body of
/// its answer.
fn measure(
    h: &Harness,
    running: &mut Running,
    pools: &mut Pools,
    case: &Function,
    event: String,
    label: &str,
) -> (Cost, bool, Option<Value>) {
    match h.invoke(running, event) {
        Ok(inv) => {
            pools.observe(case, &inv.body);
            (
                stats::proxy_take(&h.settings.proxy),
                succeeded(inv.ok, &inv.body),
                http_body(&inv.body),
            )
        }
        Err(e) => {
            eprintln!("warning: {label}: {e}");
            (Cost::default(), false, None)
        }
    }
}

/// The fixture with another query string.
fn with_query(fixture: &str, query: &str) -> String {
    let mut event: Value = serde_json::from_str(fixture).expect("fixture is JSON");
    event["rawQueryString"] = Value::String(query.to_string());
    let params: serde_json::Map<String, Value> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| (k.to_string(), Value::String(v.to_string())))
        .collect();
    event["queryStringParameters"] = Value::Object(params);
    event.to_string()
}

/// A one-shot HTTP/1.1 request on loopback: (status, body).
pub fn http(method: &str, url: &str, headers: &[(String, String)], body: &[u8]) -> (u16, Vec<u8>) {
    let rest = url.strip_prefix("http://").expect("http URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let path = if path.is_empty() { "/" } else { path };
    let Ok(mut stream) = TcpStream::connect(host) else {
        return (0, vec![]);
    };
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        let _ = write!(request, "{name}: {value}\r\n");
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body);
    if stream.write_all(&bytes).is_err() {
        return (0, vec![]);
    }
    let mut response = vec![];
    let _ = stream.read_to_end(&mut response);
    let split = response
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or(response.len());
    let head = String::from_utf8_lossy(&response[..split]);
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.get(split + 4..).unwrap_or_default().to_vec();
    (status, body)
}

fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kib: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse().ok())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    format!(
        "{model}, {cpus} CPUs (nproc), {:.1} GiB RAM, Linux {}, {}",
        mem_kib as f64 / 1024.0 / 1024.0,
        kernel.trim(),
        std::env::consts::ARCH
    )
}

fn main() {
    let settings = Settings::from_env();
    let logs = settings.root.join(".local/bench/logs");
    std::fs::create_dir_all(&logs).expect("log dir");
    let api = RuntimeApi::bind(settings.port).expect("bind the Runtime API port");
    let h = Harness {
        settings: &settings,
        api,
        logs,
    };
    let functions = discover(&settings);
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio");
    let sdk = tokio.block_on(seed::client(&settings.moto));
    let table = var("TABLE_NAME", "tickets-bench");
    let started = Instant::now();
    // The webhook fixtures' receiver, on loopback (the bench allows loopback receivers).
    let receiver = receiver();
    let remove_webhooks = |ids: &[String]| {
        tokio
            .block_on(seed::remove_webhooks(&sdk, &table, ids))
            .expect("remove the webhooks create-webhook made")
    };
    let mut pools = Pools {
        tickets: vec![],
        attachments: vec![],
        cursors: BTreeMap::new(),
        unique: 0,
        created: 0,
        last_ticket: String::new(),
        spare: Vec::new(),
        resolved: Vec::new(),
        spare_webhooks: Vec::new(),
        made_webhooks: Vec::new(),
        remove_webhooks: &remove_webhooks,
        inbound: format!(
            "{}/{}/inbound/",
            settings.moto,
            var("BUCKET_NAME", "tickets-bench-attachments")
        ),
    };
    // The fixtures' client has an address: send-notifications writes to it.
    tokio
        .block_on(seed::contact(
            &sdk,
            &table,
            "client-1",
            "client-1@customer.example",
            tickets_domain::store::ContactSource::Token,
        ))
        .expect("seed the client's contact");
    tokio
        .block_on(seed::webhooks(
            &sdk,
            &table,
            Some(FIXTURE_WEBHOOK),
            &receiver,
            1,
        ))
        .expect("seed the fixture webhook");
    tokio
        .block_on(seed::logged_delivery(
            &sdk,
            &table,
            FIXTURE_WEBHOOK,
            FIXTURE_DELIVERY,
        ))
        .expect("seed the fixture delivery");
    let spare_webhooks = |count: usize| {
        tokio
            .block_on(seed::webhooks(&sdk, &table, None, &receiver, count))
            .expect("seed spare webhooks")
    };

    // 1. The tickets to clone, through create-ticket itself: the fixture's, and one measured by
    //    a service-level policy (a tenth of the table, for the queue's and the job's rows);
    //    then the table at the first size.
    tokio
        .block_on(seed::measure_tagged(&sdk, &table))
        .expect("store the service-level policy");
    let creator = functions
        .iter()
        .find(|f| f.name == "create-ticket")
        .expect("create-ticket is benchmarked");
    let measured = Function {
        fixture: with_tags(&creator.fixture, &[seed::SLA_TAG]),
        name: creator.name.clone(),
        binary: creator.binary.clone(),
    };
    let mut running = h
        .start(&creator.name, &creator.binary, &settings.moto)
        .expect("start");
    let mut create = |function: &Function| {
        let answer = h
            .invoke(&mut running, pools.event(function))
            .expect("create");
        http_body(&answer.body)
            .and_then(|b| b["data"]["_id"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("create-ticket answered {}", first_line(&answer.body)))
    };
    let template = create(creator);
    let sla_template = create(&measured);
    h.stop(running);
    let mut seeder = tokio
        .block_on(seed::Seeder::new(&sdk, &table, &template))
        .expect("read the template ticket");
    let mut sla_seeder = tokio
        .block_on(seed::Seeder::new(&sdk, &table, &sla_template))
        .expect("read the measured template ticket");
    let t = Instant::now();
    let measured_share = |count: usize| count / 10;
    tokio
        .block_on(sla_seeder.add(measured_share(settings.tickets).saturating_sub(1)))
        .expect("seed");
    pools.tickets = vec![template.clone()];
    pools.tickets.extend(
        tokio
            .block_on(
                seeder.add((settings.tickets - measured_share(settings.tickets)).saturating_sub(1)),
            )
            .expect("seed"),
    );
    // Ratings need resolved tickets of the fixture's client: one each, for every invocation.
    pools.resolved = tokio
        .block_on(seeder.add_resolved(settings.cold + settings.warm + 2))
        .expect("seed resolved tickets");
    let seed_small = t.elapsed();
    eprintln!("seeded {} tickets in {:.1?}", settings.tickets, seed_small);

    // 2. Cost per operation at the first size.
    let fresh = tokio.block_on(seeder.add(COST_TICKETS)).expect("seed");
    pools.spare = tokio
        .block_on(seeder.add(CONSUMES_TICKETS.len()))
        .expect("seed");
    pools.spare_webhooks = spare_webhooks(CONSUMES_WEBHOOKS.len());
    let cost_small = cost_phase(&h, &mut pools, &functions, fresh);
    // The data jobs: a client of its own exported, then erased (the table back at its size).
    let job_tickets: usize = var("BENCH_JOB_TICKETS", "1000")
        .parse()
        .expect("BENCH_JOB_TICKETS");
    let job_rows = jobs::job_rows(
        &h,
        &mut pools,
        &functions,
        &tokio,
        &sdk,
        &table,
        job_tickets,
    );

    // The reports: a year's daily report from the figures of 1,000 and 50,000 tickets.
    let report_sizes: Vec<usize> = var("BENCH_REPORT_TICKETS", "1000,50000")
        .split(',')
        .map(|n| n.trim().parse().expect("BENCH_REPORT_TICKETS: numbers"))
        .collect();
    let report_rows = reports::report_rows(&h, &functions, &tokio, &sdk, &table, &report_sizes);

    // 3. The floors.
    let hello = Function {
        name: "bench-hello".into(),
        binary: settings.bin_dir.join("bench-hello"),
        fixture: "{}".into(),
    };
    let mut hello_m = Measured::default();
    cold_starts(&h, &mut pools, &hello, &mut hello_m);
    warm_loop(&h, &mut pools, &hello, &mut hello_m, None);

    // 4. Every function: cold starts first (in order), then the warm loops (in order).
    let mut results: Vec<Measured> = functions.iter().map(|_| Measured::default()).collect();
    let consumes = |f: &Function| {
        CONSUMES_TICKETS.contains(&f.name.as_str()) || CONSUMES_WEBHOOKS.contains(&f.name.as_str())
    };
    for (f, m) in functions.iter().zip(results.iter_mut()) {
        if consumes(f) {
            continue;
        }
        eprintln!("cold: {}", f.name);
        cold_starts(&h, &mut pools, f, m);
    }
    // The storage floor is measured in step with get-ticket's warm loop: before each invocation,
    // the bare SDK calls on the same ticket, so that both see the same data and the same noise.
    let mut floor = stats::Floor::default();
    let mut sampled = 0;
    let mut sample = |ticket: &str| {
        sampled += 1;
        tokio.block_on(seed::floor_sample(&sdk, &table, ticket, &mut floor, true));
    };
    for (f, m) in functions.iter().zip(results.iter_mut()) {
        if consumes(f) {
            continue;
        }
        eprintln!("warm: {}", f.name);
        let beside = (f.name == FLOOR_FUNCTION).then_some(&mut sample as &mut dyn FnMut(&str));
        warm_loop(&h, &mut pools, f, m, beside);
    }
    for (f, m) in functions.iter().zip(results.iter_mut()) {
        if !consumes(f) {
            continue;
        }
        let spares = settings.cold + settings.warm;
        if CONSUMES_WEBHOOKS.contains(&f.name.as_str()) {
            pools.spare_webhooks = spare_webhooks(spares);
            eprintln!("cold and warm: {} ({spares} spare webhooks)", f.name);
        } else {
            pools.spare = tokio.block_on(seeder.add(spares)).expect("seed");
            pools.created += spares;
            eprintln!("cold and warm: {} ({spares} spare tickets)", f.name);
        }
        cold_starts(&h, &mut pools, f, m);
        warm_loop(&h, &mut pools, f, m, None);
    }
    if sampled == 0 {
        floor = tokio.block_on(seed::storage_floor(
            &sdk,
            &table,
            &pools.tickets,
            settings.warm,
        ));
    }

    // 5. The larger table.
    let t = Instant::now();
    let now = settings.tickets + pools.created;
    let growth = settings.tickets_large.saturating_sub(now);
    tokio
        .block_on(sla_seeder.add(measured_share(growth)))
        .expect("seed");
    tokio
        .block_on(seeder.add(growth - measured_share(growth)))
        .expect("seed");
    let seed_large = t.elapsed();
    eprintln!(
        "grew to {} tickets in {:.1?}",
        settings.tickets_large, seed_large
    );
    let fresh = tokio.block_on(seeder.add(COST_TICKETS)).expect("seed");
    pools.spare = tokio
        .block_on(seeder.add(CONSUMES_TICKETS.len()))
        .expect("seed");
    pools.spare_webhooks = spare_webhooks(CONSUMES_WEBHOOKS.len());
    let cost_large = cost_phase(&h, &mut pools, &functions, fresh);

    // 6. The report.
    let zips = zip_sizes(&settings, &functions);
    let report = stats::report(stats::Report {
        machine: machine(),
        settings: &settings,
        functions: &functions,
        results: &results,
        hello: &hello_m,
        floor: &floor,
        cost_small: &cost_small,
        cost_large: &cost_large,
        prices: &stats::Prices::load(&settings.root),
        zips: &zips,
        seed_small,
        seed_large,
        total: started.elapsed(),
    });
    let prices = stats::Prices::load(&settings.root);
    let report = report
        + &stats::job_section(&job_rows, &prices)
        + &stats::report_section(&report_rows, &prices);
    println!("{report}");
    if let Some(parent) = settings.report.parent() {
        let _ = std::fs::create_dir_all(parent);
    }
    std::fs::write(&settings.report, &report).expect("write the report");
    eprintln!("report written to {}", settings.report.display());
}

/// `cargo lambda build --release --arm64 --output-format zip` sizes, when they were built.
fn zip_sizes(settings: &Settings, functions: &[Function]) -> BTreeMap<String, u64> {
    let mut sizes = BTreeMap::new();
    let Some(dir) = &settings.zip_dir else {
        return sizes;
    };
    for name in functions
        .iter()
        .map(|f| f.name.as_str())
        .chain(["bench-hello"])
    {
        if let Ok(meta) = std::fs::metadata(dir.join(name).join("bootstrap.zip")) {
            sizes.insert(name.to_string(), meta.len());
        }
    }
    sizes
}
