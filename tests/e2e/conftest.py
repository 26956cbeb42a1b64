"""End-to-end tests: real HTTP requests to the local API (`cargo lambda watch` routing to every
function, which store in the local DynamoDB). infra/test.sh starts both and sets API_URL."""

import base64
import json
import os
import time
import uuid

import pytest
import requests

BASE = "/v2/support-tickets"


def token(sub: str, role: str | None = None, **claims) -> str:
    """An unsigned local token, as LOCAL_AUTH=unverified-jwt accepts (never in AWS)."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    payload = {"sub": sub, **claims}
    if role is not None:
        payload["custom:role"] = role
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(payload)}.local"


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
def ids() -> dict:
    """Principal ids unique to one test, so tests never see each other's tickets."""
    run = uuid.uuid4().hex[:8]
    return {name: f"{name}-{run}" for name in ("client", "other", "agent", "admin")}


@pytest.fixture
def client(api_url, ids) -> Api:
    return Api(api_url, token(ids["client"], "client"))


@pytest.fixture
def other_client(api_url, ids) -> Api:
    return Api(api_url, token(ids["other"]))  # no role claim: a client


@pytest.fixture
def agent(api_url, ids) -> Api:
    return Api(api_url, token(ids["agent"], "agent"))


@pytest.fixture
def admin(api_url, ids) -> Api:
    return Api(api_url, token(ids["admin"], "admin"))


@pytest.fixture
def anonymous(api_url) -> Api:
    return Api(api_url, None)
