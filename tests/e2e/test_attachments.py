"""Attachments end to end: declare, upload straight to the presigned URL, S3's event, download.

The S3 event is delivered as S3 sends it (the key URL-encoded) through the local Lambda invoke
API of `cargo lambda watch`."""

import json
from urllib.parse import parse_qs, quote_plus, urlparse

import requests

from .conftest import Api

BUCKET = "tickets-e2e-attachments"


def invoke(api_url: str, function: str, event: dict) -> requests.Response:
    url = f"{api_url}/2015-03-31/functions/{function}/invocations"
    return requests.post(url, data=json.dumps(event), timeout=60)


def s3_event(key: str, size: int) -> dict:
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": "us-east-1",
                "eventTime": "2026-11-24T10:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:EXAMPLE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {"x-amz-request-id": "EXAMPLE", "x-amz-id-2": "EXAMPLE"},
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "attachments",
                    "bucket": {"name": BUCKET, "ownerIdentity": {"principalId": "EXAMPLE"}, "arn": f"arn:aws:s3:::{BUCKET}"},
                    # S3 URL-encodes keys in events, spaces as "+".
                    "object": {"key": quote_plus(key, safe="/"), "size": size, "eTag": "x", "sequencer": "01"},
                }
            }
        ]
    }


def declare(caller: Api, ticket_id: str, filename: str, data: bytes, content_type: str) -> dict:
    body = {"filename": filename, "size": len(data), "type": content_type}
    response = caller.request("POST", f"/{ticket_id}/attachments", json=body)
    assert response.status_code == 201, response.text
    return response.json()["data"]


def upload(declared: dict, data: bytes, content_type: str | None = None) -> None:
    upload = declared["upload"]
    headers = dict(upload["headers"])
    if content_type:
        headers["content-type"] = content_type
    response = requests.request(upload["method"], upload["url"], data=data, headers=headers, timeout=30)
    assert response.status_code == 200, response.text


def attachment(caller: Api, ticket_id: str, attachment_id: str) -> dict:
    ticket = caller.request("GET", f"/{ticket_id}").json()["data"]
    return next(a for a in ticket["attachments"] if a["_id"] == attachment_id)


def key_of(declared: dict) -> str:
    return urlparse(declared["upload"]["url"]).path.split(f"/{BUCKET}/", 1)[1]


def test_upload_check_and_download_round_trip(api_url, client, agent):
    ticket = client.create()
    data = b"%PDF-1.4 pretend this is an invoice\n" * 100
    declared = declare(client, ticket["_id"], "Invoice March 2026 (final).pdf", data, "application/pdf")
    assert declared["status"] == "pending"
    assert declared["url"] == f"/v2/support-tickets/{ticket['_id']}/attachments/{declared['_id']}"
    pending = client.request("GET", declared["url"].removeprefix("/v2/support-tickets"), allow_redirects=False)
    assert pending.status_code == 409

    upload(declared, data)
    assert invoke(api_url, "on-attachment-uploaded", s3_event(key_of(declared), len(data))).status_code == 200
    stored = attachment(client, ticket["_id"], declared["_id"])
    assert (stored["status"], stored["size"]) == ("available", len(data))

    for caller in (client, agent):
        redirect = caller.request("GET", declared["url"].removeprefix("/v2/support-tickets"), allow_redirects=False)
        assert redirect.status_code == 302, redirect.text
        location = redirect.headers["Location"]
        query = parse_qs(urlparse(location).query)
        assert query["X-Amz-Expires"] == ["300"]
        assert query["response-content-disposition"][0].startswith("attachment;")
        download = requests.get(location, timeout=30)
        assert download.status_code == 200
        assert download.content == data


def test_an_upload_unlike_its_declaration_is_rejected_and_removed(api_url, client):
    ticket = client.create()
    declared = declare(client, ticket["_id"], "photo.png", b"12345", "image/png")
    bigger = b"1234567890"
    upload(declared, bigger)
    assert invoke(api_url, "on-attachment-uploaded", s3_event(key_of(declared), len(bigger))).status_code == 200
    assert attachment(client, ticket["_id"], declared["_id"])["status"] == "rejected"
    # The object is gone, and the API will not hand out a URL for it.
    gone = requests.get(declared["upload"]["url"].split("?")[0], timeout=30)
    assert gone.status_code == 404
    response = client.request("GET", declared["url"].removeprefix("/v2/support-tickets"), allow_redirects=False)
    assert response.status_code == 404


def test_oversized_or_disallowed_declarations_get_no_url(client):
    ticket = client.create()
    for body in (
        {"filename": "huge.zip", "size": 26 * 1024 * 1024, "type": "application/zip"},
        {"filename": "tool.exe", "size": 10, "type": "application/x-msdownload"},
    ):
        response = client.request("POST", f"/{ticket['_id']}/attachments", json=body)
        assert response.status_code == 422, response.text
        assert "upload" not in response.text


def test_another_client_can_neither_upload_nor_download(api_url, client, other_client):
    ticket = client.create()
    data = b"secret"
    declared = declare(client, ticket["_id"], "secret.txt", data, "text/plain")
    upload(declared, data)
    invoke(api_url, "on-attachment-uploaded", s3_event(key_of(declared), len(data)))
    body = {"filename": "x.txt", "size": 1, "type": "text/plain"}
    assert other_client.request("POST", f"/{ticket['_id']}/attachments", json=body).status_code == 404
    path = declared["url"].removeprefix("/v2/support-tickets")
    response = other_client.request("GET", path, allow_redirects=False)
    assert response.status_code == 404 and "Location" not in response.headers
    assert other_client.request("DELETE", path).status_code == 404


def test_deleting_an_attachment_removes_record_and_file(api_url, client):
    ticket = client.create()
    data = b"to be removed"
    declared = declare(client, ticket["_id"], "old.txt", data, "text/plain")
    upload(declared, data)
    invoke(api_url, "on-attachment-uploaded", s3_event(key_of(declared), len(data)))
    path = declared["url"].removeprefix("/v2/support-tickets")
    assert client.request("DELETE", path).status_code == 200
    assert all(a["_id"] != declared["_id"] for a in client.request("GET", f"/{ticket['_id']}").json()["data"]["attachments"])
    assert requests.get(declared["upload"]["url"].split("?")[0], timeout=30).status_code == 404


def test_an_external_link_outside_the_allow_list_is_named_not_redirected_and_http_is_refused(client):
    """The local stack lists no redirect host (the deployed default): an external link is
    answered 200 with its URL and no `Location`. A plain `http://` link is refused at creation."""
    ticket = client.create(
        attachments=[
            {"filename": "login.html", "url": "https://elsewhere.example/login", "size": 10, "type": "text/html"}
        ]
    )
    link = ticket["attachments"][0]
    assert (link["status"], link["url"]) == ("external", "https://elsewhere.example/login")
    answer = client.request("GET", f"/{ticket['_id']}/attachments/{link['_id']}", allow_redirects=False)
    assert answer.status_code == 200, answer.text
    assert "location" not in answer.headers
    assert answer.json()["data"]["url"] == "https://elsewhere.example/login"

    before = client.request("GET").json()["pagination"]["total"]
    for url in ("http://evil.example/login", "https://trusted.example@evil.example/login"):
        refused = client.request(
            "POST",
            json={
                "title": "Link",
                "description": "d",
                "priority": "low",
                "category": "general",
                "attachments": [{"filename": "a", "url": url, "size": 1, "type": "text/plain"}],
            },
        )
        assert refused.status_code == 422, refused.text
        assert refused.json()["details"][0]["field"] == "attachments[0].url"
    assert client.request("GET").json()["pagination"]["total"] == before


def test_a_browser_may_upload_to_the_presigned_url_from_another_origin(client):
    """The bucket answers a CORS preflight for the upload (as the template's rule allows)."""
    ticket = client.create()
    declared = client.request(
        "POST", f"/{ticket['_id']}/attachments", json={"filename": "a.txt", "size": 3, "type": "text/plain"}
    ).json()["data"]
    preflight = requests.options(
        declared["upload"]["url"],
        headers={
            "Origin": "https://desk.example.com",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=30,
    )
    assert preflight.status_code == 200, preflight.text
    assert preflight.headers.get("Access-Control-Allow-Origin") in ("*", "https://desk.example.com")
    assert "PUT" in preflight.headers.get("Access-Control-Allow-Methods", "")
