"""Merging over HTTP: staff merge a client's duplicate tickets into one, in one transaction. The
sources are closed with `mergedInto` and keep their messages and files, which their client still
reads through the target's `mergedFrom`; a refused merge changes nothing; a repeated one with its
`Idempotency-Key` answers the first answer again; a merged ticket takes only tag changes."""

import time

import requests

from .conftest import Api, error, eventually, unknown_id


def merge(caller: Api, target: str, sources: list[str], key: str | None = None, **fields):
    headers = {"Idempotency-Key": key} if key else {}
    return caller.request("POST", f"/{target}/merge", json={"sources": sources, **fields}, headers=headers)


def state(admin: Api, *ticket_ids: str) -> dict[str, dict]:
    """Each ticket as an admin reads it (soft-deleted ones too): what "nothing changed" compares."""
    tickets = {}
    for ticket_id in ticket_ids:
        response = admin.request("GET", f"/{ticket_id}")
        assert response.status_code == 200, response.text
        tickets[ticket_id] = response.json()["data"]
    return tickets


def thread(caller: Api, ticket_id: str) -> list[dict]:
    response = caller.request("GET", f"/{ticket_id}/threads", params={"limit": 100})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def history(agent: Api, ticket_id: str) -> list[dict]:
    response = agent.request("GET", f"/{ticket_id}/history", params={"limit": 100})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def attach(caller: Api, ticket_id: str, filename: str, data: bytes) -> str:
    """Declares a file, uploads it to its presigned URL and waits until the relay has checked it."""
    declared = caller.request(
        "POST", f"/{ticket_id}/attachments", json={"filename": filename, "size": len(data), "type": "text/plain"}
    )
    assert declared.status_code == 201, declared.text
    upload = declared.json()["data"]["upload"]
    put = requests.request(upload["method"], upload["url"], data=data, headers=upload["headers"], timeout=30)
    assert put.status_code == 200, put.text
    attachment_id = declared.json()["data"]["_id"]

    def available():
        ticket = caller.request("GET", f"/{ticket_id}").json()["data"]
        return any(a["_id"] == attachment_id and a["status"] == "available" for a in ticket["attachments"])

    assert eventually(available), "the upload was not checked: is the relay running?"
    return attachment_id


def closed(agent: Api, ticket_id: str) -> None:
    for change in ({"status": "resolved", "resolution": "Done."}, {"status": "closed"}):
        response = agent.request("PATCH", f"/{ticket_id}", json=change)
        assert response.status_code == 200, response.text


def test_a_merge_closes_the_sources_into_the_target_and_their_client_still_reads_all_of_them(
    client, agent, ids, event_log
):
    target = client.create(title="The printer jams", description="Page 2 always jams.")
    sources = [client.create(title=f"Printer jam, again ({n})", description=f"Jammed again, report {n}.") for n in range(3)]
    source_ids = [s["_id"] for s in sources]
    files = {}
    for n, source in enumerate(sources):
        assert client.request("POST", f"/{source['_id']}/threads", json={"message": f"Tray {n} too"}).status_code == 201
        assert agent.request("POST", f"/{source['_id']}/threads", json={"message": f"Checking tray {n}"}).status_code == 201
        note = {"message": f"internal {n}", "internal": True}
        assert agent.request("POST", f"/{source['_id']}/threads", json=note).status_code == 201
        files[source["_id"]] = attach(client, source["_id"], f"jam-{n}.txt", f"jam report {n}\n".encode())
    before = state(agent, target["_id"], *source_ids)
    client_threads = {s: thread(client, s) for s in source_ids}
    assert all(len(messages) == 3 for messages in client_threads.values())  # no internal note
    assert all("mergedInto" not in t and "mergedFrom" not in t for t in before.values())

    comment = "One printer, one ticket."
    answer = merge(agent, target["_id"], source_ids, key=f"merge-{time.time_ns()}", comment=comment)
    assert answer.status_code == 200, answer.text
    merged = answer.json()["data"]
    assert merged["_id"] == target["_id"] and merged["mergedFrom"] == source_ids
    assert merged["version"] == before[target["_id"]]["version"] + 1
    assert answer.headers["ETag"] == f'"{merged["version"]}"'
    assert merged["description"] == "Page 2 always jams."
    assert "threads" not in merged and "attachments" not in merged and "mergedInto" not in merged
    now = client.request("GET", f"/{target['_id']}").json()["data"]
    assert {field: now[field] for field in merged} == merged
    assert now["status"] == "open"

    # The target's public system message names every source and carries the comment.
    note = thread(client, target["_id"])[-1]
    assert (note["type"], note["internal"]) == ("system", False)
    assert all(s in note["message"] for s in source_ids) and comment in note["message"]

    # Through the target's `mergedFrom`, the client reads each source: closed, pointing at the
    # target, with all it said and was told, its file, and a system message naming the target.
    for source_id in now["mergedFrom"]:
        ticket = client.request("GET", f"/{source_id}")
        assert ticket.status_code == 200, ticket.text
        source = ticket.json()["data"]
        assert (source["status"], source["mergedInto"]) == ("closed", target["_id"])
        assert source["closedAt"] is not None and "mergedFrom" not in source
        assert source["version"] == before[source_id]["version"] + 1
        assert source["attachments"] == before[source_id]["attachments"]
        download = client.request("GET", f"/{source_id}/attachments/{files[source_id]}", allow_redirects=False)
        assert download.status_code == 302, download.text
        messages = thread(client, source_id)
        assert messages[:-1] == client_threads[source_id]
        assert (messages[-1]["type"], messages[-1]["internal"]) == ("system", False)
        assert target["_id"] in messages[-1]["message"]
        assert len(thread(agent, source_id)) == 5  # staff still read the internal note

    # Lists show who was merged into what; tickets never merged show neither field.
    listed = {t["_id"]: t for t in client.request("GET", params={"limit": 100}).json()["data"]}
    assert [listed[s]["mergedInto"] for s in source_ids] == [target["_id"]] * 3
    assert listed[target["_id"]]["mergedFrom"] == source_ids
    other = client.create()
    assert "mergedInto" not in other and "mergedFrom" not in other

    # The history and the events.
    def merged_into_recorded(source_id):
        entries = history(agent, source_id)
        changed = {e["field"]: (e["old"], e["new"], e["by"]) for e in entries if e["version"] == before[source_id]["version"] + 1}
        return changed if "mergedInto" in changed else None

    for source_id in source_ids:
        changed = eventually(lambda: merged_into_recorded(source_id))
        assert changed == {
            "status": ("open", "closed", ids["agent"]),
            "mergedInto": (None, target["_id"], ids["agent"]),
        }
        kinds = eventually(lambda: (k := event_log.of(source_id)) and "SupportTicket.Closed" in k and k)
        assert "SupportTicket.StatusChanged" in kinds and "SupportTicket.Merged" not in kinds
    target_entries = eventually(lambda: [e for e in history(agent, target["_id"]) if e["field"] == "mergedFrom"])
    assert [(e["new"], e["version"]) for e in target_entries] == [(source_ids, merged["version"])]

    def merged_events():
        event_log.of(target["_id"])
        return [
            e["detail"] for e in event_log.events
            if e["detail-type"] == "SupportTicket.Merged" and e["detail"].get("ticketId") == target["_id"]
        ]

    detail = eventually(merged_events)[0]
    assert (detail["sources"], detail["version"], detail["client"], detail["by"], detail["status"]) == (
        source_ids, merged["version"], ids["client"], ids["agent"], "open",
    )


def test_a_repeated_merge_answers_the_first_answer_with_its_key_and_409_without_and_changes_nothing(
    client, agent, admin
):
    target = client.create(title="Refund not received")
    sources = [client.create(title="Where is my refund?")["_id"] for _ in range(2)]
    key = f"merge-{time.time_ns()}"
    first = merge(agent, target["_id"], sources, key=key, comment="Same refund")
    assert first.status_code == 200, first.text
    after = state(admin, target["_id"], *sources)

    again = merge(agent, target["_id"], sources, key=key, comment="Same refund")
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert state(admin, target["_id"], *sources) == after

    # Another request under the same key is refused, even one that would succeed on its own.
    fresh = client.create(title="Refund, third time")["_id"]
    untouched = state(admin, fresh)
    reused = error(merge(agent, target["_id"], [fresh], key=key), 422, "VALIDATION_FAILED")
    assert [d["field"] for d in reused["details"]] == ["Idempotency-Key"]
    assert state(admin, target["_id"], *sources, fresh) == {**after, **untouched}

    # The key is the caller's own: under it, another caller's request is a request of its own.
    by_admin = merge(admin, target["_id"], [fresh], key=key)
    assert by_admin.status_code == 200, by_admin.text
    assert by_admin.json()["data"]["mergedFrom"] == [*sources, fresh]
    after = state(admin, target["_id"], *sources, fresh)

    # Without a key the same merge is a new request: its sources are closed now.
    error(merge(agent, target["_id"], sources, comment="Same refund"), 409, "CONFLICT")
    assert state(admin, target["_id"], *sources, fresh) == after


def test_merges_the_rules_refuse_answer_as_documented_and_change_nothing(client, other_client, agent, admin):
    target = client.create(title="Target")["_id"]
    live = client.create(title="A duplicate")["_id"]
    theirs = other_client.create(title="Another client's")["_id"]
    deleted = client.create(title="Deleted")["_id"]
    assert admin.request("DELETE", f"/{deleted}").status_code == 200
    finished = client.create(title="Closed")["_id"]
    closed(agent, finished)
    unknown = unknown_id()
    before = state(admin, target, live, theirs, deleted, finished)

    callers = {"client": client, "other_client": other_client, "agent": agent, "admin": admin}
    # (caller, target, body, status, code, the `details` fields of which one must be named)
    cases = [
        ("client", target, {"sources": [live]}, 403, "FORBIDDEN", None),
        ("other_client", target, {"sources": [live]}, 403, "FORBIDDEN", None),
        ("other_client", unknown, {"sources": [live]}, 403, "FORBIDDEN", None),
        ("agent", unknown, {"sources": [live]}, 404, "NOT_FOUND", None),
        ("agent", deleted, {"sources": [live]}, 404, "NOT_FOUND", None),
        ("admin", deleted, {"sources": [live]}, 409, "CONFLICT", None),
        ("agent", finished, {"sources": [live]}, 409, "CONFLICT", None),
        ("agent", target, {"sources": [live, finished]}, 409, "CONFLICT", None),
        ("agent", target, {"sources": [live, theirs]}, 409, "CONFLICT", None),
        ("agent", target, {"sources": []}, 422, "VALIDATION_FAILED", {"sources"}),
        ("agent", target, {"sources": [unknown_id() for _ in range(21)]}, 422, "VALIDATION_FAILED", {"sources"}),
        ("agent", target, {"sources": [live, live]}, 422, "VALIDATION_FAILED", {"sources", "sources[1]"}),
        ("agent", target, {"sources": [target]}, 422, "VALIDATION_FAILED", {"sources", "sources[0]"}),
        ("agent", target, {"sources": ["not-a-ticket"]}, 422, "VALIDATION_FAILED", {"sources", "sources[0]"}),
        ("agent", target, {"sources": [live], "comment": "x" * 2001}, 422, "VALIDATION_FAILED", {"comment"}),
        ("agent", target, {"sources": [live], "comment": "   "}, 422, "VALIDATION_FAILED", {"comment"}),
        ("agent", target, {"sources": [live], "comment": "ring \u0007"}, 422, "VALIDATION_FAILED", {"comment"}),
        ("agent", target, {"sources": [live], "priority": "high"}, 400, "INVALID_BODY", None),
        ("agent", target, {"sources": live}, 400, "INVALID_BODY", None),
    ]
    for name, ticket, body, status, code, fields in cases:
        response = callers[name].request("POST", f"/{ticket}/merge", json=body)
        answer = error(response, status, code)
        if fields:
            assert {d["field"] for d in answer["details"]} & fields, (name, body, answer)

    # A source that is missing, or deleted and the caller an agent, is "no such ticket"; an
    # admin is told that it is deleted.
    for caller, source, message in ((agent, unknown, "no such ticket"), (agent, deleted, "no such ticket"), (admin, deleted, "is deleted")):
        answer = error(merge(caller, target, [live, source]), 422, "VALIDATION_FAILED")
        assert {"field": "sources[1]", "message": message} in answer["details"], answer
    across = error(merge(agent, target, [theirs]), 409, "CONFLICT")
    assert across["error"].startswith("tickets of different clients cannot be merged")

    assert state(admin, target, live, theirs, deleted, finished) == before


def test_a_merged_ticket_takes_only_tag_changes_and_its_target_takes_more_merges(client, agent, admin):
    target = client.create(title="Cannot pay")["_id"]
    first, second = (client.create(title="Payment fails")["_id"] for _ in range(2))
    assert merge(agent, target, [first]).status_code == 200
    before = state(admin, first)[first]

    refused = [
        agent.request("PATCH", f"/{first}", json={"status": "open"}),
        agent.request("PATCH", f"/{first}", json={"priority": "low"}),
        agent.request("PATCH", f"/{first}", json={"tags": ["duplicate"], "assignedTo": "me"}),
        client.request("PATCH", f"/{first}", json={"title": "Payment fails again"}),
        client.request("POST", f"/{first}/threads", json={"message": "Any news?"}),
        agent.request("POST", f"/{first}/threads", json={"message": "Moved", "internal": True}),
        client.request("PUT", f"/{first}/satisfaction", json={"rating": "good"}),
        merge(agent, target, [first]),
        merge(agent, second, [first]),
        merge(agent, first, [second]),
    ]
    for response in refused:
        error(response, 409, "CONFLICT")
    assert state(admin, first)[first] == before
    assert state(admin, second)[second]["status"] == "open"

    tagged = agent.request("PATCH", f"/{first}", json={"tags": ["duplicate"]})
    assert tagged.status_code == 200, tagged.text
    ticket = tagged.json()["data"]
    assert (ticket["tags"], ticket["mergedInto"], ticket["status"]) == (["duplicate"], target, "closed")
    assert ticket["version"] == before["version"] + 1

    # The target goes on taking merges: `mergedFrom` keeps every one, in merge order.
    later = merge(admin, target, [second])
    assert later.status_code == 200, later.text
    assert later.json()["data"]["mergedFrom"] == [first, second]
    assert client.request("GET", f"/{second}").json()["data"]["mergedInto"] == target
