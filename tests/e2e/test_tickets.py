"""Every ticket route over HTTP, through the local router, as each kind of caller."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from joserfc import jwk, jwt

from .conftest import PREFIX, Api, forged, identity, moto_endpoint, pool_key, token


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == code
    assert body["requestId"]
    return body


def test_the_documented_create_returns_the_open_ticket_with_its_first_message(client, ids):
    response = client.request(
        "POST",
        json={
            "title": "Cannot verify my identity",
            "description": "The selfie step fails every time.",
            "priority": "high",
            "category": "technical",
            "tags": ["Verification"],
            "attachments": [
                {
                    "filename": "error.png",
                    "url": "https://files.example.com/error.png",
                    "size": 1024,
                    "type": "image/png",
                }
            ],
        },
    )
    assert response.status_code == 201, response.text
    assert response.headers["Content-Type"] == "application/json"
    body = response.json()
    assert body["success"] is True
    ticket = body["data"]
    assert ticket["status"] == "open"
    assert ticket["client"] == ids["client"]
    assert ticket["tags"] == ["verification"]
    assert [m["message"] for m in ticket["threads"]] == ["The selfie step fails every time."]
    assert ticket["threads"][0]["type"] == "user"
    assert ticket["attachments"][0]["status"] == "external"
    assert response.headers["ETag"] == '"1"'


def test_get_returns_the_full_ticket_to_owner_and_staff_and_404_to_others(
    client, other_client, agent, admin, anonymous
):
    ticket = client.create()
    for caller in (client, agent, admin):
        response = caller.request("GET", f"/{ticket['_id']}")
        assert response.status_code == 200, response.text
        assert response.json()["data"] == ticket
    error(other_client.request("GET", f"/{ticket['_id']}"), 404, "NOT_FOUND")
    error(anonymous.request("GET", f"/{ticket['_id']}"), 401, "UNAUTHORIZED")


def test_the_documented_list_query_answers_data_pagination_and_counts(client, agent, ids):
    for _ in range(3):
        client.create()
    client.create(priority="low")
    response = agent.request(
        "GET",
        params={
            "page": 1,
            "limit": 10,
            "status": "open",
            "category": "technical",
            "priority": "high",
            "countByStatus": "true",
            "client": ids["client"],
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert len(body["data"]) == 3
    assert all("threads" not in t for t in body["data"])
    assert set(body["pagination"]) >= {"page", "limit", "total", "pages", "nextCursor"}
    assert body["pagination"]["page"] == 1 and body["pagination"]["limit"] == 10
    assert body["counts"] == {"open": 4, "pending": 0, "in_progress": 0, "resolved": 0, "closed": 0}
    assert body["pagination"]["total"] == 3 and body["pagination"]["pages"] == 1

    own = client.request("GET", params={"countByStatus": "true"}).json()
    assert own["pagination"]["total"] == 4 and own["pagination"]["pages"] == 1
    assert own["counts"]["open"] == 4


def listed_ids(caller, params: dict) -> list[str]:
    """Every ticket a filtered list holds, page after page by cursor."""
    found, cursor = [], None
    while True:
        page = caller.request("GET", params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        found += [ticket["_id"] for ticket in body["data"]]
        cursor = body["pagination"]["nextCursor"]
        if not cursor:
            return found


def test_every_status_category_priority_combination_has_an_exact_total(client, agent, ids):
    me = ids["agent"]
    shapes = [("high", "technical"), ("high", "billing"), ("low", "technical"), ("high", "technical")]
    for priority, category in shapes:
        ticket = client.create(priority=priority, category=category)
        if category == "technical":
            assigned = agent.request("PATCH", f"/{ticket['_id']}", json={"assignedTo": "me"})
            assert assigned.status_code == 200, assigned.text
    combinations = [
        {"status": "open", "category": "technical", "priority": "high"},
        {"status": "open", "priority": "high"},
        {"category": "technical", "priority": "low"},
        {"assignedTo": me, "status": "open", "priority": "high"},
        {"assignedTo": me, "category": "technical"},
    ]
    for params in combinations:
        answer = agent.request("GET", params={"page": 1, "limit": 10, **params}).json()
        total = len(listed_ids(agent, params))
        assert answer["pagination"]["total"] == total, params
        assert answer["pagination"]["pages"] == -(-total // 10), params
    mine = agent.request("GET", params={"assignedTo": me, "status": "open", "priority": "high"}).json()
    assert mine["pagination"]["total"] == 2
    # within one client's tickets, as that client
    own = client.request("GET", params={"category": "technical", "priority": "high"}).json()
    assert own["pagination"]["total"] == 2
    # the documented exceptions: a tag with another filter, an assignee with more in one client
    assert agent.request("GET", params={"tag": "x", "status": "open"}).json()["pagination"]["total"] is None
    within = agent.request("GET", params={"client": ids["client"], "assignedTo": me, "status": "open"}).json()
    assert within["pagination"]["total"] is None


def test_a_bad_list_query_answers_invalid_query_parameters(client):
    for params in ({"limit": 500}, {"status": "archived"}, {"colour": "red"}):
        body = error(client.request("GET", params=params), 400, "INVALID_PARAMETERS")
        assert body["error"] == "Invalid query parameters"


def test_clients_list_only_their_own_tickets(client, other_client):
    mine = client.create()
    theirs = other_client.create()
    listed = [t["_id"] for t in client.request("GET").json()["data"]]
    assert mine["_id"] in listed and theirs["_id"] not in listed


def test_the_workflow_runs_from_open_to_closed(client, agent, admin):
    ticket = client.create()
    path = f"/{ticket['_id']}"
    edited = client.request("PATCH", path, json={"title": "Cannot log in on mobile"})
    assert edited.status_code == 200, edited.text
    steps = [
        (agent, {"assignedTo": "me", "status": "in_progress"}),
        (agent, {"status": "resolved", "resolution": "Cleared the session cache"}),
        (admin, {"status": "closed"}),
    ]
    for caller, change in steps:
        response = caller.request("PATCH", path, json=change)
        assert response.status_code == 200, response.text
    final = client.request("GET", path).json()["data"]
    assert final["status"] == "closed"
    assert final["version"] == 5
    assert final["resolvedAt"] and final["closedAt"]
    error(agent.request("PATCH", path, json={"status": "open"}), 409, "CONFLICT")
    error(client.request("PATCH", path, json={"title": "again"}), 409, "CONFLICT")


def test_clients_may_not_write_staff_fields_and_nothing_changes(client, other_client):
    ticket = client.create()
    path = f"/{ticket['_id']}"
    for change in ({"status": "closed"}, {"assignedTo": "me"}, {"resolution": "done"}):
        error(client.request("PATCH", path, json=change), 403, "FORBIDDEN")
        error(other_client.request("PATCH", path, json=change), 404, "NOT_FOUND")
    error(client.request("POST", json={"client": "someone-else", "title": "t"}), 403, "FORBIDDEN")
    assert client.request("GET", path).json()["data"] == ticket


def test_if_match_guards_against_lost_updates(agent, client):
    ticket = client.create()
    path = f"/{ticket['_id']}"
    stale = agent.request("PATCH", path, json={"priority": "low"}, headers={"If-Match": '"9"'})
    error(stale, 412, "PRECONDITION_FAILED")
    fresh = agent.request("PATCH", path, json={"priority": "low"}, headers={"If-Match": '"1"'})
    assert fresh.status_code == 200 and fresh.headers["ETag"] == '"2"'


def test_idempotency_key_makes_a_retry_return_the_first_result(client):
    headers = {"Idempotency-Key": f"key-{time.time_ns()}"}
    body = {"title": "Once", "description": "Only once", "priority": "low", "category": "billing"}
    first = client.request("POST", json=body, headers=headers)
    second = client.request("POST", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    body["title"] = "Twice"
    error(client.request("POST", json=body, headers=headers), 422, "VALIDATION_FAILED")


def test_admins_soft_delete_and_restore(client, agent, admin):
    ticket = client.create()
    path = f"/{ticket['_id']}"
    error(agent.request("DELETE", path), 403, "FORBIDDEN")
    error(client.request("DELETE", path), 403, "FORBIDDEN")
    deleted = admin.request("DELETE", path)
    assert deleted.status_code == 200 and deleted.json()["data"]["deletedAt"]
    error(client.request("GET", path), 404, "NOT_FOUND")
    assert ticket["_id"] not in [t["_id"] for t in client.request("GET").json()["data"]]
    error(agent.request("POST", f"{path}/restore"), 404, "NOT_FOUND")
    restored = admin.request("POST", f"{path}/restore")
    assert restored.status_code == 200 and restored.json()["data"]["deletedAt"] is None
    assert client.request("GET", path).status_code == 200


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict) -> str:
    """A token with no signature at all (`alg: none`)."""
    return f"{b64(json.dumps({'alg': 'none', 'typ': 'JWT'}).encode())}.{b64(json.dumps(claims).encode())}."


def hs256_with_the_public_key() -> str:
    """The classic confusion: a valid token's claims, signed HS256 with the pool's public key
    (PEM) as the secret, for verifiers that take the key for whatever `alg` says."""
    claims = jwt.decode(token("forger", "client"), pool_key()).claims
    signing = f"{b64(json.dumps({'alg': 'HS256', 'kid': 'dummy'}).encode())}.{b64(json.dumps(claims).encode())}"
    secret = pool_key().as_pem(private=False)
    return f"{signing}.{b64(hmac.new(secret, signing.encode(), hashlib.sha256).digest())}"


BAD_TOKENS = {
    "garbage": lambda: "not-a-jwt",
    "two-parts": lambda: "a.b",
    "bad-base64": lambda: "e30.!!!.x",
    "unsigned": lambda: unsigned({"sub": "client-x", "cognito:groups": ["admins"]}),
    "another-key": lambda: forged(jwk.RSAKey.generate_key(2048), **{"cognito:groups": ["admins"]}),
    "expired": lambda: forged(exp=int(time.time()) - 60),
    "another-audience": lambda: forged(aud="another-app-client"),
    "another-pool": lambda: forged(iss=identity.issuer("us-east-1_another")),
    "hs256-with-the-public-key": hs256_with_the_public_key,
    "no-expiry": lambda: forged(exp=None),
    "empty-subject": lambda: forged(sub=""),
}


@pytest.mark.parametrize("bearer", BAD_TOKENS.values(), ids=BAD_TOKENS.keys())
def test_unsigned_forged_expired_and_foreign_tokens_are_unauthorized(api_url, bearer):
    caller = Api(api_url, bearer())
    error(caller.request("GET"), 401, "UNAUTHORIZED")


def test_a_role_comes_from_the_pool_groups_never_from_what_a_user_writes(api_url, ids, client):
    """A client that writes `custom:role: admin` into its own attributes and signs in again is
    still a client: it sees only its own tickets and may not delete."""
    mine = client.create()
    theirs = Api(api_url, ids.token("other")).create()
    user = ids.user("client")
    cognito = identity.client(moto_endpoint())
    session = identity.sign_in(moto_endpoint(), PREFIX, user)
    cognito.update_user_attributes(
        AccessToken=session["AccessToken"],
        UserAttributes=[{"Name": identity.SELF_WRITABLE, "Value": "admin"}],
    )
    fresh = identity.sign_in(moto_endpoint(), PREFIX, user)["IdToken"]
    assert jwt.decode(fresh, pool_key()).claims[identity.SELF_WRITABLE] == "admin"
    same = Api(api_url, fresh)
    listed = same.request("GET").json()["data"]
    assert [t["_id"] for t in listed] == [mine["_id"]]
    error(same.request("GET", f"/{theirs['_id']}"), 404, "NOT_FOUND")
    error(same.request("DELETE", f"/{mine['_id']}"), 403, "FORBIDDEN")


def test_bad_bodies_answer_the_documented_codes(client):
    raw = {"headers": {"Content-Type": "application/json"}}
    error(client.request("POST", data="{oops", **raw), 400, "INVALID_BODY")
    # Non-UTF-8 bodies are covered in-process: the local emulator cannot pass them on.
    error(client.request("POST", json={"title": 1}), 400, "INVALID_BODY")
    error(client.request("POST", data="title=x", headers={"Content-Type": "text/plain"}), 415, "UNSUPPORTED_MEDIA_TYPE")
    big = {"title": "t", "description": "x" * (1024 * 1024 + 1)}
    error(client.request("POST", json=big), 413, "PAYLOAD_TOO_LARGE")
    error(client.request("POST", json={"title": "t", "priority": "whenever"}), 422, "VALIDATION_FAILED")
