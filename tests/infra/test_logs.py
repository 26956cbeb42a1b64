"""The functions' logs (what `cargo lambda watch` collected while the tests ran): structured
JSON with the request id, and never a token or a message body.

Runs after the end-to-end tests and the fuzzing (pytest collects tests/infra last)."""

import json
import os
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Texts the end-to-end tests send as ticket descriptions and thread messages.
BODIES = [
    "The selfie step fails every time",
    "It is INV-42",
    "Checking with billing",
    "Sent to support@",
    # The webhook tests' message and note (never in a delivery, never in a log line).
    "the secret word is pelican",
    "customer is on the legacy plan",
]


@pytest.fixture(scope="module")
def log_lines() -> list[str]:
    api_url = os.environ.get("API_URL")
    if not api_url:
        pytest.fail("API_URL is not set: run the tests through infra/test.sh")
    log = ROOT / ".local" / f"api-{urlparse(api_url).port}.log"
    return log.read_text(errors="replace").splitlines()


def function_records(lines: list[str]) -> list[dict]:
    records = []
    for line in lines:
        line = re.sub(r"\x1b\[[0-9;]*m", "", line).strip()
        if line.startswith("{"):
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return records


# What a user of Powertools for AWS Lambda looks for on every line.
KEYS = {"level", "message", "timestamp", "service"}
INVOCATION_KEYS = {"function_request_id", "cold_start", "function_name"}
# A JWT: three base64url parts, the first two JSON objects ("eyJ" is `{"`).
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.")


def test_functions_log_flat_json_with_the_powertools_keys(log_lines):
    records = [r for r in function_records(log_lines) if "level" in r]
    assert len(records) > 10, "the functions logged during the tests"
    for record in records:
        assert KEYS <= record.keys(), record
        assert record["service"] == "support-tickets", record
    in_invocations = [r for r in records if "function_request_id" in r]
    assert in_invocations, "records carry the invocation's request id"
    for record in in_invocations:
        assert INVOCATION_KEYS <= record.keys(), record
        assert isinstance(record["cold_start"], bool)
    functions = {r["function_name"] for r in in_invocations}
    cold = {r["function_name"] for r in in_invocations if r["cold_start"]}
    # Every function that logged in an invocation had one cold start, and warm ones after it.
    assert cold <= functions and any(not r["cold_start"] for r in in_invocations)


def test_no_token_or_message_body_reaches_the_logs(log_lines):
    text = "\n".join(log_lines)
    assert not JWT.search(text), "a bearer token was logged"
    assert "whsec_" not in text, "a webhook signing secret was logged"
    for body in BODIES:
        assert body not in text, f"a message body was logged: {body!r}"
