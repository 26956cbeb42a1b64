"""A client's export on the local stack: the client asks for its own (`me`), an admin for the
same client; each archive is downloaded through its link and read as any tar and gzip reader
reads it. The client's holds none of the internal notes and no history, the admin's holds both;
every uploaded file's bytes match the upload; nothing of another client is in either. Exports
are followed only by whoever asked (admins: all), and erasing the client removes them."""

import base64
import io
import json
import os
import tarfile

import requests

from .conftest import Api, error, eventually, unknown_id
from .test_attachments import declare, upload
from .test_lifecycle import BUCKET, aws, items_mentioning, objects_under, request_to  # noqa: F401

EXPORTS = "/v2/exports"


def start(caller: Api, client: str):
    return request_to(caller, "POST", f"/v2/clients/{client}/export")


def finished(caller: Api, job: str) -> dict:
    def done():
        shown = request_to(caller, "GET", f"{EXPORTS}/{job}").json()["data"]
        return shown if shown["status"] == "done" else None

    found = eventually(done, seconds=90)
    assert found, "the export did not finish"
    return found


def archive(done: dict) -> dict[str, bytes]:
    """The archive's files by path, downloaded through the job's link."""
    assert done["url"] and done["urlExpiresAt"] and done["archiveExpiresAt"]
    response = requests.get(done["url"], timeout=60)
    assert response.status_code == 200, response.text
    assert "attachment" in response.headers.get("content-disposition", "")
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as tar:
        return {member.name: tar.extractfile(member).read() for member in tar.getmembers() if member.isfile()}


def test_a_client_and_an_admin_export_what_each_may_see(aws, client, other_client, agent, admin, ids):  # noqa: F811
    subject = ids["client"]
    answer = f"export-answer {subject}: your refund is on its way"
    note = f"export-note {subject}: they asked twice, be patient"
    tickets = [client.create(title=f"Export me {n}") for n in range(3)]
    first = tickets[0]["_id"]
    assert agent.request("POST", f"/{first}/threads", json={"message": answer}).status_code == 201
    assert agent.request("POST", f"/{first}/threads", json={"message": note, "internal": True}).status_code == 201
    assert agent.request("PATCH", f"/{first}", json={"status": "in_progress"}).status_code == 200
    files = {"receipt.pdf": os.urandom(70_000), "photo.png": b"\x89PNG" + os.urandom(5_000)}
    for name, data in files.items():
        declared = declare(client, first, name, data, "application/pdf" if name.endswith("pdf") else "image/png")
        upload(declared, data)
    assert admin.request("DELETE", f"/{tickets[2]['_id']}").status_code == 200
    theirs = other_client.create(title="Someone else's export-secret")
    assert eventually(lambda: len(agent.request("GET", f"/{first}/history").json()["data"]) >= 2)
    assert eventually(
        lambda: all(
            a["status"] == "available" for a in client.request("GET", f"/{first}").json()["data"]["attachments"]
        )
    )

    # Who may start one.
    error(start(client, ids["other"]), 404, "NOT_FOUND")
    error(start(agent, subject), 403, "FORBIDDEN")
    anonymous = Api(client.url, None)
    assert start(anonymous, "me").status_code == 401

    mine = start(client, "me")
    assert mine.status_code == 202, mine.text
    job = mine.json()["data"]
    assert (job["status"], job["client"], job["requestedBy"]) == ("running", subject, subject)
    everyones = start(admin, subject)
    assert everyones.status_code == 202, everyones.text
    admin_job = everyones.json()["data"]

    # Who may follow one: the requester, and admins.
    error(request_to(other_client, "GET", f"{EXPORTS}/{job['_id']}"), 404, "NOT_FOUND")
    error(request_to(agent, "GET", f"{EXPORTS}/{job['_id']}"), 404, "NOT_FOUND")
    error(request_to(client, "GET", f"{EXPORTS}/{admin_job['_id']}"), 404, "NOT_FOUND")
    error(request_to(client, "GET", f"{EXPORTS}/{unknown_id()}"), 404, "NOT_FOUND")
    error(request_to(admin, "GET", f"{EXPORTS}/not-an-id"), 404, "NOT_FOUND")

    done = finished(client, job["_id"])
    assert done["exported"]["tickets"] == 2  # not the deleted one
    assert done["exported"]["attachments"] == 2
    own = archive(done)
    manifest = json.loads(own["export.json"])
    assert (manifest["client"], manifest["view"]) == (subject, "client")
    assert sorted(p for p in own if p.endswith("ticket.json")) == sorted(
        f"tickets/{t['_id']}/ticket.json" for t in tickets[:2]
    )
    document = json.loads(own[f"tickets/{first}/ticket.json"])
    assert "history" not in document and document["ticket"].get("sla") is None
    texts = [m["message"] for m in document["messages"]]
    assert answer in texts and note not in texts
    everything = b"".join(own.values())
    assert note.encode() not in everything
    assert theirs["_id"].encode() not in everything and b"export-secret" not in everything
    for attachment in document["attachments"]:
        assert own[attachment["file"]] == files[attachment["filename"]]

    staff = finished(admin, admin_job["_id"])
    assert staff["exported"]["tickets"] == 3  # the deleted one too
    full = archive(staff)
    assert json.loads(full["export.json"])["view"] == "staff"
    document = json.loads(full[f"tickets/{first}/ticket.json"])
    assert note in [m["message"] for m in document["messages"]]
    assert len(document["history"]) >= 2
    assert f"tickets/{tickets[2]['_id']}/ticket.json" in full
    for attachment in document["attachments"]:
        assert full[attachment["file"]] == files[attachment["filename"]]
    assert theirs["_id"].encode() not in b"".join(full.values())
    # An admin follows anyone's export.
    assert request_to(admin, "GET", f"{EXPORTS}/{job['_id']}").json()["data"]["status"] == "done"

    # Erasing the client takes its exports with it: jobs, notes and archives.
    prefix = "exports/" + base64.urlsafe_b64encode(subject.encode()).decode().rstrip("=") + "/"
    assert len([k for k in objects_under(aws, prefix) if k.endswith(".tar.gz")]) == 2
    erased = request_to(admin, "POST", f"/v2/clients/{subject}/erase").json()["data"]

    def erasure_done():
        shown = request_to(admin, "GET", f"/v2/erasures/{erased['_id']}").json()["data"]
        return shown if shown["status"] == "done" else None

    ended = eventually(erasure_done, seconds=60)
    assert ended and ended["removed"]["exports"] == 2
    assert objects_under(aws, prefix) == []
    error(request_to(admin, "GET", f"{EXPORTS}/{job['_id']}"), 404, "NOT_FOUND")
    assert eventually(lambda: not items_mentioning(aws, subject, note, answer)), items_mentioning(aws, subject)


def test_an_export_of_a_client_without_tickets_is_an_empty_archive(client):
    job = start(client, "me").json()["data"]
    done = finished(client, job["_id"])
    assert done["exported"]["tickets"] == 0
    assert list(archive(done)) == ["export.json"]
