"""Fixtures and the closing summary of the fuzz tests (see test_fuzz.py)."""

from __future__ import annotations

import os
import uuid
from collections import Counter, defaultdict

import pytest
import requests

from tests.e2e.conftest import BASE, token

ROLES = ("client", "agent", "admin")

# One run's principals, so the fuzzed tickets never mix with another run's.
RUN = uuid.uuid4().hex[:8]
SUBJECTS = {role: f"fuzz-{role}-{RUN}" for role in ROLES}
TOKENS = {role: token(SUBJECTS[role], role) for role in ROLES}

# How many tickets each role's `{id}` routes are pointed at.
TICKETS_PER_ROLE = 4

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
