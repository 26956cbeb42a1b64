"""Property-based fuzzing of the running local API against docs/openapi.yaml, with schemathesis.

Every operation of the spec is fuzzed as each role (client, agent, admin): schemathesis sends
the spec's examples, its boundary (coverage) cases and `FUZZ_EXAMPLES` random cases per
operation (default 25), valid and invalid ones, and every answer must be documented:

- no 5xx (`not_a_server_error`);
- a documented status (`status_code_conformance`), content type (`content_type_conformance`),
  body (`response_schema_conformance`) and headers (`response_headers_conformance`: `ETag` on
  ticket answers, `Location` and `Cache-Control` on the download's 302, `Retry-After` on 503s).

Routes with `{id}` are pointed at real tickets of the role (see `fuzz_tickets`), routes with
`{attachmentId}` at real attachments of the role's tickets (see `fuzz_attachments`), and the
webhook routes' `{id}` and `{deliveryId}` at the admin's real webhooks and a delivery in their
log (see `fuzz_webhooks`; an admin's `DELETE` at a webhook registered for it), except for
generated ids that are not ids at all and one case in eight, which keep their random id and so
test the 404 path.

`python -m pytest tests` (infra/test.sh) runs a short, bounded fuzz; `infra/fuzz.sh` runs a
long one (`FUZZ_EXAMPLES=500` unless set). The session ends with the figures per role.
"""

from __future__ import annotations

import os
import re
import zlib
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import STATS, TOKENS, WEBHOOKS, FuzzWebhooks

SPEC = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
ULID = re.compile(r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")


def real_pick(generated) -> int | None:
    """A number chosen from a generated id, so a failing case replays the same way; `None` for
    the values that keep their random id (not an id at all, or one case in eight)."""
    text = str(generated)
    pick = zlib.crc32(text.encode("utf-8", "surrogatepass"))
    return pick if ULID.match(text) and pick % 8 != 0 else None


def point_at_a_real_ticket(case, tickets: list[str], attachments: list[tuple[str, str]]) -> None:
    """Replaces a generated ticket id by one of the role's tickets and a generated attachment
    id by one of their attachments (with its ticket, when the ticket id is replaced too)."""
    generated = case.path_parameters.get("id")
    if generated is None:
        return
    pick = real_pick(generated)
    if "attachmentId" in case.path_parameters:
        attachment_pick = real_pick(case.path_parameters["attachmentId"])
        if attachment_pick is not None:
            ticket_id, attachment_id = attachments[attachment_pick % len(attachments)]
            case.path_parameters["attachmentId"] = attachment_id
            if pick is not None:
                case.path_parameters["id"] = ticket_id
            return
    if pick is not None:
        case.path_parameters["id"] = tickets[pick % len(tickets)]


def point_at_a_real_webhook(case, role: str, webhooks: FuzzWebhooks) -> None:
    """Replaces a generated webhook id by one of the seeded webhooks, and a generated delivery
    id by the delivery in that webhook's log. An admin's `DELETE` gets a webhook registered for
    it instead, so that the seeded ones stay for the other routes (the other roles get a 403
    whatever the id, and remove nothing)."""
    pick = real_pick(case.path_parameters["id"])
    if pick is None:
        return
    webhook_id, delivery_id = webhooks.pairs[pick % len(webhooks.pairs)]
    if case.method.upper() == "DELETE" and role == "admin":
        # None once the desk holds 50 webhooks: the random id stays, and answers 404.
        webhook_id = webhooks.throwaway() or case.path_parameters["id"]
    case.path_parameters["id"] = webhook_id
    generated = case.path_parameters.get("deliveryId")
    if generated is not None and real_pick(generated) is not None:
        case.path_parameters["deliveryId"] = delivery_id


def refused_by_local_router(response) -> bool:
    """Whether `cargo lambda watch` itself refused the request with its own 500, before any
    function ran, because it cannot put the request into an API Gateway event: a header value
    that is not visible ASCII, or a JSON-typed body that is not UTF-8. That is the local
    router's limit, not the API's: the functions answer a body that is not UTF-8 with 400
    `INVALID_BODY` (the create-ticket handler test shows it), and in AWS API Gateway stands in
    front. Only those exact cases are set aside and counted; every other answer is checked."""
    if response.status_code != 500 or b"httpstatuses.com/500" not in response.content:
        return False
    request = response.request
    odd_header = any(
        any(not (0x20 <= ord(char) <= 0x7E or char == "\t") for char in value)
        for value in request.headers.values()
        if isinstance(value, str)
    )
    body = request.body or b""
    odd_body = False
    if isinstance(body, bytes):
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            odd_body = True
    return odd_header or odd_body


def fuzz_test(role: str):
    schema = schemathesis.openapi.from_path(SPEC)
    schema.config.update(headers={"Authorization": f"Bearer {TOKENS[role]}"})

    @schema.parametrize()
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def test(case, api_url, fuzz_tickets, fuzz_attachments, fuzz_webhooks):
        if case.path.startswith(f"{WEBHOOKS}/"):
            point_at_a_real_webhook(case, role, fuzz_webhooks)
        else:
            point_at_a_real_ticket(case, fuzz_tickets[role], fuzz_attachments[role])
        stats = STATS[role]
        stats["examples"] += 1
        response = case.call(base_url=api_url, timeout=30)
        if refused_by_local_router(response):
            stats["set aside"] += 1
            return
        stats[response.status_code] += 1
        if response.status_code >= 500:
            stats["5xx"] += 1
        case.validate_response(response, checks=CHECKS)

    test.__name__ = f"test_fuzz_as_{role}"
    return test


test_fuzz_as_client = fuzz_test("client")
test_fuzz_as_agent = fuzz_test("agent")
test_fuzz_as_admin = fuzz_test("admin")
