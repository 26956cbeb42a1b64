"""Erasing for good on the local stack: an admin purges a soft-deleted ticket, and afterwards
no item of the table and no object of the bucket holds its id or its messages' text, its
client's counts equal a recount, and other tickets are untouched. A ticket that is not deleted
is never purged (409), only admins purge, and a bad `purge` value changes nothing."""

import os

import boto3
import pytest

from .conftest import Api, error, eventually, unknown_id
from .test_attachments import declare, key_of, upload

PREFIX = "tickets-e2e"
BUCKET = f"{PREFIX}-attachments"


@pytest.fixture(scope="module")
def aws():
    settings = dict(
        endpoint_url=os.environ["MOTO_ENDPOINT"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return {name: boto3.client(name, **settings) for name in ("dynamodb", "s3")}


def items_mentioning(aws, *texts: str) -> list[dict]:
    found = []
    for page in aws["dynamodb"].get_paginator("scan").paginate(TableName=PREFIX):
        for item in page["Items"]:
            if any(text in str(item) for text in texts):
                found.append(item)
    return found


def objects_under(aws, prefix: str) -> list[str]:
    listed = aws["s3"].list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for o in listed.get("Contents", [])]


def test_a_purged_ticket_leaves_nothing_behind(aws, client, agent, admin, ids):
    kept = client.create(title="Keep this one")
    ticket = client.create(title="Forget this one")
    tid = ticket["_id"]
    secret = "my card number is 4111 0000 purge-me"
    note = "internal: the customer is difficult purge-me-too"
    assert client.request("POST", f"/{tid}/threads", json={"message": secret}).status_code == 201
    assert agent.request("POST", f"/{tid}/threads", json={"message": note, "internal": True}).status_code == 201
    assert agent.request("PATCH", f"/{tid}", json={"priority": "urgent"}).status_code == 200
    data = b"\x89PNG pretend" * 64
    declared = declare(client, tid, "id-card.png", data, "image/png")
    upload(declared, data)
    assert objects_under(aws, f"tickets/{tid}/") == [key_of(declared)]
    # The history is written by the stream consumer: wait for it before erasing.
    assert eventually(lambda: len(agent.request("GET", f"/{tid}/history").json()["data"]) >= 2)

    error(admin.request("DELETE", f"/{tid}", params={"purge": "true"}), 409, "CONFLICT")
    assert admin.request("DELETE", f"/{tid}").status_code == 200
    for caller in (client, agent):
        error(caller.request("DELETE", f"/{tid}", params={"purge": "true"}), 403, "FORBIDDEN")
    error(admin.request("DELETE", f"/{tid}", params={"purge": "soon"}), 400, "INVALID_PARAMETERS")

    purged = admin.request("DELETE", f"/{tid}", params={"purge": "true"})
    assert purged.status_code == 200, purged.text
    body = purged.json()["data"]
    assert (body["_id"], body["purged"]) == (tid, True)
    assert body["removed"]["tickets"] == 1
    assert body["removed"]["messages"] == 3  # the description, the client's, the note
    assert (body["removed"]["attachments"], body["removed"]["files"]) == (1, 1)
    assert body["removed"]["historyEntries"] >= 1

    # The stream consumer may still be writing history of earlier changes: the erasure's own
    # record comes after them and removes what they wrote.
    assert eventually(lambda: not items_mentioning(aws, tid, "purge-me")), items_mentioning(aws, tid, "purge-me")
    assert objects_under(aws, f"tickets/{tid}/") == []
    error(admin.request("GET", f"/{tid}"), 404, "NOT_FOUND")
    error(admin.request("DELETE", f"/{tid}", params={"purge": "true"}), 404, "NOT_FOUND")

    # The client's other ticket and their counts are intact.
    assert client.request("GET", f"/{kept['_id']}").status_code == 200
    listed = agent.request("GET", params={"client": ids["client"], "countByStatus": "true", "limit": 100}).json()
    assert [t["_id"] for t in listed["data"]] == [kept["_id"]]
    assert listed["counts"]["open"] == 1 and sum(listed["counts"].values()) == 1


def test_purge_of_an_unknown_ticket_is_a_404(admin):
    error(admin.request("DELETE", f"/{unknown_id()}", params={"purge": "true"}), 404, "NOT_FOUND")
