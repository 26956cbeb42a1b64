"""What each caller sees of a ticket in each state, by every read route, on a first page and on a
page after a cursor that was issued before the ticket changed (a cursor never outlives access).

Ticket states: open, closed, soft-deleted. Callers: the owner, another client, an agent, an
admin. A ticket the caller may not see answers 404 with nothing of the ticket in the body (no
id, no message text); lists leave it out.
"""

import time
import uuid

import pytest

STATES = ["open", "closed", "deleted"]
CALLERS = ["client", "other_client", "agent", "admin"]
MESSAGES = 4  # public messages after the description, so a thread has several pages


def expected(state: str, caller: str) -> str:
    """'full' (staff view), 'public' (the owner's view), or 'hidden' (404)."""
    if caller == "other_client":
        return "hidden"
    if state == "deleted":
        return "full" if caller == "admin" else "hidden"
    return "public" if caller == "client" else "full"


@pytest.fixture
def ticket(client, agent):
    """A ticket with a public thread of several pages, an internal note, an attachment and
    several history entries; and the cursors its owner and an agent were given before any change."""
    marker = uuid.uuid4().hex
    created = client.create(
        title=f"Visibility {marker}",
        attachments=[{"filename": "a.png", "url": "https://files.example.com/a.png", "size": 10, "type": "image/png"}],
    )
    ticket_id = created["_id"]
    texts = [f"public {marker} {n}" for n in range(MESSAGES)]
    for text in texts:
        assert client.request("POST", f"/{ticket_id}/threads", json={"message": text}).status_code == 201
    note = f"internal {marker}"
    assert agent.request("POST", f"/{ticket_id}/threads", json={"message": note, "internal": True}).status_code == 201
    assert agent.request("PATCH", f"/{ticket_id}", json={"priority": "low"}).status_code == 200
    # The history is written from the stream: wait for at least two entries.
    for _ in range(100):
        history = agent.request("GET", f"/{ticket_id}/history?limit=1").json()
        if history.get("pagination", {}).get("nextCursor"):
            break
        time.sleep(0.2)
    else:
        pytest.fail("the history was not written")
    cursors = {
        "client": client.request("GET", f"/{ticket_id}/threads?limit=1").json()["pagination"]["nextCursor"],
        "staff": agent.request("GET", f"/{ticket_id}/threads?limit=1").json()["pagination"]["nextCursor"],
        "history": history["pagination"]["nextCursor"],
    }
    attachment = created["attachments"][0]["_id"]
    return {"id": ticket_id, "texts": texts, "note": note, "cursors": cursors, "attachment": attachment, "marker": marker}


def change_to(state: str, ticket: dict, agent, admin) -> None:
    ticket_id = ticket["id"]
    if state == "closed":
        for status in ("resolved", "closed"):
            body = {"status": status, **({"resolution": "Done."} if status == "resolved" else {})}
            assert agent.request("PATCH", f"/{ticket_id}", json=body).status_code == 200
    elif state == "deleted":
        assert admin.request("DELETE", f"/{ticket_id}").status_code in (200, 204)


def assert_hidden(response, ticket: dict) -> None:
    assert response.status_code == 404, response.text
    body = response.text
    assert ticket["id"] not in body and ticket["marker"] not in body
    assert response.json()["success"] is False


@pytest.mark.parametrize("state", STATES)
def test_every_read_route_answers_each_caller_by_the_tickets_state_now(state, ticket, request, client, agent, admin):
    change_to(state, ticket, agent, admin)
    ticket_id = ticket["id"]
    for name in CALLERS:
        caller = request.getfixturevalue(name)
        want = expected(state, name)
        cursor = ticket["cursors"]["client" if name in ("client", "other_client") else "staff"]
        routes = {
            "ticket": caller.request("GET", f"/{ticket_id}"),
            "thread": caller.request("GET", f"/{ticket_id}/threads?limit=1"),
            "thread after a cursor": caller.request("GET", f"/{ticket_id}/threads?limit=50&cursor={cursor}"),
            "history": caller.request("GET", f"/{ticket_id}/history?limit=1"),
            "history after a cursor": caller.request(
                "GET", f"/{ticket_id}/history?limit=50&cursor={ticket['cursors']['history']}"
            ),
            "attachment": caller.request("GET", f"/{ticket_id}/attachments/{ticket['attachment']}", allow_redirects=False),
        }
        for route, response in routes.items():
            where = f"{state} ticket, {name}, {route}"
            if want == "hidden":
                assert_hidden(response, ticket)
                continue
            if route.startswith("history") and want == "public":
                assert response.status_code == 403, where
                assert ticket["marker"] not in response.text, where
                continue
            if route == "attachment":
                # A soft-deleted ticket's files are hidden from admins too.
                if state == "deleted":
                    assert_hidden(response, ticket)
                else:
                    assert response.status_code in (200, 302), where
                continue
            assert response.status_code == 200, f"{where}: {response.text}"
            if route == "thread after a cursor":
                texts = [m["message"] for m in response.json()["data"]]
                assert texts[-len(ticket["texts"]) :] == ticket["texts"] or set(ticket["texts"]) <= set(texts), where
                assert (ticket["note"] in texts) == (want == "full"), where
            if route == "ticket":
                body = response.json()["data"]
                assert body["_id"] == ticket_id, where
                assert (ticket["note"] in response.text) == (want == "full"), where


@pytest.mark.parametrize("state", STATES)
def test_lists_show_a_ticket_to_those_who_may_see_it_after_a_cursor_too(state, ticket, request, client, agent, admin, ids):
    # A cursor into the owner's list, issued before the change, that the ticket is right after.
    older = client.create(title="older")
    first = client.request("GET", "?limit=1")
    change_to(state, ticket, agent, admin)
    for name in CALLERS:
        caller = request.getfixturevalue(name)
        listed = caller.request("GET", f"?limit=100&client={ids['client']}")
        if name == "other_client":
            assert listed.status_code == 403
            assert ticket["marker"] not in listed.text
            continue
        assert listed.status_code == 200, listed.text
        listed_ids = [t["_id"] for t in listed.json()["data"]]
        # Lists never show a soft-deleted ticket, to anyone.
        assert (ticket["id"] in listed_ids) == (state != "deleted"), f"{state}, {name}"
        assert older["_id"] in listed_ids
    cursor = first.json()["pagination"].get("nextCursor")
    if cursor:
        rest = client.request("GET", f"?limit=100&cursor={cursor}")
        assert rest.status_code == 200
        assert (ticket["id"] in [t["_id"] for t in rest.json()["data"]]) == (state != "deleted")
