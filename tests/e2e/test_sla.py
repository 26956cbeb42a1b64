"""Service levels over HTTP: an admin writes the desk's policies, tickets carry their clocks
(staff only), the service-level job records a warning and a breach once each, in the history
and on the bus, without moving the ticket's version, and agents list the queue by standing and
by due time. A bad document is refused field by field and changes nothing.

The policies are one document for the whole desk. The policy here measures only tickets tagged
with this run's own tag, so that no other test's tickets are measured, and the document found
before is put back at the end. The local relay runs the job every 15 s (`SLA_CHECK_SECONDS`),
so the one-minute targets warn and breach within the test's wait."""

import time
import uuid
from datetime import datetime, timedelta

import pytest
import requests

from .conftest import Api, error, signed_in
from .test_events import EventLog

POLICIES = "/v2/sla-policies"
# What the stored answer adds to the document.
STORED = ("version", "updatedAt", "updatedBy")
WARNING, BREACHED = "SupportTicket.SlaWarning", "SupportTicket.SlaBreached"

RUN = uuid.uuid4().hex[:8]
TAG = f"sla-e2e-{RUN}"

# Calendar targets in minutes, for this run's tickets only: urgent ones must be answered within
# a minute (warned at 48 s, 80 %) and resolved within two; high ones answered within two;
# medium ones have targets long enough to follow a conversation without the clock moving.
FAST = {
    "policies": [
        {
            "name": "Fast",
            "match": {"tags": [TAG]},
            "targets": {
                "urgent": {"firstResponse": 1, "resolution": 2},
                "high": {"firstResponse": 2},
                "medium": {"firstResponse": 60, "nextResponse": 60, "resolution": 240},
            },
        }
    ]
}

# Monday to Friday, 09:00 to 18:00 in Madrid.
OFFICE = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def policies(caller: Api, method: str = "GET", **kwargs) -> requests.Response:
    """`/v2/sla-policies`, beside the tickets' base path."""
    return caller.session.request(method, f"{caller.url}{POLICIES}", timeout=30, **kwargs)


def document(stored: dict) -> dict:
    """The document of a stored answer: what a `PUT` writes back."""
    return {name: value for name, value in stored.items() if name not in STORED}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def read(caller: Api, ticket_id: str) -> requests.Response:
    response = caller.request("GET", f"/{ticket_id}")
    assert response.status_code == 200, response.text
    return response


def history(agent: Api, ticket_id: str) -> list[dict]:
    response = agent.request("GET", f"/{ticket_id}/history", params={"limit": 100})
    assert response.status_code == 200, response.text
    return response.json()["data"]


def listed(caller: Api, params: dict) -> list[dict]:
    """Every ticket a list holds, page after page by cursor."""
    found, cursor = [], None
    while True:
        page = caller.request("GET", params={**params, "limit": 100, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        assert body["pagination"]["total"] is None and body["pagination"]["pages"] is None, body["pagination"]
        found += body["data"]
        cursor = body["pagination"]["nextCursor"]
        if not cursor:
            return found


def moments(event_log: EventLog, ticket_id: str, target: str) -> dict[tuple[str, str], dict]:
    """The warnings and breaches of one clock the bus delivered, by detail type and
    `dedupeKey` (a redelivery counted once), with their detail."""
    event_log.of(ticket_id)
    found = {}
    for event in event_log.events:
        detail = event["detail"]
        if event["detail-type"] in (WARNING, BREACHED) and (detail["ticketId"], detail["target"]) == (ticket_id, target):
            found.setdefault((event["detail-type"], detail["dedupeKey"]), detail)
    return found


def waited(check, until: float):
    """Polls `check` until it returns something truthy or the wall clock passes `until` (a
    time.time()): the job runs every 15 s, so there is no point in asking more than once a
    second."""
    while True:
        result = check()
        if result or time.time() > until:
            return result
        time.sleep(1)


@pytest.fixture(scope="module")
def desk_admin(api_url) -> tuple[str, Api]:
    """An admin of this module, and its id."""
    sub, bearer = signed_in(f"sla-admin-{RUN}", "admin")
    return sub, Api(api_url, bearer)


@pytest.fixture(scope="module")
def fast(desk_admin) -> dict:
    """FAST in force for the module's tests; the document found before is put back at the end."""
    sub, admin = desk_admin
    before = policies(admin)
    assert before.status_code == 200, before.text
    put = policies(admin, "PUT", json=FAST)
    assert put.status_code == 200, put.text
    stored = put.json()["data"]
    assert document(stored) == FAST and stored["updatedBy"] == sub
    assert put.headers["ETag"] == f'"{stored["version"]}"'
    yield stored
    restored = policies(admin, "PUT", json=document(before.json()["data"]))
    assert restored.status_code == 200, restored.text


def test_time_alone_warns_and_breaches_once_without_moving_the_version(fast, client, agent, ids, event_log):
    left = client.create(title="Nobody answers", priority="urgent", tags=[TAG])
    answered = client.create(title="Answered at once", priority="urgent", tags=[TAG])
    reply = agent.request("POST", f"/{answered['_id']}/threads", json={"message": "Looking into it."})
    assert reply.status_code == 201, reply.text

    # Read before the job did anything: the version an agent would send in If-Match.
    first_read = read(agent, left["_id"])
    assert first_read.headers["ETag"] == '"1"'
    before = first_read.json()["data"]
    sla = before["sla"]
    created = at(before["createdAt"])
    assert (sla["policy"], sla["nextResponse"]) == ("Fast", None)
    first = sla["firstResponse"]
    assert first["status"] == "active", first
    assert at(first["dueAt"]) == created + timedelta(minutes=1)
    assert at(first["warnAt"]) == created + timedelta(seconds=48)
    assert (first["runningSince"], first["breachedAt"], first["countedSeconds"]) == (before["createdAt"], None, 0)
    assert at(sla["resolution"]["dueAt"]) == created + timedelta(minutes=2)

    # Answered at once: met for good, nothing running, and the first response set.
    met = read(agent, answered["_id"]).json()["data"]
    assert met["firstResponseAt"] is not None and met["version"] == 2
    clock = met["sla"]["firstResponse"]
    assert (clock["status"], clock["breachedAt"], clock["runningSince"], clock["warnedAt"]) == ("met", None, None, None)
    assert clock["countedSeconds"] < 60

    # Time alone: one warning and one breach of the first response, each on the bus and in the
    # history, within two minutes of the due time.
    due = first["dueAt"]
    key = f"{left['_id']}/firstResponse/{due}"

    def recorded():
        events = moments(event_log, left["_id"], "firstResponse")
        entries = [e for e in history(agent, left["_id"]) if e["field"] == "sla.firstResponse"]
        return (events, entries) if len(events) >= 2 and len(entries) >= 2 else None

    deadline = at(due).timestamp() + 90
    found = waited(recorded, until=deadline)
    assert found, "no warning and breach within 90 s of the due time: is the relay running check-sla?"
    events, entries = found
    assert set(events) == {(WARNING, key), (BREACHED, key)}, events
    for (kind, _), detail in events.items():
        assert (detail["ticketId"], detail["client"], detail["version"], detail["status"]) == (
            left["_id"], ids["client"], 1, "open",
        )
        assert (detail["target"], detail["policy"], detail["dueAt"]) == ("firstResponse", "Fast", due)
        assert (detail["by"], detail["at"]) == ("system", first["warnAt"] if kind == WARNING else due)
    assert [(e["version"], e["old"], e["new"], e["by"], e["at"]) for e in entries] == [
        (1, "active", "at_risk", "system", first["warnAt"]),
        (1, "at_risk", "breached", "system", due),
    ]

    # The job wrote the clocks and nothing else: same version, same last change.
    now = read(agent, left["_id"])
    assert now.headers["ETag"] == '"1"'
    after = now.json()["data"]
    assert (after["version"], after["updatedAt"], after["changedBy"]) == (
        before["version"], before["updatedAt"], before["changedBy"],
    )
    breached = after["sla"]["firstResponse"]
    assert (breached["status"], breached["breachedAt"], breached["dueAt"]) == ("breached", due, due)

    # The agents' queue shows it among the breached.
    assert left["_id"] in [t["_id"] for t in listed(agent, {"sla": "breached", "client": ids["client"]})]

    # The answered ticket's resolution warns 96 s after its creation: once that is on the bus,
    # the job has looked at it after its first response would have been due, and found nothing.
    resolution_warned = waited(
        lambda: (WARNING, f"{answered['_id']}/resolution/{met['sla']['resolution']['dueAt']}")
        in moments(event_log, answered["_id"], "resolution"),
        until=at(met["createdAt"]).timestamp() + 150,
    )
    assert resolution_warned, "the answered ticket's resolution did not warn: is check-sla running?"
    assert moments(event_log, answered["_id"], "firstResponse") == {}
    assert [e for e in history(agent, answered["_id"]) if e["field"] == "sla.firstResponse"] == []
    assert read(agent, answered["_id"]).json()["data"]["sla"]["firstResponse"] == clock
    # Still exactly one warning and one breach of the left ticket's first response.
    assert set(moments(event_log, left["_id"], "firstResponse")) == {(WARNING, key), (BREACHED, key)}
    assert len([e for e in history(agent, left["_id"]) if e["field"] == "sla.firstResponse"]) == 2

    # An agent's change under the version read before the job recorded anything still holds.
    assigned = agent.request("PATCH", f"/{left['_id']}", json={"assignedTo": "me"}, headers={"If-Match": '"1"'})
    assert assigned.status_code == 200, assigned.text
    assert assigned.headers["ETag"] == '"2"'
    assert assigned.json()["data"]["sla"]["firstResponse"]["status"] == "breached"


def test_the_queue_lists_the_running_clocks_soonest_due_first(fast, client, agent, ids):
    urgent = client.create(title="Due in a minute", priority="urgent", tags=[TAG])
    high = client.create(title="Due in two minutes", priority="high", tags=[TAG])
    unmeasured = client.create(title="No policy for this one", priority="urgent")
    mine = {"client": ids["client"]}

    staff_view = {t["_id"]: t for t in listed(agent, {**mine, "sort": "slaDueAt"})}
    assert list(staff_view) == [urgent["_id"], high["_id"]]
    assert unmeasured["_id"] not in staff_view
    assert read(agent, unmeasured["_id"]).json()["data"]["sla"] is None
    dues = [
        min(c["dueAt"] for c in (t["sla"]["firstResponse"], t["sla"]["resolution"]) if c and c["runningSince"])
        for t in staff_view.values()
    ]
    assert dues == sorted(dues) and dues[0] < dues[1]
    assert [t["_id"] for t in listed(agent, {**mine, "sort": "-slaDueAt"})] == [high["_id"], urgent["_id"]]

    # Just created, both stand `active`: `sla` alone sorts by due time too, and combines with
    # other filters.
    assert [t["_id"] for t in listed(agent, {**mine, "sla": "active"})] == [urgent["_id"], high["_id"]]
    assert [t["_id"] for t in listed(agent, {**mine, "sla": "active", "priority": "high"})] == [high["_id"]]
    assert [t["_id"] for t in listed(agent, {**mine, "sla": "active", "sort": "-slaDueAt"})] == [high["_id"], urgent["_id"]]
    assert listed(agent, {**mine, "sla": "breached"}) == []

    # A standing with another order, and a status that is not a standing, are bad queries.
    body = error(agent.request("GET", params={"sla": "breached", "sort": "createdAt"}), 400, "INVALID_PARAMETERS")
    assert "sort" in {d["field"] for d in body["details"]}, body
    body = error(agent.request("GET", params={"sla": "paused"}), 400, "INVALID_PARAMETERS")
    assert "sla" in {d["field"] for d in body["details"]}, body


def test_the_clocks_follow_the_conversation_and_the_workflow(fast, client, agent):
    ticket = client.create(title="Slow but measured", priority="medium", tags=[TAG])
    path = f"/{ticket['_id']}"

    def clocks():
        now = read(agent, ticket["_id"]).json()["data"]
        return now["version"], now["sla"]

    def say(caller: Api, message: str, **fields):
        response = caller.request("POST", f"{path}/threads", json={"message": message, **fields})
        assert response.status_code == 201, response.text
        return response.json()["data"]

    version, sla = clocks()
    assert version == 1 and sla["nextResponse"] is None
    assert (sla["firstResponse"]["status"], sla["resolution"]["status"]) == ("active", "active")

    say(agent, "We are on it.")
    version, sla = clocks()
    assert (version, sla["firstResponse"]["status"], sla["nextResponse"]) == (2, "met", None)

    # A client message after the first answer starts the wait for the next one (a change of
    # the ticket: the version moves); a second message while it waits changes nothing, nor
    # does an internal note.
    asked = say(client, "Any news?")
    version, sla = clocks()
    waiting = sla["nextResponse"]
    assert (version, waiting["status"], waiting["runningSince"]) == (3, "active", asked["timestamp"])
    assert at(waiting["dueAt"]) == at(asked["timestamp"]) + timedelta(minutes=60)
    say(client, "Hello?")
    say(agent, "Customer is impatient", internal=True)
    assert clocks() == (3, sla)

    say(agent, "Here is the news.")
    version, sla = clocks()
    assert (version, sla["nextResponse"]["status"], sla["nextResponse"]["runningSince"]) == (4, "met", None)

    # Pending pauses the resolution clock; back in progress, it runs on with what it counted.
    assert agent.request("PATCH", path, json={"status": "pending"}).status_code == 200
    _, sla = clocks()
    paused = sla["resolution"]
    assert (paused["status"], paused["dueAt"], paused["warnAt"], paused["runningSince"]) == ("paused", None, None, None)
    assert agent.request("PATCH", path, json={"status": "in_progress"}).status_code == 200
    _, sla = clocks()
    resumed = sla["resolution"]
    assert resumed["status"] == "active" and resumed["countedSeconds"] == paused["countedSeconds"]
    assert at(resumed["dueAt"]) == at(resumed["runningSince"]) + timedelta(minutes=240, seconds=-paused["countedSeconds"])

    # Resolved: every clock stopped in time, and the ticket leaves the queue.
    resolve = {"status": "resolved", "resolution": "Explained."}
    assert agent.request("PATCH", path, json=resolve).status_code == 200
    _, sla = clocks()
    assert [sla[c]["status"] for c in ("firstResponse", "nextResponse", "resolution")] == ["met"] * 3
    assert ticket["_id"] not in [t["_id"] for t in listed(agent, {"client": ticket["client"], "sort": "slaDueAt"})]


def test_clients_see_no_service_levels(fast, client, agent):
    created = client.request(
        "POST",
        json={"title": "Measured", "description": "But not for me to see.", "priority": "urgent",
              "category": "technical", "tags": [TAG]},
    )
    assert created.status_code == 201, created.text
    ticket = created.json()["data"]
    assert ticket["sla"] is None
    assert read(agent, ticket["_id"]).json()["data"]["sla"]["policy"] == "Fast"

    assert read(client, ticket["_id"]).json()["data"]["sla"] is None
    patched = client.request("PATCH", f"/{ticket['_id']}", json={"title": "Measured, still"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["sla"] is None
    own = client.request("GET", params={"limit": 100}).json()["data"]
    assert ticket["_id"] in [t["_id"] for t in own] and all(t["sla"] is None for t in own)

    body = error(client.request("GET", params={"sla": "breached"}), 403, "FORBIDDEN")
    assert "sla" in {d["field"] for d in body["details"]}, body
    error(client.request("GET", params={"sort": "slaDueAt"}), 403, "FORBIDDEN")
    error(policies(client), 403, "FORBIDDEN")
    error(policies(client, "PUT", json=FAST), 403, "FORBIDDEN")


# (document, the `details` fields the 422 names)
REFUSED = {
    "an unknown time zone": (
        {"schedule": {"timeZone": "Mars/Olympus", "hours": OFFICE}},
        ["schedule.timeZone"],
    ),
    "overlapping intervals": (
        {"schedule": {"timeZone": "Europe/Madrid", "hours": {"mon": [["09:00", "13:00"], ["12:00", "18:00"]]}}},
        ["schedule.hours.mon[1]"],
    ),
    "an inverted interval (a night shift in one)": (
        {"schedule": {"timeZone": "Europe/Madrid", "hours": {"mon": [["22:00", "06:00"]], "tue": [["09:00", "18:00"]]}}},
        ["schedule.hours.mon[0]"],
    ),
    "a week that never opens": (
        {"schedule": {"timeZone": "UTC", "hours": {"sat": []}}},
        ["schedule.hours"],
    ),
    "negative minutes": (
        {"policies": [{"name": "Slow", "targets": {"low": {"resolution": -5}}}]},
        ["policies[0].targets.low.resolution"],
    ),
    "an unknown priority": (
        {"policies": [{"name": "Slow", "targets": {"critical": {"resolution": 60}}}]},
        ["policies[0].targets.critical"],
    ),
    "business hours without a schedule": (
        {"policies": [{"name": "Office", "businessHours": True, "targets": {"low": {"resolution": 60}}}]},
        ["policies[0].businessHours"],
    ),
    "every schedule rule at once": (
        {
            "schedule": {
                "timeZone": "Mars/Olympus",
                "hours": {
                    "mon": [["22:00", "06:00"]],
                    "fun": [["09:00", "18:00"]],
                    "tue": [["09:00", "24:30"], ["9:00", "10:00"]],
                    "wed": [["09:00"]],
                    "thu": [["08:00", "12:00"], ["11:00", "13:00"], ["13:00", "14:00"]],
                },
                "holidays": ["2026-12-25", "25/12/2026"],
            }
        },
        [
            "schedule.timeZone",
            "schedule.hours.fun",
            "schedule.hours.mon[0]",
            "schedule.hours.thu[1]",
            "schedule.hours.tue[0]",
            "schedule.hours.tue[1]",
            "schedule.hours.wed[0]",
            "schedule.holidays[1]",
        ],
    ),
    "every policy rule at once": (
        {
            "warnAtPercent": 100,
            "policies": [
                {"name": "Gold", "businessHours": True,
                 "targets": {"urgent": {"firstResponse": 0, "resolution": 525601}}},
                {"name": " Gold ", "targets": {"high": {"firstResponse": 60}}},
                {"name": "", "match": {"tags": [" "], "category": ["hardware"], "priority": ["critical"]},
                 "targets": {}},
                {"name": "Silver"},
            ],
        },
        [
            "warnAtPercent",
            "policies[0].targets.urgent.firstResponse",
            "policies[0].targets.urgent.resolution",
            "policies[0].businessHours",
            "policies[1].name",
            "policies[2].name",
            "policies[2].match.tags[0]",
            "policies[2].match.category[0]",
            "policies[2].match.priority[0]",
            "policies[2].targets",
            "policies[3].targets",
        ],
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_a_document_that_breaks_the_rules_is_refused_field_by_field_and_stores_nothing(case, admin):
    body, fields = REFUSED[case]
    before = policies(admin).json()["data"]
    answer = error(policies(admin, "PUT", json=body), 422, "VALIDATION_FAILED")
    assert sorted(d["field"] for d in answer["details"]) == sorted(fields), answer["details"]
    assert policies(admin).json()["data"] == before


def test_a_stale_or_malformed_document_or_the_wrong_caller_is_refused_and_stores_nothing(admin, agent):
    first = policies(admin)
    assert first.status_code == 200, first.text
    stored = first.json()["data"]
    assert first.headers["ETag"] == f'"{stored["version"]}"'
    assert set(stored) >= set(STORED)
    current = document(stored)

    refused = [
        (policies(admin, "PUT", json={**current, "colour": "red"}), 400, "INVALID_BODY"),
        (policies(admin, "PUT", json={"policies": [{"name": "X", "targets": {"low": {"firstReply": 5}}}]}), 400, "INVALID_BODY"),
        (policies(admin, "PUT", json={"warnAtPercent": "80"}), 400, "INVALID_BODY"),
        (policies(admin, "PUT", json=current, headers={"If-Match": "latest"}), 400, "INVALID_PARAMETERS"),
        (policies(agent, "PUT", json=current), 403, "FORBIDDEN"),
    ]
    for response, status, code in refused:
        error(response, status, code)
    assert policies(admin).json()["data"] == stored

    # Writing the same document under the version read succeeds and moves the version; the
    # version read is stale from then on.
    version = stored["version"]
    again = policies(admin, "PUT", json=current, headers={"If-Match": f'"{version}"'})
    assert again.status_code == 200, again.text
    written = again.json()["data"]
    assert (document(written), written["version"]) == (current, version + 1)
    assert again.headers["ETag"] == f'"{version + 1}"'
    assert policies(agent).json()["data"] == written
    error(policies(admin, "PUT", json=current, headers={"If-Match": f'"{version}"'}), 412, "PRECONDITION_FAILED")
    assert policies(admin).json()["data"] == written
