"""End-to-end tests: real HTTP requests to the local API (`cargo lambda watch` routing to every
function, which store in the local DynamoDB). infra/test.sh starts both and sets API_URL."""

import base64
import gzip
import hashlib
import hmac
import json
import os
import random
import sys
import time
import uuid
from functools import cache
from pathlib import Path

import moto
import pytest
import requests
from joserfc import jwk, jwt

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "infra"))
import bootstrap  # noqa: E402
import identity  # noqa: E402

BASE = "/v2/support-tickets"
# The names the local stack runs under (infra/test.sh: tickets-e2e; infra/fuzz.sh: tickets-fuzz).
PREFIX = os.environ.get("STACK_PREFIX", "tickets-e2e")


def moto_endpoint() -> str:
    endpoint = os.environ.get("MOTO_ENDPOINT")
    if not endpoint:
        pytest.fail("MOTO_ENDPOINT is not set: run the tests through infra/test.sh")
    return endpoint


@cache
def signed_in(user: str, role: str) -> tuple[str, str]:
    """(sub, ID token) of USER in ROLE, from the local user pool (created on first use). A
    token lasts an hour, longer than a test run."""
    endpoint = moto_endpoint()
    sub = identity.ensure_user(endpoint, PREFIX, user, role, f"{user}@example.com")
    return sub, identity.sign_in(endpoint, PREFIX, user)["IdToken"]


def token(user: str, role: str = "client") -> str:
    """A real ID token for USER in ROLE, as callers send it."""
    return signed_in(user, role)[1]


@cache
def pool_key() -> jwk.RSAKey:
    """The key every moto user pool signs with (it ships with moto): what a token of the right
    pool, forged with other claims, is signed by."""
    resources = Path(moto.__file__).parent / "cognitoidp" / "resources"
    key = json.loads(gzip.decompress((resources / "jwks-private.json.gz").read_bytes()))
    return jwk.RSAKey.import_key(key)


def forged(key: jwk.RSAKey | None = None, **changes) -> str:
    """A token shaped like the local pool's, with CHANGES to its claims, signed with KEY (default:
    the pool's own key). A claim set to None is left out."""
    now = int(time.time())
    claims = {**jwt.decode(token("forger", "client"), pool_key()).claims, "iat": now, "exp": now + 600}
    claims.update(changes)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode({"alg": "RS256", "kid": "dummy"}, claims, key or pool_key())


def unsubscribe_token(principal: str, key: str = bootstrap.MAIL_SIGNING_KEY) -> str:
    """The token of PRINCIPAL's unsubscribe link, signed as the functions sign it
    (`MailKey::unsubscribe_token`), by default with the local stacks' key: the principal and
    the first 16 bytes of an HMAC-SHA256 over `unsubscribe`, a NUL byte and the principal, each
    base64url without padding, joined by a dot."""

    def encode(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

    who = principal.encode("utf-8")
    mac = hmac.new(key.strip().encode("utf-8"), b"unsubscribe\0" + who, hashlib.sha256)
    return f"{encode(who)}.{encode(mac.digest()[:16])}"


class Ids(dict):
    """Principal names unique to one test, mapped to the caller ids (`sub`) the API knows them
    by; each user is created in the local pool on first use."""

    ROLES = {"client": "client", "other": "client", "agent": "agent", "admin": "admin"}

    def __init__(self):
        super().__init__()
        self.run = uuid.uuid4().hex[:8]

    def user(self, name: str) -> str:
        return f"{name}-{self.run}"

    def token(self, name: str) -> str:
        return token(self.user(name), self.ROLES[name])

    def __missing__(self, name: str) -> str:
        sub = signed_in(self.user(name), self.ROLES[name])[0]
        self[name] = sub
        return sub


class Api:
    """A caller of the local API with one identity (or none)."""

    def __init__(self, url: str, bearer: str | None):
        self.url = url
        self.session = requests.Session()
        if bearer:
            self.session.headers["Authorization"] = f"Bearer {bearer}"

    def request(self, method: str, path: str = "", **kwargs) -> requests.Response:
        return self.session.request(method, f"{self.url}{BASE}{path}", timeout=30, **kwargs)

    def create(self, **fields) -> dict:
        body = {
            "title": "Cannot log in",
            "description": "The login page shows an error.",
            "priority": "high",
            "category": "technical",
            **fields,
        }
        response = self.request("POST", json=body)
        assert response.status_code == 201, response.text
        return response.json()["data"]


def eventually(check, seconds: float = 30):
    """Polls `check` until it returns something truthy (the relay works in the background)."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


@pytest.fixture(scope="session")
def api_url() -> str:
    url = os.environ.get("API_URL")
    if not url:
        pytest.fail("API_URL is not set: run the tests through infra/test.sh")
    return url


@pytest.fixture
def ids() -> Ids:
    """Principals unique to one test, so tests never see each other's tickets."""
    return Ids()


@pytest.fixture
def client(api_url, ids) -> Api:
    return Api(api_url, ids.token("client"))


@pytest.fixture
def other_client(api_url, ids) -> Api:
    return Api(api_url, ids.token("other"))


@pytest.fixture
def agent(api_url, ids) -> Api:
    return Api(api_url, ids.token("agent"))


@pytest.fixture
def admin(api_url, ids) -> Api:
    return Api(api_url, ids.token("admin"))


@pytest.fixture
def anonymous(api_url) -> Api:
    return Api(api_url, None)


CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def unknown_id() -> str:
    """A well-formed ticket id that names no ticket."""
    return random.choice("01234567") + "".join(random.choice(CROCKFORD) for _ in range(25))


def error(response, status: int, code: str) -> dict:
    """The error envelope of `response`, which must have `status` and `code`."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    assert body["code"] == code, response.text
    return body


@pytest.fixture(scope="module")
def event_log():
    """The domain events the local bus delivered, as test_events.py reads them."""
    import boto3

    from .test_events import EventLog

    sqs = boto3.client(
        "sqs",
        endpoint_url=moto_endpoint(),
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return EventLog(sqs)

