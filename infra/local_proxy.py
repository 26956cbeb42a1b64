"""The local forwarding proxy: an HTTP proxy on loopback in front of the local AWS API server,
which counts what each request cost and can fail requests on purpose. The fault-injection tests
and the benchmark both use it.

Faults (the fault-injection tests). A request told to fail never reaches the server (but for
`lost`, which reaches it and loses the answer), so what reaches storage is what the client was
told, or more:
- `throttle`: answers 400 ThrottlingException, as DynamoDB does when a partition is hot;
- `error`: answers 500 InternalServerError;
- `drop`: closes the connection without answering;
- `delay`: waits `delay_seconds` before forwarding (longer than the client's attempt timeout);
- `lost`: forwards the request, then closes the connection without answering: the write
  happened, the client never heard (it sends it again, and a conditional write then fails);
- `conflict`: answers a `TransactWriteItems` with TransactionCanceledException, one reason
  `TransactionConflict`, as DynamoDB does when another transaction holds one of its items (moto
  never does); other requests are let through, uncounted.
Control (JSON): `POST /__faults` with `{"plan": [kind, ...]}` (the next requests fail in that
order, `null` lets one through), `{"rate": 0.3, "kinds": [...], "seed": 1}` (each request fails
with that probability), `{"ops": ["UpdateItem"]}` (only requests of these operations are
considered; `[]`, the default, all), `{"delay_seconds": 3}`; `GET /__faults` answers how many faults of each
kind were injected and how many requests were forwarded.

Counts (the benchmark's cost table). For each DynamoDB request: the operation, the items
returned (`read`), the items DynamoDB looked at (`evaluated`: ScannedCount for a Query or Scan,
the keys asked for by GetItem, BatchGetItem and TransactGetItems), the items put, updated or
deleted (`written`), and the ConsumedCapacity the server reports (the proxy asks for it). S3 and
other requests are recorded by method or operation. `GET /__bench/take` answers the records and
clears them, once every request in flight has been answered (so that a request still queued in
the server is counted with the invocation that sent it).

Billed units (`--bill`, the benchmark). Each DynamoDB record also holds the request units AWS
would bill for it (infra/billing.py): `rru`, `wru` (the table's) and `wru_index` (by index). The
proxy reads the item images it needs straight from the server, uncounted: each written item
before and after the write, the whole item of each key read, and for a Query or Scan with a
filter or a projection the same page again without them (a filter does not make DynamoDB read
less).

What a write causes later (`--bill`): `GET /__bench/stream?table=NAME` answers the table's stream
records written since the last call, as Lambda hands them to the stream consumer
(`{"Records": [...]}`), so the benchmark can run the consumer on exactly what one request wrote.

Usage: python infra/local_proxy.py UPSTREAM_URL [PORT] [--bill]
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
from urllib.parse import parse_qs, urlsplit

import billing

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
        self.ops: list[str] = []
        self.injected = {"throttle": 0, "error": 0, "drop": 0, "delay": 0, "conflict": 0, "lost": 0}
        self.forwarded = 0

    def configure(self, settings: dict) -> None:
        with self.lock:
            self.plan = list(settings.get("plan", self.plan))
            self.rate = float(settings.get("rate", self.rate))
            self.kinds = list(settings.get("kinds", self.kinds))
            if "seed" in settings:
                self.random = random.Random(settings["seed"])
            self.delay_seconds = float(settings.get("delay_seconds", self.delay_seconds))
            self.ops = list(settings.get("ops", self.ops))

    def next(self, op: str) -> str | None:
        """The fault for a request of operation `op` (None: forward it)."""
        transaction = op == "TransactWriteItems"
        with self.lock:
            if self.ops and op not in self.ops:
                return None
            if self.plan:
                kind = self.plan.pop(0)
            elif self.rate and self.random.random() < self.rate:
                kind = self.random.choice(self.kinds)
            else:
                kind = None
            if kind == "conflict" and not transaction:
                kind = None
            if kind:
                self.injected[kind] += 1
            return kind

    def report(self) -> dict:
        with self.lock:
            return {"injected": dict(self.injected), "forwarded": self.forwarded}


def cancelled_by_conflict(body: bytes) -> dict:
    """The answer to a transaction cancelled because another one held its first item."""
    try:
        items = len(json.loads(body or b"{}").get("TransactItems", [])) or 1
    except ValueError:
        items = 1
    reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
    reasons += [{"Code": "None"}] * (items - 1)
    codes = ", ".join(reason["Code"] for reason in reasons)
    return {
        "__type": "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
        "message": f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
        "CancellationReasons": reasons,
    }


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


class Billing:
    """Reads what billing needs straight from the server and prices DynamoDB requests."""

    def __init__(self, upstream: str):
        self.target = urlsplit(upstream)
        self.tables: dict[str, billing.Table] = {}
        self.lock = threading.Lock()

    def call(self, headers: dict, op: str, request: dict) -> dict:
        """One uncounted DynamoDB call, with the caller's headers (the server reads the region
        from them)."""
        body = json.dumps(request).encode()
        sent = {k: v for k, v in headers.items() if k.lower() not in HOP_BY_HOP | {"x-amz-target"}}
        sent.update({"Host": self.target.netloc, "Content-Length": str(len(body)),
                     "X-Amz-Target": f"DynamoDB_20120810.{op}"})
        connection = http.client.HTTPConnection(self.target.hostname, self.target.port, timeout=60)
        try:
            connection.request("POST", "/", body=body, headers=sent)
            return json.loads(connection.getresponse().read() or b"{}")
        finally:
            connection.close()

    def table(self, headers: dict, name: str) -> billing.Table:
        with self.lock:
            if name not in self.tables:
                described = self.call(headers, "DescribeTable", {"TableName": name})["Table"]
                self.tables[name] = billing.Table.from_description(described)
            return self.tables[name]

    def get(self, headers: dict, table: str, key: dict) -> dict | None:
        answer = self.call(headers, "GetItem", {"TableName": table, "Key": key, "ConsistentRead": True})
        return answer.get("Item")

    def writes(self, headers: dict, op: str, request: dict) -> list[tuple[str, str, dict, bool]]:
        """(table, action, key, transactional) of each item a write request names."""
        named = []
        if op in ("PutItem", "UpdateItem", "DeleteItem"):
            table = self.table(headers, request["TableName"])
            key = table.key_of(request["Item"]) if op == "PutItem" else request["Key"]
            named.append((table.name, op, key, False))
        elif op == "TransactWriteItems":
            for action in request.get("TransactItems", []):
                (kind, body), = action.items()
                table = self.table(headers, body["TableName"])
                key = table.key_of(body["Item"]) if kind == "Put" else body["Key"]
                named.append((table.name, kind, key, True))
        elif op == "BatchWriteItem":
            for name, requests in request.get("RequestItems", {}).items():
                table = self.table(headers, name)
                for one in requests:
                    if "PutRequest" in one:
                        named.append((name, "Put", table.key_of(one["PutRequest"]["Item"]), False))
                    else:
                        named.append((name, "Delete", one["DeleteRequest"]["Key"], False))
        return named

    def before_write(self, headers: dict, op: str, request: dict) -> list:
        """The items a write will touch, as they are before it."""
        return [(named, self.get(headers, named[0], named[2])) for named in self.writes(headers, op, request)]

    def after_write(self, headers: dict, befores: list, succeeded: bool) -> billing.WriteCost:
        cost = billing.WriteCost()
        for (table_name, action, key, transactional), before in befores:
            table = self.tables[table_name]
            if action == "ConditionCheck":
                cost.add(billing.condition_check_cost(before))
            elif not succeeded:
                # a refused conditional write still bills the item it checked, and no index
                cost.add(billing.WriteCost(table=(2 if transactional else 1) * billing.write_units(billing.item_size(before))))
            else:
                cost.add(billing.change_cost(table, before, self.get(headers, table_name, key), transactional))
        return cost

    def reads(self, headers: dict, op: str, request: dict, response: dict) -> float:
        if op == "GetItem":
            item = self.get(headers, request["TableName"], request["Key"])
            return billing.get_cost(item, request.get("ConsistentRead", False))
        if op == "BatchGetItem":
            units = 0.0
            for name, asked in request.get("RequestItems", {}).items():
                for key in asked.get("Keys", []):
                    units += billing.get_cost(self.get(headers, name, key), asked.get("ConsistentRead", False))
            return units
        if op == "TransactGetItems":
            return sum(
                billing.get_cost(self.get(headers, one["Get"]["TableName"], one["Get"]["Key"]), True, transactional=True)
                for one in request.get("TransactItems", [])
            )
        if op in ("Query", "Scan"):
            return self.page_reads(headers, op, request, response)
        return 0.0

    def page_reads(self, headers: dict, op: str, request: dict, response: dict) -> float:
        """A Query or Scan page: every item it evaluated, as the index holds it."""
        consistent = request.get("ConsistentRead", False)
        evaluated = response.get("ScannedCount", 0)
        if not evaluated:
            return billing.query_cost([], consistent)
        if {"FilterExpression", "ProjectionExpression", "Select"} & set(request):
            shadow = {k: v for k, v in request.items()
                      if k not in ("FilterExpression", "ProjectionExpression", "Select", "ReturnConsumedCapacity")}
            kept = request.get("KeyConditionExpression", "")
            for names in ("ExpressionAttributeNames", "ExpressionAttributeValues"):
                if names in shadow:
                    shadow[names] = {k: v for k, v in shadow[names].items() if k in kept}
                    if not shadow[names]:
                        del shadow[names]
            shadow["Limit"] = evaluated
            items = self.call(headers, op, shadow).get("Items", [])
        else:
            items = response.get("Items", [])
        table = self.table(headers, request["TableName"])
        index = next((i for i in table.indexes if i.name == request.get("IndexName")), None)
        if index is not None:
            items = [table.entry(index, item) or item for item in items]
        return billing.query_cost(items, consistent)


class StreamReader:
    """Reads a table's stream from the server, remembering where it stopped per shard."""

    def __init__(self, upstream: str):
        import boto3  # only the benchmark reads streams

        settings = dict(endpoint_url=upstream, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")
        self.dynamodb = boto3.client("dynamodb", **settings)
        self.streams = boto3.client("dynamodbstreams", **settings)
        self.handled: dict[str, str] = {}
        self.lock = threading.Lock()

    def take(self, table: str) -> list[dict]:
        with self.lock:
            arn = self.dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
            records = []
            for shard in self.streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                shard_id = shard["ShardId"]
                position = {"ShardIteratorType": "TRIM_HORIZON"}
                if shard_id in self.handled:
                    position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.handled[shard_id]}
                iterator = self.streams.get_shard_iterator(StreamArn=arn, ShardId=shard_id, **position)["ShardIterator"]
                while iterator:
                    page = self.streams.get_records(ShardIterator=iterator, Limit=1000)
                    if not page["Records"]:
                        break
                    for record in page["Records"]:
                        record["eventSourceARN"] = arn
                        created = record["dynamodb"].get("ApproximateCreationDateTime")
                        if created is not None and not isinstance(created, (int, float)):
                            record["dynamodb"]["ApproximateCreationDateTime"] = created.timestamp()
                    records.extend(page["Records"])
                    self.handled[shard_id] = page["Records"][-1]["dynamodb"]["SequenceNumber"]
                    iterator = page.get("NextShardIterator")
            return records


WRITE_OPS = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
READ_OPS = {"GetItem", "BatchGetItem", "TransactGetItems", "Query", "Scan"}


def handler(upstream: str, faults: Faults, counts: Counts, bill: Billing | None = None,
            stream: StreamReader | None = None):
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
            if self.path.startswith("/__bench/stream") and stream is not None:
                table = parse_qs(urlsplit(self.path).query).get("table", [""])[0]
                return self.reply(200, json.loads(json.dumps({"Records": stream.take(table)}, default=str)))
            op = self.headers.get("x-amz-target", "").rpartition(".")[2]
            kind = faults.next(op)
            if kind == "conflict":
                return self.reply(400, cancelled_by_conflict(body), {"x-amzn-ErrorType": "TransactionCanceledException"})
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
                self.forward(body, answer=kind != "lost")
            finally:
                with counts.lock:
                    counts.in_flight -= 1

        def forward(self, body: bytes, answer: bool = True) -> None:
            record, request_json = self.describe(body)
            if record.get("service") == "dynamodb" and record["op"] in CAPACITY_OPS and "ReturnConsumedCapacity" not in request_json:
                request_json["ReturnConsumedCapacity"] = "TOTAL"
                body = json.dumps(request_json).encode()
            billed = bill is not None and record.get("service") == "dynamodb"
            befores = None
            if billed and record["op"] in WRITE_OPS:
                befores = bill.before_write(dict(self.headers), record["op"], request_json)
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
                if billed and befores is not None:
                    cost = bill.after_write(dict(self.headers), befores, response.status == 200)
                    record["wru"], record["wru_index"] = cost.table, cost.indexes
                elif billed and record["op"] in READ_OPS and response.status == 200:
                    record["rru"] = bill.reads(dict(self.headers), record["op"], request_json, response_json)
            counts.add(record)
            if not answer:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
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
                record = {"service": amz_target.split(".", 1)[0], "op": amz_target.split(".", 1)[-1]}
                if record["op"] == "PutEvents":
                    try:
                        record["entries"] = len(json.loads(body or b"{}").get("Entries", []))
                    except ValueError:
                        pass
                return record, {}
            # SES v2 is a REST API: its operations are paths.
            if self.path.startswith("/v2/email/outbound-emails"):
                return {"service": "ses", "op": "SendEmail"}, {}
            return {"service": "s3", "op": self.command}, {}

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = any

    return Handler


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up on a delayed request closed its end: expected, not news.
        pass


def main() -> None:
    arguments = [a for a in sys.argv[1:] if a != "--bill"]
    upstream = arguments[0]
    port = int(arguments[1]) if len(arguments) > 1 else 0
    bill = Billing(upstream) if "--bill" in sys.argv else None
    stream = StreamReader(upstream) if "--bill" in sys.argv else None
    server = Server(("127.0.0.1", port), handler(upstream, Faults(), Counts(), bill, stream))
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
