"""Creates the table and the attachments bucket on the local AWS API server, from the one
definition in infra/storage.json (the template declares the same; tests/infra checks it).

Usage: python infra/bootstrap.py ENDPOINT TABLE BUCKET    (does nothing for what exists)
"""

import json
import sys
from pathlib import Path

import boto3

DEFINITION = json.loads((Path(__file__).parent / "storage.json").read_text())


def clients(endpoint: str):
    settings = dict(
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return boto3.client("dynamodb", **settings), boto3.client("s3", **settings)


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


def create_bucket(s3, name: str) -> None:
    if any(b["Name"] == name for b in s3.list_buckets().get("Buckets", [])):
        return
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


def main() -> None:
    endpoint, table, bucket = sys.argv[1:4]
    dynamodb, s3 = clients(endpoint)
    create_table(dynamodb, table)
    create_bucket(s3, bucket)
    print(f"==> table {table} and bucket {bucket} ready on {endpoint}")


if __name__ == "__main__":
    main()
