"""Satisfaction over HTTP: the ticket's client rates it once it is resolved, may change the
rating within the window, staff see it on the ticket and list tickets by rating, and history
and events record it."""

from .conftest import Api, eventually


def resolve(agent: Api, ticket_id: str) -> None:
    response = agent.request("PATCH", f"/{ticket_id}", json={"status": "resolved", "resolution": "Fixed"})
    assert response.status_code == 200, response.text


def test_a_client_rates_its_resolved_ticket_and_staff_list_exactly_the_rated(client, agent, ids):
    open_ticket = client.create(title="Still open")
    rated_good = client.create(title="Quickly fixed")
    rated_bad = client.create(title="Slowly fixed")
    unrated = client.create(title="Never rated")

    early = client.request("PUT", f"/{open_ticket['_id']}/satisfaction", json={"rating": "good"})
    assert early.status_code == 409, early.text

    for ticket in (rated_good, rated_bad, unrated):
        resolve(agent, ticket["_id"])
    good = client.request("PUT", f"/{rated_good['_id']}/satisfaction", json={"rating": "good", "comment": "Thanks!"})
    assert good.status_code == 200, good.text
    satisfaction = good.json()["data"]["satisfaction"]
    assert (satisfaction["rating"], satisfaction["comment"]) == ("good", "Thanks!")
    first = client.request("PUT", f"/{rated_bad['_id']}/satisfaction", json={"rating": "good"})
    assert first.status_code == 200, first.text
    changed = client.request("PUT", f"/{rated_bad['_id']}/satisfaction", json={"rating": "bad"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["data"]["satisfaction"]["firstRatedAt"] == first.json()["data"]["satisfaction"]["ratedAt"]

    # Staff see the rating on the ticket, and filter by it: exactly the rated tickets.
    seen = agent.request("GET", f"/{rated_good['_id']}")
    assert seen.json()["data"]["satisfaction"]["rating"] == "good"
    for rating, want in (("good", {rated_good["_id"]}), ("bad", {rated_bad["_id"]})):
        listed = agent.request("GET", params={"client": ids["client"], "satisfaction": rating, "limit": 100})
        assert listed.status_code == 200, listed.text
        assert {t["_id"] for t in listed.json()["data"]} == want
        assert listed.json()["pagination"]["total"] is None

    # The history records the rating, with who gave it.
    def rated_in_history():
        history = agent.request("GET", f"/{rated_good['_id']}/history").json()["data"]
        return [e for e in history if e["field"] == "satisfaction"]
    entries = eventually(rated_in_history)
    assert entries and entries[0]["by"] == ids["client"]
