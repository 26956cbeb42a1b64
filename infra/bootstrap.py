"""Creates everything the functions use on the local AWS API server (moto), from the same
definitions the template declares: the table and bucket from infra/storage.json (tests/infra
checks the template agrees), the event bus, and the queues.

Usage: python infra/bootstrap.py ENDPOINT PREFIX [--function-env FILE]
       (does nothing for what exists; with --function-env, appends to FILE the settings the
       functions need: the local user pool's (to verify its tokens), the queues', and the
       mail settings)

Names: table PREFIX, bucket PREFIX-attachments, bus PREFIX-events, queues PREFIX-ingest (with
PREFIX-ingest-dlq after 3 receives), PREFIX-uploads (the bucket's ObjectCreated notifications,
relayed to on-attachment-uploaded), PREFIX-events-log (a rule's copy of every domain event, for
tests and for people to look at), PREFIX-stream-failures (stream records given up on),
PREFIX-webhooks (a rule's copy of every ticket event, which deliver-webhooks fans out into
one message per delivery on the same queue, each retried by its visibility) with
PREFIX-webhooks-dlq; PREFIX-data-jobs (one message per step of a data job, relayed to
run-data-jobs) with PREFIX-data-jobs-dlq; PREFIX-inbound (the bucket's ObjectCreated
notifications for `inbound/`, where SES receiving writes raw mail, relayed to on-email-received);
PREFIX-notifications (a rule's copy of the ticket events people are told of by e-mail, relayed to
send-notifications) with PREFIX-notifications-dlq; the user pool PREFIX-users with its groups and
app client (infra/identity.py).

Mail: the SES identities the desk sends from (the domain desk.example and support@desk.example,
verified at once by the local server; shared by every prefix), and the mail settings of the
functions: DESK_ADDRESS, NOTIFY_AGENTS_ADDRESS and MAIL_SIGNING_KEY, the fixed local key below
(not a secret: it signs the local stack's reply and unsubscribe links only, the same on every
machine and run, so that a fixture in events/ or a test can carry a link signed with it; the
template's stack makes its own with Secrets Manager). PUBLIC_URL, the API's address, is written
by infra/stack.sh, which knows the port.
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
# The local desk's mail: the domain and address SES sends from, and where new tickets are told.
MAIL_DOMAIN = "desk.example"
DESK_ADDRESS = f"support@{MAIL_DOMAIN}"
NOTIFY_AGENTS_ADDRESS = f"agents@{MAIL_DOMAIN}"
# The local stacks' mail signing key: public, fixed, never a deployed stack's (the template's
# comes from Secrets Manager). At least 32 characters, as the functions require.
MAIL_SIGNING_KEY = "local-mail-signing-key-for-the-local-stack-only-0123456789"
# The ticket events the template's NotificationEventsRule copies to the notification queue.
NOTIFIED_EVENTS = [
    "SupportTicket.Created",
    "SupportTicket.Resolved",
    "SupportTicket.Closed",
    "SupportTicket.MessageAdded",
]


def clients(endpoint: str):
    settings = dict(
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return {
        name: boto3.client(name, **settings) for name in ("dynamodb", "s3", "sqs", "events", "sesv2")
    }


def create_table(dynamodb, name: str) -> None:
    # One page lists at most 100 tables; a shared local endpoint (the Rust tests') holds more.
    tables = dynamodb.get_paginator("list_tables").paginate()
    if any(name in page["TableNames"] for page in tables):
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


def create_bucket(s3, name: str, uploads_arn: str, inbound_arn: str) -> None:
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
    # In AWS the bucket notifies the functions; locally a queue stands in for each, and the relay
    # invokes. One configuration holds both: putting it replaces the bucket's whole one.
    s3.put_bucket_notification_configuration(
        Bucket=name,
        NotificationConfiguration={
            "QueueConfigurations": [
                created_under("tickets/", uploads_arn),
                # Raw mail, as SES receiving's S3 action writes it (key inbound/<message id>).
                created_under("inbound/", inbound_arn),
            ]
        },
    )


def created_under(prefix: str, queue_arn: str) -> dict:
    return {
        "QueueArn": queue_arn,
        "Events": ["s3:ObjectCreated:*"],
        "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
    }


def create_bus(events, name: str, log_arn: str, webhooks_arn: str, notifications_arn: str) -> None:
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
    # The template's NotificationEventsRule: what people are told of by e-mail. (Its other rule,
    # SES's bounces and complaints on the default bus, has nothing to copy locally.)
    notified = {"source": ["support-tickets"], "detail-type": NOTIFIED_EVENTS}
    events.put_rule(Name=f"{name}-notifications", EventBusName=name, EventPattern=json.dumps(notified))
    events.put_targets(
        Rule=f"{name}-notifications",
        EventBusName=name,
        Targets=[{"Id": "notifications", "Arn": notifications_arn}],
    )


def verify_mail_identities(sesv2) -> None:
    """The domain (the template's MailIdentity) and the desk's address. The local server
    verifies an identity as it is created, and sends from any address of a verified domain."""
    have = {i["IdentityName"] for i in sesv2.list_email_identities()["EmailIdentities"]}
    for identity in (MAIL_DOMAIN, DESK_ADDRESS):
        if identity not in have:
            sesv2.create_email_identity(EmailIdentity=identity)


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
    _, inbound_arn = queue(aws["sqs"], f"{prefix}-inbound")
    # Nobody consumes the events log: it keeps the last ten minutes of events.
    _, log_arn = queue(aws["sqs"], f"{prefix}-events-log", MessageRetentionPeriod="600")
    create_bucket(aws["s3"], f"{prefix}-attachments", uploads_arn, inbound_arn)
    _, webhooks_dlq_arn = queue(aws["sqs"], f"{prefix}-webhooks-dlq")
    # More receives than the local retry schedule has attempts: the function decides when a
    # delivery is given up; the dead-letter queue takes only what keeps crashing it.
    webhooks_redrive = json.dumps({"deadLetterTargetArn": webhooks_dlq_arn, "maxReceiveCount": "12"})
    webhooks_url, webhooks_arn = queue(
        aws["sqs"], f"{prefix}-webhooks", VisibilityTimeout="10", RedrivePolicy=webhooks_redrive
    )
    _, notifications_dlq_arn = queue(aws["sqs"], f"{prefix}-notifications-dlq")
    # As the template's: the dead-letter queue after 5 receives. A failed message comes back
    # after 10 s locally (in AWS, after six times the function's timeout).
    _, notifications_arn = queue(
        aws["sqs"],
        f"{prefix}-notifications",
        VisibilityTimeout="10",
        RedrivePolicy=json.dumps({"deadLetterTargetArn": notifications_dlq_arn, "maxReceiveCount": "5"}),
    )
    create_bus(aws["events"], f"{prefix}-events", log_arn, webhooks_arn, notifications_arn)
    verify_mail_identities(aws["sesv2"])
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
    settings["DESK_ADDRESS"] = DESK_ADDRESS
    settings["NOTIFY_AGENTS_ADDRESS"] = NOTIFY_AGENTS_ADDRESS
    settings["MAIL_SIGNING_KEY"] = MAIL_SIGNING_KEY
    if function_env:
        with open(function_env, "a") as env:
            for name, value in settings.items():
                # Single quotes keep the JSON of the keys one value in a dotenv file.
                env.write(f"{name}='{value}'\n")
    print(f"==> table, bucket, bus, queues, mail identities and user pool '{prefix}*' ready on {endpoint}")


if __name__ == "__main__":
    main()
