"""The local stack's mail tool (infra/mail.py): `deliver` stores a message as SES receiving does
(its headers on top, in SES's order, the message itself unchanged), and `sent` reads back what
SES sent, as the JSON lines it prints. Then both against the local AWS server (infra/moto_server.py
on a port of its own, bootstrapped as a stack is): a delivered message lands in the bucket and its
notification in PREFIX-inbound, and the messages sent through SES v1 and v2 are listed.

Run alone: .venv/bin/python -m pytest tests/infra/test_mail.py -q -p no:cacheprovider
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import socket
import subprocess
import sys
import time
import urllib.parse
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import boto3
import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra"))

import bootstrap  # noqa: E402
import mail  # noqa: E402

CORPUS = sorted((ROOT / "tests" / "mail").glob("*.eml"))
SES_ID = "0iihs4zpltvx2i5gxr7lcrb0i5mev2twjsp2qgx7"
WHEN = datetime(2026, 11, 30, 8, 14, 52, tzinfo=timezone.utc)
SES_ORDER = [
    "Return-Path",
    "Received",
    "X-SES-Spam-Verdict",
    "X-SES-Virus-Verdict",
    "Received-SPF",
    "Authentication-Results",
]
NEW_TICKET = (
    b"From: Erin Example <Erin@Example.ORG>\r\n"
    b"To: Support <support@desk.example>\r\n"
    b"Subject: The printer is on fire\r\n"
    b"Message-ID: <1@example.org>\r\n"
    b"\r\n"
    b"Smoke everywhere.\r\n"
)


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default, _class=EmailMessage)


def prepended(raw: bytes) -> list[tuple[str, str]]:
    """The headers `received` put on top of `raw`: (name, unfolded value)."""
    out = mail.received(raw, SES_ID, when=WHEN)
    assert out.endswith(mail.crlf(raw))
    head = out[: len(out) - len(mail.crlf(raw))]
    return [(name, str(value)) for name, value in parse(head + b"\r\n").items()]


# -- deliver ------------------------------------------------------------------------------------


def test_the_headers_ses_prepends_come_first_in_its_order() -> None:
    headers = prepended(NEW_TICKET)
    assert [name for name, _ in headers] == SES_ORDER
    values = dict(headers)
    assert values["Return-Path"] == "<Erin@Example.ORG>"
    assert values["Received"] == (
        "from localhost (localhost [127.0.0.1]) by inbound-smtp.us-east-1.amazonaws.com with SMTP id "
        f"{SES_ID} for support@desk.example; Mon, 30 Nov 2026 08:14:52 +0000 (UTC)"
    )
    assert values["X-SES-Spam-Verdict"] == "PASS"
    assert values["X-SES-Virus-Verdict"] == "PASS"
    assert values["Received-SPF"].startswith("pass (spfCheck: domain of example.org designates 127.0.0.1")
    assert "envelope-from=Erin@Example.ORG;" in values["Received-SPF"]
    assert values["Authentication-Results"] == (
        "amazonses.com; spf=pass smtp.mailfrom=example.org; dkim=pass header.i=@example.org; "
        "dmarc=pass header.from=example.org"
    )


@pytest.mark.parametrize(
    ("options", "spam", "virus", "authentication"),
    [
        ({"spam": "fail"}, "FAIL", "PASS", "dkim=pass header.i=@example.org; dmarc=pass header.from=example.org"),
        ({"virus": "fail"}, "PASS", "FAIL", "dkim=pass header.i=@example.org; dmarc=pass header.from=example.org"),
        ({"dkim": "fail"}, "PASS", "PASS", "dkim=fail header.i=@example.org; dmarc=fail header.from=example.org"),
        ({"dkim": "none"}, "PASS", "PASS", "dkim=none; dmarc=none header.from=example.org"),
    ],
)
def test_the_verdicts_and_the_sender_authentication_follow_the_options(
    options: dict, spam: str, virus: str, authentication: str
) -> None:
    top = parse(mail.received(NEW_TICKET, SES_ID, **options))
    assert top["X-SES-Spam-Verdict"] == spam
    assert top["X-SES-Virus-Verdict"] == virus
    assert top["Authentication-Results"] == f"amazonses.com; spf=pass smtp.mailfrom=example.org; {authentication}"


def test_options_outside_the_choices_are_refused() -> None:
    with pytest.raises(ValueError):
        mail.ses_headers(NEW_TICKET, SES_ID, spam="gray")
    with pytest.raises(ValueError):
        mail.ses_headers(NEW_TICKET, SES_ID, dkim="neutral")


def test_the_envelope_names_the_desk_address_written_to() -> None:
    reply = NEW_TICKET.replace(b"To: Support <support@desk.example>", b"To: Desk <SUPPORT+t8k2m4q9@desk.example>")
    assert " for SUPPORT+t8k2m4q9@desk.example;" in dict(prepended(reply))["Received"]
    copied = NEW_TICKET.replace(
        b"To: Support <support@desk.example>", b"To: bob@example.com\r\nCc: support@desk.example"
    )
    assert " for support@desk.example;" in dict(prepended(copied))["Received"]
    elsewhere = NEW_TICKET.replace(b"To: Support <support@desk.example>", b"To: bob@example.com")
    assert " for support@desk.example;" in dict(prepended(elsewhere))["Received"]


def test_a_return_path_of_the_message_is_the_envelope_sender_a_bounce_s_stays_empty() -> None:
    bounce = b"Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example.net\r\nSubject: Undelivered\r\n\r\nx\r\n"
    values = dict(prepended(bounce))
    assert values["Return-Path"] == "<>"
    assert "envelope-from=<>;" in values["Received-SPF"]
    assert values["Authentication-Results"].endswith("header.from=mx.example.net")
    forwarded = b"Return-Path: <srs@relay.example>\r\n" + NEW_TICKET
    values = dict(prepended(forwarded))
    assert values["Return-Path"] == "<srs@relay.example>"
    assert "smtp.mailfrom=relay.example; dkim=pass header.i=@example.org;" in values["Authentication-Results"]


def test_bytes_that_are_no_message_still_get_the_headers() -> None:
    headers = dict(prepended(bytes(range(256)) * 4))
    assert headers["Return-Path"] == "<postmaster@localhost>"


def test_line_ends_become_crlf_and_nothing_else_changes() -> None:
    assert mail.crlf(b"a\nb\r\nc\n\nd") == b"a\r\nb\r\nc\r\n\r\nd"
    assert mail.crlf(NEW_TICKET) == NEW_TICKET
    written = NEW_TICKET.replace(b"\r\n", b"\n")
    assert mail.received(written, SES_ID, when=WHEN) == mail.received(NEW_TICKET, SES_ID, when=WHEN)


@pytest.mark.parametrize("path", CORPUS, ids=lambda p: p.stem)
def test_every_corpus_message_is_stored_whole_under_the_new_headers(path: Path) -> None:
    raw = path.read_bytes()
    out = mail.received(raw, SES_ID, spam="fail")
    assert out.endswith(raw)
    assert [name for name, _ in prepended(raw)] == SES_ORDER
    # The topmost verdict is the one prepended, whatever the message carried.
    assert parse(out)["X-SES-Spam-Verdict"] == "FAIL"


def test_message_ids_look_like_ses_ones() -> None:
    ids = {mail.message_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(re.fullmatch(r"[a-z0-9]{40}", i) for i in ids)


# -- sent ---------------------------------------------------------------------------------------


def notification() -> bytes:
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = "Support <support@desk.example>"
    message["To"] = "Zoë <zoe@example.net>"
    message["Reply-To"] = "support+t8k2m4q9@desk.example"
    message["Subject"] = "[#T8K2M4Q9] Réponse à votre demande"
    message["List-Unsubscribe"] = "<http://127.0.0.1:9000/v2/unsubscribe?token=abc>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("Bonjour,\nvoici la réponse.\n")
    message.add_alternative("<p>Bonjour,<br>voici la réponse.</p>\n", subtype="html")
    return message.as_bytes()


def test_a_sent_message_is_read_from_its_raw_mime() -> None:
    raw = notification()
    assert b"\r\n" in raw and "Réponse".encode() not in raw.split(b"\r\n\r\n")[0]
    record = {
        "id": "0100018f-aaaa",
        "source": "support@desk.example",
        # moto names an address twice when both the call and the To header do.
        "destinations": ["zoe@example.net", "Zoë <zoe@example.net>"],
        "raw_data": raw.decode("utf-8"),
    }
    summary = mail.summary(record)
    assert summary["id"] == "0100018f-aaaa"
    assert summary["from"] == "support@desk.example"
    assert summary["to"] == ["zoe@example.net"]
    assert summary["subject"] == "[#T8K2M4Q9] Réponse à votre demande"
    assert summary["text"] == "Bonjour,\nvoici la réponse.\n"
    assert summary["html"] == "<p>Bonjour,<br>voici la réponse.</p>\n"
    headers = dict(summary["headers"])
    assert headers["Reply-To"] == "support+t8k2m4q9@desk.example"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert summary["headers"][0] == ["From", "Support <support@desk.example>"]
    json.dumps(summary)


def test_a_message_without_html_has_none() -> None:
    raw = b"From: support@desk.example\r\nTo: a@example.com\r\nSubject: Hi\r\n\r\nplain\r\n"
    summary = mail.summary({"id": "x", "source": None, "destinations": ["a@example.com"], "raw_data": raw.decode()})
    assert summary["text"] == "plain\n"
    assert summary["html"] is None


# -- against the local server ---------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "infra" / "moto_server.py"), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(150):
            try:
                requests.get(f"{url}/moto-api/", timeout=1)
                break
            except requests.RequestException:
                if process.poll() is not None:
                    raise RuntimeError("moto_server.py exited") from None
                time.sleep(0.2)
        subprocess.run(
            [sys.executable, str(ROOT / "infra" / "bootstrap.py"), url, "mailtest"],
            check=True,
            capture_output=True,
        )
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def aws(url: str, service: str):
    return boto3.client(
        service, endpoint_url=url, region_name="us-east-1", aws_access_key_id="local", aws_secret_access_key="local"
    )


def test_a_delivered_message_is_stored_and_its_notification_queued(server: str, tmp_path: Path, capsys) -> None:
    file = tmp_path / "new.eml"
    file.write_bytes(NEW_TICKET.replace(b"\r\n", b"\n"))
    mail.main(["deliver", str(file), "--endpoint", server, "--prefix", "mailtest", "--dkim", "fail"])
    ses_id = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[a-z0-9]{40}", ses_id)
    stored = aws(server, "s3").get_object(Bucket="mailtest-attachments", Key=f"inbound/{ses_id}")["Body"].read()
    assert stored.endswith(NEW_TICKET)
    authentication = parse(stored)["Authentication-Results"]
    assert authentication.endswith("dkim=fail header.i=@example.org; dmarc=fail header.from=example.org")
    sqs = aws(server, "sqs")
    queue = sqs.get_queue_url(QueueName="mailtest-inbound")["QueueUrl"]
    keys = []
    for _ in range(3):
        for message in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", []):
            for record in json.loads(message["Body"]).get("Records", []):  # not S3's test events
                assert record["eventName"].startswith("ObjectCreated:")
                keys.append(urllib.parse.unquote_plus(record["s3"]["object"]["key"]))
    assert keys == [f"inbound/{ses_id}"]
    # Uploads under tickets/ go to their own queue, not this one.
    uploads = sqs.get_queue_url(QueueName="mailtest-uploads")["QueueUrl"]
    aws(server, "s3").put_object(Bucket="mailtest-attachments", Key="tickets/T1/a.txt", Body=b"a")
    assert not sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages")
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=uploads, MaxNumberOfMessages=10).get("Messages", [])]
    assert any("tickets%2FT1%2Fa.txt" in b or "tickets/T1/a.txt" in b for b in bodies)


def test_the_messages_sent_through_ses_v1_and_v2_are_listed_in_order(server: str, capsys) -> None:
    capsys.readouterr()
    mail.main(["sent", "--endpoint", server])
    before = len(capsys.readouterr().out.splitlines())
    v2 = aws(server, "sesv2").send_email(
        FromEmailAddress="support@desk.example",
        Destination={"ToAddresses": ["zoe@example.net"]},
        Content={"Raw": {"Data": notification()}},
    )
    raw = b"From: noreply@desk.example\r\nTo: agents@desk.example\r\nSubject: New ticket\r\n\r\nnew\r\n"
    v1 = aws(server, "ses").send_raw_email(RawMessage={"Data": raw})
    mail.main(["sent", "--endpoint", server, "--since", str(before)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == [v2["MessageId"], v1["MessageId"]]
    assert lines[0]["subject"] == "[#T8K2M4Q9] Réponse à votre demande"
    assert lines[0]["to"] == ["zoe@example.net"]
    assert lines[1]["from"] == "noreply@desk.example"
    assert lines[1]["to"] == ["agents@desk.example"]
    assert lines[1]["text"] == "new\n"


def test_the_stack_sends_from_the_desk_domain(server: str) -> None:
    ses = aws(server, "sesv2")
    identities = {i["IdentityName"] for i in ses.list_email_identities()["EmailIdentities"]}
    assert {"desk.example", "support@desk.example"} <= identities
    # Any address of the verified domain may send; another domain may not.
    ses.send_email(Content={"Raw": {"Data": b"From: noreply@desk.example\r\nTo: a@b.example\r\n\r\nx"}})
    with pytest.raises(ses.exceptions.MessageRejected):
        ses.send_email(Content={"Raw": {"Data": b"From: x@elsewhere.example\r\nTo: a@b.example\r\n\r\nx"}})


def test_the_local_stacks_sign_with_the_fixed_local_key(server: str, tmp_path: Path) -> None:
    """Not a secret: the local stacks' links are signed with one documented key, so that the
    fixtures (events/unsubscribe.json) and the tests can carry links signed with it."""
    env = tmp_path / "api.env"
    subprocess.run(
        [sys.executable, str(ROOT / "infra" / "bootstrap.py"), server, "mailtest", "--function-env", str(env)],
        check=True,
        capture_output=True,
    )
    settings = dict(line.split("=", 1) for line in env.read_text().splitlines())
    assert settings["MAIL_SIGNING_KEY"] == f"'{bootstrap.MAIL_SIGNING_KEY}'"
    # The functions refuse a key of fewer than 32 characters (MailKey::new).
    assert len(bootstrap.MAIL_SIGNING_KEY.strip()) >= 32
