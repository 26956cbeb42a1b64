"""How the local stack behaves as the table grows: memory of every local server process and
latency of the API, measured at growing table sizes.

The script fills the table of a running local stack (moto + `cargo lambda watch` + the relay,
as infra/scale.sh starts them) through the local HTTP API, with WORKERS concurrent workers.
Each ticket is opened by one of 50 clients (client-1..client-50, unsigned local tokens as in the
README); every MESSAGE_EVERY-th ticket (default 2nd) gets a thread message from its client, and
every ATTACHMENT_EVERY-th (default 10th) an attachment
(declared through the API, then uploaded with a PUT to the presigned URL), so the relay's
triggers (table stream -> on-ticket-change, S3 upload -> on-attachment-uploaded) run throughout.

At each checkpoint (a number of tickets created) the workers drain, and one row is printed:
- the resident memory (VmRSS, MiB) of the stack's processes: moto, the relay, `cargo lambda
  watch`, and the function processes it spawned (their sum, count and the largest one). The
  processes are found in /proc by command line and parent chain, matched to this stack's ports
  and prefix, so another stack on the machine is not counted;
- the median and p90 latency (ms) of the last WINDOW creates, messages and attachment
  declarations before the checkpoint (made under the full WORKERS concurrency), and of 20
  list pages (`GET /v2/support-tickets?page=1&limit=20` as an agent) and 20 second pages
  (the first page's `nextCursor`), made one at a time at the checkpoint;
- the table's item count (tickets, messages, history, counters...) and the relay's lag: how
  long after the drain the last ticket's history (from the stream) and the last attachment's
  upload check (from the S3 event) appear.

Memory is also sampled every second in the background, so the summary's maxima include peaks
between checkpoints. The summary gives the maximum RSS of each kind of process, the ratio of
the median create at the last checkpoint to the median at the first (100 by default), and
PASS/FAIL for the two targets: every local server process under 1 GiB, and that ratio <= 2.0.
The exit status is non-zero if any request answered 5xx, timed out (60 s) or failed otherwise,
or if a target failed; after MAX_FAILURES failed requests the run stops early.

Run it through the script that starts its own stack:
    ./infra/scale.sh                                   # 20,000 tickets
    ./infra/scale.sh --tickets 300 --checkpoints 100,300
or against a running stack:
    python infra/scale.py API_URL MOTO_ENDPOINT [--prefix tickets-scale] [--tickets N]
        [--workers 4] [--checkpoints 100,1000,...] [--window 200] [--max-failures 20]
All traffic goes to 127.0.0.1.
"""

import argparse
import math
import os
import sys
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

import boto3
import requests

sys.path.insert(0, str(Path(__file__).parent))
import identity  # noqa: E402

BASE = "/v2/support-tickets"
TIMEOUT_SECONDS = 60
CLIENTS = 50
MESSAGE_EVERY = 2
ATTACHMENT_EVERY = 10
DEFAULT_CHECKPOINTS = (100, 1000, 2500, 5000, 10000, 15000, 20000)
LIST_CALLS = 20
LIST_LIMIT = 20
RELAY_LAG_LIMIT_SECONDS = 60
SAMPLE_SECONDS = 1.0
RSS_LIMIT_MIB = 1024
CREATE_RATIO_LIMIT = 2.0
ROOT = Path(__file__).resolve().parent.parent


# -- tokens ------------------------------------------------------------------------------------


class Tokens:
    """ID tokens of the run's users, from the local user pool (infra/identity.py); a user signs in
    again before its token expires, since a run can outlast one."""

    REFRESH_SECONDS = 50 * 60

    def __init__(self, endpoint: str, prefix: str):
        self.endpoint, self.prefix = endpoint, prefix
        self.cache: dict[str, tuple[float, str]] = {}

    def __call__(self, user: str, role: str) -> str:
        signed_at, token = self.cache.get(user, (0.0, ""))
        if time.monotonic() - signed_at > self.REFRESH_SECONDS:
            token = identity.id_token(self.endpoint, self.prefix, user, role)
            self.cache[user] = (time.monotonic(), token)
        return token

    def client(self, index: int) -> str:
        return self(f"client-{(index - 1) % CLIENTS + 1}", "client")

    def agent(self) -> str:
        return self("agent-scale", "agent")


TOKENS: Tokens  # set by main()


# -- requests, their latencies and failures ---------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@dataclass
class Failure:
    operation: str
    kind: str  # "5xx", "timeout", "connection" or "unexpected" (another status than expected)
    detail: str


@dataclass
class Recorder:
    """Sends requests to 127.0.0.1, keeps the latency of each success by operation, in order,
    and every failure. Shared by the worker threads; each thread has its own HTTP session.
    After `max_failures` failures it is `aborted` and sends nothing more (a function that
    cannot start would otherwise cost a timeout per request for the rest of the run)."""

    max_failures: int = 20
    aborted: threading.Event = field(default_factory=threading.Event)
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    failures: list[Failure] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    local: threading.local = field(default_factory=threading.local)

    def session(self) -> requests.Session:
        if not hasattr(self.local, "session"):
            self.local.session = requests.Session()
        return self.local.session

    def call(self, operation: str, method: str, url: str, expect: int, bearer: str | None = None,
             **kwargs) -> requests.Response | None:
        """The response if it had the expected status (its `latency_ms` set), else None (the
        failure is recorded)."""
        if self.aborted.is_set():
            return None
        host = urlparse(url).hostname
        if host != "127.0.0.1":
            self.fail(operation, "unexpected", f"refused to send to {host} (loopback only)")
            return None
        headers = dict(kwargs.pop("headers", {}))
        if bearer:
            headers["Authorization"] = f"Bearer {bearer}"
        start = time.perf_counter()
        try:
            response = self.session().request(method, url, headers=headers, timeout=TIMEOUT_SECONDS, **kwargs)
        except requests.Timeout:
            self.fail(operation, "timeout", f"{method} {url}: no answer in {TIMEOUT_SECONDS} s")
            return None
        except requests.RequestException as err:
            self.fail(operation, "connection", f"{method} {url}: {err!r}")
            return None
        elapsed_ms = (time.perf_counter() - start) * 1000
        if response.status_code != expect:
            kind = "5xx" if response.status_code >= 500 else "unexpected"
            self.fail(operation, kind, f"{method} {url}: {response.status_code} {response.text[:300]}")
            return None
        with self.lock:
            self.latencies[operation].append(elapsed_ms)
        response.latency_ms = elapsed_ms
        return response

    def fail(self, operation: str, kind: str, detail: str) -> None:
        with self.lock:
            self.failures.append(Failure(operation, kind, detail))
            if len(self.failures) >= self.max_failures:
                self.aborted.set()

    def window(self, operation: str, size: int) -> list[float]:
        with self.lock:
            return list(self.latencies[operation][-size:])


# -- the load ---------------------------------------------------------------------------------


@dataclass
class Load:
    """Creates tickets, their messages and attachments through the API."""

    api_url: str
    recorder: Recorder
    message_every: int = MESSAGE_EVERY
    attachment_every: int = ATTACHMENT_EVERY
    last_ticket: dict = field(default_factory=dict)  # {"id", "index"} of the newest ticket
    last_attachment: dict = field(default_factory=dict)  # {"ticket", "id", "index"}
    lock: threading.Lock = field(default_factory=threading.Lock)

    PRIORITIES = ("low", "medium", "high", "urgent")
    CATEGORIES = ("technical", "billing", "account", "feature_request", "general")

    def ticket(self, index: int) -> None:
        """Ticket number `index` (from 1): create; a message and an attachment on some."""
        if self.recorder.aborted.is_set():
            return
        bearer = TOKENS.client(index)
        body = {
            "title": f"Scale ticket {index}",
            "description": f"Ticket {index} of the scale run: the export page times out.",
            "priority": self.PRIORITIES[index % len(self.PRIORITIES)],
            "category": self.CATEGORIES[index % len(self.CATEGORIES)],
            "tags": [f"scale-{index % 10}"],
        }
        created = self.recorder.call("create", "POST", f"{self.api_url}{BASE}", 201, bearer, json=body)
        if created is None:
            return
        ticket_id = created.json()["data"]["_id"]
        self.remember("last_ticket", {"id": ticket_id, "index": index})

        if index % self.message_every == 0:
            message = {"message": f"Any news on ticket {index}? It still happens."}
            self.recorder.call("message", "POST", f"{self.api_url}{BASE}/{ticket_id}/threads", 201, bearer,
                               json=message)

        if index % self.attachment_every == 0:
            self.attachment(index, ticket_id, bearer)

    def attachment(self, index: int, ticket_id: str, bearer: str) -> None:
        data = f"log of ticket {index}\n".encode() * 64
        declaration = {"filename": f"log-{index}.txt", "size": len(data), "type": "text/plain"}
        declared = self.recorder.call("attach", "POST", f"{self.api_url}{BASE}/{ticket_id}/attachments", 201,
                                      bearer, json=declaration)
        if declared is None:
            return
        attachment = declared.json()["data"]
        upload = attachment["upload"]
        uploaded = self.recorder.call("upload", upload["method"], upload["url"], 200,
                                      headers=upload["headers"], data=data)
        if uploaded is not None:
            self.remember("last_attachment", {"ticket": ticket_id, "id": attachment["_id"], "index": index})

    def remember(self, name: str, value: dict) -> None:
        with self.lock:
            if value["index"] >= getattr(self, name).get("index", 0):
                setattr(self, name, value)


# -- the stack's processes --------------------------------------------------------------------


@dataclass(frozen=True)
class Process:
    pid: int
    kind: str  # "moto", "relay", "watch", "function" or "launcher" (see Stack.processes)
    name: str


def read_proc(pid: int, name: str) -> str:
    return Path(f"/proc/{pid}/{name}").read_text(errors="replace")


def process_table() -> dict[int, tuple[int, list[str]]]:
    """pid -> (parent pid, argv) of every process that can be read."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        try:
            argv = read_proc(pid, "cmdline").split("\0")[:-1]
            parent = int(read_proc(pid, "stat").rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue  # gone, or not ours to read
        table[pid] = (parent, argv)
    return table


def rss_mib(pid: int, field_name: str = "VmRSS") -> float | None:
    try:
        for line in read_proc(pid, "status").splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None  # gone (or a kernel thread)


@dataclass
class Stack:
    """Finds the processes of the stack on these ports and prefix."""

    moto_port: int
    api_port: int
    api_url: str
    prefix: str

    def processes(self) -> list[Process]:
        table = process_table()
        found: dict[int, Process] = {}
        for pid, (_, argv) in table.items():
            if self.is_moto(argv):
                found[pid] = Process(pid, "moto", "moto_server.py")
            elif self.is_relay(argv):
                found[pid] = Process(pid, "relay", "relay.py")
            elif self.is_watch(argv):
                found[pid] = Process(pid, "watch", Path(argv[0]).name)
        # Whatever the watcher started: it starts a function with `cargo run`, which checks the
        # build (running rustc, for a moment) and then execs the function binary in place.
        # Before that exec the process is a "launcher".
        children = defaultdict(list)
        for pid, (parent, _) in table.items():
            children[parent].append(pid)
        pending = [pid for pid, p in found.items() if p.kind == "watch"]
        while pending:
            for child in children[pending.pop()]:
                if child in found:
                    continue
                binary = self.executable(child)
                if binary is not None and binary.parent.parent == ROOT / "target":
                    found[child] = Process(child, "function", binary.name)
                else:
                    argv = table[child][1]
                    found[child] = Process(child, "launcher", Path(argv[0]).name if argv else "?")
                pending.append(child)
        return sorted(found.values(), key=lambda p: (p.kind, p.pid))

    def is_moto(self, argv: list[str]) -> bool:
        return any(a.endswith("moto_server.py") for a in argv) and str(self.moto_port) in argv

    def is_relay(self, argv: list[str]) -> bool:
        return any(a.endswith("relay.py") for a in argv) and self.api_url in argv and self.prefix in argv

    def is_watch(self, argv: list[str]) -> bool:
        if "watch" not in argv or "--invoke-port" not in argv:
            return False
        at = argv.index("--invoke-port")
        return at + 1 < len(argv) and argv[at + 1] == str(self.api_port)

    @staticmethod
    def executable(pid: int) -> Path | None:
        try:
            return Path(os.readlink(f"/proc/{pid}/exe"))
        except OSError:
            return None


@dataclass
class Memory:
    """One reading of the stack's memory."""

    by_process: dict[Process, float]

    def kind_sum(self, kind: str) -> float:
        return sum(mib for p, mib in self.by_process.items() if p.kind == kind)

    def largest(self, kind: str) -> tuple[Process | None, float]:
        ours = [(p, mib) for p, mib in self.by_process.items() if p.kind == kind]
        return max(ours, key=lambda item: item[1]) if ours else (None, 0.0)

    def count(self, kind: str) -> int:
        return sum(1 for p in self.by_process if p.kind == kind)


def read_memory(stack: Stack) -> Memory:
    readings = {}
    for process in stack.processes():
        mib = rss_mib(process.pid)
        if mib is not None:
            readings[process] = mib
    return Memory(readings)


class Sampler(threading.Thread):
    """Samples the stack's memory every second; keeps the maxima per kind and per process."""

    KINDS = ("moto", "relay", "watch", "launcher", "function")

    def __init__(self, stack: Stack):
        super().__init__(daemon=True)
        self.stack = stack
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.kind_max: dict[str, float] = defaultdict(float)  # the kind's sum
        self.process_max: dict[Process, float] = defaultdict(float)
        self.peak_hwm: dict[Process, float] = {}  # VmHWM, the kernel's own peak per process

    def run(self) -> None:
        while not self.stopping.wait(SAMPLE_SECONDS):
            self.sample()

    def sample(self) -> Memory:
        memory = read_memory(self.stack)
        with self.lock:
            for kind in self.KINDS:
                self.kind_max[kind] = max(self.kind_max[kind], memory.kind_sum(kind))
            for process, mib in memory.by_process.items():
                self.process_max[process] = max(self.process_max[process], mib)
                hwm = rss_mib(process.pid, "VmHWM")
                if hwm is not None:
                    self.peak_hwm[process] = max(self.peak_hwm.get(process, 0.0), hwm)
        return memory

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.sample()


# -- checkpoints ------------------------------------------------------------------------------


@dataclass
class Row:
    tickets: int
    items: int | None
    api_total: int | None
    memory: Memory
    latency: dict[str, tuple[float, float] | None]  # operation -> (median, p90) ms
    relay_lag: float | None  # seconds; None when it did not catch up within the limit


OPERATIONS = ("create", "message", "attach", "list", "cursor")
COLUMNS = (
    f"{'tickets':>7} {'items':>7} {'moto':>6} {'relay':>6} {'watch':>6} {'fn sum':>7} {'fn n':>4} "
    f"{'fn max':>7} " + " ".join(f"{op + ' p50/p90':>15}" for op in OPERATIONS) + f" {'lag s':>6}"
)


def fmt_latency(value: tuple[float, float] | None) -> str:
    return f"{'-':>15}" if value is None else f"{value[0]:>7.1f}/{value[1]:<7.1f}"


def fmt_row(row: Row) -> str:
    m = row.memory
    _, fn_max = m.largest("function")
    lag = f"{row.relay_lag:>6.1f}" if row.relay_lag is not None else f">{RELAY_LAG_LIMIT_SECONDS:>5}"
    items = f"{row.items:>7}" if row.items is not None else f"{'?':>7}"
    return (
        f"{row.tickets:>7} {items} {m.kind_sum('moto'):>6.1f} {m.kind_sum('relay'):>6.1f} "
        f"{m.kind_sum('watch'):>6.1f} {m.kind_sum('function'):>7.1f} {m.count('function'):>4} {fn_max:>7.1f} "
        + " ".join(fmt_latency(row.latency[op]) for op in OPERATIONS)
        + f" {lag}"
    )


@dataclass
class Checkpoints:
    """What is measured at a checkpoint, once the workers have drained."""

    load: Load
    recorder: Recorder
    stack: Stack
    sampler: Sampler
    dynamodb: object
    window: int

    def measure(self, tickets: int) -> Row:
        latency = {op: self.summary(self.recorder.window(op, self.window)) for op in ("create", "message", "attach")}
        api_total, lists, cursors = self.list_pages()
        latency["list"], latency["cursor"] = self.summary(lists), self.summary(cursors)
        relay_lag = self.relay_lag()
        # Memory last, once the list and history functions have been started too.
        memory = self.sampler.sample()
        return Row(tickets, self.item_count(), api_total, memory, latency, relay_lag)

    @staticmethod
    def summary(values: list[float]) -> tuple[float, float] | None:
        return (percentile(values, 0.5), percentile(values, 0.9)) if values else None

    def list_pages(self) -> tuple[int | None, list[float], list[float]]:
        """LIST_CALLS first pages and as many second pages (by the first page's cursor), as an
        agent, one at a time; answers the list's `total` too."""
        url = f"{self.load.api_url}{BASE}"
        first, second, total = [], [], None
        for _ in range(LIST_CALLS):
            page = self.timed("list", url, {"page": 1, "limit": LIST_LIMIT}, first)
            if page is None:
                continue
            total = page["pagination"]["total"]
            cursor = page["pagination"].get("nextCursor")
            if cursor:
                self.timed("cursor", url, {"cursor": cursor, "limit": LIST_LIMIT}, second)
        return total, first, second

    def timed(self, operation: str, url: str, params: dict, into: list[float]) -> dict | None:
        response = self.recorder.call(operation, "GET", url, 200, TOKENS.agent(), params=params)
        if response is None:
            return None
        into.append(response.latency_ms)
        return response.json()

    def relay_lag(self) -> float | None:
        """Seconds until the relay has delivered the newest ticket's stream records (its history
        has the creation) and the newest upload's S3 event (the attachment is no longer pending)."""
        start = time.monotonic()
        while time.monotonic() - start < RELAY_LAG_LIMIT_SECONDS and not self.recorder.aborted.is_set():
            if self.history_written() and self.upload_checked():
                return time.monotonic() - start
            time.sleep(0.2)
        return None

    def history_written(self) -> bool:
        last = self.load.last_ticket
        if not last:
            return True
        response = self.recorder.call("history", "GET", f"{self.load.api_url}{BASE}/{last['id']}/history", 200,
                                      TOKENS.agent())
        return response is not None and bool(response.json()["data"])

    def upload_checked(self) -> bool:
        last = self.load.last_attachment
        if not last:
            return True
        response = self.recorder.call("get", "GET", f"{self.load.api_url}{BASE}/{last['ticket']}", 200, TOKENS.agent())
        if response is None:
            return False
        attachments = response.json()["data"]["attachments"]
        return any(a["_id"] == last["id"] and a["status"] != "pending" for a in attachments)

    def item_count(self) -> int | None:
        try:
            return self.dynamodb.describe_table(TableName=self.stack.prefix)["Table"]["ItemCount"]
        except Exception:  # informative only
            return None


# -- the report -------------------------------------------------------------------------------


def machine() -> str:
    cpus = len(os.sched_getaffinity(0))
    memory = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal:")), "0")
    model = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() in ("model name", "Model", "Hardware") and value.strip():
            model = value.strip()
            break
    return f"{cpus} CPUs ({model}), {int(memory) / 1024 / 1024:.1f} GiB memory"


def checkpoint_list(text: str | None, tickets: int) -> list[int]:
    wanted = DEFAULT_CHECKPOINTS if text is None else [int(n) for n in text.split(",") if n.strip()]
    return sorted({n for n in wanted if 0 < n <= tickets} | {tickets})


def queue_depth(sqs, prefix: str, name: str) -> str:
    try:
        url = sqs.get_queue_url(QueueName=f"{prefix}-{name}")["QueueUrl"]
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
        return attributes["Attributes"]["ApproximateNumberOfMessages"]
    except Exception as err:  # informative only
        return f"? ({err.__class__.__name__})"


def summarise(rows: list[Row], sampler: Sampler, recorder: Recorder, sqs, prefix: str) -> bool:
    """Prints the summary; answers whether everything passed."""
    print()
    print("== summary")
    names = {"moto": "moto", "relay": "relay", "watch": "cargo-lambda watch",
             "launcher": "cargo run launchers (before they exec a function)", "function": "functions (sum)"}
    largest_fn = max(((p, mib) for p, mib in sampler.process_max.items() if p.kind == "function"),
                     key=lambda item: item[1], default=(None, 0.0))
    maxima = [f"{names[k]} {sampler.kind_max[k]:.1f}" for k in Sampler.KINDS if sampler.kind_max.get(k)]
    if largest_fn[0] is not None:
        maxima.append(f"largest function {largest_fn[1]:.1f} ({largest_fn[0].name})")
    print(f"max RSS, MiB (sampled every {SAMPLE_SECONDS:g} s): " + ", ".join(maxima))
    functions = sorted({p.name for p in sampler.process_max if p.kind == "function"})
    print(f"processes seen: {len({p.pid for p in sampler.process_max})}; "
          f"function processes: {len(functions)} ({', '.join(functions)})")
    print(f"relay queues at the end: stream records set aside {queue_depth(sqs, prefix, 'stream-failures')}, "
          f"uploads waiting {queue_depth(sqs, prefix, 'uploads')}")
    for row in rows:
        if row.api_total is not None and row.api_total != row.tickets:
            print(f"note: at {row.tickets} tickets the list's total was {row.api_total}")
    slow = [row.tickets for row in rows if row.relay_lag is None]
    if slow:
        print(f"note: the relay had not caught up within {RELAY_LAG_LIMIT_SECONDS} s at {slow} tickets")

    counts = Counter((f.operation, f.kind) for f in recorder.failures)
    by_kind = ", ".join(f"{op} {kind}: {n}" for (op, kind), n in sorted(counts.items()))
    print(f"failed requests: {len(recorder.failures)}" + (f" ({by_kind})" if by_kind else ""))
    for failure in recorder.failures[:10]:
        print(f"  {failure.operation} {failure.kind}: {failure.detail}")
    served = sum(len(v) for v in recorder.latencies.values())
    print(f"requests answered as expected: {served}")
    if recorder.aborted.is_set():
        print(f"the run stopped early, after {recorder.max_failures} failed requests (--max-failures)")

    passed = not recorder.failures
    # Target 1: every local server process under 1 GiB (the largest reading of any of them).
    heaviest = max(sampler.process_max.items(), key=lambda item: item[1], default=(None, 0.0))
    hwm = max(sampler.peak_hwm.values(), default=0.0)
    under = heaviest[1] < RSS_LIMIT_MIB
    who = f"{heaviest[0].name} ({heaviest[0].kind}, pid {heaviest[0].pid})" if heaviest[0] else "none found"
    print(f"{'PASS' if under else 'FAIL'} every local server process under {RSS_LIMIT_MIB} MiB: "
          f"largest {heaviest[1]:.1f} MiB, {who}; highest VmHWM {hwm:.1f} MiB")
    passed &= under and heaviest[0] is not None

    # Target 2: the median create does not grow more than twofold.
    first, last = (rows[0], rows[-1]) if rows else (None, None)
    if len(rows) > 1 and first.latency["create"] and last.latency["create"]:
        ratio = last.latency["create"][0] / first.latency["create"][0]
        ok = ratio <= CREATE_RATIO_LIMIT
        print(f"{'PASS' if ok else 'FAIL'} median create at {last.tickets} / at {first.tickets} tickets = "
              f"{last.latency['create'][0]:.1f} / {first.latency['create'][0]:.1f} ms = {ratio:.2f} "
              f"(limit {CREATE_RATIO_LIMIT:g})")
        passed &= ok
    else:
        print("FAIL median create ratio: needs two checkpoints (e.g. --checkpoints 100,300) with successful creates")
        passed = False
    if recorder.failures:
        print(f"FAIL {len(recorder.failures)} requests failed (5xx, timeout or unexpected status)")
    return passed


# -- main -------------------------------------------------------------------------------------


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("api_url", help="the local API, e.g. http://127.0.0.1:9107")
    parser.add_argument("moto_endpoint", help="the local AWS server, e.g. http://127.0.0.1:5107")
    parser.add_argument("--prefix", default="tickets-scale", help="the stack's resource prefix (table name)")
    parser.add_argument("--tickets", type=int, default=20_000, help="tickets to create (default 20000)")
    parser.add_argument("--workers", type=int, default=4, help="concurrent workers (default 4)")
    parser.add_argument("--checkpoints", help="comma-separated table sizes (default 100,1000,2500,5000,"
                                              "10000,15000,20000, capped at --tickets)")
    parser.add_argument("--message-every", type=int, default=MESSAGE_EVERY,
                        help=f"every Nth ticket gets a thread message (default {MESSAGE_EVERY})")
    parser.add_argument("--attachment-every", type=int, default=ATTACHMENT_EVERY,
                        help=f"every Nth ticket gets an attachment (default {ATTACHMENT_EVERY})")
    parser.add_argument("--window", type=int, default=200,
                        help="latest operations of each kind summarised at a checkpoint (default 200)")
    parser.add_argument("--max-failures", type=int, default=20,
                        help="stop the run after this many failed requests (default 20)")
    args = parser.parse_args()
    for url in (args.api_url, args.moto_endpoint):
        if urlparse(url).hostname != "127.0.0.1":
            parser.error(f"{url}: only 127.0.0.1 is allowed")
    if min(args.tickets, args.workers, args.window, args.max_failures, args.message_every,
           args.attachment_every) < 1:
        parser.error("every number must be positive")
    return args


def main() -> int:
    args = arguments()
    api_url = args.api_url.rstrip("/")
    checkpoints = checkpoint_list(args.checkpoints, args.tickets)
    stack = Stack(urlparse(args.moto_endpoint).port, urlparse(api_url).port, api_url, args.prefix)
    aws = dict(endpoint_url=args.moto_endpoint, region_name="us-east-1",
               aws_access_key_id="local", aws_secret_access_key="local")
    dynamodb, sqs = boto3.client("dynamodb", **aws), boto3.client("sqs", **aws)
    global TOKENS
    TOKENS = Tokens(args.moto_endpoint, args.prefix)

    print(f"scale run, {datetime.now(timezone.utc).isoformat(timespec='seconds')}")
    print(f"machine: {machine()}")
    print(f"stack: API {api_url}, moto {args.moto_endpoint}, prefix {args.prefix}")
    print(f"load: {args.tickets} tickets by {args.workers} workers from {CLIENTS} clients, a message on every "
          f"{args.message_every}, an attachment on every {args.attachment_every}; checkpoints {checkpoints}")
    found = stack.processes()
    print("processes: " + ", ".join(f"{p.kind} {p.pid}" for p in found))
    if not any(p.kind == "moto" for p in found) or not any(p.kind == "watch" for p in found):
        print("error: the stack's moto and cargo lambda watch processes were not found", file=sys.stderr)
        return 2
    print()
    print("RSS in MiB (fn: the function processes); latency in ms over the last "
          f"{args.window} creates/messages/attachments and {LIST_CALLS} list pages (page 1 / by cursor) "
          "at the checkpoint; lag s: the relay's delay")
    print(COLUMNS, flush=True)

    recorder = Recorder(max_failures=args.max_failures)
    load = Load(api_url, recorder, args.message_every, args.attachment_every)
    sampler = Sampler(stack)
    sampler.start()
    measure = Checkpoints(load, recorder, stack, sampler, dynamodb, args.window)
    rows = []
    done = 0
    with ThreadPoolExecutor(max_workers=args.workers) as workers:
        for checkpoint in checkpoints:
            list(workers.map(load.ticket, range(done + 1, checkpoint + 1)))
            if recorder.aborted.is_set():
                break
            done = checkpoint
            rows.append(measure.measure(done))
            print(fmt_row(rows[-1]), flush=True)
    sampler.stop()
    return 0 if summarise(rows, sampler, recorder, sqs, args.prefix) else 1


if __name__ == "__main__":
    sys.exit(main())
