"""Every route × every kind of caller, over HTTP: the status each one gets.

The ticket belongs to `client`. Another client must never learn it exists (404, never 403),
except on the staff-only routes, which refuse every client alike whatever the ticket (403).
Expired and malformed local tokens are refused on every route (401). The service-level policies
are the desk's, not a ticket's: staff read them, only admins write them (here the document
already stored, written back as it is, so that no other test finds the desk changed). The
reports are staff's too: a client is refused (403) before its parameters are read, so only staff
learn that a query is bad (400). Webhooks
are the admins' alone: everyone else is refused alike (403), whatever the webhook; each one
made here is paused at once (it receives nothing) and removed after the call. An export is
the admins' to start for anyone, and each person's for themselves (`me`, or their own id); a
client naming another client is answered as if there were none (404), an agent is refused
(403); an export is followed by whoever started it and by admins, everyone else 404. Each
signed-in caller reads and changes their own notification choice, whatever the role (the
local pool's tokens vouch for an address). The unsubscribe link takes no sign-in: the owner's
signed link answers every caller alike, whatever token it sends or none (200), and a link
signed with another key is refused alike (400); its answers are HTML pages, not the JSON
envelope."""

import time

import pytest

from .conftest import Api, forged, unknown_id, unsubscribe_token
from .test_sla import document, policies

CALLERS = ["client", "other_client", "agent", "admin", "anonymous", "expired", "malformed"]

# route -> expected status per caller, in the order of CALLERS
MATRIX = {
    "create for the owner": [201, 403, 201, 201, 401, 401, 401],
    "list": [200, 200, 200, 200, 401, 401, 401],
    "get": [200, 404, 200, 200, 401, 401, 401],
    "update": [200, 404, 200, 200, 401, 401, 401],
    "bulk update": [403, 403, 200, 200, 401, 401, 401],
    "delete": [403, 404, 403, 200, 401, 401, 401],
    "restore a deleted ticket": [404, 404, 404, 200, 401, 401, 401],
    "purge a deleted ticket": [403, 403, 403, 200, 401, 401, 401],
    "erase the owner": [403, 403, 403, 202, 401, 401, 401],
    "read an erasure": [403, 403, 403, 200, 401, 401, 401],
    "export the owner": [202, 404, 403, 202, 401, 401, 401],
    "export oneself": [202, 202, 202, 202, 401, 401, 401],
    "read the owner's export": [200, 404, 404, 200, 401, 401, 401],
    "merge another of the owner's tickets into it": [403, 403, 200, 200, 401, 401, 401],
    "add a thread message": [201, 404, 201, 201, 401, 401, 401],
    "list thread messages": [200, 404, 200, 200, 401, 401, 401],
    "history": [403, 404, 200, 200, 401, 401, 401],
    "declare an attachment": [201, 404, 201, 201, 401, 401, 401],
    "download a pending attachment": [409, 404, 409, 409, 401, 401, 401],
    "remove the owner's attachment": [200, 404, 200, 200, 401, 401, 401],
    "rate a resolved ticket": [200, 404, 403, 403, 401, 401, 401],
    "list by rating": [403, 403, 200, 200, 401, 401, 401],
    "read the service-level policies": [403, 403, 200, 200, 401, 401, 401],
    "write back the service-level policies": [403, 403, 403, 200, 401, 401, 401],
    "read the reports": [403, 403, 200, 200, 401, 401, 401],
    "read a report whose from is after its to": [403, 403, 400, 400, 401, 401, 401],
    "read a report over 366 days": [403, 403, 400, 400, 401, 401, 401],
    "read a report grouped by client": [403, 403, 400, 400, 401, 401, 401],
    "register a webhook": [403, 403, 403, 201, 401, 401, 401],
    "list webhooks": [403, 403, 403, 200, 401, 401, 401],
    "read a webhook": [403, 403, 403, 200, 401, 401, 401],
    "change a webhook": [403, 403, 403, 200, 401, 401, 401],
    "remove a webhook": [403, 403, 403, 200, 401, 401, 401],
    "read a webhook's deliveries": [403, 403, 403, 200, 401, 401, 401],
    "send a delivery that does not exist again": [403, 403, 403, 404, 401, 401, 401],
    "read one's notification choice": [200, 200, 200, 200, 401, 401, 401],
    "switch one's notifications off": [200, 200, 200, 200, 401, 401, 401],
    "open the owner's unsubscribe link": [200, 200, 200, 200, 200, 200, 200],
    "confirm the owner's unsubscribe link": [200, 200, 200, 200, 200, 200, 200],
    "open a forged unsubscribe link": [400, 400, 400, 400, 400, 400, 400],
}

WEBHOOKS = "/v2/webhooks"
WEBHOOK = {"url": "http://127.0.0.1:9/permissions", "events": ["SupportTicket.Restored"]}


def webhooks(caller: Api, path: str = "", method: str = "GET", **kwargs):
    """`/v2/webhooks...`, beside the tickets' base path."""
    return caller.session.request(method, f"{caller.url}{WEBHOOKS}{path}", timeout=30, **kwargs)


def webhook_call(route: str, caller: Api, admin: Api):
    """The webhook route's answer to `caller`, on a paused webhook made for it and removed after."""
    if route == "register a webhook":
        response = webhooks(caller, method="POST", json=WEBHOOK)
        if response.status_code == 201:
            webhooks(admin, f"/{response.json()['data']['_id']}", "DELETE")
        return response
    made = webhooks(admin, method="POST", json=WEBHOOK)
    assert made.status_code == 201, made.text
    path = f"/{made.json()['data']['_id']}"
    assert webhooks(admin, path, "PATCH", json={"status": "paused"}).status_code == 200
    try:
        if route == "list webhooks":
            return webhooks(caller)
        if route == "read a webhook":
            return webhooks(caller, path)
        if route == "change a webhook":
            return webhooks(caller, path, "PATCH", json={"description": "Changed"})
        if route == "remove a webhook":
            return webhooks(caller, path, "DELETE")
        if route == "read a webhook's deliveries":
            return webhooks(caller, f"{path}/deliveries")
        if route == "send a delivery that does not exist again":
            return webhooks(caller, f"{path}/deliveries/{unknown_id()}/retry", "POST")
        raise AssertionError(route)
    finally:
        webhooks(admin, path, "DELETE")

UPLOAD = {"filename": "notes.txt", "size": 5, "type": "text/plain"}
NOTIFICATIONS = "/v2/me/notifications"
UNSUBSCRIBE = "/v2/unsubscribe"
REPORTS = "/v2/reports"
# The reports' query per route: a valid one, then bad ones, which a client never gets to (403).
REPORT_QUERIES = {
    "read the reports": {"from": "2026-11-01", "to": "2026-11-30", "interval": "week", "groupBy": "agent"},
    "read a report whose from is after its to": {"from": "2026-11-30", "to": "2026-11-01"},
    "read a report over 366 days": {"from": "2025-01-01", "to": "2026-01-02"},
    "read a report grouped by client": {"groupBy": "client"},
}


def call(route: str, caller: Api, owner: Api, owner_id: str, ticket: dict, admin: Api):
    if "webhook" in route or "delivery" in route:
        return webhook_call(route, caller, admin)
    path = f"/{ticket['_id']}"
    if route == "create for the owner":
        body = {"title": "t", "description": "d", "priority": "low", "category": "general", "client": owner_id}
        return caller.request("POST", json=body)
    if route == "list":
        return caller.request("GET")
    if route == "get":
        return caller.request("GET", path)
    if route == "update":
        return caller.request("PATCH", path, json={"title": "Updated title"})
    if route == "bulk update":
        return caller.request("PATCH", json={"ids": [ticket["_id"]], "changes": {"priority": "low"}})
    if route == "delete":
        return caller.request("DELETE", path)
    if route == "restore a deleted ticket":
        return caller.request("POST", f"{path}/restore")
    if route == "purge a deleted ticket":
        return caller.request("DELETE", path, params={"purge": "true"})
    if route == "erase the owner":
        return caller.session.post(f"{caller.url}/v2/clients/{owner_id}/erase", timeout=30)
    if route == "read an erasure":
        started = admin.session.post(f"{admin.url}/v2/clients/permissions-nobody/erase", timeout=30)
        assert started.status_code == 202, started.text
        return caller.session.get(f"{caller.url}/v2/erasures/{started.json()['data']['_id']}", timeout=30)
    if route == "export the owner":
        return caller.session.post(f"{caller.url}/v2/clients/{owner_id}/export", timeout=30)
    if route == "export oneself":
        return caller.session.post(f"{caller.url}/v2/clients/me/export", timeout=30)
    if route == "read the owner's export":
        started = owner.session.post(f"{owner.url}/v2/clients/me/export", timeout=30)
        assert started.status_code == 202, started.text
        return caller.session.get(f"{caller.url}/v2/exports/{started.json()['data']['_id']}", timeout=30)
    if route == "merge another of the owner's tickets into it":
        source = owner.create(title="The same again")
        return caller.request("POST", f"{path}/merge", json={"sources": [source["_id"]]})
    if route == "add a thread message":
        return caller.request("POST", f"{path}/threads", json={"message": "Any news?"})
    if route == "list thread messages":
        return caller.request("GET", f"{path}/threads")
    if route == "rate a resolved ticket":
        return caller.request("PUT", f"{path}/satisfaction", json={"rating": "good"})
    if route == "list by rating":
        return caller.request("GET", params={"satisfaction": "bad"})
    if route == "history":
        return caller.request("GET", f"{path}/history")
    if route == "read the service-level policies":
        return policies(caller)
    if route in REPORT_QUERIES:
        return caller.session.get(f"{caller.url}{REPORTS}", params=REPORT_QUERIES[route], timeout=30)
    if route == "write back the service-level policies":
        stored = policies(admin)
        assert stored.status_code == 200, stored.text
        return policies(caller, "PUT", json=document(stored.json()["data"]))
    if route == "read one's notification choice":
        return caller.session.get(f"{caller.url}{NOTIFICATIONS}", timeout=30)
    if route == "switch one's notifications off":
        return caller.session.put(f"{caller.url}{NOTIFICATIONS}", json={"email": False}, timeout=30)
    if route.endswith("unsubscribe link"):
        if route == "open a forged unsubscribe link":
            link = unsubscribe_token(owner_id, key="another signing key, also long enough to be used")
        else:
            link = unsubscribe_token(owner_id)
        method = "POST" if route.startswith("confirm") else "GET"
        return caller.session.request(method, f"{caller.url}{UNSUBSCRIBE}", params={"token": link}, timeout=30)
    if route == "declare an attachment":
        return caller.request("POST", f"{path}/attachments", json=UPLOAD)
    if route in ("download a pending attachment", "remove the owner's attachment"):
        declared = owner.request("POST", f"{path}/attachments", json=UPLOAD)
        assert declared.status_code == 201, declared.text
        attachment = f"{path}/attachments/{declared.json()['data']['_id']}"
        method = "GET" if route.startswith("download") else "DELETE"
        return caller.request(method, attachment, allow_redirects=False)
    raise AssertionError(route)


@pytest.fixture
def expired(api_url, ids) -> Api:
    return Api(api_url, forged(sub=ids["client"], exp=int(time.time()) - 1))


@pytest.fixture
def malformed(api_url) -> Api:
    return Api(api_url, "eyJhbGciOiJub25lIn0.not-base64-json.x")


@pytest.mark.parametrize("route", MATRIX)
def test_each_caller_gets_the_right_answer_on_each_route(route, request, ids):
    callers = {name: request.getfixturevalue(name) for name in CALLERS}
    owner, admin = callers["client"], callers["admin"]
    got = []
    for name in CALLERS:
        ticket = owner.create()
        if route in ("restore a deleted ticket", "purge a deleted ticket"):
            assert admin.request("DELETE", f"/{ticket['_id']}").status_code == 200
        if route == "rate a resolved ticket":
            resolve = {"status": "resolved", "resolution": "Fixed"}
            assert admin.request("PATCH", f"/{ticket['_id']}", json=resolve).status_code == 200
        response = call(route, callers[name], owner, ids["client"], ticket, admin)
        if "unsubscribe" in route:
            # Pages for a person in a browser, whatever the status.
            assert response.headers["content-type"].startswith("text/html"), response.headers
            assert response.text.startswith("<!DOCTYPE html>"), response.text
            got.append(response.status_code)
            continue
        body = response.json()
        assert body["success"] is (response.status_code < 400), response.text
        if route == "bulk update" and response.status_code == 200:
            # The whole request is answered 200; the ticket's own result says it was changed.
            assert body["data"][0]["status"] == 200, response.text
        got.append(response.status_code)
    assert got == MATRIX[route], dict(zip(CALLERS, got))
