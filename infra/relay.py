"""The local triggers: feeds the event functions what AWS would, through the Lambda invoke API
of `cargo lambda watch`.

- the table's stream (moto's DynamoDB Streams API) -> on-ticket-change, in batches, honouring
  `batchItemFailures`: a failed record is retried a few times, then set aside in the
  PREFIX-stream-failures queue (AWS's on-failure destination), and the stream moves on;
- the bucket's ObjectCreated notifications: under `tickets/` (queued in PREFIX-uploads) ->
  on-attachment-uploaded; under `inbound/`, the raw mail SES receiving writes (queued in
  PREFIX-inbound; infra/mail.py delivers a message there) -> on-email-received;
- the ingestion queue PREFIX-ingest -> ingest-tickets as SQS batches; only the messages the
  function did not report as failed are deleted, the others come back and, after 3 receives,
  go to the dead-letter queue as the redrive policy says;
- the webhook queue PREFIX-webhooks (ticket events, and the deliveries they fan out into) ->
  deliver-webhooks, the same way (a failed delivery's message was hidden by the function until
  its retry);
- the hourly schedule -> close-resolved-tickets, every SCHEDULE_SECONDS (default 60) locally;
- the one-minute schedule -> check-sla, every SLA_CHECK_SECONDS (default 15) locally, so that a
  person can watch a one-minute target warn and breach;
- the data jobs' queue PREFIX-data-jobs -> run-data-jobs, the same way (each step of a job
  queues the next);
- the notification queue PREFIX-notifications (the ticket events people are told of by e-mail)
  -> send-notifications, the same way; after 5 receives a message goes to the dead-letter queue
  (what the function sent, moto's SES keeps: `python infra/mail.py sent` lists it);
- the daily schedule -> purge-deleted-tickets, every PURGE_SECONDS (default 3600) locally.

Usage: python infra/relay.py MOTO_ENDPOINT API_URL PREFIX
Traffic stays on loopback; the loops are paced and stop with the process.
"""

import json
import os
import sys
import threading
import time
import uuid

import boto3
import requests

REGION = "us-east-1"
STREAM_RETRIES = 3
POLL_SECONDS = 0.2


def log(message: str) -> None:
    print(f"relay: {message}", flush=True)


class Relay:
    def __init__(self, endpoint: str, api_url: str, prefix: str):
        settings = dict(
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        self.dynamodb = boto3.client("dynamodb", **settings)
        self.streams = boto3.client("dynamodbstreams", **settings)
        self.sqs = boto3.client("sqs", **settings)
        self.api_url = api_url
        self.prefix = prefix
        self.queues = {
            name: self.sqs.get_queue_url(QueueName=f"{prefix}-{name}")["QueueUrl"]
            for name in (
                "ingest",
                "uploads",
                "inbound",
                "stream-failures",
                "webhooks",
                "data-jobs",
                "notifications",
            )
        }
        self.stream_arn = self.dynamodb.describe_table(TableName=prefix)["Table"]["LatestStreamArn"]
        # The last sequence number handled per shard. A fresh iterator is taken on every poll,
        # after that number: the local server then drops the records before it (as consumed).
        self.handled: dict[str, str] = {}
        # Each scheduled function: its period and when it runs next.
        self.schedules = {
            "close-resolved-tickets": float(os.environ.get("SCHEDULE_SECONDS", "60")),
            "check-sla": float(os.environ.get("SLA_CHECK_SECONDS", "15")),
            "purge-deleted-tickets": float(os.environ.get("PURGE_SECONDS", "3600")),
        }
        self.next_run = {name: time.monotonic() + period for name, period in self.schedules.items()}

    def invoke(self, function: str, event: dict) -> dict | None:
        """The function's answer, or None when it failed."""
        url = f"{self.api_url}/2015-03-31/functions/{function}/invocations"
        try:
            response = requests.post(url, data=json.dumps(event), timeout=120)
        except requests.RequestException as err:
            log(f"{function}: not reachable ({err})")
            return None
        body = response.json() if response.content else {}
        if response.status_code != 200 or (isinstance(body, dict) and "errorMessage" in body):
            log(f"{function}: failed ({response.status_code}) {body}")
            return None
        return body if isinstance(body, dict) else {}

    # -- the table's stream ---------------------------------------------------------------

    def poll_stream(self) -> bool:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]["Shards"]
        worked = False
        for shard in shards:
            shard_id = shard["ShardId"]
            position = {"ShardIteratorType": "TRIM_HORIZON"}
            if shard_id in self.handled:
                position = {
                    "ShardIteratorType": "AFTER_SEQUENCE_NUMBER",
                    "SequenceNumber": self.handled[shard_id],
                }
            iterator = self.streams.get_shard_iterator(StreamArn=self.stream_arn, ShardId=shard_id, **position)
            page = self.streams.get_records(ShardIterator=iterator["ShardIterator"], Limit=100)
            records = page["Records"]
            if records:
                worked = True
                self.deliver_stream(records)
                self.handled[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
        return worked

    def deliver_stream(self, records: list[dict]) -> None:
        for record in records:
            record.setdefault("eventSourceARN", self.stream_arn)
            for key in ("ApproximateCreationDateTime",):
                value = record["dynamodb"].get(key)
                if value is not None and not isinstance(value, (int, float)):
                    record["dynamodb"][key] = value.timestamp()
        pending = records
        for _ in range(STREAM_RETRIES + 1):
            answer = self.invoke("on-ticket-change", {"Records": pending})
            if answer is None:
                continue
            failed = [f.get("itemIdentifier") for f in answer.get("batchItemFailures", [])]
            if not failed:
                return
            # As Lambda does: retry from the first failed record on.
            first = next(i for i, r in enumerate(pending) if r["dynamodb"]["SequenceNumber"] in failed)
            pending = pending[first:]
        poison, rest = pending[0], pending[1:]
        log(f"stream record {poison['dynamodb']['SequenceNumber']} set aside after retries")
        self.sqs.send_message(QueueUrl=self.queues["stream-failures"], MessageBody=json.dumps(poison, default=str))
        if rest:
            self.deliver_stream(rest)

    # -- queues -------------------------------------------------------------------------------

    def poll_bucket(self, queue: str, function: str) -> bool:
        """The bucket's notifications queued in `queue`, each an S3 event to `function`, as S3
        invokes it (asynchronously: one event at a time). S3's test events (one per notification
        setting put) are dropped."""
        url = self.queues[queue]
        messages = self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        for message in messages:
            event = json.loads(message["Body"])
            for record in event.get("Records", []):
                # moto leaves out members S3 always sends.
                record.setdefault("userIdentity", {"principalId": "local"})
                record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
                record.setdefault("responseElements", {})
            if "Records" in event and self.invoke(function, event) is None:
                continue  # left in the queue: it comes back
            self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bool(messages)

    def poll_uploads(self) -> bool:
        return self.poll_bucket("uploads", "on-attachment-uploaded")

    def poll_inbound(self) -> bool:
        return self.poll_bucket("inbound", "on-email-received")

    def poll_queue(self, queue: str, function: str) -> bool:
        """One SQS batch of `queue` to `function`; the messages it did not report failed are
        deleted, as Lambda's event source mapping does."""
        url = self.queues[queue]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        messages = self.sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]
        ).get("Messages", [])
        if not messages:
            return False
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": arn,
                    "awsRegion": REGION,
                }
                for m in messages
            ]
        }
        answer = self.invoke(function, event)
        if answer is None:
            return True
        failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
        for m in messages:
            if m["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
        return True

    def poll_ingest(self) -> bool:
        return self.poll_queue("ingest", "ingest-tickets")

    def poll_webhooks(self) -> bool:
        return self.poll_queue("webhooks", "deliver-webhooks")

    def poll_data_jobs(self) -> bool:
        return self.poll_queue("data-jobs", "run-data-jobs")

    def poll_notifications(self) -> bool:
        return self.poll_queue("notifications", "send-notifications")

    # -- the schedule ------------------------------------------------------------------------

    def tick(self) -> bool:
        due = [name for name, at in self.next_run.items() if time.monotonic() >= at]
        for name in due:
            self.next_run[name] = time.monotonic() + self.schedules[name]
            event = {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "123456789012",
                "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "region": REGION,
                "resources": [f"arn:aws:events:{REGION}:123456789012:rule/{name}"],
                "detail": {},
            }
            self.invoke(name, event)
        return bool(due)

    def run(self) -> None:
        """Each trigger in a thread of its own, as AWS runs them side by side: a slow upload
        check never holds the stream back."""
        log(f"relaying for '{self.prefix}' to {self.api_url}")
        triggers = [
            self.poll_stream,
            self.poll_uploads,
            self.poll_inbound,
            self.poll_ingest,
            self.poll_webhooks,
            self.poll_data_jobs,
            self.poll_notifications,
            self.tick,
        ]
        for trigger in triggers:
            threading.Thread(target=self.keep_polling, args=(trigger,), daemon=True).start()
        threading.Event().wait()

    @staticmethod
    def keep_polling(step) -> None:
        while True:
            try:
                worked = step()
            except Exception as err:  # keep relaying whatever one trigger does
                log(f"{step.__name__}: {err!r}")
                worked = False
            if not worked:
                time.sleep(POLL_SECONDS)


if __name__ == "__main__":
    Relay(*sys.argv[1:4]).run()
