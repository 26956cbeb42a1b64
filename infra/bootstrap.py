"""Creates everything the functions use on the local AWS API server (moto), from the same
definitions the template declares: the table and bucket from infra/storage.json (tests/infra
checks the template agrees), the event bus, and the queues.

Usage: python infra/bootstrap.py ENDPOINT PREFIX [--function-env FILE]
       (does nothing for what exists; with --function-env, appends to FILE the settings the
       functions need to verify the local user pool's tokens)

Names: table PREFIX, bucket PREFIX-attachments, bus PREFIX-events, queues PREFIX-ingest (with
PREFIX-ingest-dlq after 3 receives), PREFIX-uploads (the bucket's ObjectCreated notifications,
relayed to on-attachment-uploaded), PREFIX-events-log (a rule's copy of every domain event, for
tests and for people to look at), PREFIX-stream-failures (stream records given up on),
PREFIX-webhooks (a rule's copy of every ticket event, which deliver-webhooks fans out into
one message per delivery on the same queue, each retried by its visibility) with
PREFIX-webhooks-dlq; PREFIX-data-jobs (one message per step of a data job, relayed to
run-data-jobs) with PREFIX-data-jobs-dlq; the user pool PREFIX-users with its groups and app client
(infra/identity.py).
"""

import json
import sys
from pathlib import Path

import boto3

sys.path.insert(0, str(Path(__file__).parent))
import identity  # noqa: E402

DEFINITION = json.loads((Path(__file__).parent / "storage.json").read_text())
REGION = "us-east-1"
# The bus's rule targets need an account; moto's default.
ACCOUNT = "123456789012"


def clients(endpoint: str):
    settings = dict(
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return {name: boto3.client(name, **settings) for name in ("dynamodb", "s3", "sqs", "events")}


def create_table(dynamodb, name: str) -> None:
    if name in dynamodb.list_tables()["TableNames"]:
        return
    table = DEFINITION["table"]
    dynamodb.create_table(
        TableName=name,
        BillingMode=table["BillingMode"],
        AttributeDefinitions=table["AttributeDefinitions"],
        KeySchema=table["KeySchema"],
        GlobalSecondaryIndexes=table["GlobalSecondaryIndexes"],
        StreamSpecification={"StreamEnabled": True, **table["StreamSpecification"]},
    )
    dynamodb.update_time_to_live(
        TableName=name, TimeToLiveSpecification=table["TimeToLiveSpecification"]
    )
    dynamodb.update_continuous_backups(
        TableName=name,
        PointInTimeRecoverySpecification=table["PointInTimeRecoverySpecification"],
    )


def queue(sqs, name: str, **attributes) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def create_bucket(s3, name: str, uploads_arn: str) -> None:
    if not any(b["Name"] == name for b in s3.list_buckets().get("Buckets", [])):
        bucket = DEFINITION["bucket"]
        s3.create_bucket(Bucket=name)
        # CloudFormation's names differ from the S3 API's: map its rules over.
        rules = [
            {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
            for rule in bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration=bucket["PublicAccessBlockConfiguration"]
        )
    # The template's CORS rule, with its default origins: browsers upload and download directly.
    s3.put_bucket_cors(
        Bucket=name,
        CORSConfiguration={
            "CORSRules": [
                {
                    "AllowedOrigins": ["*"],
                    "AllowedMethods": ["PUT", "GET"],
                    "AllowedHeaders": ["content-type", "content-length"],
                    "ExposeHeaders": ["etag"],
                    "MaxAgeSeconds": 600,
                }
            ]
        },
    )
    # In AWS the bucket notifies the function; locally a queue stands in, and the relay invokes.
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": uploads_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "tickets/"}]}},
                }
            ]
        },
    )


def create_bus(events, name: str, log_arn: str, webhooks_arn: str) -> None:
    if not any(b["Name"] == name for b in events.list_event_buses()["EventBuses"]):
        events.create_event_bus(Name=name)
    events.put_rule(
        Name=f"{name}-all", EventBusName=name, EventPattern=json.dumps({"source": ["support-tickets"]})
    )
    events.put_targets(Rule=f"{name}-all", EventBusName=name, Targets=[{"Id": "log", "Arn": log_arn}])
    # The template's rule: ticket events only (not the desk's own notices about webhooks).
    ticket_events = {"source": ["support-tickets"], "detail-type": [{"prefix": "SupportTicket."}]}
    events.put_rule(Name=f"{name}-webhooks", EventBusName=name, EventPattern=json.dumps(ticket_events))
    events.put_targets(
        Rule=f"{name}-webhooks", EventBusName=name, Targets=[{"Id": "webhooks", "Arn": webhooks_arn}]
    )


def main() -> None:
    endpoint, prefix = sys.argv[1:3]
    function_env = sys.argv[4] if sys.argv[3:4] == ["--function-env"] else None
    aws = clients(endpoint)
    create_table(aws["dynamodb"], prefix)
    _, dlq_arn = queue(aws["sqs"], f"{prefix}-ingest-dlq")
    queue(
        aws["sqs"],
        f"{prefix}-ingest",
        VisibilityTimeout="1",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"}),
    )
    queue(aws["sqs"], f"{prefix}-stream-failures")
    _, uploads_arn = queue(aws["sqs"], f"{prefix}-uploads")
    # Nobody consumes the events log: it keeps the last ten minutes of events.
    _, log_arn = queue(aws["sqs"], f"{prefix}-events-log", MessageRetentionPeriod="600")
    create_bucket(aws["s3"], f"{prefix}-attachments", uploads_arn)
    _, webhooks_dlq_arn = queue(aws["sqs"], f"{prefix}-webhooks-dlq")
    # More receives than the local retry schedule has attempts: the function decides when a
    # delivery is given up; the dead-letter queue takes only what keeps crashing it.
    webhooks_redrive = json.dumps({"deadLetterTargetArn": webhooks_dlq_arn, "maxReceiveCount": "12"})
    webhooks_url, webhooks_arn = queue(
        aws["sqs"], f"{prefix}-webhooks", VisibilityTimeout="10", RedrivePolicy=webhooks_redrive
    )
    create_bus(aws["events"], f"{prefix}-events", log_arn, webhooks_arn)
    _, jobs_dlq_arn = queue(aws["sqs"], f"{prefix}-data-jobs-dlq")
    jobs_url, _ = queue(
        aws["sqs"],
        f"{prefix}-data-jobs",
        VisibilityTimeout="30",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": jobs_dlq_arn, "maxReceiveCount": "5"}),
    )
    settings = identity.function_env(endpoint, prefix)
    settings["WEBHOOK_QUEUE_URL"] = webhooks_url
    settings["DATA_JOB_QUEUE_URL"] = jobs_url
    if function_env:
        with open(function_env, "a") as env:
            for name, value in settings.items():
                # Single quotes keep the JSON of the keys one value in a dotenv file.
                env.write(f"{name}='{value}'\n")
    print(f"==> table, bucket, bus, queues and user pool '{prefix}*' ready on {endpoint}")


if __name__ == "__main__":
    main()
