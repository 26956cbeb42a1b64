"""E-mail in and out on the local stack: a message to the desk opens a ticket (its attachment
stored), the agent's answer reaches the customer with the ticket's reply address, replies land
in the same thread (by `In-Reply-To`, and by the reply address alone), an internal note reaches
nobody, the unsubscribe link stops the notices after its confirmation, and a redelivered S3
event or domain event changes nothing twice.

Mail goes in as SES receiving would put it (infra/mail.py `deliver`); what the desk sent is read
back from the local SES (infra/mail.py `sent`)."""

import email.policy
import json
import re
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import boto3
import pytest
import requests

from .conftest import PREFIX, Api, eventually, moto_endpoint

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "infra"))
import identity  # noqa: E402
import mail  # noqa: E402

DESK = "support@desk.example"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"


def deliver(message: EmailMessage, **verdicts) -> str:
    # Long ids stay on one line (Python would otherwise fold them into encoded words).
    raw = message.as_bytes(policy=email.policy.SMTP.clone(max_line_length=998))
    return mail.deliver(moto_endpoint(), PREFIX, raw, **verdicts)


def mails_to(address: str) -> list[dict]:
    """What the desk sent to ADDRESS, oldest first."""
    sent = (mail.summary(record) for record in mail.sent_messages(moto_endpoint()))
    return [m for m in sent if address in [to.lower() for to in m["to"]]]


def header(message: dict, name: str) -> str | None:
    return next((value for key, value in message["headers"] if key.lower() == name.lower()), None)


def new_mail(sender: str, subject: str, text: str, **headers) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Erin <{sender}>"
    message["To"] = headers.pop("to", DESK)
    message["Subject"] = subject
    message["Message-ID"] = f"<{time.time_ns()}@customer.example>"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message


@pytest.fixture
def erin(ids) -> str:
    return f"erin-{ids.run}@customer.example"


def wait_for_mail(address: str, count: int, seconds: float = 45) -> list[dict]:
    found = eventually(lambda: len(mails_to(address)) >= count and mails_to(address), seconds)
    assert found, f"{address} got {len(mails_to(address))} e-mails, expected {count}"
    return found


def test_the_e_mail_loop(agent, erin, ids):
    # A new address writes in, with a file: a ticket opens, and its receipt goes back.
    first = new_mail(erin, f"Printer on fire {ids.run}", "It smokes since this morning.\n\nErin")
    first.add_attachment(PDF, maintype="application", subtype="pdf", filename="photo.pdf")
    deliver(first)
    [receipt] = wait_for_mail(erin, 1)
    reference = re.search(r"\[#(\w+)\]", receipt["subject"]).group(1)
    assert "Received" in receipt["subject"]
    reply_to = header(receipt, "Reply-To")
    assert re.fullmatch(r"support\+[a-z0-9]{42}@desk\.example", reply_to), reply_to
    assert header(receipt, "Auto-Submitted") == "auto-generated"

    ticket = agent.request("GET", f"/{reference}").json()["data"]
    assert ticket["title"] == f"Printer on fire {ids.run}"
    assert ticket["client"].startswith("mail:")
    assert ticket["category"] == "general" and ticket["priority"] == "medium"
    assert "It smokes since this morning." in ticket["description"]
    [attachment] = ticket["attachments"]
    assert (attachment["filename"], attachment["status"], attachment["size"]) == (
        "photo.pdf",
        "available",
        len(PDF),
    )
    link = agent.request("GET", f"/{reference}/attachments/{attachment['_id']}", allow_redirects=False)
    download = link.headers.get("location") or link.json()["data"]["url"]
    assert requests.get(download, timeout=30).content == PDF

    # The agent takes the ticket and answers: the customer gets the text and the reply address.
    assert agent.request("PATCH", f"/{reference}", json={"assignedTo": "me"}).status_code == 200
    answer = f"Please unplug it and wait {ids.run}."
    assert agent.request("POST", f"/{reference}/threads", json={"message": answer}).status_code == 201
    notice = wait_for_mail(erin, 2)[-1]
    assert answer in notice["text"] and answer in notice["html"]
    assert header(notice, "Reply-To") == reply_to
    assert header(notice, "List-Unsubscribe") and "One-Click" in header(notice, "List-Unsubscribe-Post")

    # Resolved: the customer hears it; a reply quoting the notice reopens the ticket.
    resolved = agent.request(
        "PATCH", f"/{reference}", json={"status": "resolved", "resolution": "Unplugged."}
    )
    assert resolved.status_code == 200, resolved.text
    resolution = wait_for_mail(erin, 3)[-1]
    assert "Resolved" in resolution["subject"] and "Unplugged." in resolution["text"]
    quoted = new_mail(
        erin,
        f"Re: {notice['subject']}",
        f"It is smoking again {ids.run}.\n\nOn Monday the desk wrote:\n> {answer}\n",
        In_Reply_To=f"<{notice['id']}@email.amazonses.com>",
        References=f"<{notice['id']}@email.amazonses.com>",
    )
    deliver(quoted)

    def thread_has(text):
        messages = agent.request("GET", f"/{reference}/threads").json()["data"]
        return [m for m in messages if text in m["message"]]

    [again] = eventually(lambda: thread_has(f"It is smoking again {ids.run}."))
    assert again["type"] == "user" and not again["internal"]
    assert answer not in again["message"], "the quoted history is cut"
    assert agent.request("GET", f"/{reference}").json()["data"]["status"] == "open"

    # A reply to the reply address alone (no In-Reply-To, no DKIM) lands there too.
    deliver(new_mail(erin, "about my printer", f"Now it beeps {ids.run}.", to=reply_to), dkim="none")
    assert eventually(lambda: thread_has(f"Now it beeps {ids.run}."))

    # An internal note tells the customer nothing; the next public answer does reach them.
    before = len(mails_to(erin))
    note = f"Internal: customer printer model unknown {ids.run}"
    assert (
        agent.request("POST", f"/{reference}/threads", json={"message": note, "internal": True}).status_code
        == 201
    )
    public = f"Which model is it {ids.run}?"
    assert agent.request("POST", f"/{reference}/threads", json={"message": public}).status_code == 201
    latest = wait_for_mail(erin, before + 1)
    assert public in latest[-1]["text"]
    assert not [m for m in mails_to(erin) if note in (m["text"] or "")]
    assert len(mails_to(erin)) == before + 1

    # The unsubscribe link: a GET only asks; the POST switches the notices off.
    url = re.search(r"<(http[^>]+)>", header(latest[-1], "List-Unsubscribe")).group(1)
    page = requests.get(url, timeout=30)
    assert page.status_code == 200 and "<form" in page.text
    assert requests.post(url, timeout=30).status_code == 200
    count = len(mails_to(erin))
    silenced = f"Are you still there {ids.run}?"
    assert agent.request("POST", f"/{reference}/threads", json={"message": silenced}).status_code == 201
    # Erin's next reply tells the assigned agent: once that notice is out, the one before it
    # (to Erin, if any) was handled too.
    agent_address = f"{ids.user('agent')}@example.com"
    agent_count = len(mails_to(agent_address))
    deliver(new_mail(erin, "still here", f"Yes {ids.run}.", to=reply_to), dkim="none")
    wait_for_mail(agent_address, agent_count + 1)
    assert len(mails_to(erin)) == count
    assert not [m for m in mails_to(erin) if silenced in (m["text"] or "")]


def test_a_stranger_cannot_write_into_a_ticket_by_its_reply_address(agent, erin, ids):
    deliver(new_mail(erin, f"Lost password {ids.run}", "Please help."))
    [receipt] = wait_for_mail(erin, 1)
    reference = re.search(r"\[#(\w+)\]", receipt["subject"]).group(1)
    reply_to = header(receipt, "Reply-To")
    mallory = f"mallory-{ids.run}@elsewhere.example"
    deliver(new_mail(mallory, "hi", f"Send me the password {ids.run}", to=reply_to))
    deliver(new_mail(erin, "and", f"Thank you {ids.run}.", to=reply_to))
    messages = lambda: agent.request("GET", f"/{reference}/threads").json()["data"]  # noqa: E731
    assert eventually(lambda: any(f"Thank you {ids.run}." in m["message"] for m in messages()))
    assert not any("Send me the password" in m["message"] for m in messages())


def test_a_person_who_wrote_by_mail_sees_their_tickets_once_they_sign_in(api_url, agent, erin, ids):
    # Erin writes before she has an account: the desk makes a person of her own for the address.
    deliver(new_mail(erin, f"Invoice missing {ids.run}", f"Where is my invoice {ids.run}?"))
    [receipt] = wait_for_mail(erin, 1)
    reference = re.search(r"\[#(\w+)\]", receipt["subject"]).group(1)
    reply_to = header(receipt, "Reply-To")
    person = ticket_client(agent, reference)
    assert person.startswith("mail:")

    # She signs up with that address (the pool verifies it) and calls the API: her first call
    # starts the move of that person to her id; her tickets follow.
    endpoint = moto_endpoint()
    sub = identity.ensure_user(endpoint, PREFIX, ids.user("erin"), "client", erin)
    erin_api = Api(api_url, identity.sign_in(endpoint, PREFIX, ids.user("erin"))["IdToken"])
    settings = lambda: erin_api.session.get(f"{api_url}/v2/me/notifications", timeout=30).json()["data"]  # noqa: E731
    assert eventually(lambda: settings()["address"] == erin, 60), settings()
    assert settings()["email"] is True
    assert eventually(lambda: ticket_client(agent, reference) == sub, 60)
    listed = erin_api.request("GET").json()["data"]
    assert [t["_id"] for t in listed] == [reference]
    mine = erin_api.request("GET", f"/{reference}")
    assert mine.status_code == 200 and person not in mine.text
    [first] = erin_api.request("GET", f"/{reference}/threads").json()["data"]
    assert first["author"] == sub

    # A reply to the receipt's address (made for the person she was) still lands, as her.
    deliver(new_mail(erin, "Re: invoice", f"Found it, thanks {ids.run}.", to=reply_to), dkim="none")

    def thread_has(text):
        messages = agent.request("GET", f"/{reference}/threads").json()["data"]
        return [m for m in messages if text in m["message"]]

    [reply] = eventually(lambda: thread_has(f"Found it, thanks {ids.run}."))
    assert reply["author"] == sub and reply["type"] == "user"
    # Her next new message opens a ticket that is hers from the start; the agent's answer
    # reaches her address.
    deliver(new_mail(erin, f"Second question {ids.run}", "Another one."))
    second = wait_for_mail(erin, 2)[-1]
    assert "Received" in second["subject"]
    other = re.search(r"\[#(\w+)\]", second["subject"]).group(1)
    assert other != reference and ticket_client(agent, other) == sub
    erin_api.create(title=f"Via the API {ids.run}")
    assert len(erin_api.request("GET").json()["data"]) == 3
    answer = f"Here is your invoice {ids.run}."
    assert agent.request("POST", f"/{reference}/threads", json={"message": answer}).status_code == 201
    assert eventually(lambda: [m for m in mails_to(erin) if answer in (m["text"] or "")], 45)


def test_a_redelivered_s3_event_changes_nothing_twice(agent, erin, ids):
    s3 = aws("s3")
    sqs = aws("sqs")
    bucket = f"{PREFIX}-attachments"
    ses_id = deliver(new_mail(erin, f"Twice {ids.run}", "Only once please."))
    # The bucket's notification, and the same event twice more (S3 delivers at least once).
    event = {"Records": [{
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": f"inbound/{ses_id}"}},
    }]}
    queue = sqs.get_queue_url(QueueName=f"{PREFIX}-inbound")["QueueUrl"]
    for _ in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    [receipt] = wait_for_mail(erin, 1)
    reference = re.search(r"\[#(\w+)\]", receipt["subject"]).group(1)
    # Taken: the raw message moved beside the ticket's files (erasing the ticket takes it).
    kept = lambda: "Contents" in s3.list_objects_v2(Bucket=bucket, Prefix=f"tickets/{reference}/mail/{ses_id}")  # noqa: E731
    assert eventually(kept)
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix=f"inbound/{ses_id}")
    time.sleep(2)
    listed = agent.request("GET", "", params={"limit": 100}).json()["data"]
    assert [t["_id"] for t in listed if t["title"] == f"Twice {ids.run}"] == [reference]
    assert len(agent.request("GET", f"/{reference}/threads").json()["data"]) == 1
    assert len(mails_to(erin)) == 1


def aws(service: str):
    return boto3.client(
        service,
        endpoint_url=moto_endpoint(),
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_a_redelivered_domain_event_sends_one_e_mail(agent, erin, ids):
    deliver(new_mail(erin, f"Echo {ids.run}", "Hello?"))
    [receipt] = wait_for_mail(erin, 1)
    reference = re.search(r"\[#(\w+)\]", receipt["subject"]).group(1)
    answer = f"Hello back {ids.run}"
    assert agent.request("POST", f"/{reference}/threads", json={"message": answer}).status_code == 201
    notice = wait_for_mail(erin, 2)[-1]
    assert answer in notice["text"]
    # The rule's copy of that event, put on the queue again (as SQS may deliver it twice).
    sqs = aws("sqs")
    queue = sqs.get_queue_url(QueueName=f"{PREFIX}-notifications")["QueueUrl"]
    messages = agent.request("GET", f"/{reference}/threads").json()["data"]
    [posted] = [m for m in messages if m["message"] == answer]
    event = {
        "id": f"redelivered-{ids.run}",
        "detail-type": "SupportTicket.MessageAdded",
        "source": "support-tickets",
        "detail": {
            "ticketId": reference,
            "client": ticket_client(agent, reference),
            "messageId": posted["_id"],
            "author": ids["agent"],
            "type": "agent",
            "internal": False,
        },
    }
    for _ in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(event))
    assert wait_for_mail(erin, 3)
    time.sleep(3)
    assert len(mails_to(erin)) == 3


def ticket_client(agent, reference: str) -> str:
    return agent.request("GET", f"/{reference}").json()["data"]["client"]
