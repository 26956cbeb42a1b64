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
BODIES = ["The selfie step fails every time", "It is INV-42", "Checking with billing", "Sent to support@"]


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


def test_functions_log_structured_json_with_the_request_id(log_lines):
    records = function_records(log_lines)
    assert len(records) > 10, "the functions logged during the tests"
    with_request = [r for r in records if "requestId" in json.dumps(r)]
    assert with_request, "records carry the invocation's request id"


def test_no_token_or_message_body_reaches_the_logs(log_lines):
    text = "\n".join(log_lines)
    assert "eyJhbGciOi" not in text, "a bearer token was logged"
    for body in BODIES:
        assert body not in text, f"a message body was logged: {body!r}"
