//! The hot-partition simulation (docs/COST.md, "How far one deployment scales").
//!
//! Replays a generated desk workload through the layout's own key functions
//! (`tickets_dynamodb::layout`: the ticket item with its index keys, the counter items a change
//! updates) and the table definition (`infra/storage.json`: each index's key and projection),
//! and adds up the write units every partition key receives, by DynamoDB's rules (the same as
//! `infra/billing.py`: an entry put or deleted is one write of its size, a moved key a delete
//! and a put, a changed projected attribute one write, transactions double the table's
//! writes). A partition key takes about 1,000 write units per second, and with a time-ordered
//! sort key a hot one cannot be split further, so the write rate at which the hottest key
//! reaches that limit is the ceiling of the whole deployment.
//!
//! It runs the workload on the plain layout (one list shard) and on each sharded one given
//! (`LIST_SHARDS`, docs/COST.md), and prints each layout's ceiling.
//!
//! Usage: `cargo run --release -p tickets-bench --bin hotspots [TICKETS] [SHARDS...]`
//! (default 10,000 tickets; shards 1, 4 and 16).

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::Value;
use tickets_domain::store::Facet;
use tickets_domain::{Category, Priority, Status, TicketSummary, Timestamp};
use tickets_dynamodb::layout::{counter_pk, Item, Layout};

/// DynamoDB's write limit per partition key, in write units per second.
const PARTITION_LIMIT: f64 = 1_000.0;

struct Index {
    name: String,
    hash: String,
    range: Option<String>,
    projection: String,
    included: Vec<String>,
}

fn indexes(storage: &Value) -> Vec<Index> {
    storage["table"]["GlobalSecondaryIndexes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|gsi| {
            let key = |kind: &str| {
                gsi["KeySchema"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|k| k["KeyType"] == kind)
                    .and_then(|k| k["AttributeName"].as_str())
                    .map(str::to_owned)
            };
            Index {
                name: gsi["IndexName"].as_str().unwrap_or("?").to_owned(),
                hash: key("HASH").unwrap_or_default(),
                range: key("RANGE"),
                projection: gsi["Projection"]["ProjectionType"]
                    .as_str()
                    .unwrap_or("ALL")
                    .to_owned(),
                included: gsi["Projection"]["NonKeyAttributes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect(),
            }
        })
        .collect()
}

fn number_size(text: &str) -> usize {
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let significant = digits
        .trim_start_matches('0')
        .trim_end_matches('0')
        .len()
        .max(1);
    significant.div_ceil(2) + 1
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        AttributeValue::N(n) => number_size(n),
        AttributeValue::Bool(_) | AttributeValue::Null(_) => 1,
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => {
            3 + map
                .iter()
                .map(|(k, v)| 1 + k.len() + value_size(v))
                .sum::<usize>()
        }
        _ => 0,
    }
}

fn item_size(item: &Item) -> usize {
    item.iter().map(|(k, v)| k.len() + value_size(v)).sum()
}

fn write_units(size: usize) -> f64 {
    size.div_ceil(1024).max(1) as f64
}

fn entry(index: &Index, item: &Item) -> Option<Item> {
    if !item.contains_key(&index.hash)
        || index.range.as_ref().is_some_and(|r| !item.contains_key(r))
    {
        return None;
    }
    let keys = [
        "pk",
        "sk",
        index.hash.as_str(),
        index.range.as_deref().unwrap_or(""),
    ];
    Some(
        item.iter()
            .filter(|(name, _)| {
                index.projection == "ALL"
                    || keys.contains(&name.as_str())
                    || (index.projection == "INCLUDE" && index.included.contains(name))
            })
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

fn hash_of(index: &Index, entry: &Item) -> String {
    match entry.get(&index.hash) {
        Some(AttributeValue::S(s)) => s.clone(),
        other => format!("{other:?}"),
    }
}

/// Write units per partition key, by index (the table's own under `table`).
#[derive(Default)]
struct Heat {
    units: BTreeMap<String, HashMap<String, f64>>,
    writes: u64,
}

impl Heat {
    fn add(&mut self, index: &str, key: String, units: f64) {
        *self
            .units
            .entry(index.to_owned())
            .or_default()
            .entry(key)
            .or_default() += units;
    }

    /// One ticket write, from `before` (None: created) to `after`, with the counter items it
    /// updates in the same transaction.
    fn write(
        &mut self,
        layout: &Layout,
        indexes: &[Index],
        counters: &mut HashMap<String, BTreeMap<String, i64>>,
        before: Option<&TicketSummary>,
        after: &TicketSummary,
    ) {
        self.writes += 1;
        let old = before.map(|t| layout.ticket_item(t).expect("item"));
        let new = layout.ticket_item(after).expect("item");
        let changes = Facet::changes(before, after);
        let transactional = if changes.is_empty() { 1.0 } else { 2.0 };
        let size = old.as_ref().map_or(0, item_size).max(item_size(&new));
        self.add(
            "table (ticket items)",
            format!("TICKET#{}", after.id),
            transactional * write_units(size),
        );
        for (set, delta) in changes {
            let pk = counter_pk(&set, &after.id);
            let counter = counters.entry(pk.clone()).or_default();
            for (facet, change) in delta {
                *counter.entry(facet).or_default() += change;
            }
            let size =
                pk.len() + "COUNTER".len() + 4 + counter.keys().map(|k| k.len() + 3).sum::<usize>();
            self.add("table (counter items)", pk, 2.0 * write_units(size));
        }
        for index in indexes {
            let was = old.as_ref().and_then(|item| entry(index, item));
            let is = entry(index, &new);
            match (was, is) {
                (None, None) => {}
                (None, Some(e)) => {
                    self.add(&index.name, hash_of(index, &e), write_units(item_size(&e)))
                }
                (Some(e), None) => {
                    self.add(&index.name, hash_of(index, &e), write_units(item_size(&e)))
                }
                (Some(a), Some(b)) => {
                    let moved = a.get(&index.hash) != b.get(&index.hash)
                        || index.range.as_ref().is_some_and(|r| a.get(r) != b.get(r));
                    if moved {
                        self.add(&index.name, hash_of(index, &a), write_units(item_size(&a)));
                        self.add(&index.name, hash_of(index, &b), write_units(item_size(&b)));
                    } else if a != b {
                        let units = write_units(item_size(&a).max(item_size(&b)));
                        self.add(&index.name, hash_of(index, &b), units);
                    }
                }
            }
        }
    }
}

impl Heat {
    /// A thread message that changes no field of its ticket: a check of the ticket item and the
    /// message's put, in one transaction, in the ticket's own partition; no index.
    fn message(&mut self, layout: &Layout, ticket: &TicketSummary, bytes: usize) {
        self.writes += 1;
        let size = item_size(&layout.ticket_item(ticket).expect("item"));
        let check = 2.0 * write_units(size);
        self.add(
            "table (ticket items)",
            format!("TICKET#{}", ticket.id),
            check,
        );
        self.message_item(ticket, bytes);
    }

    /// The message item itself (about 200 bytes beside its text), in a transaction.
    fn message_item(&mut self, ticket: &TicketSummary, bytes: usize) {
        let units = 2.0 * write_units(bytes + 200);
        self.add(
            "table (ticket items)",
            format!("TICKET#{}", ticket.id),
            units,
        );
    }
}

/// A small deterministic generator (xorshift), so every run replays the same workload.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// The reference lifecycle of one ticket (docs/COST.md): created by its client, assigned and
/// taken in progress, six messages (the first agent reply is the first response), resolved,
/// closed by automation. Each step is what the domain changes on the ticket item.
fn lifecycle(
    heat: &mut Heat,
    layout: &Layout,
    indexes: &[Index],
    counters: &mut HashMap<String, BTreeMap<String, i64>>,
    dice: &mut Dice,
    n: usize,
    start: Timestamp,
) {
    let mut clock = start.as_datetime();
    let mut tick = |minutes: i64| {
        clock += chrono::Duration::minutes(minutes);
        Timestamp::from(clock)
    };
    let created = tick(0);
    let mut ticket = TicketSummary {
        id: ulid::Ulid::from_parts(created.as_datetime().timestamp_millis() as u64, n as u128)
            .to_string(),
        title: "Cannot verify my identity on the mobile app".into(),
        description: "d".repeat(200 + dice.roll(1_800)),
        status: Status::Open,
        priority: Priority::ALL[dice.roll(Priority::ALL.len())],
        category: Category::ALL[dice.roll(Category::ALL.len())],
        client: format!("client-{}", dice.roll(1_000)),
        assigned_to: None,
        tags: (0..1 + dice.roll(3))
            .map(|_| format!("tag-{}", dice.roll(50)))
            .collect(),
        resolution: None,
        created_at: created,
        updated_at: created,
        resolved_at: None,
        first_response_at: None,
        closed_at: None,
        reopened_at: None,
        deleted_at: None,
        changed_by: None,
        satisfaction: None,
        merged_into: None,
        merged_from: Vec::new(),
        sla: None,
        version: 1,
    };
    heat.write(layout, indexes, counters, None, &ticket);
    let mut step = |heat: &mut Heat,
                    ticket: &mut TicketSummary,
                    at: Timestamp,
                    change: &dyn Fn(&mut TicketSummary)| {
        let before = ticket.clone();
        change(ticket);
        ticket.version += 1;
        ticket.updated_at = at;
        heat.write(layout, indexes, counters, Some(&before), ticket);
    };
    let agent = format!("agent-{}", dice.roll(20));
    step(heat, &mut ticket, tick(30), &|t| {
        t.assigned_to = Some(agent.clone());
        t.status = Status::InProgress;
    });
    for message in 0..6 {
        let at = tick(60);
        // The first agent reply is the first response, an update of the ticket beside the
        // message; every other message changes nothing and only checks the ticket.
        if message == 0 {
            step(heat, &mut ticket, at, &|t| t.first_response_at = Some(at));
            heat.message_item(&ticket, 400);
        } else {
            heat.message(layout, &ticket, 400);
        }
    }
    let at = tick(120);
    step(heat, &mut ticket, at, &|t| {
        t.status = Status::Resolved;
        t.resolved_at = Some(at);
        t.resolution = Some("Fixed in the latest release.".into());
    });
    let at = tick(4 * 24 * 60);
    step(heat, &mut ticket, at, &|t| {
        t.status = Status::Closed;
        t.closed_at = Some(at);
    });
}

fn main() {
    let mut args = std::env::args().skip(1);
    let tickets: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let mut shards: Vec<u32> = args.filter_map(|n| n.parse().ok()).collect();
    if shards.is_empty() {
        shards = vec![1, 4, 16];
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let storage: Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("infra/storage.json")).expect("infra/storage.json"),
    )
    .expect("storage.json is JSON");
    let indexes = indexes(&storage);
    let mut ceilings = Vec::new();
    for count in shards {
        let Some(layout) = Layout::new(count) else {
            eprintln!(
                "skipped {count} shards: 1 to {} are possible",
                Layout::MAX_LIST_SHARDS
            );
            continue;
        };
        ceilings.push((count, simulate(&layout, &indexes, tickets)));
    }
    println!("## Ceilings\n\n| list shards | ceiling, ticket writes/s | hottest key at 1,000 writes/s |\n|---:|---:|---:|");
    for (count, ceiling) in ceilings {
        println!(
            "| {count} | {ceiling:.0} | {:.1}% of a partition |",
            100.0 * 1_000.0 / ceiling
        );
    }
}

/// Replays `tickets` lifecycles on `layout`, prints the table per index and returns the
/// ceiling in ticket writes per second.
fn simulate(layout: &Layout, indexes: &[Index], tickets: usize) -> f64 {
    let mut heat = Heat::default();
    let mut counters = HashMap::new();
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    let start: Timestamp = "2026-11-01T08:00:00Z".parse().expect("time");
    for n in 0..tickets {
        let opened =
            Timestamp::from(start.as_datetime() + chrono::Duration::seconds(n as i64 * 17));
        lifecycle(
            &mut heat,
            layout,
            indexes,
            &mut counters,
            &mut dice,
            n,
            opened,
        );
    }
    let writes = heat.writes as f64;
    println!(
        "## Hot partitions: {} list shard(s) (infra/storage.json)\n",
        layout.list_shards()
    );
    println!(
        "{tickets} tickets, {} ticket writes (create, assign, 6 messages, resolve, close each). Per ticket write: \
         the write units each partition key receives; the ceiling is the ticket-write rate at which the hottest \
         key of that index reaches {PARTITION_LIMIT} write units per second.\n",
        heat.writes
    );
    println!("| index | keys | write units per ticket write | hottest key | its units per ticket write | ceiling, ticket writes/s | at 1,000 writes/s |\n|---|---:|---:|---|---:|---:|---:|");
    let mut ceiling = f64::INFINITY;
    for (index, keys) in &heat.units {
        let total: f64 = keys.values().sum();
        let (hot, units) = keys
            .iter()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .map(|(k, v)| (k.clone(), *v))
            .unwrap_or_default();
        let per_write = units / writes;
        let limit = PARTITION_LIMIT / per_write;
        ceiling = ceiling.min(limit);
        let hot = if keys.len() > 20 {
            format!("{hot} (one of {})", keys.len())
        } else {
            hot
        };
        println!(
            "| {index} | {} | {:.2} | `{hot}` | {:.3} | {:.0} | {:.1}% of a partition |",
            keys.len(),
            total / writes,
            per_write,
            limit,
            100.0 * per_write * 1_000.0 / PARTITION_LIMIT
        );
    }
    println!(
        "\nCeiling with {} list shard(s): {ceiling:.0} ticket writes per second.\n",
        layout.list_shards()
    );
    ceiling
}
