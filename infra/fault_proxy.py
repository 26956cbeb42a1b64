"""A fault-injecting HTTP proxy on loopback, in front of the local AWS API server.

It forwards every request to the upstream server, except those it is told to fail:
- `throttle`: answers 400 ThrottlingException, as DynamoDB does when a partition is hot;
- `error`: answers 500 InternalServerError;
- `drop`: closes the connection without answering;
- `delay`: waits `delay_seconds` before forwarding (longer than the client's attempt timeout).
Faults are injected before the request reaches the server, so the server never sees a failed
request: what reaches storage, and what does not, is exactly what the client was told.

Control (JSON): `POST /__faults` with `{"plan": [kind, ...]}` (the next requests fail in that
order, `null` lets one through), `{"rate": 0.3, "kinds": [...], "seed": 1}` (each request fails
with that probability), `{"delay_seconds": 3}`; `GET /__faults` answers how many faults of each
kind were injected and how many requests were forwarded.

Usage: python infra/fault_proxy.py UPSTREAM_URL   (prints the port it listens on, 127.0.0.1)
"""

import http.client
import json
import random
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

THROTTLE = {
    "__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException",
    "message": "Rate of requests exceeds the allowed throughput.",
}
INTERNAL = {
    "__type": "com.amazonaws.dynamodb.v20120810#InternalServerError",
    "message": "Internal server error",
}


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


def handler(upstream: str, faults: Faults):
    target = urlparse(upstream)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status: int, body: dict, headers: dict | None = None) -> None:
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
            self.forward(body)

        def forward(self, body: bytes) -> None:
            headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
            headers["Host"] = target.netloc
            upstream_conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
            try:
                upstream_conn.request(self.command, self.path, body=body, headers=headers)
                response = upstream_conn.getresponse()
                data = response.read()
            finally:
                upstream_conn.close()
            with faults.lock:
                faults.forwarded += 1
            self.send_response(response.status)
            for name, value in response.getheaders():
                if name.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = any

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up on a delayed request closed its end: expected, not news.
        pass


def main() -> None:
    faults = Faults()
    server = Server(("127.0.0.1", 0), handler(sys.argv[1], faults))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
