"""Fixtures and the closing summary of the fuzz tests (see test_fuzz.py)."""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections import Counter, defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.e2e.conftest import BASE, eventually, signed_in

ROLES = ("client", "agent", "admin")

# One run's principals, so the fuzzed tickets never mix with another run's.
RUN = uuid.uuid4().hex[:8]


class _Signed(dict):
    """Per role, one part of the run's user's sign-in (0: its `sub`, 1: its ID token), made in
    the local user pool on first use."""

    def __init__(self, part: int):
        super().__init__()
        self.part = part

    def __missing__(self, role: str) -> str:
        value = signed_in(f"fuzz-{role}-{RUN}", role)[self.part]
        self[role] = value
        return value


SUBJECTS = _Signed(0)
TOKENS = _Signed(1)

# How many tickets each role's `{id}` routes are pointed at.
TICKETS_PER_ROLE = 4

# A file each role uploads, so the download route also answers its 302.
UPLOAD = b"fuzz target\n"

WEBHOOKS = "/v2/webhooks"
# How many webhooks the `/v2/webhooks/{id}` routes are pointed at, each with a logged delivery.
WEBHOOKS_SEEDED = 3
# The event the fuzz webhooks receive: one the fixture causes, and the fuzzer rarely does.
WEBHOOK_EVENT = "SupportTicket.Restored"

# What the fuzz tests sent and got, per role: printed at the end of the session.
STATS: dict[str, Counter] = defaultdict(Counter)


@pytest.fixture(scope="session")
def api_url() -> str:
    url = os.environ.get("API_URL")
    if not url:
        pytest.fail("API_URL is not set: run the tests through infra/test.sh or infra/fuzz.sh")
    return url


@pytest.fixture(scope="session")
def fuzz_tickets(api_url: str) -> dict[str, list[str]]:
    """Real ticket ids per role, for the routes with `{id}` (random ids would all be 404s).

    The client's tickets are its own; the staff roles get tickets of that client that they
    opened for it (they see every ticket anyway)."""
    tickets: dict[str, list[str]] = {}
    for role in ROLES:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKENS[role]}"
        ids = []
        for n in range(TICKETS_PER_ROLE):
            body = {
                "title": f"Fuzz target {n} for {role}",
                "description": "A ticket the fuzzer changes, deletes and writes in.",
                "priority": "medium",
                "category": "general",
                "tags": ["fuzz"],
            }
            if role != "client":
                body["client"] = SUBJECTS["client"]
            response = session.post(f"{api_url}{BASE}", json=body, timeout=30)
            assert response.status_code == 201, response.text
            ids.append(response.json()["data"]["_id"])
        tickets[role] = ids
    return tickets


def session_of(role: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKENS[role]}"
    return session


def declare(session: requests.Session, api_url: str, ticket_id: str, name: str) -> dict:
    body = {"filename": name, "size": len(UPLOAD), "type": "text/plain"}
    response = session.post(f"{api_url}{BASE}/{ticket_id}/attachments", json=body, timeout=30)
    assert response.status_code == 201, response.text
    return response.json()["data"]


@pytest.fixture(scope="session")
def fuzz_attachments(
    api_url: str, fuzz_tickets: dict[str, list[str]]
) -> dict[str, list[tuple[str, str]]]:
    """Real (ticket id, attachment id) pairs per role, for the `{attachmentId}` routes: on the
    role's tickets, an `external` link, a `pending` upload and an `available` one (uploaded to
    its presigned URL and settled by the local relay), and for the client also an upload an
    agent added to one of its tickets (which the client may not remove: 403)."""
    attachments: dict[str, list[tuple[str, str]]] = {}
    uploaded: list[tuple[str, str, str]] = []
    for role in ROLES:
        session = session_of(role)
        first, second, third = fuzz_tickets[role][:3]
        body = {
            "title": f"Fuzz target with a link for {role}",
            "description": "A ticket with an external attachment.",
            "priority": "low",
            "category": "general",
            "attachments": [
                {
                    "filename": "link.txt",
                    "url": "https://files.example.com/link.txt",
                    "size": 1,
                    "type": "text/plain",
                }
            ],
        }
        if role != "client":
            body["client"] = SUBJECTS["client"]
        response = session.post(f"{api_url}{BASE}", json=body, timeout=30)
        assert response.status_code == 201, response.text
        ticket = response.json()["data"]
        pairs = [(ticket["_id"], ticket["attachments"][0]["_id"])]
        pending = declare(session, api_url, first, "pending.txt")
        pairs.append((first, pending["_id"]))
        available = declare(session, api_url, second, "available.txt")
        upload = available["upload"]
        put = requests.request(
            upload["method"], upload["url"], data=UPLOAD, headers=upload["headers"], timeout=30
        )
        assert put.status_code == 200, put.text
        pairs.append((second, available["_id"]))
        uploaded.append((role, second, available["_id"]))
        attachments[role] = pairs
        if role == "client":
            by_agent = declare(session_of("agent"), api_url, third, "by-agent.txt")
            pairs.append((third, by_agent["_id"]))

    # The relay hands S3's notification to on-attachment-uploaded: wait until it has.
    deadline = time.monotonic() + 20
    for role, ticket_id, attachment_id in uploaded:
        while True:
            response = session_of(role).get(f"{api_url}{BASE}/{ticket_id}", timeout=30)
            assert response.status_code == 200, response.text
            attachment = next(
                a for a in response.json()["data"]["attachments"] if a["_id"] == attachment_id
            )
            status = attachment["status"]
            if status != "pending":
                assert status == "available", status
                break
            assert time.monotonic() < deadline, "the upload was not settled: is the relay running?"
            time.sleep(0.2)
    return attachments


class Receiver:
    """A webhook receiver on a loopback port (the local stack allows those, and only it:
    `WEBHOOK_ALLOW_LOOPBACK`) that answers every delivery 204."""

    def __init__(self):
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"


class FuzzWebhooks:
    """The admin's real webhooks for the routes with `/v2/webhooks/{id}`: `pairs`, (webhook id,
    id of a delivery in its log), and `throwaway()`, a new webhook for a `DELETE` to remove
    (so that the fuzzer's deletes leave the seeded ones to the other routes)."""

    def __init__(self, api_url: str, receiver: Receiver):
        self.url = f"{api_url}{WEBHOOKS}"
        self.receiver = receiver
        self.admin = session_of("admin")
        self.pairs: list[tuple[str, str]] = []

    def register(self, name: str) -> str | None:
        body = {
            "url": self.receiver.url(f"/fuzz/{RUN}/{name}"),
            "events": [WEBHOOK_EVENT],
            "description": f"Fuzz target {name}",
        }
        response = self.admin.post(self.url, json=body, timeout=30)
        # 409 once the desk holds 50 webhooks (the fuzzer registers some of its own).
        return response.json()["data"]["_id"] if response.status_code == 201 else None

    def throwaway(self) -> str | None:
        return self.register("throwaway")

    def logged(self, webhook_id: str) -> list[str]:
        response = self.admin.get(f"{self.url}/{webhook_id}/deliveries", timeout=30)
        assert response.status_code == 200, response.text
        return [delivery["_id"] for delivery in response.json()["data"]]


@pytest.fixture(scope="session")
def fuzz_webhooks(api_url: str):
    """Real webhooks for the routes with `/v2/webhooks/{id}` (random ids would all be 404s), each
    with one delivery in its log for `{deliveryId}`: the admin registers them for a receiver on
    a loopback port, then deletes and restores a ticket, whose `Restored` event each of them
    receives (the relay runs the fan-out and the deliveries). Only admins reach these routes;
    the other roles are pointed at the same ids, and get their 403.

    At the end every webhook the session added goes, those the fuzzer registered included: a
    desk holds at most 50."""
    admin = session_of("admin")
    listed = admin.get(f"{api_url}{WEBHOOKS}", timeout=30)
    assert listed.status_code == 200, listed.text
    before = {webhook["_id"] for webhook in listed.json()["data"]}
    receiver = Receiver()
    webhooks = FuzzWebhooks(api_url, receiver)
    seeded = [webhooks.register(f"seeded-{n}") for n in range(WEBHOOKS_SEEDED)]
    assert None not in seeded, "the fuzz webhooks were not registered (at most 50 per desk)"

    body = {
        "title": "Fuzz target for the webhooks",
        "description": "A ticket deleted and restored, so that each fuzz webhook logs a delivery.",
        "priority": "low",
        "category": "general",
        "client": SUBJECTS["client"],
    }
    response = admin.post(f"{api_url}{BASE}", json=body, timeout=30)
    assert response.status_code == 201, response.text
    ticket_id = response.json()["data"]["_id"]
    for method, path in (("DELETE", ""), ("POST", "/restore")):
        response = admin.request(method, f"{api_url}{BASE}/{ticket_id}{path}", timeout=30)
        assert response.status_code == 200, response.text
    for webhook_id in seeded:
        deliveries = eventually(lambda webhook_id=webhook_id: webhooks.logged(webhook_id))
        assert deliveries, "no delivery was logged: is the relay running?"
        webhooks.pairs.append((webhook_id, deliveries[0]))

    yield webhooks

    listed = admin.get(f"{api_url}{WEBHOOKS}", timeout=30)
    if listed.status_code == 200:
        for webhook in listed.json()["data"]:
            if webhook["_id"] not in before:
                admin.delete(f"{api_url}{WEBHOOKS}/{webhook['_id']}", timeout=30)
    receiver.server.shutdown()


def pytest_terminal_summary(terminalreporter) -> None:
    if not STATS:
        return
    write = terminalreporter.write_line
    terminalreporter.section("fuzz summary (schemathesis against the local API)")
    for role in ROLES:
        stats = STATS.get(role)
        if not stats:
            continue
        statuses = ", ".join(
            f"{status}: {count}"
            for status, count in sorted(
                (key, value) for key, value in stats.items() if isinstance(key, int)
            )
        )
        write(
            f"{role:>6}: {stats['examples']} requests, {stats['5xx']} answered 5xx, "
            f"{stats['set aside']} refused by the local router ({statuses})"
        )
