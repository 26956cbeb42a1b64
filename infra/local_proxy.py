"""The local forwarding proxy: an HTTP proxy on loopback in front of the local AWS API server,
which counts what each request cost and can fail requests on purpose. The fault-injection tests
and the benchmark both use it.

Faults (the fault-injection tests). A request told to fail never reaches the server, so what
reaches storage, and what does not, is exactly what the client was told:
- `throttle`: answers 400 ThrottlingException, as DynamoDB does when a partition is hot;
- `error`: answers 500 InternalServerError;
- `drop`: closes the connection without answering;
- `delay`: waits `delay_seconds` before forwarding (longer than the client's attempt timeout).
Control (JSON): `POST /__faults` with `{"plan": [kind, ...]}` (the next requests fail in that
order, `null` lets one through), `{"rate": 0.3, "kinds": [...], "seed": 1}` (each request fails
with that probability), `{"delay_seconds": 3}`; `GET /__faults` answers how many faults of each
kind were injected and how many requests were forwarded.

Counts (the benchmark's cost table). For each DynamoDB request: the operation, the items
returned (`read`), the items DynamoDB looked at (`evaluated`: ScannedCount for a Query or Scan,
the keys asked for by GetItem, BatchGetItem and TransactGetItems), the items put, updated or
deleted (`written`), and the ConsumedCapacity the server reports (the proxy asks for it). S3 and
other requests are recorded by method or operation. `GET /__bench/take` answers the records and
clears them, once every request in flight has been answered (so that a request still queued in
the server is counted with the invocation that sent it).

Usage: python infra/local_proxy.py UPSTREAM_URL [PORT]
  binds 127.0.0.1:PORT (default: a free port) and prints the port it listens on.
"""

import http.client
import json
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

THROTTLE = {
    "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
    "message": "Rate of requests exceeds the allowed throughput.",
}
INTERNAL = {
    "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
    "message": "Internal server error",
}
CAPACITY_OPS = {
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
    "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


class Faults:
    def __init__(self):
        self.lock = threading.Lock()
        self.plan: list[str | None] = []
        self.rate = 0.0
        self.kinds = ["throttle", "error", "drop"]
        self.random = random.Random(1)
        self.delay_seconds = 3.0
        self.injected = {"throttle": 0, "error": 0, "drop": 0, "delay": 0}
        self.forwarded = 0

    def configure(self, settings: dict) -> None:
        with self.lock:
            self.plan = list(settings.get("plan", self.plan))
            self.rate = float(settings.get("rate", self.rate))
            self.kinds = list(settings.get("kinds", self.kinds))
            if "seed" in settings:
                self.random = random.Random(settings["seed"])
            self.delay_seconds = float(settings.get("delay_seconds", self.delay_seconds))

    def next(self) -> str | None:
        with self.lock:
            if self.plan:
                kind = self.plan.pop(0)
            elif self.rate and self.random.random() < self.rate:
                kind = self.random.choice(self.kinds)
            else:
                kind = None
            if kind:
                self.injected[kind] += 1
            return kind

    def report(self) -> dict:
        with self.lock:
            return {"injected": dict(self.injected), "forwarded": self.forwarded}


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.records: list[dict] = []
        self.in_flight = 0

    def take(self) -> list[dict]:
        for _ in range(600):
            with self.lock:
                if self.in_flight == 0:
                    break
            time.sleep(0.05)
        with self.lock:
            records, self.records = self.records, []
        return records

    def add(self, record: dict) -> None:
        with self.lock:
            self.records.append(record)


def written(op: str, request: dict) -> int:
    if op in ("PutItem", "UpdateItem", "DeleteItem"):
        return 1
    if op == "TransactWriteItems":
        return sum(1 for t in request.get("TransactItems", []) if set(t) & {"Put", "Update", "Delete"})
    if op == "BatchWriteItem":
        return sum(len(v) for v in request.get("RequestItems", {}).values())
    return 0


def read(op: str, request: dict, response: dict) -> tuple[int, int]:
    """(items returned, items evaluated)."""
    if op == "GetItem":
        return (1 if response.get("Item") else 0), 1
    if op in ("Query", "Scan"):
        return response.get("Count", 0), response.get("ScannedCount", 0)
    if op == "BatchGetItem":
        asked = sum(len(v.get("Keys", [])) for v in request.get("RequestItems", {}).values())
        return sum(len(v) for v in response.get("Responses", {}).values()), asked
    if op == "TransactGetItems":
        asked = len(request.get("TransactItems", []))
        return sum(1 for r in response.get("Responses", []) if r.get("Item")), asked
    return 0, 0


def capacity(response: dict) -> float:
    consumed = response.get("ConsumedCapacity")
    if isinstance(consumed, dict):
        consumed = [consumed]
    return sum(float(c.get("CapacityUnits", 0)) for c in consumed or [])


def handler(upstream: str, faults: Faults, counts: Counts):
    target = urlsplit(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status: int, body, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/x-amz-json-1.0")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            if self.path.startswith("/__faults"):
                if self.command == "POST":
                    faults.configure(json.loads(body or b"{}"))
                return self.reply(200, faults.report())
            if self.path == "/__bench/take":
                return self.reply(200, counts.take())
            kind = faults.next()
            if kind == "throttle":
                return self.reply(400, THROTTLE, {"x-amzn-ErrorType": "ThrottlingException"})
            if kind == "error":
                return self.reply(500, INTERNAL, {"x-amzn-ErrorType": "InternalServerError"})
            if kind == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if kind == "delay":
                time.sleep(faults.delay_seconds)
            with counts.lock:
                counts.in_flight += 1
            try:
                self.forward(body)
            finally:
                with counts.lock:
                    counts.in_flight -= 1

        def forward(self, body: bytes) -> None:
            record, request_json = self.describe(body)
            if record.get("service") == "dynamodb" and record["op"] in CAPACITY_OPS and "ReturnConsumedCapacity" not in request_json:
                request_json["ReturnConsumedCapacity"] = "TOTAL"
                body = json.dumps(request_json).encode()
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            headers["Host"] = target.netloc
            headers["Content-Length"] = str(len(body))
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            try:
                connection.request(self.command, self.path, body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
            finally:
                connection.close()
            with faults.lock:
                faults.forwarded += 1
            record["status"] = response.status
            if record.get("service") == "dynamodb":
                try:
                    response_json = json.loads(payload or b"{}")
                except ValueError:
                    response_json = {}
                record["read"], record["evaluated"] = read(record["op"], request_json, response_json)
                record["written"] = written(record["op"], request_json) if response.status == 200 else 0
                record["capacity"] = capacity(response_json)
            counts.add(record)
            self.send_response_only(response.status, response.reason)
            for name, value in response.getheaders():
                if name.lower() not in HOP_BY_HOP | {"server", "date"}:
                    self.send_header(name, value)
            if self.command == "HEAD":
                self.send_header("Content-Length", response.getheader("content-length", "0"))
                self.end_headers()
            else:
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        def describe(self, body: bytes) -> tuple[dict, dict]:
            """The record of this request (service and operation), and its JSON body for
            DynamoDB."""
            amz_target = self.headers.get("x-amz-target", "")
            if amz_target.startswith("DynamoDB_"):
                return {"service": "dynamodb", "op": amz_target.split(".", 1)[1]}, json.loads(body or b"{}")
            if amz_target:
                return {"service": amz_target.split(".", 1)[0], "op": amz_target.split(".", 1)[-1]}, {}
            return {"service": "s3", "op": self.command}, {}

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = any

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up on a delayed request closed its end: expected, not news.
        pass


def main() -> None:
    upstream = sys.argv[1]
    port = int(sys.argv[2]) if len(sys.argv) > 2 else 0
    server = Server(("127.0.0.1", port), handler(upstream, Faults(), Counts()))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
