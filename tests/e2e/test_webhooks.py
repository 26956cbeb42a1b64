"""Webhooks on the local stack: receivers on loopback ports (the run command allows them, and
only it: `WEBHOOK_ALLOW_LOOPBACK`) subscribe to ticket events and get them signed by the
Standard Webhooks specification, verified here with its Python library. Retries follow the
local schedule (1, 2 and 4 s), through the webhook queue's visibility.

Each test registers its own subscriptions and removes them at the end; the events of other
tests' tickets reach them too, so every check looks at this test's tickets only."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from .conftest import Api, error, eventually, unknown_id

WEBHOOKS = "/v2/webhooks"
CREATED, MESSAGE, STATUS = "SupportTicket.Created", "SupportTicket.MessageAdded", "SupportTicket.StatusChanged"


class Receiver:
    """An HTTP receiver on a loopback port: records every request per path and answers each
    path as told (a list of statuses, used up in order, the last one repeated)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: dict[str, list[int]] = {}
        self.redirects: dict[str, str] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0))).decode()
                receiver.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                if self.path in receiver.redirects:
                    self.send_response(302)
                    self.send_header("Location", receiver.redirects[self.path])
                    self.end_headers()
                    return
                answers = receiver.answers.get(self.path, [200])
                status = answers.pop(0) if len(answers) > 1 else answers[0]
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"receiver says hello\r\nsecond line" if status >= 400 else b"")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_port}{path}"

    def at(self, path: str, ticket_id: str | None = None) -> list[dict]:
        """The requests to `path`, each with its parsed payload, for one ticket when given."""
        found = []
        for request in list(self.requests):
            if request["path"] != path:
                continue
            payload = json.loads(request["body"])
            if ticket_id is None or payload["data"].get("ticketId") == ticket_id:
                found.append({**request, "payload": payload})
        return found


@pytest.fixture(scope="module")
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()


@pytest.fixture
def subscribe(admin):
    """Registers subscriptions for one test, and removes them after it."""
    made = []

    def register(url: str, events: list[str], **fields) -> dict:
        response = admin.request_to(WEBHOOKS, "POST", json={"url": url, "events": events, **fields})
        assert response.status_code == 201, response.text
        made.append(response.json()["data"]["_id"])
        return response.json()["data"]

    yield register
    for webhook_id in made:
        admin.request_to(f"{WEBHOOKS}/{webhook_id}", "DELETE")


@pytest.fixture(autouse=True)
def _paths(monkeypatch):
    """`request_to`: the API's calls outside the tickets' base path."""

    def request_to(self: Api, path: str, method: str = "GET", **kwargs):
        return self.session.request(method, f"{self.url}{path}", timeout=30, **kwargs)

    monkeypatch.setattr(Api, "request_to", request_to, raising=False)


def verified(secret: str, request: dict) -> dict:
    """The payload, once the Standard Webhooks library accepted the signature."""
    return Webhook(secret).verify(request["body"], request["headers"])


def deliveries(admin: Api, webhook_id: str) -> list[dict]:
    response = admin.request_to(f"{WEBHOOKS}/{webhook_id}/deliveries", params={"limit": 100})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_a_receiver_gets_one_signed_delivery_per_subscribed_event(client, agent, receiver, subscribe):
    webhook = subscribe(receiver.url("/desk"), [CREATED, MESSAGE], description="CRM")
    assert webhook["secret"].startswith("whsec_")
    assert webhook["status"] == "active" and webhook["events"] == [CREATED, MESSAGE]

    ticket = client.create()
    tid = ticket["_id"]
    assert agent.request("PATCH", f"/{tid}", json={"status": "in_progress"}).status_code == 200
    answer = "Please restart the router; the secret word is pelican"
    assert agent.request("POST", f"/{tid}/threads", json={"message": answer}).status_code == 201
    note = "Internal: customer is on the legacy plan"
    assert agent.request("POST", f"/{tid}/threads", json={"message": note, "internal": True}).status_code == 201

    # The ticket's first message (its description) is a message too.
    got = eventually(lambda: (d := receiver.at("/desk", tid)) and len(d) >= 4 and d)
    assert got, "the deliveries did not arrive"
    time.sleep(2)  # anything delivered twice, or unsubscribed, would arrive by now
    got = receiver.at("/desk", tid)
    kinds = sorted(request["payload"]["type"] for request in got)
    assert kinds == [CREATED, MESSAGE, MESSAGE, MESSAGE]
    for request in got:
        payload = verified(webhook["secret"], request)
        assert payload["data"]["ticketId"] == tid
        assert request["headers"]["webhook-id"].startswith("msg_")
        # Ids, status, who and when: never a message's text, nor an internal note's.
        assert "pelican" not in request["body"] and "legacy plan" not in request["body"]
    assert len({r["headers"]["webhook-id"] for r in got}) == 4
    internal = sorted(r["payload"]["data"]["internal"] for r in got if r["payload"]["type"] == MESSAGE)
    assert internal == [False, False, True]
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "A" * 32).verify(got[0]["body"], got[0]["headers"])


def test_the_delivery_log_and_the_subscription_never_show_the_secret(admin, receiver, subscribe, client):
    webhook = subscribe(receiver.url("/log"), [CREATED])
    tid = client.create()["_id"]
    eventually(lambda: receiver.at("/log", tid))
    shown = admin.request_to(f"{WEBHOOKS}/{webhook['_id']}")
    assert shown.status_code == 200 and shown.headers["etag"].strip('"') == "1"
    listed = admin.request_to(WEBHOOKS).json()["data"]
    assert any(w["_id"] == webhook["_id"] for w in listed)
    for text in (shown.text, json.dumps(listed)):
        assert "whsec_" not in text and "secret" not in text
    logged = eventually(lambda: [d for d in deliveries(admin, webhook["_id"]) if d["data"]["ticketId"] == tid])
    assert logged[0]["event"] == CREATED and logged[0]["status"] == "succeeded"
    attempt = logged[0]["attempts"][0]
    assert attempt["number"] == 1 and attempt["statusCode"] == 200 and attempt["error"] is None
    assert attempt["durationMs"] >= 0


def test_a_failing_receiver_is_retried_with_one_webhook_id(admin, client, receiver, subscribe):
    webhook = subscribe(receiver.url("/flaky"), [CREATED])
    receiver.answers["/flaky"] = [500, 500, 200]
    tid = client.create()["_id"]
    got = eventually(lambda: (d := receiver.at("/flaky", tid)) and len(d) >= 3 and d, seconds=40)
    assert got and len(got) == 3, receiver.at("/flaky", tid)
    assert len({r["headers"]["webhook-id"] for r in got}) == 1
    for request in got:
        verified(webhook["secret"], request)
    logged = eventually(
        lambda: [d for d in deliveries(admin, webhook["_id"]) if d["status"] == "succeeded" and d["data"]["ticketId"] == tid]
    )
    attempts = logged[0]["attempts"]
    assert [a["statusCode"] for a in attempts] == [500, 500, 200]
    assert [a["number"] for a in attempts] == [1, 2, 3]
    assert attempts[0]["error"] == "answered 500"
    # A short, cleaned excerpt of the receiver's body, on one line.
    assert attempts[0]["response"] == "receiver says hello  second line"


def test_a_paused_subscription_receives_nothing_until_resumed(admin, client, receiver, subscribe):
    paused = subscribe(receiver.url("/paused"), [CREATED])
    witness = subscribe(receiver.url("/witness"), [CREATED])
    changed = admin.request_to(f"{WEBHOOKS}/{paused['_id']}", "PATCH", json={"status": "paused"})
    assert changed.status_code == 200 and changed.json()["data"]["status"] == "paused"
    first = client.create()["_id"]
    assert eventually(lambda: receiver.at("/witness", first))
    time.sleep(2)
    assert receiver.at("/paused", first) == []

    resumed = admin.request_to(f"{WEBHOOKS}/{paused['_id']}", "PATCH", json={"status": "active"})
    assert resumed.status_code == 200 and resumed.json()["data"]["version"] == 3
    second = client.create()["_id"]
    assert eventually(lambda: receiver.at("/paused", second))
    assert witness["_id"] != paused["_id"]


def test_a_rotated_secret_signs_beside_the_old_one(admin, client, receiver, subscribe):
    webhook = subscribe(receiver.url("/rotated"), [CREATED])
    stale = admin.request_to(
        f"{WEBHOOKS}/{webhook['_id']}", "PATCH", json={"rotateSecret": True}, headers={"If-Match": '"9"'}
    )
    error(stale, 412, "PRECONDITION_FAILED")
    rotated = admin.request_to(
        f"{WEBHOOKS}/{webhook['_id']}", "PATCH", json={"rotateSecret": True}, headers={"If-Match": '"1"'}
    )
    assert rotated.status_code == 200, rotated.text
    fresh = rotated.json()["data"]["secret"]
    assert fresh.startswith("whsec_") and fresh != webhook["secret"]
    tid = client.create()["_id"]
    got = eventually(lambda: receiver.at("/rotated", tid))
    assert got
    # During the overlap the delivery carries both signatures: either secret verifies it.
    assert len(got[0]["headers"]["webhook-signature"].split(" ")) == 2
    assert verified(webhook["secret"], got[0])["data"]["ticketId"] == tid
    assert verified(fresh, got[0])["data"]["ticketId"] == tid


def test_a_receiver_that_keeps_failing_is_disabled_and_the_admins_told(admin, client, receiver, subscribe, event_log):
    webhook = subscribe(receiver.url("/down"), [CREATED])
    receiver.answers["/down"] = [503]
    tid = client.create()["_id"]

    def disabled():
        shown = admin.request_to(f"{WEBHOOKS}/{webhook['_id']}").json()["data"]
        return shown if shown["status"] == "disabled" else None

    shown = eventually(disabled, seconds=60)
    assert shown, "the subscription was not disabled"
    assert "every attempt of delivery" in shown["disabledReason"]
    got = receiver.at("/down", tid)
    assert len(got) == 4 and len({r["headers"]["webhook-id"] for r in got}) == 1
    [logged] = [d for d in deliveries(admin, webhook["_id"]) if d["data"]["ticketId"] == tid]
    assert logged["status"] == "failed"
    assert [a["statusCode"] for a in logged["attempts"]] == [503] * 4

    def announced():
        event_log.of("")  # drains the log queue
        return [e for e in event_log.events if e["detail-type"] == "SupportWebhook.Disabled"
                and e["detail"]["webhookId"] == webhook["_id"]]

    assert eventually(announced)

    # Nothing more reaches a disabled subscription; a retry needs it resumed first.
    retry = f"{WEBHOOKS}/{webhook['_id']}/deliveries/{logged['_id']}/retry"
    error(admin.request_to(retry, "POST"), 409, "CONFLICT")
    receiver.answers["/down"] = [200]
    resumed = admin.request_to(f"{WEBHOOKS}/{webhook['_id']}", "PATCH", json={"status": "active"})
    assert resumed.status_code == 200 and resumed.json()["data"]["disabledReason"] is None
    again = admin.request_to(retry, "POST")
    assert again.status_code == 202, again.text
    assert again.json()["data"]["_id"] == logged["_id"]
    got = eventually(lambda: (d := receiver.at("/down", tid)) and len(d) == 5 and d)
    assert got and got[4]["headers"]["webhook-id"] == got[0]["headers"]["webhook-id"]
    verified(webhook["secret"], got[4])
    done = eventually(lambda: [d for d in deliveries(admin, webhook["_id"]) if d["_id"] == logged["_id"] and d["status"] == "succeeded"])
    assert [a["statusCode"] for a in done[0]["attempts"]] == [503, 503, 503, 503, 200]


def test_redirects_are_not_followed(admin, client, receiver, subscribe):
    webhook = subscribe(receiver.url("/moved"), [CREATED])
    receiver.redirects["/moved"] = receiver.url("/inside")
    tid = client.create()["_id"]
    assert eventually(lambda: receiver.at("/moved", tid))
    logged = eventually(lambda: [d for d in deliveries(admin, webhook["_id"]) if d["data"]["ticketId"] == tid])
    assert logged[0]["attempts"][0]["statusCode"] == 302
    assert logged[0]["attempts"][0]["error"] == "answered 302: redirects are not followed"
    assert receiver.at("/inside") == []


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254/latest/meta-data/",
        "https://10.0.0.1/hook",
        "https://[fd00::1]/hook",
        "https://192.168.1.1/",
        "http://hooks.example.com/plain-http",
        "ftp://hooks.example.com/",
        "https://user:pass@hooks.example.com/",
        "not a url",
    ],
)
def test_urls_that_lead_inside_or_are_not_https_are_refused(admin, url):
    response = admin.request_to(WEBHOOKS, "POST", json={"url": url, "events": ["*"]})
    body = error(response, 422, "VALIDATION_FAILED")
    assert [d["field"] for d in body["details"]] == ["url"]


def test_bad_subscriptions_are_refused_field_by_field(admin, receiver, subscribe):
    cases = [
        ({"url": receiver.url("/x")}, ["events"]),
        ({"url": receiver.url("/x"), "events": []}, ["events"]),
        ({"url": receiver.url("/x"), "events": ["SupportTicket.Exploded"]}, ["events[0]"]),
        ({"url": receiver.url("/x"), "events": ["*", CREATED]}, ["events"]),
        ({"events": ["*"]}, ["url"]),
    ]
    for body, fields in cases:
        response = admin.request_to(WEBHOOKS, "POST", json=body)
        assert [d["field"] for d in error(response, 422, "VALIDATION_FAILED")["details"]] == fields, body
    error(admin.request_to(WEBHOOKS, "POST", json={"url": receiver.url("/x"), "events": ["*"], "extra": 1}), 400, "INVALID_BODY")
    webhook = subscribe(receiver.url("/x"), ["*"])
    path = f"{WEBHOOKS}/{webhook['_id']}"
    error(admin.request_to(path, "PATCH", json={"status": "disabled"}), 422, "VALIDATION_FAILED")
    error(admin.request_to(path, "PATCH", json={"url": "https://10.0.0.1/"}), 422, "VALIDATION_FAILED")
    assert admin.request_to(path).json()["data"]["url"] == receiver.url("/x")
    for missing in (f"{WEBHOOKS}/{unknown_id()}", f"{WEBHOOKS}/not-an-id"):
        error(admin.request_to(missing), 404, "NOT_FOUND")
    error(admin.request_to(f"{path}/deliveries/{unknown_id()}/retry", "POST"), 404, "NOT_FOUND")
    error(admin.request_to(f"{path}/deliveries", params={"cursor": "bm9wZQ"}), 400, "INVALID_PARAMETERS")


def test_only_admins_manage_webhooks(client, agent, admin, anonymous, receiver, subscribe):
    webhook = subscribe(receiver.url("/admins"), ["*"])
    path = f"{WEBHOOKS}/{webhook['_id']}"
    routes = [
        ("POST", WEBHOOKS, {"url": receiver.url("/mine"), "events": ["*"]}),
        ("GET", WEBHOOKS, None),
        ("GET", path, None),
        ("PATCH", path, {"status": "paused"}),
        ("DELETE", path, None),
        ("GET", f"{path}/deliveries", None),
        ("POST", f"{path}/deliveries/{unknown_id()}/retry", None),
    ]
    for caller in (client, agent):
        for method, route, body in routes:
            error(caller.request_to(route, method, json=body), 403, "FORBIDDEN")
    for method, route, body in routes:
        assert anonymous.request_to(route, method, json=body).status_code == 401
    shown = admin.request_to(path).json()["data"]
    assert shown["status"] == "active" and shown["version"] == 1
