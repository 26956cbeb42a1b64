"""Bulk updates over HTTP: one change to up to 100 tickets, each changed on its own by the rules
of a single PATCH and answered in the order given; concurrent single PATCHes of other fields are
kept; the counters agree with a recount afterwards; a repeat with its `Idempotency-Key` answers
the first answer again."""

import random
import time
from concurrent.futures import ThreadPoolExecutor

from .conftest import Api, error, eventually, unknown_id

CHANGES = {"priority": "urgent", "assignedTo": "me"}


def alone(caller: Api) -> Api:
    """The same caller on a session of its own, for another thread (a `requests` session is not
    meant to be shared between threads)."""
    return Api(caller.url, caller.session.headers["Authorization"].removeprefix("Bearer "))


def in_parallel(work, items, workers: int = 8) -> list:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(work, items))


def bulk(caller: Api, entries: list, changes: dict, key: str | None = None):
    body = {"ids": entries, "changes": changes}
    return caller.request("PATCH", json=body, headers={"Idempotency-Key": key} if key else {})


def state(admin: Api, ticket_ids) -> dict[str, dict]:
    """Each ticket as an admin reads it (soft-deleted ones too)."""
    def read(ticket_id):
        response = alone(admin).request("GET", f"/{ticket_id}")
        assert response.status_code == 200, response.text
        return ticket_id, response.json()["data"]
    return dict(in_parallel(read, list(ticket_ids)))


def listed(caller: Api, params: dict) -> list[dict]:
    """Every ticket a filtered list holds, page after page by cursor."""
    found, cursor = [], None
    while True:
        page = caller.request("GET", params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        found += body["data"]
        cursor = body["pagination"]["nextCursor"]
        if not cursor:
            return found


def patched(caller: Api, ticket_id: str, change: dict) -> dict:
    response = alone(caller).request("PATCH", f"/{ticket_id}", json=change)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_a_bulk_update_answers_every_id_in_order_and_loses_no_concurrent_change(client, agent, admin, ids):
    tickets = [t["_id"] for t in in_parallel(lambda n: alone(client).create(title=f"Bulk {n}"), range(95))]
    kinds = {
        "plain": tickets[0:45],  # open, changed
        "raced": tickets[45:70],  # open, changed while single PATCHes change their tags
        "versioned": tickets[70:75],  # open, sent with their current version
        "stale": tickets[75:80],  # changed since: sent with the version before
        "closed": tickets[80:90],  # only tags may change: 409
        "deleted": tickets[90:95],  # soft-deleted: 404 for an agent
        "unknown": [unknown_id() for _ in range(5)],  # 404
    }
    in_parallel(lambda t: patched(agent, t, {"title": "Changed since"}), kinds["stale"])
    in_parallel(lambda t: patched(agent, t, {"status": "closed"}), kinds["closed"])
    assert in_parallel(lambda t: alone(admin).request("DELETE", f"/{t}").status_code, kinds["deleted"]) == [200] * 5
    before = state(admin, tickets)

    kind_of = {ticket_id: kind for kind, members in kinds.items() for ticket_id in members}
    order = [ticket_id for members in kinds.values() for ticket_id in members]
    random.Random(7).shuffle(order)
    assert len(order) == len(set(order)) == 100
    entries = [
        {"_id": t, "version": 1} if kind_of[t] in ("versioned", "stale") else t
        for t in order
    ]

    # The single PATCHes of another field run while the bulk update runs.
    with ThreadPoolExecutor(max_workers=8) as pool:
        racing = [pool.submit(patched, agent, t, {"tags": ["concurrent"]}) for t in kinds["raced"]]
        response = bulk(agent, entries, CHANGES)
        for future in racing:
            future.result()
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    results = body["data"]
    assert [r["_id"] for r in results] == order

    expected = {
        "plain": (200, None), "raced": (200, None), "versioned": (200, None),
        "stale": (412, "PRECONDITION_FAILED"), "closed": (409, "CONFLICT"),
        "deleted": (404, "NOT_FOUND"), "unknown": (404, "NOT_FOUND"),
    }
    for result in results:
        kind = kind_of[result["_id"]]
        status, code = expected[kind]
        assert result["status"] == status, (kind, result)
        if status == 200:
            assert set(result) == {"_id", "status", "version"}, result
            assert result["version"] in ((2, 3) if kind == "raced" else (2,)), (kind, result)
        else:
            assert set(result) == {"_id", "status", "code", "error", "details"}, result
            assert result["code"] == code and result["error"], result

    # Each refusal is the one a single PATCH of that ticket answers (which changes nothing either).
    by_id = {r["_id"]: r for r in results}
    for kind, headers in (("stale", {"If-Match": '"1"'}), ("closed", {}), ("deleted", {}), ("unknown", {})):
        ticket_id = kinds[kind][0]
        single = agent.request("PATCH", f"/{ticket_id}", json=CHANGES, headers=headers).json()
        assert {k: single[k] for k in ("code", "error", "details")} == {
            k: by_id[ticket_id][k] for k in ("code", "error", "details")
        }, kind

    # Both changes are on every raced ticket; the refused tickets are as they were.
    after = state(admin, tickets)
    for ticket_id in tickets:
        ticket, was, kind = after[ticket_id], before[ticket_id], kind_of[ticket_id]
        if kind in ("plain", "versioned", "raced"):
            assert (ticket["priority"], ticket["assignedTo"]) == ("urgent", ids["agent"]), (kind, ticket)
            assert ticket["tags"] == (["concurrent"] if kind == "raced" else []), (kind, ticket)
            assert ticket["version"] == (3 if kind == "raced" else 2), (kind, ticket)
            assert ticket["version"] >= by_id[ticket_id]["version"]
        else:
            assert ticket == was, kind

    # History and events are those of single PATCHes.
    first = kinds["plain"][0]

    def recorded():
        response = agent.request("GET", f"/{first}/history", params={"limit": 100})
        assert response.status_code == 200, response.text
        entries = [e for e in response.json()["data"] if e["version"] == 2]
        return entries if len(entries) >= 2 else None

    changed = {e["field"]: (e["old"], e["new"], e["by"]) for e in eventually(recorded)}
    assert changed == {"priority": ("high", "urgent", ids["agent"]), "assignedTo": (None, ids["agent"], ids["agent"])}

    # The counters agree with a recount by paging, and with what the bulk did.
    mine = {"client": ids["client"]}
    for params, want in (
        ({**mine, "priority": "urgent"}, 75),
        ({**mine, "priority": "high"}, 15),
        ({**mine, "status": "open", "priority": "urgent"}, 75),
        ({**mine, "status": "closed"}, 10),
        ({"assignedTo": ids["agent"]}, 75),
        (mine, 90),
    ):
        answer = agent.request("GET", params={**params, "page": 1, "limit": 10}).json()
        total = len(listed(agent, params))
        assert answer["pagination"]["total"] == total == want, params
        assert answer["pagination"]["pages"] == -(-total // 10), params
    counted = agent.request("GET", params={**mine, "countByStatus": "true", "limit": 100}).json()["counts"]
    recount = {s: 0 for s in ("open", "pending", "in_progress", "resolved", "closed")}
    for ticket in listed(agent, mine):
        recount[ticket["status"]] += 1
    assert counted == recount == {"open": 80, "pending": 0, "in_progress": 0, "resolved": 0, "closed": 10}


def test_a_repeated_bulk_update_answers_the_first_answer_with_its_key_and_changes_nothing(client, agent, admin):
    a, b, c = (client.create()["_id"] for _ in range(3))
    entries = [a, b, {"_id": c, "version": 1}]
    key = f"bulk-{time.time_ns()}"
    first = bulk(agent, entries, {"status": "pending"}, key=key)
    assert first.status_code == 200, first.text
    assert first.json()["data"] == [{"_id": t, "status": 200, "version": 2} for t in (a, b, c)]
    after = state(admin, [a, b, c])
    assert {t["status"] for t in after.values()} == {"pending"}

    again = bulk(agent, entries, {"status": "pending"}, key=key)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert state(admin, [a, b, c]) == after

    reused = error(bulk(agent, entries, {"status": "in_progress"}, key=key), 422, "VALIDATION_FAILED")
    assert [d["field"] for d in reused["details"]] == ["Idempotency-Key"]
    assert state(admin, [a, b, c]) == after

    # Without a key it is a new request: the same change changes nothing (same versions), and
    # the version the third entry names is stale now.
    plain = bulk(agent, entries, {"status": "pending"})
    assert plain.status_code == 200, plain.text
    results = plain.json()["data"]
    assert results[:2] == [{"_id": a, "status": 200, "version": 2}, {"_id": b, "status": 200, "version": 2}]
    assert (results[2]["_id"], results[2]["status"], results[2]["code"]) == (c, 412, "PRECONDITION_FAILED")
    assert state(admin, [a, b, c]) == after


def test_bad_bulk_requests_are_refused_whole_and_change_nothing(client, agent, admin):
    a, b = (client.create()["_id"] for _ in range(2))
    before = state(admin, [a, b])
    change = {"priority": "low"}
    # (caller, body, status, code, the `details` fields of which one must be named)
    cases = [
        (client, {"ids": [a], "changes": change}, 403, "FORBIDDEN", None),
        (client, {"ids": [unknown_id()], "changes": change}, 403, "FORBIDDEN", None),
        (agent, {"ids": [], "changes": change}, 422, "VALIDATION_FAILED", {"ids"}),
        (agent, {"ids": [a] + [unknown_id() for _ in range(100)], "changes": change}, 422, "VALIDATION_FAILED", {"ids"}),
        (agent, {"ids": [a, b, a], "changes": change}, 422, "VALIDATION_FAILED", {"ids", "ids[2]"}),
        (agent, {"ids": [a, {"_id": a, "version": 1}], "changes": change}, 422, "VALIDATION_FAILED", {"ids", "ids[1]"}),
        (agent, {"ids": [a, "not-a-ticket"], "changes": change}, 422, "VALIDATION_FAILED", {"ids", "ids[1]"}),
        (agent, {"ids": [a, b]}, 422, "VALIDATION_FAILED", {"changes"}),
        (agent, {"ids": [a], "changes": change, "force": True}, 400, "INVALID_BODY", None),
        (agent, {"ids": [{"_id": a, "version": 1, "colour": "red"}], "changes": change}, 400, "INVALID_BODY", None),
        (agent, {"ids": [a], "changes": {"severity": "high"}}, 400, "INVALID_BODY", None),
        (agent, {"ids": [a], "changes": {"priority": 3}}, 400, "INVALID_BODY", None),
        (agent, {"ids": a, "changes": change}, 400, "INVALID_BODY", None),
    ]
    for caller, body, status, code, fields in cases:
        answer = error(caller.request("PATCH", json=body), status, code)
        if fields:
            assert {d["field"] for d in answer["details"]} & fields, (body, answer)
    assert state(admin, [a, b]) == before
