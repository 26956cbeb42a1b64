"""The local AWS server's changes to moto (infra/moto_patches.py) answer as moto does.

Two servers run side by side, infra/moto_server.py with the changes and with `--plain` (moto as
released). The same seeded random requests go to both, on the project's own table definition
(infra/storage.json: every index, a stream with old and new images): puts, updates that move
items between index partitions or out of sparse indexes, conditional writes, transactions that
commit and that are cancelled (condition failures, one item twice), batch writes, Queries on the
table's key and on every index (limits, both directions, sort-key conditions, every page through
`LastEvaluatedKey`), and the stream read as the relay reads it. Every answer, error and stream
record must be the same, apart from what is random in moto (event ids, times).
"""

from __future__ import annotations

import json
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
TABLE = json.loads((ROOT / "infra" / "storage.json").read_text())["table"]
INDEXES = [(i["IndexName"], [k["AttributeName"] for k in i["KeySchema"]]) for i in TABLE["GlobalSecondaryIndexes"]]
INDEX_ATTRIBUTES = sorted({a for _, keys in INDEXES for a in keys})
SEEDS = range(6)
STEPS = 150


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(*flags: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "infra" / "moto_server.py"), str(port), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(150):
        try:
            requests.get(f"{url}/moto-api/", timeout=1)
            return process, url
        except requests.RequestException:
            if process.poll() is not None:
                raise RuntimeError(f"moto_server.py {' '.join(flags)} exited") from None
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("moto_server.py did not start")


@pytest.fixture(scope="module")
def started():
    """The patched server and the plain one: (process, url) each."""
    both = [start_server(), start_server("--plain")]
    yield both
    for process, _ in both:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def servers(started):
    return [url for _, url in started]


def resident_mib(process: subprocess.Popen) -> float:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def client(url: str, service: str):
    return boto3.client(
        service,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(retries={"max_attempts": 1}),
    )


def create_table(dynamodb, name: str) -> None:
    dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=TABLE["AttributeDefinitions"],
        KeySchema=TABLE["KeySchema"],
        GlobalSecondaryIndexes=TABLE["GlobalSecondaryIndexes"],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )


def call(method, **request):
    """The answer, or the error as data: code, message and cancellation reasons."""
    try:
        answer = method(**request)
    except ClientError as err:
        return {
            "error": err.response["Error"].get("Code"),
            "message": err.response["Error"].get("Message"),
            "reasons": err.response.get("CancellationReasons"),
        }
    answer.pop("ResponseMetadata", None)
    return answer


class Workload:
    """Seeded random requests over a small key space, so they collide, tie and overwrite."""

    def __init__(self, seed: int, table: str):
        self.rng = random.Random(seed)
        self.table = table

    def key(self) -> dict:
        return {"pk": {"S": f"T#{self.rng.randint(1, 6)}"}, "sk": {"S": self.rng.choice(["TICKET", "M#1", "M#2", "M#3"])}}

    def time(self) -> dict:
        # Few distinct times: ties in an index's sort key are ordered by the table's key.
        return {"S": f"2026-11-{self.rng.randint(1, 4):02}T10:00:00Z"}

    def index_values(self) -> dict:
        values = {}
        for attribute in INDEX_ATTRIBUTES:
            if self.rng.random() < 0.7:
                if attribute in ("idxCreated", "idxUpdated", "idxResolvedAt"):
                    values[attribute] = self.time()
                elif attribute == "idxAll":
                    values[attribute] = {"S": "ALL"}
                else:
                    values[attribute] = {"S": self.rng.choice(["a", "b", "c"])}
        return values

    def item(self) -> dict:
        return {**self.key(), **self.index_values(), "version": {"N": str(self.rng.randint(1, 3))}, "body": {"S": "x" * self.rng.randint(0, 40)}}

    def condition(self) -> dict:
        return self.rng.choice(
            [
                {},
                {"ConditionExpression": "attribute_not_exists(pk)"},
                {"ConditionExpression": "attribute_exists(pk)"},
                {"ConditionExpression": "version = :v", "ExpressionAttributeValues": {":v": {"N": str(self.rng.randint(1, 3))}}},
            ]
        )

    def update(self) -> dict:
        names, values, sets, removes = {}, {}, ["version = if_not_exists(version, :zero) + :one"], []
        values.update({":zero": {"N": "0"}, ":one": {"N": "1"}})
        for n, attribute in enumerate(self.rng.sample(INDEX_ATTRIBUTES, 3)):
            names[f"#a{n}"] = attribute
            if self.rng.random() < 0.3:
                removes.append(f"#a{n}")
            else:
                values[f":a{n}"] = self.time() if attribute.endswith(("Created", "Updated", "At")) else {"S": self.rng.choice(["a", "b", "c", "ALL"])}
                sets.append(f"#a{n} = :a{n}")
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        condition = self.condition()
        values.update(condition.pop("ExpressionAttributeValues", {}))
        return {"Key": self.key(), "UpdateExpression": expression, "ExpressionAttributeNames": names, "ExpressionAttributeValues": values, **condition}

    def write(self) -> tuple[str, dict]:
        kind = self.rng.choice(["put", "put", "update", "update", "delete", "transact", "transact", "batch"])
        t = {"TableName": self.table}
        if kind == "put":
            condition = self.condition()
            return "put_item", {**t, "Item": self.item(), **condition}
        if kind == "update":
            return "update_item", {**t, **self.update()}
        if kind == "delete":
            condition = self.condition()
            return "delete_item", {**t, "Key": self.key(), **condition}
        if kind == "batch":
            requests_ = {}
            for _ in range(self.rng.randint(1, 4)):
                item = self.item()
                requests_[(item["pk"]["S"], item["sk"]["S"])] = {"PutRequest": {"Item": item}}
            return "batch_write_item", {"RequestItems": {self.table: list(requests_.values())}}
        operations = []
        for _ in range(self.rng.randint(1, 4)):
            choice = self.rng.choice(["Put", "Update", "Delete", "ConditionCheck"])
            if choice == "Put":
                operations.append({"Put": {**t, "Item": self.item(), **self.condition()}})
            elif choice == "Update":
                operations.append({"Update": {**t, **self.update()}})
            elif choice == "Delete":
                operations.append({"Delete": {**t, "Key": self.key(), **self.condition()}})
            else:
                condition = self.condition() or {"ConditionExpression": "attribute_exists(pk)"}
                operations.append({"ConditionCheck": {**t, "Key": self.key(), **condition}})
        return "transact_write_items", {"TransactItems": operations}

    def query(self) -> dict:
        request = {"TableName": self.table, "ScanIndexForward": self.rng.random() < 0.5}
        if self.rng.random() < 0.8:
            request["Limit"] = self.rng.randint(1, 5)
        if self.rng.random() < 0.25:
            request["KeyConditionExpression"] = "pk = :h"
            request["ExpressionAttributeValues"] = {":h": self.key()["pk"]}
            return request
        name, (hash_attr, range_attr) = self.rng.choice(INDEXES)
        value = {"S": "ALL"} if hash_attr == "idxAll" else {"S": self.rng.choice(["a", "b", "c"])}
        request.update(IndexName=name, ExpressionAttributeNames={"#h": hash_attr, "#r": range_attr})
        condition, values = "#h = :h", {":h": value}
        shape = self.rng.choice(["none", "none", "gt", "le", "between", "begins"])
        if shape == "gt":
            condition += " AND #r > :r"
            values[":r"] = self.time()
        elif shape == "le":
            condition += " AND #r <= :r"
            values[":r"] = self.time()
        elif shape == "between":
            low, high = sorted([self.time()["S"], self.time()["S"]])
            condition += " AND #r BETWEEN :low AND :high"
            values.update({":low": {"S": low}, ":high": {"S": high}})
        elif shape == "begins":
            condition += " AND begins_with(#r, :p)"
            values[":p"] = {"S": f"2026-11-0{self.rng.randint(1, 4)}"}
        if self.rng.random() < 0.2:
            request["FilterExpression"] = "version > :one"
            values[":one"] = {"N": "1"}
        request.update(KeyConditionExpression=condition, ExpressionAttributeValues=values)
        if shape == "none":
            del request["ExpressionAttributeNames"]["#r"]
        return request


def all_pages(dynamodb, request: dict) -> list:
    pages = []
    while True:
        answer = call(dynamodb.query, **request)
        pages.append(answer)
        if "LastEvaluatedKey" not in answer or len(pages) > 60:
            return pages
        request = {**request, "ExclusiveStartKey": answer["LastEvaluatedKey"]}


class StreamReader:
    """Reads the table's stream as infra/relay.py does: a fresh iterator after the last record."""

    def __init__(self, url: str, table: str):
        self.streams = client(url, "dynamodbstreams")
        self.arn = client(url, "dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        self.after = None

    def read(self) -> list:
        shard = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"][0]["ShardId"]
        position = {"ShardIteratorType": "TRIM_HORIZON"}
        if self.after:
            position = {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER", "SequenceNumber": self.after}
        iterator = self.streams.get_shard_iterator(StreamArn=self.arn, ShardId=shard, **position)["ShardIterator"]
        records = self.streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        if records:
            self.after = records[-1]["dynamodb"]["SequenceNumber"]
        return [
            {
                "eventName": r["eventName"],
                **{k: v for k, v in r["dynamodb"].items() if k not in ("ApproximateCreationDateTime", "SizeBytes")},
            }
            for r in records
        ]


@pytest.mark.parametrize("seed", SEEDS)
def test_the_same_requests_get_the_same_answers(servers, seed):
    table = f"compare-{seed}"
    dynamodbs = [client(url, "dynamodb") for url in servers]
    for dynamodb in dynamodbs:
        create_table(dynamodb, table)
    readers = [StreamReader(url, table) for url in servers]
    workload = Workload(seed, table)
    seen = {"cancelled": 0, "pages": 0, "failed condition": 0}
    for step in range(STEPS):
        if workload.rng.random() < 0.6:
            method, request = workload.write()
            answers = [call(getattr(d, method), **request) for d in dynamodbs]
            error = answers[0].get("error")
            seen["cancelled"] += error == "TransactionCanceledException"
            seen["failed condition"] += error == "ConditionalCheckFailedException"
        else:
            request = workload.query()
            answers = [all_pages(d, request) for d in dynamodbs]
            seen["pages"] += len(answers[0]) > 1
        assert answers[0] == answers[1], f"seed {seed}, step {step}: {request}"
        if step % 10 == 0:
            records = [reader.read() for reader in readers]
            assert records[0] == records[1], f"seed {seed}, step {step}: stream records differ"
    scans = [sorted(call(d.scan, TableName=table)["Items"], key=lambda i: (i["pk"]["S"], i["sk"]["S"])) for d in dynamodbs]
    assert scans[0] == scans[1]
    final = [reader.read() for reader in readers]
    assert final[0] == final[1]
    # The workload reached what it is for.
    assert seen["cancelled"] and seen["pages"] and seen["failed condition"], seen


def test_a_cancelled_transaction_restores_every_item_and_leaves_no_stream_record(servers):
    patched = servers[0]
    dynamodb = client(patched, "dynamodb")
    create_table(dynamodb, "rollback")
    reader = StreamReader(patched, "rollback")
    put = {"pk": {"S": "T#1"}, "sk": {"S": "TICKET"}, "idxAll": {"S": "ALL"}, "idxUpdated": {"S": "1"}}
    dynamodb.put_item(TableName="rollback", Item=put)
    assert [r["eventName"] for r in reader.read()] == ["INSERT"]
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Update": {"TableName": "rollback", "Key": {"pk": put["pk"], "sk": put["sk"]}, "UpdateExpression": "SET idxUpdated = :u", "ExpressionAttributeValues": {":u": {"S": "2"}}}},
                {"Put": {"TableName": "rollback", "Item": {"pk": {"S": "T#2"}, "sk": {"S": "TICKET"}, "idxAll": {"S": "ALL"}, "idxUpdated": {"S": "3"}}}},
                {"ConditionCheck": {"TableName": "rollback", "Key": {"pk": {"S": "T#9"}, "sk": {"S": "TICKET"}}, "ConditionExpression": "attribute_exists(pk)"}},
            ]
        )
    reasons = [r["Code"] for r in cancelled.value.response["CancellationReasons"]]
    assert reasons == ["None", "None", "ConditionalCheckFailed"]
    assert dynamodb.get_item(TableName="rollback", Key={"pk": put["pk"], "sk": put["sk"]})["Item"] == put
    assert "Item" not in dynamodb.get_item(TableName="rollback", Key={"pk": {"S": "T#2"}, "sk": {"S": "TICKET"}})
    by_index = dynamodb.query(
        TableName="rollback", IndexName="all-by-updated", KeyConditionExpression="idxAll = :a", ExpressionAttributeValues={":a": {"S": "ALL"}}
    )["Items"]
    assert by_index == [put]
    assert reader.read() == []


def test_the_stream_drops_what_its_reader_consumed(servers):
    patched = servers[0]
    dynamodb = client(patched, "dynamodb")
    create_table(dynamodb, "trimmed")
    reader = StreamReader(patched, "trimmed")
    for n in range(5):
        dynamodb.put_item(TableName="trimmed", Item={"pk": {"S": f"T#{n}"}, "sk": {"S": "TICKET"}})
    first = reader.read()
    assert len(first) == 5
    dynamodb.put_item(TableName="trimmed", Item={"pk": {"S": "T#5"}, "sk": {"S": "TICKET"}})
    assert [r["Keys"]["pk"]["S"] for r in reader.read()] == ["T#5"]
    # A new reader from the trim horizon starts after what was consumed: the first five are gone,
    # and the sequence numbers go on.
    fresh = StreamReader(patched, "trimmed")
    kept = fresh.read()
    assert [r["Keys"]["pk"]["S"] for r in kept] == ["T#5"]
    assert int(kept[0]["SequenceNumber"]) == int(first[-1]["SequenceNumber"]) + 1


def test_queues_answer_as_plain_moto(servers):
    answers = []
    for url in servers:
        sqs = client(url, "sqs")
        seen = []
        for name, attributes in [
            ("plain", {}),
            ("ordered.fifo", {"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
        ]:
            queue_url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
            fifo = name.endswith(".fifo")
            for body in ["one", "two", "one"]:
                extra = {"MessageGroupId": "g"} if fifo else {}
                sent = sqs.send_message(QueueUrl=queue_url, MessageBody=body, **extra)
                seen.append(sent["MD5OfMessageBody"])
            counts = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["All"])["Attributes"]
            seen.append({k: v for k, v in counts.items() if k.startswith(("Approximate", "Content", "Fifo"))})
            received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
            seen.append(sorted(m["Body"] for m in received))
        answers.append(seen)
    assert answers[0] == answers[1]
    # Content-based deduplication held: the FIFO queue kept two of the three.
    assert answers[0][-1] == ["one", "two"]


def test_overwritten_items_are_not_kept(started):
    """Plain moto keeps every item version it ever made (and every copy it took to build an
    answer); the patched server keeps what the table holds. One item overwritten a thousand
    times with 40 KB of text: the plain server grows by tens of MiB, the patched one by little."""
    growth = []
    for process, url in started:
        dynamodb = client(url, "dynamodb")
        dynamodb.create_table(
            TableName="overwritten",
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
        before = resident_mib(process)
        for n in range(1000):
            dynamodb.put_item(TableName="overwritten", Item={"pk": {"S": "one"}, "text": {"S": f"{n:05}" + "x" * 40_000}})
        growth.append(resident_mib(process) - before)
    patched, plain = growth
    print(f"growth: patched {patched:.1f} MiB, plain {plain:.1f} MiB")
    assert plain > 15, f"plain moto grew by {plain:.1f} MiB: the test no longer shows the leak"
    assert patched < plain / 4, f"patched {patched:.1f} MiB, plain {plain:.1f} MiB"
