//! Figures and the printed report.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;

use crate::{CostRow, Function, Measured, Settings};

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p`th percentile (nearest rank) of the samples; zero when there are none.
pub fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    samples.sort();
    let rank = ((p / 100.0) * samples.len() as f64).ceil() as usize;
    samples[rank.clamp(1, samples.len()) - 1]
}

fn median(samples: &[Duration]) -> Duration {
    percentile(&mut samples.to_vec(), 50.0)
}

fn p99(samples: &[Duration]) -> Duration {
    percentile(&mut samples.to_vec(), 99.0)
}

/// The bare SDK calls, in process.
#[derive(Default)]
pub struct Floor {
    pub get_item: Vec<Duration>,
    pub query: Vec<Duration>,
}

/// What one invocation cost, as the counting proxy saw it.
#[derive(Default, Clone, PartialEq)]
pub struct Cost {
    /// DynamoDB operations, in the order they arrived (requests sent together may arrive in
    /// either order).
    pub dynamodb: Vec<String>,
    /// Items returned (read); items DynamoDB looked at (evaluated: ScannedCount of a Query, the
    /// keys of a GetItem or BatchGetItem); items put, updated or deleted (written).
    pub read: u64,
    pub evaluated: u64,
    pub written: u64,
    /// Capacity units as moto reports them (see docs/PERFORMANCE.md).
    pub capacity: f64,
    /// Request units AWS bills, from the real items (infra/billing.py): reads, the table's
    /// writes, and each index's writes.
    pub rru: f64,
    pub wru: f64,
    pub wru_index: BTreeMap<String, f64>,
    /// S3 requests, as `METHOD`.
    pub s3: Vec<String>,
    /// Other requests (EventBridge, SQS...), as `service.Operation`, and the events put.
    pub other: Vec<String>,
    pub events: u64,
}

impl std::ops::AddAssign for Cost {
    fn add_assign(&mut self, other: Cost) {
        self.dynamodb.extend(other.dynamodb);
        self.read += other.read;
        self.evaluated += other.evaluated;
        self.written += other.written;
        self.capacity += other.capacity;
        self.rru += other.rru;
        self.wru += other.wru;
        for (index, units) in other.wru_index {
            *self.wru_index.entry(index).or_default() += units;
        }
        self.s3.extend(other.s3);
        self.other.extend(other.other);
        self.events += other.events;
    }
}

/// One data job of the benchmark (infra/bench/src/jobs.rs): starting it, then its steps.
#[derive(Default)]
pub struct JobRow {
    pub label: String,
    pub start: Cost,
    pub steps: u32,
    pub steps_cost: Cost,
    /// The steps' invocations, end to end; `elapsed` adds the bench's own reads between them.
    pub busy: Duration,
    pub elapsed: Duration,
    pub done: bool,
}

/// `run-data-jobs`' memory in template.yaml: what its steps are billed at.
const JOB_MEMORY_GB: f64 = 1.0;

/// The data jobs' table: requests, billed units and price of each job as a whole.
pub fn job_section(rows: &[JobRow], p: &Prices) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n### Data jobs (a client's tickets exported, moved to the id they sign in with, then erased; prices of {})\n",
        p.date()
    );
    let _ = writeln!(
        out,
        "Started through the route, then every step through `run-data-jobs` (one queue message each), through the \
         counting proxy. Lambda: the steps' own time at the template's 1,024 MB (this machine's time; moto's \
         answers dominate it). SQS: one message per step (each step but the last sends the next; the queue \
         is reached directly, not through the proxy). $ per job.\n"
    );
    let _ = writeln!(
        out,
        "| job | steps | DynamoDB requests | read / evaluated / written | RRU | WRU (table + indexes) | S3 A / B | SQS | events | steps s (wall s) | $ per job |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for row in rows {
        let mut all = row.start.clone();
        all += row.steps_cost.clone();
        let (a, b) = all.s3_classes();
        // A message sent, received and deleted per step: three requests.
        let sqs = u64::from(row.steps);
        let busy = row.busy.as_secs_f64();
        let price = all.storage_price(p)
            + f64::from(row.steps)
                * (p.get("lambda_request") + 3.0 * p.get("sqs_standard_request"))
            + busy * JOB_MEMORY_GB * p.get("lambda_arm64_gb_second")
            + p.get("http_api_request")
            + p.lambda(50.0);
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} / {} / {} | {:.0} | {:.0} | {} / {} | {} | {} | {:.1} ({:.1}) | {:.4} |",
            row.label,
            if row.done { "" } else { " (did not end)" },
            row.steps,
            all.dynamodb.len(),
            all.read,
            all.evaluated,
            all.written,
            all.rru,
            all.wru_total(),
            a,
            b,
            sqs,
            all.events,
            busy,
            row.elapsed.as_secs_f64(),
            price
        );
    }
    out
}

/// The reports' table: a year's daily report at each number of tickets.
pub fn report_section(rows: &[crate::reports::ReportRow], p: &Prices) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n### Reports (a year's daily report, `GET /v2/reports`; prices of {})\n",
        p.date()
    );
    let _ = writeln!(
        out,
        "The figures of N made-up tickets spread over the year (ten agents), then one report of the last 366 \
         days through the counting proxy. The items read depend on the days and groups, not on N. $ per report \
         (DynamoDB reads, the HTTP API request, 50 ms of Lambda).\n"
    );
    let _ = writeln!(
        out,
        "| tickets | groupBy | rows | DynamoDB requests | items read | RRU | latency ms | $ per report |\n|---:|---|---:|---:|---:|---:|---:|---:|"
    );
    for row in rows {
        let price = row.cost.storage_price(p) + p.get("http_api_request") + p.lambda(50.0);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.1} | {:.1} | {:.6} |",
            row.tickets,
            row.group_by,
            row.rows,
            row.cost.dynamodb.len(),
            row.cost.read,
            row.cost.rru,
            row.latency.as_secs_f64() * 1000.0,
            price
        );
    }
    out
}

impl Cost {
    /// The same requests (in any order), items evaluated and written, and S3 requests.
    fn same_as(&self, other: &Cost) -> bool {
        let sorted = |ops: &[String]| {
            let mut ops = ops.to_vec();
            ops.sort();
            ops
        };
        sorted(&self.dynamodb) == sorted(&other.dynamodb)
            && self.evaluated == other.evaluated
            && self.written == other.written
            && sorted(&self.s3) == sorted(&other.s3)
    }

    fn requests(&self) -> String {
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        for op in &self.dynamodb {
            *counts.entry(op).or_default() += 1;
        }
        let ops: Vec<String> = counts
            .iter()
            .map(|(op, n)| {
                if *n == 1 {
                    op.to_string()
                } else {
                    format!("{n}×{op}")
                }
            })
            .collect();
        format!("{} ({})", self.dynamodb.len(), ops.join(", "))
    }

    fn wru_indexes(&self) -> f64 {
        // (a float sum of nothing is -0.0)
        self.wru_index
            .values()
            .fold(0.0, |total, units| total + units)
    }

    /// Write units in all: the table's and the indexes'.
    pub fn wru_total(&self) -> f64 {
        self.wru + self.wru_indexes()
    }

    /// S3 requests billed as PUT/COPY/POST/LIST, and as GET/HEAD (DELETE is free).
    fn s3_classes(&self) -> (u64, u64) {
        let a = self
            .s3
            .iter()
            .filter(|m| matches!(m.as_str(), "PUT" | "POST"))
            .count();
        let b = self
            .s3
            .iter()
            .filter(|m| matches!(m.as_str(), "GET" | "HEAD"))
            .count();
        (a as u64, b as u64)
    }

    /// What DynamoDB, S3 and EventBridge bill for these requests, in dollars.
    fn storage_price(&self, p: &Prices) -> f64 {
        let (a, b) = self.s3_classes();
        self.rru * p.get("dynamodb_read_request_unit")
            + self.wru_total() * p.get("dynamodb_write_request_unit")
            + a as f64 * p.get("s3_put_copy_post_list_request")
            + b as f64 * p.get("s3_get_head_request")
            + self.events as f64 * p.get("eventbridge_custom_event")
            + self.emails() as f64 * p.get("ses_outbound_email")
    }

    /// E-mails sent through SES.
    fn emails(&self) -> u64 {
        self.other
            .iter()
            .filter(|op| *op == "ses.SendEmail")
            .count() as u64
    }

    fn s3(&self) -> String {
        if self.s3.is_empty() {
            "0".into()
        } else {
            format!("{} ({})", self.s3.len(), self.s3.join(", "))
        }
    }
}

/// The requests the proxy saw since the last call, and forget them.
pub fn proxy_take(proxy: &str) -> Cost {
    let (status, body) = crate::http("GET", &format!("{proxy}/__bench/take"), &[], &[]);
    let mut cost = Cost::default();
    if status != 200 {
        eprintln!("warning: the counting proxy answered {status}");
        return cost;
    }
    let requests: Vec<Value> = serde_json::from_slice(&body).unwrap_or_default();
    for r in requests {
        let op = r["op"].as_str().unwrap_or("?").to_string();
        match r["service"].as_str() {
            Some("dynamodb") => {
                cost.dynamodb.push(op);
                cost.read += r["read"].as_u64().unwrap_or(0);
                cost.evaluated += r["evaluated"].as_u64().unwrap_or(0);
                cost.written += r["written"].as_u64().unwrap_or(0);
                cost.capacity += r["capacity"].as_f64().unwrap_or(0.0);
                cost.rru += r["rru"].as_f64().unwrap_or(0.0);
                cost.wru += r["wru"].as_f64().unwrap_or(0.0);
                if let Some(indexes) = r["wru_index"].as_object() {
                    for (index, units) in indexes {
                        *cost.wru_index.entry(index.clone()).or_default() +=
                            units.as_f64().unwrap_or(0.0);
                    }
                }
            }
            Some("s3") => cost.s3.push(op),
            Some(service) => {
                cost.events += r["entries"].as_u64().unwrap_or(0);
                cost.other.push(format!("{service}.{op}"));
            }
            None => cost.other.push(op),
        }
    }
    cost
}

/// AWS list prices (infra/prices.json), by name; a missing price reads as zero.
pub struct Prices(pub Value);

impl Prices {
    pub fn load(root: &std::path::Path) -> Self {
        let text = std::fs::read_to_string(root.join("infra/prices.json")).unwrap_or_default();
        Prices(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub fn get(&self, name: &str) -> f64 {
        self.0[name].as_f64().unwrap_or(0.0)
    }

    fn date(&self) -> &str {
        self.0["date"].as_str().unwrap_or("?")
    }

    /// One invocation of `ms` at the template's 128 MB, arm64, billed by the millisecond.
    fn lambda(&self, ms: f64) -> f64 {
        self.get("lambda_request")
            + 0.125 * (ms.ceil() / 1000.0) * self.get("lambda_arm64_gb_second")
    }
}

pub struct Report<'a> {
    pub machine: String,
    pub settings: &'a Settings,
    pub functions: &'a [Function],
    pub results: &'a [Measured],
    pub hello: &'a Measured,
    pub floor: &'a Floor,
    pub cost_small: &'a [CostRow],
    pub cost_large: &'a [CostRow],
    pub prices: &'a Prices,
    pub zips: &'a BTreeMap<String, u64>,
    pub seed_small: Duration,
    pub seed_large: Duration,
    pub total: Duration,
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

pub fn report(r: Report) -> String {
    let s = r.settings;
    let mut out = String::new();
    let _ = writeln!(out, "## Benchmark run\n");
    let _ = writeln!(out, "- machine: {}", r.machine);
    let _ = writeln!(
        out,
        "- {} cold starts per function (init = process start to its first `next`; first = the first invocation), \
         {} warm invocations per function in one process; latencies are the emulator's: event written to response read",
        s.cold, s.warm
    );
    let _ = writeln!(
        out,
        "- table: {} tickets for the latency runs and the first cost run, {} for the second cost run \
         (seeded in {:.1} s and {:.1} s); whole benchmark {:.0} s",
        s.tickets,
        s.tickets_large,
        r.seed_small.as_secs_f64(),
        r.seed_large.as_secs_f64(),
        r.total.as_secs_f64()
    );

    let hello_init = median(&r.hello.init);
    let hello_hwm = r.hello.hwm_kib;
    let get_item = median(&r.floor.get_item);
    let query = median(&r.floor.query);
    let _ = writeln!(out, "\n### Floors (same run)\n");
    let _ = writeln!(
        out,
        "| floor | init p50 ms | first ms | warm p50 ms | warm p99 ms | peak RSS MiB | anon / file MiB |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    let _ = writeln!(
        out,
        "| bench-hello (lambda_runtime hello world) | {:.2} | {:.3} | {:.3} | {:.3} | {:.1} | {:.1} / {:.1} |",
        ms(hello_init),
        ms(median(&r.hello.first)),
        ms(median(&r.hello.warm)),
        ms(p99(&r.hello.warm)),
        mib(hello_hwm),
        mib(r.hello.anon_kib),
        mib(r.hello.file_kib)
    );
    let _ = writeln!(
        out,
        "| storage: bare SDK `GetItem` of a ticket item, in process | | | {:.3} | {:.3} | | |",
        ms(get_item),
        ms(p99(&r.floor.get_item))
    );
    let _ = writeln!(
        out,
        "| storage: bare SDK `Query` of a ticket's partition (get-ticket's request), in process | | | {:.3} | {:.3} | | |",
        ms(query),
        ms(p99(&r.floor.query))
    );

    let _ = writeln!(out, "\n### Functions\n");
    let _ = writeln!(
        out,
        "| function | init p50 ms | init / hello | first ms | warm p50 ms | warm p99 ms | p50 / GetItem | peak RSS MiB | RSS / hello | anon / file MiB | RSS @100 → @{} KiB | failed / invocations |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        s.warm
    );
    for (f, m) in r.functions.iter().zip(r.results) {
        let init = median(&m.init);
        let warm = median(&m.warm);
        let _ = writeln!(
            out,
            "| {} | {:.2} | {:.2} | {:.3} | {:.3} | {:.3} | {:.2} | {:.1} | {:.2} | {:.1} / {:.1} | {} → {} | {} / {}{} |",
            f.name,
            ms(init),
            ratio(init, hello_init),
            ms(median(&m.first)),
            ms(warm),
            ms(p99(&m.warm)),
            ratio(warm, get_item),
            mib(m.hwm_kib),
            m.hwm_kib as f64 / hello_hwm.max(1) as f64,
            mib(m.anon_kib),
            mib(m.file_kib),
            m.rss_100_kib,
            m.rss_last_kib,
            m.failed,
            m.invocations,
            if m.note.is_empty() || m.failed == 0 {
                String::new()
            } else {
                format!(" (last: `{}`)", m.note.replace('|', "/"))
            }
        );
    }

    let _ = writeln!(
        out,
        "\n### Cost per operation (one invocation, through the counting proxy)\n"
    );
    let _ = writeln!(
        out,
        "read = items returned; evaluated = items DynamoDB looked at (a Query's ScannedCount, the keys of a GetItem or \
         BatchGetItem), what reads are billed on; written = items put, updated or deleted; CU = ConsumedCapacity as moto \
         reports it (nominal, see docs/PERFORMANCE.md). `same` compares requests, evaluated, written and S3 requests: \
         items returned depend on the data (which counter shards exist yet, which tickets match a filter).\n"
    );
    let _ = writeln!(
        out,
        "| operation | DynamoDB requests @{} | read / evaluated / written | CU | S3 requests | DynamoDB requests @{} | read / evaluated / written | CU | S3 | same |\n|---|---|---:|---:|---|---|---:|---:|---|---|",
        s.tickets, s.tickets_large
    );
    for row in r.cost_small {
        let small = &row.now;
        let large = r.cost_large.iter().find(|l| l.label == row.label);
        let (large_cost, large_ok) = large.map(|l| (l.now.clone(), l.ok)).unwrap_or_default();
        let same = large.is_some() && small.same_as(&large_cost);
        let _ = writeln!(
            out,
            "| {}{} | {} | {} / {} / {} | {:.1} | {} | {}{} | {} / {} / {} | {:.1} | {} | {} |",
            row.label,
            if row.ok { "" } else { " (failed)" },
            small.requests(),
            small.read,
            small.evaluated,
            small.written,
            small.capacity,
            small.s3(),
            large_cost.requests(),
            if large_ok { "" } else { " (failed)" },
            large_cost.read,
            large_cost.evaluated,
            large_cost.written,
            large_cost.capacity,
            large_cost.s3(),
            if same { "yes" } else { "**no**" }
        );
    }

    billed_table(&mut out, &r);

    if !r.zips.is_empty() {
        let _ = writeln!(
            out,
            "\n### Package size (`cargo lambda build --release --arm64 --output-format zip`)\n"
        );
        let _ = writeln!(out, "| function | zip KiB | zip MiB |\n|---|---:|---:|");
        for (name, size) in r.zips {
            let _ = writeln!(
                out,
                "| {name} | {:.0} | {:.2} |",
                *size as f64 / 1024.0,
                *size as f64 / 1024.0 / 1024.0
            );
        }
    }

    let _ = writeln!(out, "\n### Targets\n");
    let mut check = |ok: bool, text: String| {
        let _ = writeln!(out, "- [{}] {text}", if ok { "x" } else { " " });
    };
    let worst_init = r
        .functions
        .iter()
        .zip(r.results)
        .map(|(f, m)| (ratio(median(&m.init), hello_init), f.name.as_str()))
        .fold((0.0, ""), |a, b| if b.0 > a.0 { b } else { a });
    check(
        worst_init.0 <= 1.5,
        format!(
            "every function's init <= 1.5 × the hello-world floor: worst {:.2} × ({})",
            worst_init.0, worst_init.1
        ),
    );
    if let Some((_, m)) = r
        .functions
        .iter()
        .zip(r.results)
        .find(|(f, _)| f.name == "get-ticket")
    {
        // The floor is the request get-ticket sends (a Query of the ticket's partition: the
        // ticket with its thread and attachments), sent bare, in step with get-ticket's loop.
        let warm = median(&m.warm);
        check(
            ratio(warm, query) <= 1.10,
            format!(
                "get-ticket warm p50 <= 1.10 × the storage floor: {:.3} ms / {:.3} ms = {:.2} × the bare Query it sends \
                 ({:.2} × a bare GetItem of the ticket item alone)",
                ms(warm),
                ms(query),
                ratio(warm, query),
                ratio(warm, get_item)
            ),
        );
    }
    let worst_rss = r
        .functions
        .iter()
        .zip(r.results)
        .map(|(f, m)| (m.hwm_kib as f64 / hello_hwm.max(1) as f64, f.name.as_str()))
        .fold((0.0, ""), |a, b| if b.0 > a.0 { b } else { a });
    check(
        worst_rss.0 <= 1.15,
        format!(
            "peak RSS <= 1.15 × the hello-world floor's after {} invocations: worst {:.2} × ({})",
            s.warm, worst_rss.0, worst_rss.1
        ),
    );
    let growing: Vec<String> = r
        .functions
        .iter()
        .zip(r.results)
        .filter(|(_, m)| m.rss_last_kib > m.rss_100_kib)
        .map(|(f, m)| {
            format!(
                "{} (anon {:+} KiB, file {:+} KiB)",
                f.name,
                m.anon_kib as i64 - m.anon_100_kib as i64,
                m.file_kib as i64 - m.file_100_kib as i64
            )
        })
        .collect();
    check(
        growing.is_empty(),
        format!(
            "no RSS growth between the 100th and the {}th invocation: {}",
            s.warm,
            if growing.is_empty() {
                "none grew".to_string()
            } else {
                format!("grew: {}", growing.join(", "))
            }
        ),
    );
    if !r.zips.is_empty() {
        let largest = r.zips.iter().max_by_key(|(_, v)| **v).expect("not empty");
        check(
            *largest.1 <= 4 * 1024 * 1024,
            format!(
                "arm64 zip <= 4 MiB per function: largest {:.2} MiB ({})",
                *largest.1 as f64 / 1024.0 / 1024.0,
                largest.0
            ),
        );
    }
    let get = r.cost_small.iter().find(|row| row.label == "get-ticket");
    check(
        get.is_some_and(|row| row.now.dynamodb.len() == 1),
        format!(
            "get-ticket is one DynamoDB request: {}",
            get.map_or("not measured".into(), |row| row.now.requests())
        ),
    );
    for (label, limit) in WRITE_TARGETS {
        for row in r
            .cost_small
            .iter()
            .filter(|row| row.label.starts_with(label))
        {
            check(
                row.ok && row.now.wru_total() <= *limit,
                format!(
                    "`{}` writes <= {limit} write units itself: {} (table {}, indexes {})",
                    row.label,
                    row.now.wru_total(),
                    row.now.wru,
                    row.now.wru_indexes()
                ),
            );
        }
    }
    // A page is one Query; counts add at most one BatchGetItem; a numbered page (`page=N`) adds
    // the key-only Query that skips the tickets before it.
    let lists: Vec<_> = r
        .cost_small
        .iter()
        .filter(|row| row.label.starts_with("list-tickets"))
        .map(|row| (&row.label, &row.now))
        .collect();
    let bounded = |label: &str, c: &Cost| {
        let queries = c
            .dynamodb
            .iter()
            .filter(|op| op.as_str() == "Query")
            .count();
        let others = c.dynamodb.len() - queries;
        queries == 1 + usize::from(label.contains("page=")) && others <= 1
    };
    if !lists.is_empty() {
        check(
        lists.iter().all(|(l, c)| bounded(l, c)),
        format!(
            "a list page is one Query (plus one BatchGetItem for counts, plus the skip for a numbered page): {}",
            lists
                .iter()
                .map(|(l, c)| format!("`{l}`: {}", c.requests()))
                .collect::<Vec<_>>()
                .join("; ")
        ),
    );
    }
    let same = r.cost_small.iter().all(|row| {
        r.cost_large
            .iter()
            .any(|l| l.label == row.label && row.now.same_as(&l.now))
    });
    check(
        same,
        format!(
            "the figures at {} tickets equal those at {}",
            s.tickets_large, s.tickets
        ),
    );
    out
}

/// The write targets (docs/COST.md): what the request itself writes, table, transaction and
/// indexes, for the sized cases.
const WRITE_TARGETS: &[(&str, f64)] = &[
    ("add-thread-message, 1 KB (", 12.0),
    ("update-ticket, one field (", 16.0),
];

/// The billed-unit table: per operation, at the first table size, what DynamoDB, S3,
/// EventBridge, Lambda and the HTTP API bill, now and for what the stream consumer does later.
fn billed_table(out: &mut String, r: &Report) {
    let p = r.prices;
    let warm = |name: &str| {
        r.functions
            .iter()
            .zip(r.results)
            .find(|(f, _)| f.name == name)
            .map_or(0.0, |(_, m)| ms(median(&m.warm)))
    };
    let _ = writeln!(
        out,
        "\n### Billed units and price per operation ({} tickets; prices of {}, {})\n",
        r.settings.tickets,
        p.date(),
        p.0["region"].as_str().unwrap_or("?")
    );
    let _ = writeln!(
        out,
        "Request units from the real items by DynamoDB's rules (infra/billing.py, docs/COST.md): RRU read, WRU \
         written by the table (transactions count double) and by the indexes. *later* = what the stream consumer \
         (`on-ticket-change`) spends on the records this request wrote. Lambda: the warm p50 of this run at 128 MB \
         arm64, billed per ms; HTTP functions add an HTTP API request. $ per million operations.\n"
    );
    let _ = writeln!(
        out,
        "| operation | RRU | WRU table | WRU indexes (indexes written) | later RRU / WRU | S3 A / B | events | Lambda ms | $ / million (now + later) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    );
    for row in r.cost_small {
        let (a, b) = row.now.s3_classes();
        let function_ms = warm(&row.function);
        let http = r
            .functions
            .iter()
            .find(|f| f.name == row.function)
            .is_some_and(|f| f.fixture.contains("\"routeKey\""));
        let mut price = row.now.storage_price(p) + p.lambda(function_ms);
        if http {
            price += p.get("http_api_request");
        }
        let later = if row.later == Cost::default() {
            "".to_string()
        } else {
            price += row.later.storage_price(p) + p.lambda(warm("on-ticket-change"));
            format!("{} / {}", row.later.rru, row.later.wru_total())
        };
        let _ = writeln!(
            out,
            "| {}{} | {} | {} | {} ({}) | {} | {} / {} | {} | {:.1} | {:.2} |",
            row.label,
            if row.ok { "" } else { " (failed)" },
            row.now.rru,
            row.now.wru,
            row.now.wru_indexes(),
            row.now.wru_index.len(),
            later,
            a,
            b,
            row.now.events,
            function_ms,
            price * 1e6
        );
    }
}

fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        0.0
    } else {
        a.as_secs_f64() / b.as_secs_f64()
    }
}
