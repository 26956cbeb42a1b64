"""The event-driven core on the local stack: the relay feeds the table's stream, the bucket's
notifications and the ingestion queue to their functions, as AWS would."""

import json
import os
import uuid

import boto3
import pytest
import requests

from .conftest import Api, eventually

PREFIX = "tickets-e2e"


@pytest.fixture(scope="module")
def aws():
    settings = dict(
        endpoint_url=os.environ["MOTO_ENDPOINT"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return {name: boto3.client(name, **settings) for name in ("sqs", "s3")}


def history(agent: Api, ticket_id: str) -> list[dict]:
    response = agent.request("GET", f"/{ticket_id}/history", params={"limit": 100})
    assert response.status_code == 200, response.text
    return response.json()["data"]


class EventLog:
    """Every domain event the bus delivered to the log queue, kept across reads."""

    def __init__(self, sqs):
        self.sqs = sqs
        self.url = sqs.get_queue_url(QueueName=f"{PREFIX}-events-log")["QueueUrl"]
        self.events: list[dict] = []

    def of(self, ticket_id: str) -> list[str]:
        while True:
            messages = self.sqs.receive_message(QueueUrl=self.url, MaxNumberOfMessages=10).get("Messages", [])
            if not messages:
                break
            for message in messages:
                self.events.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.url, ReceiptHandle=message["ReceiptHandle"])
        return [e["detail-type"] for e in self.events if e["detail"].get("ticketId") == ticket_id]


@pytest.fixture(scope="module")
def event_log(aws):
    return EventLog(aws["sqs"])


def test_api_work_yields_the_history_and_the_domain_events(client, agent, event_log):
    ticket = client.create()
    tid = ticket["_id"]
    path = f"/{tid}"
    assert agent.request("PATCH", path, json={"assignedTo": "me", "status": "in_progress"}).status_code == 200
    assert agent.request("POST", f"{path}/threads", json={"message": "Looking into it"}).status_code == 201
    assert agent.request("PATCH", path, json={"status": "resolved", "resolution": "Fixed"}).status_code == 200
    declared = client.request("POST", f"{path}/attachments", json={"filename": "log.txt", "size": 3, "type": "text/plain"})
    assert declared.status_code == 201
    upload = declared.json()["data"]["upload"]
    assert requests.put(upload["url"], data=b"log", headers=upload["headers"], timeout=30).status_code == 200

    entries = eventually(lambda: (h := history(agent, tid)) and len(h) >= 5 and h)
    changes = [(e["version"], e["field"], e["old"], e["new"], e["by"]) for e in entries]
    agent_sub = changes[1][4]
    assert changes == [
        (1, "ticket", None, "created", ticket["client"]),
        (2, "status", "open", "in_progress", agent_sub),
        (2, "assignedTo", None, agent_sub, agent_sub),
        (4, "status", "in_progress", "resolved", agent_sub),
        (4, "resolution", None, "Fixed", agent_sub),
    ]

    expected = [
        "SupportTicket.Created",
        "SupportTicket.MessageAdded",  # the description, the thread's first message
        "SupportTicket.StatusChanged",
        "SupportTicket.Assigned",
        "SupportTicket.MessageAdded",
        "SupportTicket.StatusChanged",
        "SupportTicket.Resolved",
        "SupportTicket.Updated",
        "SupportTicket.AttachmentAdded",
        "SupportTicket.AttachmentAvailable",
    ]
    got = eventually(lambda: (e := event_log.of(tid)) and len(e) >= len(expected) and e)
    assert sorted(got) == sorted(expected), got
    assert got.index("SupportTicket.Created") < got.index("SupportTicket.Resolved")


def test_history_is_for_staff_only(client, other_client, admin):
    ticket = client.create()
    assert client.request("GET", f"/{ticket['_id']}/history").status_code == 403
    assert other_client.request("GET", f"/{ticket['_id']}/history").status_code == 404
    assert eventually(lambda: history(admin, ticket["_id"]))[0]["field"] == "ticket"


def test_ingested_commands_open_tickets_once_and_bad_ones_reach_the_dead_letter_queue(aws, agent):
    sqs = aws["sqs"]
    url = sqs.get_queue_url(QueueName=f"{PREFIX}-ingest")["QueueUrl"]
    dlq = sqs.get_queue_url(QueueName=f"{PREFIX}-ingest-dlq")["QueueUrl"]
    customer = f"mail-{uuid.uuid4().hex[:8]}"
    command = {"client": customer, "title": "From e-mail", "description": "Sent to support@", "priority": "low", "category": "general"}
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(command))
    marker = f"garbage-{uuid.uuid4().hex}"
    sqs.send_message(QueueUrl=url, MessageBody=marker)

    listed = eventually(lambda: agent.request("GET", params={"client": customer}).json()["data"])
    assert [t["title"] for t in listed] == ["From e-mail"]

    def dead_lettered():
        messages = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
        return [m for m in messages if m["Body"] == marker]

    assert eventually(dead_lettered, seconds=60), "the malformed message is reported, not lost"
    assert len(agent.request("GET", params={"client": customer}).json()["data"]) == 1


def test_counts_by_status_equal_a_recount(client, agent, ids):
    tickets = [client.create() for _ in range(4)]
    agent.request("PATCH", f"/{tickets[0]['_id']}", json={"status": "pending"})
    agent.request("PATCH", f"/{tickets[1]['_id']}", json={"status": "resolved", "resolution": "ok"})
    body = agent.request("GET", params={"client": ids["client"], "countByStatus": "true", "limit": 100}).json()
    recount = {s: 0 for s in ("open", "pending", "in_progress", "resolved", "closed")}
    for t in body["data"]:
        recount[t["status"]] += 1
    assert body["counts"] == recount
