"""The benchmark's counting proxy (infra/bench.sh): forwards every request to the local AWS
server and records what each one cost, for the cost-per-operation table.

For DynamoDB it records the operation, the items returned (`read`), the items the request made
DynamoDB look at (`evaluated`: ScannedCount for a Query or Scan, the keys asked for by GetItem,
BatchGetItem and TransactGetItems), the items put, updated or deleted (`written`) and the
ConsumedCapacity
that the server reports, which it asks for by adding `ReturnConsumedCapacity: TOTAL` to each
request that does not ask already. S3 and other requests are recorded by method. The benchmark
collects and clears the records with `GET /__bench/take`.

Usage: python infra/bench_proxy.py PORT UPSTREAM_URL   (binds 127.0.0.1 only)
"""

import http.client
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

RECORDS: list[dict] = []
LOCK = threading.Lock()
# Requests forwarded and not answered yet: `take` waits for them, so that a request that is still
# queued in moto (a timed-out attempt, say) is counted with the invocation that sent it.
PENDING = [0]
CAPACITY_OPS = {
    "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
    "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
}
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


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


class Proxy(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream = ("127.0.0.1", 0)

    def log_message(self, *args) -> None:
        pass

    def handle_any(self) -> None:
        if self.path == "/__bench/take":
            for _ in range(600):
                with LOCK:
                    if PENDING[0] == 0:
                        break
                time.sleep(0.05)
            with LOCK:
                body = json.dumps(RECORDS).encode()
                RECORDS.clear()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        with LOCK:
            PENDING[0] += 1
        try:
            self.forward()
        finally:
            with LOCK:
                PENDING[0] -= 1

    def forward(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        target = self.headers.get("x-amz-target", "")
        record: dict = {}
        request_json: dict = {}
        if target.startswith("DynamoDB_"):
            op = target.split(".", 1)[1]
            record = {"service": "dynamodb", "op": op}
            request_json = json.loads(body or b"{}")
            if op in CAPACITY_OPS and "ReturnConsumedCapacity" not in request_json:
                request_json["ReturnConsumedCapacity"] = "TOTAL"
                body = json.dumps(request_json).encode()
        elif target:
            record = {"service": target.split(".", 1)[0], "op": target.split(".", 1)[-1]}
        else:
            record = {"service": "s3", "op": self.command}
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["content-length"] = str(len(body))
        upstream = http.client.HTTPConnection(*self.upstream, timeout=60)
        upstream.request(self.command, self.path, body=body, headers=headers)
        response = upstream.getresponse()
        payload = response.read()
        upstream.close()
        record["status"] = response.status
        if record.get("service") == "dynamodb":
            try:
                response_json = json.loads(payload or b"{}")
            except ValueError:
                response_json = {}
            record["read"], record["evaluated"] = read(record["op"], request_json, response_json)
            record["written"] = written(record["op"], request_json) if response.status == 200 else 0
            record["capacity"] = capacity(response_json)
        with LOCK:
            RECORDS.append(record)
        self.send_response_only(response.status, response.reason)
        for name, value in response.getheaders():
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        if self.command == "HEAD":
            self.send_header("content-length", response.getheader("content-length", "0"))
            self.end_headers()
        else:
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = handle_any


def main() -> None:
    port = int(sys.argv[1])
    upstream = urlsplit(sys.argv[2])
    Proxy.upstream = (upstream.hostname, upstream.port)
    ThreadingHTTPServer(("127.0.0.1", port), Proxy).serve_forever()


if __name__ == "__main__":
    main()
