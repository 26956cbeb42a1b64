"""`cargo lambda invoke <function> --data-file events/<function>.json` runs every function on its
fixture against the running local stack, and each answers what docs/API.md documents.

The fixtures name data that the stack holds: infra/stack.sh runs the seed step (infra/seed)
right after bootstrap. It creates, when missing, ticket 01JD6ZKQ8C4W3M5T7N9P1R3S5V of
`client-1` with its first message (exactly the ticket of on-ticket-change's stream record), its
`available` attachment 01JD6ZKQ8D6X8Z0B2D4F6H8K0M with the object that on-attachment-uploaded's
S3 event names, and a ticket of `client-1` resolved 30 days ago for close-resolved-tickets. The
HTTP fixtures call as `admin-1` (the notification settings' with a verified address in its
claims), but get-report's, which calls as the agent `agent-1` (reports are staff's); the
unsubscribe link is `client-1`'s, signed with the local stacks' fixed key (infra/bootstrap.py). The raw message that on-email-received's S3 event names is not seeded:
its test stores it first, as SES receiving would (infra/mail.py).

Some fixtures change that data (delete-ticket soft-deletes the ticket, delete-attachment
removes the attachment and its object). So that no test depends on the order they run in, each
invocation test starts and ends on the seeded data: the `seeded` fixture restores the ticket
through the API when it is soft-deleted and runs the seed step again, which puts back what is
missing and changes nothing else. What the seed does not undo (the printer tickets merged, a
higher priority, more thread messages, more attachments declared, the old resolved ticket
closed) is what no assertion here
depends on; the one-way step, the auto-close, is asserted for both states it can find (the old
ticket still resolved: this run closes it; already closed by an earlier run or the relay's
schedule: nothing to close).
"""

import hashlib
import json
import os
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlparse

import boto3
import pytest
import requests
from botocore.exceptions import ClientError

from .conftest import CROCKFORD, Api, eventually, moto_endpoint, signed_in, token, unsubscribe_token

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))
import mail  # noqa: E402

FUNCTIONS = sorted(p.name for p in (ROOT / "functions").iterdir() if (p / "Cargo.toml").exists())
PREFIX = "tickets-e2e"

# What the seed step (infra/seed) stores and the fixtures name.
TICKET = "01JD6ZKQ8C4W3M5T7N9P1R3S5V"
FIRST_MESSAGE = "01JD6ZKQ8C4W3M5T7N9P1R3S5W"
ATTACHMENT = "01JD6ZKQ8D6X8Z0B2D4F6H8K0M"
RESOLVED_TICKET = "01JD6ZKQ8E8Z0B2D4F6H8K0M2P"
DUPLICATE_TARGET = "01JD6ZKQ8F0A2C4E6G8J0M2P4R"
DUPLICATE = "01JD6ZKQ8G1B3D5F7H9K1N3Q5S"
CLIENT = "client-1"
ADMIN = "admin-1"
OPENED_AT = "2026-11-24T10:00:00.000Z"
PURGED_TICKET = "01JD6ZKQ8P6G8J0M2P4R6T8W0Y"
ERASURE_JOB = "01JD6ZKQ8R7H9K1N3Q5S7V9X1Z"
EXPORT_JOB = "01JD6ZKQ8S8J0M2P4R6T8W0Y2A"
WEBHOOK, SPARE_WEBHOOK, DELIVERY = "01JD6ZKQ8H2C4E6G8J0M2P4R6T", "01JD6ZKQ8J3D5F7H9K1N3Q5S7V", "01JD6ZKQ8K4E6G8J0M2P4R6T8W"
DESCRIPTION = "The login page shows error 500."
OBJECT_SIZE = 20480
# The address the notification settings' claims vouch for.
ADMIN_ADDRESS = "admin-1@example.com"
# What on-email-received's S3 event names: a message from a user of the local pool, whose token
# made its address known to the desk (so that the ticket it opens is theirs, found by their id).
MAILER = "fixtures-mailer"
INBOUND_MAIL = (
    b"From: Fixture Mailer <fixtures-mailer@example.com>\r\n"
    b"To: Support <support@desk.example>\r\n"
    b"Subject: Scanner offline\r\n"
    b"Date: Tue, 24 Nov 2026 10:00:00 +0000\r\n"
    b"Message-ID: <fixture-inbound-1@example.com>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"The scanner on the second floor is offline since this morning.\r\n"
)
RECEIVED_AT = datetime(2026, 11, 24, 10, 0, 1, tzinfo=timezone.utc)


def invoke(api_url: str, function: str):
    """The function's answer to its fixture, as `cargo lambda invoke` prints it."""
    cargo_lambda = Path(sys.executable).parent / "cargo-lambda"
    run = subprocess.run(
        [
            str(cargo_lambda), "lambda", "invoke", function,
            "--data-file", str(ROOT / "events" / f"{function}.json"),
            "--invoke-address", "127.0.0.1", "--invoke-port", str(urlparse(api_url).port),
            "--output-format", "json",
        ],
        capture_output=True, text=True, timeout=180, cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr
    answer = json.loads(run.stdout)
    assert not (isinstance(answer, dict) and "errorMessage" in answer), answer
    return answer


class HttpAnswer:
    """An API Gateway (HTTP API) response, as an HTTP function answers: `body` the parsed JSON,
    `text` the body as sent (the unsubscribe link's HTML pages have no JSON)."""

    def __init__(self, answer: dict):
        self.status = answer["statusCode"]
        self.headers = {name.lower(): value for name, value in answer.get("headers", {}).items()}
        self.text = answer.get("body") or ""
        html = self.headers.get("content-type", "").startswith("text/html")
        self.body = json.loads(self.text) if self.text and not html else None

    def __repr__(self) -> str:
        return f"{self.status} {self.headers} {self.body if self.body is not None else self.text}"


def invoke_http(api_url: str, function: str) -> HttpAnswer:
    return HttpAnswer(invoke(api_url, function))


def seed() -> None:
    """The seed step, as infra/stack.sh's seed_fixtures runs it."""
    endpoint = os.environ.get("MOTO_ENDPOINT")
    if not endpoint:
        pytest.fail("MOTO_ENDPOINT is not set: run the tests through infra/test.sh")
    env = {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "TABLE_NAME": PREFIX,
        "BUCKET_NAME": f"{PREFIX}-attachments",
        "S3_FORCE_PATH_STYLE": "true",
        "STORAGE_ATTEMPT_TIMEOUT_SECONDS": "10",
    }
    run = subprocess.run(
        ["cargo", "run", "--quiet", "--locked", "-p", "tickets-seed"],
        capture_output=True, text=True, timeout=600, cwd=ROOT, env=env,
    )
    assert run.returncode == 0, run.stderr


@pytest.fixture
def admin(api_url) -> Api:
    """An admin of the local pool, to put the fixtures' data back over HTTP."""
    return Api(api_url, token("fixtures-admin", "admin"))


def restore_and_seed(admin: Api) -> None:
    ticket = admin.request("GET", f"/{TICKET}")
    if ticket.status_code == 200 and ticket.json()["data"]["deletedAt"] is not None:
        restored = admin.request("POST", f"/{TICKET}/restore")
        assert restored.status_code == 200, restored.text
    seed()


@pytest.fixture
def seeded(admin):
    """The seeded data, before and after the test (see the module's docstring)."""
    restore_and_seed(admin)
    yield
    restore_and_seed(admin)


def fixture_event(function: str) -> dict:
    return json.loads((ROOT / "events" / f"{function}.json").read_text())


def aws(service: str):
    return boto3.client(
        service,
        endpoint_url=moto_endpoint(),
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def fixture_ticket(admin: Api) -> dict:
    response = admin.request("GET", f"/{TICKET}")
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_every_function_has_a_fixture():
    fixtures = sorted(p.stem for p in (ROOT / "events").glob("*.json"))
    assert fixtures == FUNCTIONS


def test_every_fixture_has_a_test_of_its_answer():
    missing = [f for f in FUNCTIONS if f"test_{f.replace('-', '_')}" not in globals()]
    assert not missing


# -- the HTTP functions ------------------------------------------------------------------------


def test_get_ticket(api_url, seeded):
    answer = invoke_http(api_url, "get-ticket")
    assert answer.status == 200, answer
    ticket = answer.body["data"]
    assert (ticket["_id"], ticket["client"], ticket["createdAt"]) == (TICKET, CLIENT, OPENED_AT)
    assert answer.headers["etag"] == f'"{ticket["version"]}"'
    first = ticket["threads"][0]
    assert (first["_id"], first["author"], first["type"], first["message"]) == (FIRST_MESSAGE, CLIENT, "user", DESCRIPTION)
    attachment = next(a for a in ticket["attachments"] if a["_id"] == ATTACHMENT)
    assert (attachment["status"], attachment["size"], attachment["type"]) == ("available", OBJECT_SIZE, "image/png")
    assert attachment["url"] == f"/v2/support-tickets/{TICKET}/attachments/{ATTACHMENT}"


def test_list_tickets(api_url, seeded):
    answer = invoke_http(api_url, "list-tickets")
    assert answer.status == 200, answer
    listed = answer.body["data"]
    # The fixture asks for the oldest first: the seeded tickets predate every ticket made through the API.
    assert TICKET in [t["_id"] for t in listed]
    created = [t["createdAt"] for t in listed]
    assert created == sorted(created)
    assert "threads" not in listed[0]
    pagination = answer.body["pagination"]
    assert pagination["page"] == 1 and pagination["limit"] == 20
    assert pagination["total"] >= len(listed)


def test_update_ticket(api_url, seeded):
    answer = invoke_http(api_url, "update-ticket")
    assert answer.status == 200, answer
    ticket = answer.body["data"]
    assert (ticket["_id"], ticket["priority"]) == (TICKET, "urgent")
    assert answer.headers["etag"] == f'"{ticket["version"]}"'


def test_rate_ticket(api_url, seeded):
    # The client of the ticket resolved long ago rates it (resolved, or closed by the auto-close).
    answer = invoke_http(api_url, "rate-ticket")
    assert answer.status == 200, answer
    ticket = answer.body["data"]
    assert (ticket["_id"], ticket["client"]) == (RESOLVED_TICKET, CLIENT)
    assert ticket["status"] in ("resolved", "closed")
    assert (ticket["satisfaction"]["rating"], ticket["satisfaction"]["comment"]) == ("good", "Solved quickly.")
    assert answer.headers["etag"] == f'"{ticket["version"]}"'


def test_merge_tickets(api_url, seeded):
    # The first run merges the seeded duplicate; every later run, under the fixture's
    # Idempotency-Key, gets that answer again.
    answer = invoke_http(api_url, "merge-tickets")
    assert answer.status == 200, answer
    target = answer.body["data"]
    assert (target["_id"], target["mergedFrom"]) == (DUPLICATE_TARGET, [DUPLICATE])
    assert answer.headers["etag"] == f'"{target["version"]}"'
    assert invoke_http(api_url, "merge-tickets").body == answer.body


def test_bulk_update_tickets(api_url, seeded):
    answer = invoke_http(api_url, "bulk-update-tickets")
    assert answer.status == 200, answer
    (line,) = answer.body["data"]
    assert (line["_id"], line["status"]) == (TICKET, 200)
    assert isinstance(line["version"], int)


def test_delete_ticket(api_url, admin, seeded):
    answer = invoke_http(api_url, "delete-ticket")
    assert answer.status == 200, answer
    assert answer.body["data"]["_id"] == TICKET
    assert answer.body["data"]["deletedAt"] is not None
    assert fixture_ticket(admin)["deletedAt"] is not None  # admins still see it
    again = invoke_http(api_url, "delete-ticket")
    assert again.status == 409 and again.body["code"] == "CONFLICT", again


def test_restore_ticket(api_url, admin, seeded):
    live = invoke_http(api_url, "restore-ticket")
    assert live.status == 409 and live.body["code"] == "CONFLICT", live
    assert admin.request("DELETE", f"/{TICKET}").status_code == 200
    answer = invoke_http(api_url, "restore-ticket")
    assert answer.status == 200, answer
    assert (answer.body["data"]["_id"], answer.body["data"]["deletedAt"]) == (TICKET, None)


def test_add_thread_message(api_url, seeded):
    answer = invoke_http(api_url, "add-thread-message")
    assert answer.status == 201, answer
    message = answer.body["data"]
    assert (message["author"], message["message"], message["type"], message["internal"]) == (
        ADMIN, "Any news?", "agent", False,
    )


def test_list_thread_messages(api_url, seeded):
    answer = invoke_http(api_url, "list-thread-messages")
    assert answer.status == 200, answer
    first = answer.body["data"][0]
    assert (first["_id"], first["author"], first["type"], first["message"], first["timestamp"]) == (
        FIRST_MESSAGE, CLIENT, "user", DESCRIPTION, OPENED_AT,
    )
    assert answer.body["pagination"]["limit"] == 50


def test_create_attachment(api_url, admin, seeded):
    answer = invoke_http(api_url, "create-attachment")
    assert answer.status == 201, answer
    declared = answer.body["data"]
    assert (declared["filename"], declared["size"], declared["type"], declared["status"]) == (
        "error.png", OBJECT_SIZE, "image/png", "pending",
    )
    assert declared["upload"]["method"] == "PUT"
    assert f"tickets/{TICKET}/{declared['_id']}" in declared["upload"]["url"]
    # Not uploaded: removed again, so that repeated runs stay under the 20 attachments a ticket holds.
    assert admin.request("DELETE", f"/{TICKET}/attachments/{declared['_id']}").status_code == 200


def test_get_attachment(api_url, seeded):
    answer = invoke_http(api_url, "get-attachment")
    assert answer.status == 302, answer
    location = answer.headers["location"]
    assert answer.body["data"]["url"] == location
    assert answer.headers["cache-control"] == "no-store"
    download = requests.get(location, timeout=30)
    assert download.status_code == 200
    assert len(download.content) == OBJECT_SIZE and download.content.startswith(b"\x89PNG")


def test_delete_attachment(api_url, admin, seeded):
    answer = invoke_http(api_url, "delete-attachment")
    assert answer.status == 200, answer
    assert answer.body["data"] == {"_id": ATTACHMENT, "deleted": True}
    assert ATTACHMENT not in [a["_id"] for a in fixture_ticket(admin)["attachments"]]
    gone = invoke_http(api_url, "get-attachment")
    assert gone.status == 404, gone


def test_get_ticket_history(api_url, seeded):
    created = {"ticketId": TICKET, "version": 1, "field": "ticket", "old": None, "new": "created", "by": CLIENT, "at": OPENED_AT}

    def history():
        answer = invoke_http(api_url, "get-ticket-history")
        assert answer.status == 200, answer
        return answer.body["data"]

    # Written from the table's stream, a moment after the seed step stored the ticket.
    entries = eventually(history)
    assert entries and entries[0] == created


def test_create_ticket(api_url, seeded):
    answer = invoke_http(api_url, "create-ticket")
    assert answer.status == 201, answer
    ticket = answer.body["data"]
    assert ticket["_id"] != TICKET
    assert (ticket["client"], ticket["title"], ticket["status"], ticket["version"]) == (CLIENT, "Cannot log in", "open", 1)
    assert (ticket["priority"], ticket["category"], ticket["tags"], ticket["changedBy"]) == ("high", "technical", ["login"], ADMIN)
    first = ticket["threads"][0]
    assert (first["author"], first["type"], first["message"]) == (CLIENT, "user", DESCRIPTION)


def test_get_notification_settings(api_url):
    # The claims vouch for admin-1's address: the desk remembers it, and writes there (nothing
    # here switches admin-1's notifications off).
    answer = invoke_http(api_url, "get-notification-settings")
    assert answer.status == 200, answer
    assert answer.body == {"success": True, "data": {"address": ADMIN_ADDRESS, "email": True}}


def test_put_notification_settings(api_url):
    # Switched on: the same answer however often it runs, and GET agrees.
    answer = invoke_http(api_url, "put-notification-settings")
    assert answer.status == 200, answer
    assert answer.body == {"success": True, "data": {"address": ADMIN_ADDRESS, "email": True}}
    assert invoke_http(api_url, "get-notification-settings").body == answer.body


def test_unsubscribe(api_url):
    # client-1's link, signed with the local stacks' key. Opened, it only asks to confirm: a
    # form that posts the same token back.
    token = fixture_event("unsubscribe")["queryStringParameters"]["token"]
    assert token == unsubscribe_token(CLIENT)
    answer = invoke_http(api_url, "unsubscribe")
    assert answer.status == 200, answer
    assert answer.headers["content-type"].startswith("text/html")
    assert answer.headers["cache-control"] == "no-store"
    assert "Stop e-mail notifications?" in answer.text
    assert f'<form method="post" action="?token={token}">' in answer.text
    # Confirmed (no sign-in: the link is all it takes); client-1 has no address the desk knows,
    # so nothing else changes. A link signed with another key is refused.
    url = f"{api_url}/v2/unsubscribe"
    confirmed = requests.post(url, params={"token": token}, timeout=30)
    assert confirmed.status_code == 200 and "You are unsubscribed" in confirmed.text, confirmed.text
    forged = unsubscribe_token(CLIENT, key="another signing key, also long enough to be used")
    refused = requests.get(url, params={"token": forged}, timeout=30)
    assert refused.status_code == 400 and "This link is not valid" in refused.text, refused.text


def test_serve_pages(api_url):
    # The dashboard's page, with the policy that keeps it to this API and the user pool; the
    # same page over HTTP, and the file it loads first.
    answer = invoke_http(api_url, "serve-pages")
    assert answer.status == 200, answer
    assert answer.headers["content-type"] == "text/html; charset=utf-8"
    assert '<canvas id="volumes"' in answer.text
    assert "script-src 'self';" in answer.headers["content-security-policy"]
    page = requests.get(f"{api_url}/dashboard", timeout=30)
    assert page.status_code == 200 and page.text == answer.text
    script = requests.get(f"{api_url}/pages/dashboard.js", timeout=30)
    assert script.status_code == 200 and "InitiateAuth" in script.text
    again = requests.get(f"{api_url}/pages/dashboard.js", headers={"If-None-Match": script.headers["etag"]}, timeout=30)
    assert again.status_code == 304


# -- the event functions -----------------------------------------------------------------------


def test_on_ticket_change(api_url, admin, seeded):
    # The record is the seeded ticket's creation: handling it again writes the same history entry.
    assert invoke(api_url, "on-ticket-change") == {"batchItemFailures": []}
    response = admin.request("GET", f"/{TICKET}/history", params={"limit": 100})
    assert response.status_code == 200, response.text
    creations = [e for e in response.json()["data"] if e["version"] == 1]
    assert creations == [
        {"ticketId": TICKET, "version": 1, "field": "ticket", "old": None, "new": "created", "by": CLIENT, "at": OPENED_AT}
    ]


def test_on_attachment_uploaded(api_url, admin, seeded):
    # The attachment was checked when it was stored: a repeated event changes nothing.
    before = next(a for a in fixture_ticket(admin)["attachments"] if a["_id"] == ATTACHMENT)
    assert invoke(api_url, "on-attachment-uploaded") is None
    after = next(a for a in fixture_ticket(admin)["attachments"] if a["_id"] == ATTACHMENT)
    assert after == before and after["status"] == "available"
    assert invoke_http(api_url, "get-attachment").status == 302


def test_close_resolved_tickets(api_url, admin, seeded):
    response = admin.request("GET", f"/{RESOLVED_TICKET}")
    assert response.status_code == 200, response.text
    status_before = response.json()["data"]["status"]
    assert status_before in ("resolved", "closed")

    answer = invoke(api_url, "close-resolved-tickets")
    assert set(answer) == {"closed", "skipped"}
    if status_before == "resolved":
        assert RESOLVED_TICKET in answer["closed"]
    else:  # closed by an earlier run (this test's, or the relay's schedule): nothing left to do
        assert RESOLVED_TICKET not in answer["closed"] + answer["skipped"]
    assert TICKET not in answer["closed"]  # open

    closed = admin.request("GET", f"/{RESOLVED_TICKET}").json()["data"]
    assert (closed["status"], closed["changedBy"]) == ("closed", "system")
    assert closed["closedAt"] is not None
    last = closed["threads"][-1]
    assert last["type"] == "system" and last["message"].startswith("Closed automatically")


def sla_policies(caller: Api):
    response = caller.session.get(f"{caller.url}/v2/sla-policies", timeout=30)
    assert response.status_code == 200, response.text
    return response


def test_get_sla_policies(api_url, admin, seeded):
    answer = invoke_http(api_url, "get-sla-policies")
    assert answer.status == 200, answer
    stored = answer.body["data"]
    assert isinstance(stored["policies"], list)
    assert answer.headers["etag"] == f'"{stored["version"]}"'
    assert stored == sla_policies(admin).json()["data"]


def test_get_report(api_url, agent, seeded):
    # The fixture asks an agent's report of the week the fixture ticket was opened in, a day at a
    # time: the ticket counts on its day once the stream consumer has counted it (the relay
    # feeds it in the background).
    query = fixture_event("get-report")["queryStringParameters"]
    opened_on = OPENED_AT[:10]

    def counted():
        answer = invoke_http(api_url, "get-report")
        assert answer.status == 200, answer
        day = next((row for row in answer.body["data"]["series"] if row["period"] == opened_on), None)
        assert day, answer
        return answer if day["created"] >= 1 else None

    answer = eventually(counted)
    assert answer, f"the fixture ticket is not counted on {opened_on}"
    report = answer.body["data"]
    assert (report["from"], report["to"]) == (query["from"], query["to"])
    assert (report["interval"], report["groupBy"], report["timeZone"]) == ("day", "none", "UTC")
    days = [f"2026-11-{day}" for day in range(23, 30)]
    # Every day of the range, quiet ones too, for all tickets (`group` null).
    assert [(row["period"], row["group"]) for row in report["series"]] == [(day, None) for day in days]
    assert report["totals"]["created"] == sum(row["created"] for row in report["series"])
    assert report["totals"]["backlog"] == report["series"][-1]["backlog"]

    # The route answers an agent the same report over HTTP (the figures may have moved since).
    response = agent.session.get(f"{agent.url}/v2/reports", params=query, timeout=30)
    assert response.status_code == 200, response.text
    served = response.json()["data"]
    assert [(row["period"], row["group"]) for row in served["series"]] == [(day, None) for day in days]
    assert {k: served[k] for k in ("from", "to", "interval", "groupBy", "timeZone")} == {
        k: report[k] for k in ("from", "to", "interval", "groupBy", "timeZone")
    }


def test_put_sla_policies(api_url, admin, seeded):
    # The fixture's policy measures only tickets tagged `fixture-sla`; what was stored before
    # is put back afterwards, so that other tests find the desk as they left it.
    before = sla_policies(admin).json()["data"]
    answer = invoke_http(api_url, "put-sla-policies")
    try:
        assert answer.status == 200, answer
        stored = answer.body["data"]
        assert [p["name"] for p in stored["policies"]] == ["Fixture"]
        assert (stored["version"], stored["updatedBy"]) == (before["version"] + 1, ADMIN)
        assert answer.headers["etag"] == f'"{stored["version"]}"'
    finally:
        document = {k: v for k, v in before.items() if k not in ("version", "updatedAt", "updatedBy")}
        restored = admin.session.put(f"{admin.url}/v2/sla-policies", json=document, timeout=30)
        assert restored.status_code == 200, restored.text


def test_check_sla(api_url, seeded):
    # Nothing of the seeded data is measured: a run finds nothing due and moves nothing.
    answer = invoke(api_url, "check-sla")
    assert set(answer) == {"moved", "skipped"}
    assert TICKET not in answer["moved"]


def test_ingest_tickets(api_url, admin, seeded):
    # Idempotent on the SQS message id: however often it is delivered, one ticket.
    for _ in range(2):
        assert invoke(api_url, "ingest-tickets") == {"batchItemFailures": []}
    response = admin.request("GET", params={"client": CLIENT, "tag": "email", "limit": 100})
    assert response.status_code == 200, response.text
    ingested = [t for t in response.json()["data"] if t["title"] == "Printer offline"]
    assert len(ingested) == 1
    assert (ingested[0]["status"], ingested[0]["priority"], ingested[0]["changedBy"]) == ("open", "medium", "ingest")


def test_purge_deleted_tickets(api_url, admin, seeded):
    # The seeded ticket deleted 40 days ago is erased (by this run, or by the relay's schedule
    # just before it); the fixture ticket, deleted or not, is younger and stays.
    answer = invoke(api_url, "purge-deleted-tickets")
    assert set(answer) == {"erased", "removed"}
    assert TICKET not in answer["erased"]
    assert admin.request("GET", f"/{PURGED_TICKET}").status_code == 404
    assert admin.request("GET", f"/{TICKET}").status_code == 200


def test_erase_client(api_url, admin):
    # A client with nothing: the job runs (through the relay) and ends having removed nothing.
    answer = invoke_http(api_url, "erase-client")
    assert answer.status == 202, answer
    job = answer.body["data"]
    assert (job["status"], job["requestedBy"]) == ("running", ADMIN)

    def done():
        shown = admin.session.get(f"{admin.url}/v2/erasures/{job['_id']}", timeout=30).json()["data"]
        return shown if shown["status"] == "done" else None

    ended = eventually(done)
    assert ended and ended["removed"]["tickets"] == 0


def test_get_erasure(api_url, seeded):
    answer = invoke_http(api_url, "get-erasure")
    assert answer.status == 200, answer
    job = answer.body["data"]
    assert (job["_id"], job["status"], job["requestedBy"]) == (ERASURE_JOB, "done", ADMIN)
    assert "client" not in job


def test_export_client(api_url, admin):
    # A client with nothing: the job runs (through the relay) and ends with an archive that
    # holds only its export.json.
    answer = invoke_http(api_url, "export-client")
    assert answer.status == 202, answer
    job = answer.body["data"]
    assert (job["status"], job["client"], job["requestedBy"]) == ("running", "client-export-fixture", ADMIN)

    def done():
        shown = admin.session.get(f"{admin.url}/v2/exports/{job['_id']}", timeout=30).json()["data"]
        return shown if shown["status"] == "done" else None

    ended = eventually(done)
    assert ended and ended["exported"]["tickets"] == 0 and ended["url"]


def test_get_export(api_url, seeded):
    answer = invoke_http(api_url, "get-export")
    assert answer.status == 200, answer
    job = answer.body["data"]
    assert (job["_id"], job["status"], job["client"], job["requestedBy"]) == (EXPORT_JOB, "done", CLIENT, ADMIN)
    assert job["url"] and job["urlExpiresAt"] and job["archiveExpiresAt"]


def test_run_data_jobs(api_url, seeded):
    # A step of a job that ended does nothing, and does not fail.
    assert invoke(api_url, "run-data-jobs") == {"batchItemFailures": []}


def derived_suffix(mail_id: str, what: str) -> str:
    """The last 16 characters of the id an inbound message's `what` takes (`MailIds::id`): its
    80 random bits are the first 10 bytes of SHA-256 over the SES message id, NUL and `what`;
    only the first 10 characters, the time received, differ from one delivery to the next."""
    bits = int.from_bytes(hashlib.sha256(f"{mail_id}\0{what}".encode()).digest()[:10], "big")
    return "".join(CROCKFORD[(bits >> (5 * (15 - n))) & 31] for n in range(16))


def test_on_email_received(api_url, admin):
    # The mailer signs in once, so the desk knows its address as the mailer's; its message,
    # stored where the S3 event says, opens a ticket of the mailer's and moves beside its files.
    # (The bucket's notification also hands the message to the function through the relay:
    # whichever runs first opens the ticket, the other finds the message gone.)
    sub, mailer_token = signed_in(MAILER, "client")
    assert Api(api_url, mailer_token).session.get(f"{api_url}/v2/me/notifications", timeout=30).status_code == 200
    key = fixture_event("on-email-received")["Records"][0]["s3"]["object"]["key"]
    mail_id = key.removeprefix("inbound/")
    bucket = f"{PREFIX}-attachments"
    s3 = aws("s3")

    def tickets() -> set[str]:
        response = admin.request("GET", params={"client": sub, "sort": "-createdAt", "limit": 100})
        assert response.status_code == 200, response.text
        return {t["_id"] for t in response.json()["data"]}

    def stored(object_key: str) -> bytes | None:
        try:
            return s3.get_object(Bucket=bucket, Key=object_key)["Body"].read()
        except ClientError:
            return None

    before = tickets()
    raw = mail.received(INBOUND_MAIL, mail_id, when=RECEIVED_AT)
    s3.put_object(Bucket=bucket, Key=key, Body=raw)
    assert invoke(api_url, "on-email-received") is None
    opened = eventually(lambda: tickets() - before)
    assert len(opened) == 1, opened
    (ticket_id,) = opened
    assert ticket_id.endswith(derived_suffix(mail_id, "ticket"))
    ticket = admin.request("GET", f"/{ticket_id}").json()["data"]
    assert (ticket["client"], ticket["title"], ticket["status"]) == (sub, "Scanner offline", "open")
    assert "The scanner on the second floor is offline" in ticket["description"]
    assert eventually(lambda: stored(key) is None), "the message stayed under inbound/"
    assert stored(f"tickets/{ticket_id}/mail/{mail_id}") == raw
    # The event again: the message is gone from inbound/, nothing more happens.
    assert invoke(api_url, "on-email-received") is None
    assert tickets() - before == {ticket_id}


def header(message: dict, name: str) -> str | None:
    return next((value for key, value in message["headers"] if key.lower() == name.lower()), None)


def test_send_notifications(api_url, seeded):
    # The seeded ticket's creation: its client has no address the desk knows (no receipt), the
    # agents' shared address is told of the new ticket, once however often the event comes.
    event = json.loads(fixture_event("send-notifications")["Records"][0]["body"])
    for _ in range(2):
        assert invoke(api_url, "send-notifications") == {"batchItemFailures": []}
    message_id = f"<{event['id']}.agents@desk.example>"
    sent = [
        summary
        for summary in map(mail.summary, mail.sent_messages(moto_endpoint()))
        if header(summary, "Message-ID") == message_id
    ]
    assert len(sent) == 1, sent
    (notice,) = sent
    assert notice["to"] == ["agents@desk.example"]
    assert notice["subject"].startswith(f"[#{TICKET}] New ticket:"), notice["subject"]
    assert header(notice, "Reply-To").startswith("support+")
    # The shared address is the desk's setting: no link to stop it.
    assert header(notice, "List-Unsubscribe") is None


# -- webhooks (the seeded ones are paused: the local stack's receivers are the tests' own) -------


def webhooks(admin: Api, path: str = "", method: str = "GET", **kwargs):
    return admin.session.request(method, f"{admin.url}/v2/webhooks{path}", timeout=30, **kwargs)


def test_create_webhook(api_url, admin, seeded):
    answer = invoke_http(api_url, "create-webhook")
    assert answer.status == 201, answer
    made = answer.body["data"]
    try:
        assert made["secret"].startswith("whsec_")
        assert (made["url"], made["events"], made["status"]) == ("https://93.184.215.14/hooks/desk", ["SupportTicket.Closed"], "active")
    finally:
        assert webhooks(admin, f"/{made['_id']}", "DELETE").status_code == 200


def test_list_webhooks(api_url, seeded):
    answer = invoke_http(api_url, "list-webhooks")
    assert answer.status == 200, answer
    assert {WEBHOOK, SPARE_WEBHOOK} <= {w["_id"] for w in answer.body["data"]}
    assert "secret" not in json.dumps(answer.body)


def test_get_webhook(api_url, seeded):
    answer = invoke_http(api_url, "get-webhook")
    assert answer.status == 200, answer
    webhook = answer.body["data"]
    assert (webhook["_id"], webhook["status"], webhook["createdBy"]) == (WEBHOOK, "paused", ADMIN)
    assert answer.headers["etag"] == f'"{webhook["version"]}"'


def test_update_webhook(api_url, seeded):
    answer = invoke_http(api_url, "update-webhook")
    assert answer.status == 200, answer
    assert answer.body["data"]["description"] == "Fixture c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert "secret" not in answer.body["data"]


def test_delete_webhook(api_url, admin, seeded):
    answer = invoke_http(api_url, "delete-webhook")
    assert answer.status == 200, answer
    assert answer.body["data"] == {"_id": SPARE_WEBHOOK, "deleted": True}
    assert webhooks(admin, f"/{SPARE_WEBHOOK}").status_code == 404


def test_list_webhook_deliveries(api_url, seeded):
    answer = invoke_http(api_url, "list-webhook-deliveries")
    assert answer.status == 200, answer
    logged = next(d for d in answer.body["data"] if d["_id"] == DELIVERY)
    assert (logged["event"], logged["status"]) == ("SupportTicket.Created", "failed")
    assert [(a["number"], a["statusCode"]) for a in logged["attempts"]][0] == (1, 503)


def test_retry_webhook_delivery(api_url, admin, seeded):
    # Paused, the webhook takes no retry; resumed, the delivery is queued (and fails again:
    # nothing listens where the fixture webhook points), then it is paused again.
    assert invoke_http(api_url, "retry-webhook-delivery").status == 409
    assert webhooks(admin, f"/{WEBHOOK}", "PATCH", json={"status": "active"}).status_code == 200
    try:
        answer = invoke_http(api_url, "retry-webhook-delivery")
        assert answer.status == 202, answer
        assert answer.body["data"]["_id"] == DELIVERY
    finally:
        assert webhooks(admin, f"/{WEBHOOK}", "PATCH", json={"status": "paused"}).status_code == 200


def test_deliver_webhooks(api_url, seeded):
    # An event fanned out (to no paused webhook) and an order for the paused fixture webhook
    # (dropped): nothing fails, nothing is sent.
    assert invoke(api_url, "deliver-webhooks") == {"batchItemFailures": []}


# -- what the fixtures leave behind ------------------------------------------------------------


def test_the_counts_of_the_fixtures_client_equal_a_recount(admin, seeded):
    """The seed step and the fixtures write through the store's own paths, counters included."""
    recount = {s: 0 for s in ("open", "pending", "in_progress", "resolved", "closed")}
    params = {"client": CLIENT, "countByStatus": "true", "limit": 100}
    counts, total = None, None
    while True:
        response = admin.request("GET", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        counts = counts or body["counts"]
        total = body["pagination"]["total"] if total is None else total
        for ticket in body["data"]:
            recount[ticket["status"]] += 1
        cursor = body["pagination"]["nextCursor"]
        if not cursor:
            break
        params = {"client": CLIENT, "countByStatus": "true", "limit": 100, "cursor": cursor}
    assert counts == recount
    assert total == sum(recount.values())
