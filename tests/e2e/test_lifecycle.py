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


ERASURES = "/v2/erasures"


def request_to(caller: Api, method: str, path: str, **kwargs):
    """A call beside the tickets' base path."""
    return caller.session.request(method, f"{caller.url}{path}", timeout=30, **kwargs)


def test_a_client_is_erased_for_good(aws, api_url, client, other_client, agent, admin, ids):
    subject = ids["client"]
    texts = ["erase-me: my address is 12 Rue X", "erase-me-note: VIP, handle with care"]
    tickets = [client.create(title=f"Erase me {n}") for n in range(3)]
    replayed = client.request("POST", json={"title": "Once only", "description": "erase-me once", "priority": "low",
                                             "category": "general"}, headers={"Idempotency-Key": "erase-test-1"})
    assert replayed.status_code == 201, replayed.text
    tickets.append(replayed.json()["data"])
    first = tickets[0]["_id"]
    assert client.request("POST", f"/{first}/threads", json={"message": texts[0]}).status_code == 201
    assert agent.request("POST", f"/{first}/threads", json={"message": texts[1], "internal": True}).status_code == 201
    assert agent.request("PATCH", f"/{first}", json={"status": "in_progress"}).status_code == 200
    data = b"\x89PNG erase" * 32
    declared = declare(client, first, "passport.png", data, "image/png")
    upload(declared, data)
    assert admin.request("DELETE", f"/{tickets[1]['_id']}").status_code == 200  # deleted ones too
    kept = other_client.create(title="Not mine to erase")
    assert eventually(lambda: len(agent.request("GET", f"/{first}/history").json()["data"]) >= 2)
    assert items_mentioning(aws, subject)

    for caller in (client, agent):
        error(request_to(caller, "POST", f"/v2/clients/{subject}/erase"), 403, "FORBIDDEN")
    started = request_to(admin, "POST", f"/v2/clients/{subject}/erase")
    assert started.status_code == 202, started.text
    job = started.json()["data"]
    assert job["status"] == "running" and "client" not in job

    def finished():
        shown = request_to(admin, "GET", f"{ERASURES}/{job['_id']}").json()["data"]
        return shown if shown["status"] == "done" else None

    done = eventually(finished, seconds=60)
    assert done, "the erasure did not finish"
    removed = done["removed"]
    assert removed["tickets"] == 4
    assert removed["messages"] == 4 + 2  # the descriptions, the client's message, the note
    assert (removed["attachments"], removed["files"]) == (1, 1)
    assert removed["idempotencyRecords"] == 1
    assert removed["historyEntries"] >= 4
    assert done["finishedAt"] and done["requestedBy"]

    # Nothing of the client in the table (the consumer's late history included) or the bucket.
    leftovers = lambda: items_mentioning(aws, subject, *texts, "erase-me")  # noqa: E731
    assert eventually(lambda: not leftovers()), leftovers()
    for ticket in tickets:
        assert objects_under(aws, f"tickets/{ticket['_id']}/") == []
        error(admin.request("GET", f"/{ticket['_id']}"), 404, "NOT_FOUND")
    # The other client is untouched, and counts agree with what is left.
    assert other_client.request("GET", f"/{kept['_id']}").status_code == 200
    mine = agent.request("GET", params={"client": subject, "countByStatus": "true"}).json()
    assert mine["data"] == [] and sum(mine["counts"].values()) == 0
    theirs = agent.request("GET", params={"client": ids["other"], "countByStatus": "true"}).json()
    assert [t["_id"] for t in theirs["data"]] == [kept["_id"]] and theirs["counts"]["open"] == 1

    # Erasing again is a job that finds nothing.
    again = request_to(admin, "POST", f"/v2/clients/{subject}/erase").json()["data"]
    assert eventually(lambda: request_to(admin, "GET", f"{ERASURES}/{again['_id']}").json()["data"]["status"] == "done")


def test_erasures_are_the_admins_alone(client, agent, admin):
    for caller in (client, agent):
        error(request_to(caller, "GET", f"{ERASURES}/{unknown_id()}"), 403, "FORBIDDEN")
    error(request_to(admin, "GET", f"{ERASURES}/{unknown_id()}"), 404, "NOT_FOUND")
    error(request_to(admin, "GET", f"{ERASURES}/not-an-id"), 404, "NOT_FOUND")
