"""The local stack's mail, both ways, as SES would carry it: inbound messages into the bucket, and
the messages the functions sent, out of the local server (moto's SES keeps them; nothing leaves
the machine).

    python infra/mail.py deliver FILE.eml [--spam pass|fail] [--virus pass|fail]
                                          [--dkim pass|fail|none] [--endpoint URL] [--prefix P]
    python infra/mail.py sent [--since N] [--endpoint URL]

`deliver` receives FILE (`-`: standard input) as SES receiving does for the desk: it puts the
headers SES prepends on top of the message (`Return-Path` and `Received` for the envelope, then
`X-SES-Spam-Verdict`, `X-SES-Virus-Verdict`, `Received-SPF` and
`Authentication-Results: amazonses.com; spf=pass smtp.mailfrom=D; dkim=pass header.i=@D;
dmarc=pass header.from=D`, D the domain of the message's From address) and writes the result
to `inbound/<message id>` in PREFIX-attachments, where the receipt rule's S3 action writes it in
AWS. The envelope's sender is the From address, or the message's own Return-Path when it has
one (a bounce's `<>` stays empty). The bucket's notification (the PREFIX-inbound queue, relayed by infra/relay.py) then hands
it to on-email-received. It prints the new message id (40 lowercase letters and digits, as
SES's). Line ends become CRLF, as SMTP carries them; nothing else of FILE changes. `--spam fail`
and `--virus fail` set SES's verdicts; `--dkim fail` or `none` says that no DKIM signature
passed for the sender's domain (and DMARC failed, or was not published), as for a forged or an
unsigned sender. The files of tests/mail/ already carry SES's headers of their own: the ones
`deliver` prepends are the topmost, the ones that count.

`sent` prints one JSON line per message SES sent (SES v1 SendRawEmail, and SES v2 SendEmail
with raw content; the local server's `/moto-api/data.json` keeps them, in the order sent):
`{"id", "from", "to", "subject", "text", "html", "headers"}`, read from the raw MIME with Python's
`email` package: `id` is the MessageId SES answered, `from` the From address, `to` the
addresses SES delivered to, `subject` decoded, `text` and `html` the message's text and HTML
bodies, decoded, with LF line ends (null when it has none), `headers` every header as
`[name, decoded value]`, in order.
`--since N` leaves out the first N (a script counts the lines it has seen). SES is the server's,
not a prefix's: every stack on the server sends through it.

Defaults: $MOTO_ENDPOINT and $STACK_PREFIX when set, else the run command's server
(http://127.0.0.1:5005) and names (support-tickets), as infra/token's.
"""

from __future__ import annotations

import argparse
import email
import email.parser
import email.policy
import email.utils
import json
import os
import re
import secrets
import string
import sys
import urllib.error
import urllib.request
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

import boto3
from botocore.exceptions import BotoCoreError, ClientError

REGION = "us-east-1"
# The desk's address (infra/bootstrap.py), the envelope recipient when the message names none.
DESK_ADDRESS = "support@desk.example"
MAIL_DOMAIN = DESK_ADDRESS.rpartition("@")[2]
# SES receiving's message ids: the S3 object's name, as the receipt rule's action writes it.
MESSAGE_ID_LENGTH = 40
MESSAGE_ID_ALPHABET = string.ascii_lowercase + string.digits
# The sending host SES would have seen: locally, this machine.
CLIENT_IP = "127.0.0.1"
HELO = "localhost"
VERDICTS = ("pass", "fail")
DKIM_RESULTS = ("pass", "fail", "none")
BARE_LF = re.compile(rb"(?<!\r)\n")


# -- deliver ------------------------------------------------------------------------------------


def message_id() -> str:
    return "".join(secrets.choice(MESSAGE_ID_ALPHABET) for _ in range(MESSAGE_ID_LENGTH))


def crlf(raw: bytes) -> bytes:
    """Bare line feeds as CRLF (a file written by hand), CRLF left as it is."""
    return BARE_LF.sub(b"\r\n", raw)


def header_block(raw: bytes) -> EmailMessage:
    """The message's own headers (the body is not read); never fails, even on bytes that are
    not a message (their headers are then empty or nonsense)."""
    parser = email.parser.BytesParser(_class=EmailMessage, policy=email.policy.default)
    return parser.parsebytes(raw, headersonly=True)


def addresses(message: EmailMessage, name: str) -> list[str]:
    """The addresses of header `name`, as written; none when it is absent or unreadable."""
    found = []
    for value in message.get_all(name, []):
        try:
            found += [a.addr_spec for a in value.addresses if a.domain]
        except (AttributeError, ValueError, TypeError):  # an unparsable header
            continue
    return found


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def sender(message: EmailMessage) -> str | None:
    """The From address (the author), or None."""
    found = addresses(message, "From")
    return found[0] if found else None


def envelope_sender(message: EmailMessage) -> str:
    """The envelope's sender (the SMTP MAIL FROM): the message's own Return-Path when it has one
    (a file SES already received: empty for a bounce's `<>`), else its From address, else a
    local postmaster."""
    path = message.get("Return-Path")
    if path is not None:
        path = str(path).strip()
        if path.startswith("<") and path.endswith(">"):
            return path[1:-1].strip()
        return email.utils.parseaddr(path)[1]
    return sender(message) or f"postmaster@{HELO}"


def recipient(message: EmailMessage) -> str:
    """The desk's address the message was sent to (a plus address of a reply included), as the
    envelope would name it; the desk's own address when the message names none of the desk's."""
    for address in addresses(message, "To") + addresses(message, "Cc"):
        if domain_of(address) == MAIL_DOMAIN:
            return address
    return DESK_ADDRESS


def ses_headers(
    raw: bytes,
    ses_id: str,
    *,
    spam: str = "pass",
    virus: str = "pass",
    dkim: str = "pass",
    when: datetime | None = None,
) -> bytes:
    """The headers SES receiving prepends to `raw`, in SES's order, as CRLF lines."""
    if spam not in VERDICTS or virus not in VERDICTS:
        raise ValueError(f"a verdict is one of {', '.join(VERDICTS)}")
    if dkim not in DKIM_RESULTS:
        raise ValueError(f"dkim is one of {', '.join(DKIM_RESULTS)}")
    message = header_block(raw)
    envelope = envelope_sender(message)
    # SPF checks the envelope's domain (the HELO name for a null sender); DKIM and DMARC the
    # From address's (the envelope's when the message has no From).
    mail_from = domain_of(envelope) if envelope else HELO
    author = sender(message)
    domain = domain_of(author) if author else mail_from
    when = (when or datetime.now(timezone.utc)).astimezone(timezone.utc)
    date = email.utils.format_datetime(when) + " (UTC)"
    spf = (
        f"pass (spfCheck: domain of {mail_from} designates {CLIENT_IP} as permitted sender) "
        f"client-ip={CLIENT_IP}; envelope-from={envelope or '<>'}; helo={HELO};"
    )
    if dkim == "pass":
        authentication = f"dkim=pass header.i=@{domain}; dmarc=pass header.from={domain}"
    elif dkim == "fail":
        authentication = f"dkim=fail header.i=@{domain}; dmarc=fail header.from={domain}"
    else:
        authentication = f"dkim=none; dmarc=none header.from={domain}"
    lines = [
        f"Return-Path: <{envelope}>",
        f"Received: from {HELO} ({HELO} [{CLIENT_IP}])",
        f" by inbound-smtp.{REGION}.amazonaws.com with SMTP id {ses_id}",
        f" for {recipient(message)};",
        f" {date}",
        f"X-SES-Spam-Verdict: {spam.upper()}",
        f"X-SES-Virus-Verdict: {virus.upper()}",
        f"Received-SPF: {spf}",
        f"Authentication-Results: amazonses.com; spf=pass smtp.mailfrom={mail_from}; {authentication}",
    ]
    # UTF-8: an internationalised sender's address is written as it came (SMTPUTF8).
    return "".join(line + "\r\n" for line in lines).encode("utf-8")


def received(raw: bytes, ses_id: str, **verdicts) -> bytes:
    """`raw` as SES receiving stores it: CRLF line ends, SES's headers on top."""
    raw = crlf(raw)
    return ses_headers(raw, ses_id, **verdicts) + raw


def deliver(endpoint: str, prefix: str, raw: bytes, **verdicts) -> str:
    """Stores `raw` as SES receiving would in PREFIX's bucket; returns the message id."""
    ses_id = message_id()
    s3 = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    s3.put_object(
        Bucket=f"{prefix}-attachments", Key=f"inbound/{ses_id}", Body=received(raw, ses_id, **verdicts)
    )
    return ses_id


# -- sent ---------------------------------------------------------------------------------------


def sent_messages(endpoint: str) -> list[dict]:
    """What the local server's SES sent, oldest first: moto's records of SendRawEmail (v1) and
    of v2 SendEmail with raw content, {id, source, destinations, raw_data} each."""
    with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=60) as response:
        data = json.loads(response.read())
    return data.get("ses", {}).get("RawMessage", [])


def body(message: EmailMessage, subtype: str) -> str | None:
    """The decoded text of the message's `subtype` body (plain or html), with LF line ends."""
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_subtype() != subtype:
        return None
    try:
        text = part.get_content()
    except (LookupError, ValueError):  # an unknown charset, a broken encoding
        text = part.get_payload(decode=True).decode("utf-8", "replace")
    return text.replace("\r\n", "\n")


def summary(record: dict) -> dict:
    """One sent message (a record of `sent_messages`) as `sent` prints it."""
    # moto keeps the raw message as text (it decoded the bytes as UTF-8).
    raw = record["raw_data"].encode("utf-8", "surrogateescape")
    message = email.message_from_bytes(raw, policy=email.policy.default, _class=EmailMessage)
    author = sender(message)
    if author is None and record.get("source"):
        author = email.utils.parseaddr(record["source"])[1] or None
    # moto lists an address twice when both the call and the To header name it.
    recipients = []
    for destination in record.get("destinations", []):
        address = email.utils.parseaddr(destination)[1]
        if address and address.lower() not in (r.lower() for r in recipients):
            recipients.append(address)
    subject = message.get("Subject")
    return {
        "id": record["id"],
        "from": author,
        "to": recipients,
        "subject": None if subject is None else str(subject),
        "text": body(message, "plain"),
        "html": body(message, "html"),
        "headers": [[name, str(value)] for name, value in message.items()],
    }


# -- command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="infra/mail.py", description="Mail in and out of the local stack, as SES carries it."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    endpoint = os.environ.get("MOTO_ENDPOINT", "http://127.0.0.1:5005")

    put = commands.add_parser("deliver", help="receive a message for the desk, as SES would")
    put.add_argument("file", help="the raw message (.eml); - reads standard input")
    put.add_argument("--spam", choices=VERDICTS, default="pass", help="SES's spam verdict")
    put.add_argument("--virus", choices=VERDICTS, default="pass", help="SES's virus verdict")
    put.add_argument(
        "--dkim", choices=DKIM_RESULTS, default="pass", help="DKIM (and DMARC) for the sender's domain"
    )
    put.add_argument("--endpoint", default=endpoint)
    put.add_argument("--prefix", default=os.environ.get("STACK_PREFIX", "support-tickets"))

    out = commands.add_parser("sent", help="the messages SES sent, as JSON lines")
    out.add_argument("--since", type=int, default=0, metavar="N", help="leave out the first N")
    out.add_argument("--endpoint", default=endpoint)

    args = parser.parse_args(argv)
    try:
        if args.command == "deliver":
            raw = sys.stdin.buffer.read() if args.file == "-" else Path(args.file).read_bytes()
            print(deliver(args.endpoint, args.prefix, raw, spam=args.spam, virus=args.virus, dkim=args.dkim))
        else:
            for record in sent_messages(args.endpoint)[max(args.since, 0) :]:
                print(json.dumps(summary(record), ensure_ascii=False))
    except (OSError, BotoCoreError, ClientError) as err:  # no such file, bucket or server
        sys.exit(f"infra/mail.py: {err}")


if __name__ == "__main__":
    main()
