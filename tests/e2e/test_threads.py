"""The thread over HTTP: messages, internal notes, and the workflow they drive."""

from .conftest import Api


def messages(caller: Api, ticket_id: str, **params) -> list[dict]:
    response = caller.request("GET", f"/{ticket_id}/threads", params=params)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def post(caller: Api, ticket_id: str, text: str, **fields) -> dict:
    response = caller.request("POST", f"/{ticket_id}/threads", json={"message": text, **fields})
    assert response.status_code == 201, response.text
    return response.json()["data"]


def test_a_conversation_reads_back_in_order_and_clients_never_see_internal_notes(client, agent):
    ticket = client.create(description="My invoice is wrong")
    post(agent, ticket["_id"], "Checking with billing", internal=True)
    post(agent, ticket["_id"], "Could you send the invoice number?")
    post(client, ticket["_id"], "It is INV-42")

    staff_view = [m["message"] for m in messages(agent, ticket["_id"])]
    assert staff_view == [
        "My invoice is wrong",
        "Checking with billing",
        "Could you send the invoice number?",
        "It is INV-42",
    ]
    client_view = [m["message"] for m in messages(client, ticket["_id"])]
    assert "Checking with billing" not in client_view and len(client_view) == 3

    # Nor in the ticket, nor in list summaries, nor on any page.
    assert "Checking with billing" not in client.request("GET", f"/{ticket['_id']}").text
    assert "Checking with billing" not in client.request("GET").text
    page = client.request("GET", f"/{ticket['_id']}/threads", params={"limit": 1}).json()
    while page["pagination"]["nextCursor"]:
        assert all(not m["internal"] for m in page["data"])
        cursor = page["pagination"]["nextCursor"]
        page = client.request("GET", f"/{ticket['_id']}/threads", params={"limit": 1, "cursor": cursor}).json()


def test_messages_drive_the_workflow(client, agent):
    ticket = client.create()
    path = f"/{ticket['_id']}"
    reply = post(agent, ticket["_id"], "Try clearing your cookies")
    after_reply = client.request("GET", path).json()["data"]
    assert after_reply["firstResponseAt"] == reply["timestamp"]
    assert after_reply["version"] == 2

    resolved = agent.request("PATCH", path, json={"status": "resolved", "resolution": "Cookies cleared"})
    assert resolved.status_code == 200
    post(client, ticket["_id"], "Still broken")
    reopened = client.request("GET", path).json()["data"]
    assert reopened["status"] == "open" and reopened["resolvedAt"] is None
    assert reopened["firstResponseAt"] == reply["timestamp"]

    agent.request("PATCH", path, json={"status": "closed"})
    response = client.request("POST", f"{path}/threads", json={"message": "hello?"})
    assert response.status_code == 409 and response.json()["code"] == "CONFLICT"


def test_bad_messages_are_refused_and_write_nothing(client, agent):
    ticket = client.create()
    path = f"/{ticket['_id']}/threads"
    cases = [
        (client, {"message": ""}, 422, "VALIDATION_FAILED"),
        (client, {"message": "x" * (64 * 1024 + 1)}, 422, "VALIDATION_FAILED"),
        (client, {"message": 42}, 400, "INVALID_BODY"),
        (client, {"message": "hi", "internal": True}, 403, "FORBIDDEN"),
    ]
    for caller, body, status, code in cases:
        response = caller.request("POST", path, json=body)
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    assert len(messages(agent, ticket["_id"])) == 1
    assert client.request("GET", f"/{ticket['_id']}").json()["data"]["version"] == 1
