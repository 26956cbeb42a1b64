"""Writes the inbound-mail corpus in this directory: one <case>.eml and one <case>.json per case.

Each .eml is a raw message as Amazon SES receiving stores it in S3: the headers SES prepends
(Return-Path, Received, X-SES-Spam-Verdict, X-SES-Virus-Verdict, Received-SPF,
Authentication-Results, X-SES-RECEIPT, X-SES-DKIM-SIGNATURE), then the sender's own headers and
body, with CRLF line endings. Each .json is what the inbound-mail parser is expected to answer
(the format is in README.md).

The .eml and .json files are the corpus; this script only records how they were made (some carry
bytes that are awkward to write by hand: Windows-1252, ISO-8859-1 and Shift_JIS text, base64
images and documents). Its output is deterministic (seeded random bytes), so running it again
rewrites the same files:

    python3 tests/mail/make_corpus.py

Nothing reads this script at test time.
"""

import base64
import datetime as dt
import json
import pathlib
import quopri
import random
import struct
import zlib

HERE = pathlib.Path(__file__).resolve().parent
CRLF = b"\r\n"

NOTIFICATION_ID = "0100018f-aaaa-bbbb-cccc-000000000001-000000@email.amazonses.com"
REPLY_ADDRESS = "support+t8k2m4q9@desk.example"
TOKEN = "t8k2m4q9"


# --- building blocks -------------------------------------------------------------------------


def rng_for(name):
    return random.Random("desk-mail-corpus:" + name)


def fake_b64(rng, n):
    """n characters that look like base64 (for signatures and receipts)."""
    return base64.b64encode(rng.randbytes(n * 3 // 4 + 3)).decode()[:n]


def lines(text):
    """Text with \\n line ends to bytes-ready CRLF text."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def qp(text, charset):
    """Quoted-printable body (soft breaks at 76, trailing blanks encoded), CRLF line ends."""
    data = text.replace("\r\n", "\n").encode(charset)
    out = quopri.encodestring(data, quotetabs=False)
    return out.replace(b"\n", CRLF)


def b64(data, width=76):
    enc = base64.b64encode(data).decode()
    return CRLF.join(enc[i : i + width].encode() for i in range(0, len(enc), width)) + CRLF


def part(headers, body):
    """A MIME entity: header lines (str, may contain folded continuation lines) and a body (bytes)."""
    head = CRLF.join(h.encode("ascii") for h in headers)
    return head + CRLF + CRLF + body


def multipart(boundary, parts, preamble=None):
    out = b""
    if preamble is not None:
        out += preamble.encode() + CRLF
    for p in parts:
        # the CRLF before each delimiter belongs to the delimiter, not to the part
        if not p.endswith(CRLF):
            p += CRLF
        out += b"--" + boundary.encode() + CRLF + p
    out += b"--" + boundary.encode() + b"--" + CRLF
    return out


def ts(when):
    return int(when.timestamp())


def rfc2822(when):
    return when.strftime("%a, %d %b %Y %H:%M:%S %z")


def ses_headers(
    name,
    *,
    env_from,
    rcpt,
    ip,
    helo,
    when,
    spam="PASS",
    virus="PASS",
    spf="pass",
    spf_domain=None,
    dkim,
    dmarc,
):
    """The headers SES receiving prepends, topmost, in SES's order."""
    rng = rng_for(name + ":ses")
    utc = when.astimezone(dt.timezone.utc)
    smtp_id = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(40))
    domain = spf_domain or env_from.rpartition("@")[2]
    if spf == "pass":
        spf_text = f"pass (spfCheck: domain of {domain} designates {ip} as permitted sender)"
    elif spf == "fail":
        spf_text = f"fail (spfCheck: domain of {domain} does not designate {ip} as permitted sender)"
    elif spf == "softfail":
        spf_text = (
            f"softfail (spfCheck: transitioning domain of {domain} does not designate {ip} "
            "as permitted sender)"
        )
    else:
        spf_text = f"none (spfCheck: {ip} is neither permitted nor denied by domain of {domain})"
    spf_tail = f"client-ip={ip}; envelope-from={env_from}; helo={helo};"
    t = int(utc.timestamp())
    return [
        f"Return-Path: <{env_from}>",
        f"Received: from {helo} ({helo} [{ip}])",
        f" by inbound-smtp.us-east-1.amazonaws.com with SMTP id {smtp_id}",
        f" for {rcpt};",
        f" {rfc2822(utc).replace('+0000', '+0000 (UTC)')}",
        f"X-SES-Spam-Verdict: {spam}",
        f"X-SES-Virus-Verdict: {virus}",
        f"Received-SPF: {spf_text} {spf_tail}",
        "Authentication-Results: amazonses.com;",
        f" spf={spf_text} {spf_tail}",
        f" dkim={dkim};",
        f" dmarc={dmarc};",
        f"X-SES-RECEIPT: {fake_b64(rng, 440)}",
        "X-SES-DKIM-SIGNATURE: a=rsa-sha256; q=dns/txt; "
        f"b={fake_b64(rng, 344)}; c=relaxed/simple; s=224i4yxa5dv7c2xz3womw6peuasteono; "
        f"d=amazonses.com; t={t}; v=1; bh={fake_b64(rng, 43)}=; "
        "h=From:To:Cc:Bcc:Subject:Date:Message-ID:MIME-Version:Content-Type:X-SES-RECEIPT;",
    ]


def message(top, headers, body):
    """SES's header lines, the sender's header lines, a blank line, the body bytes."""
    head = CRLF.join(h.encode("ascii") for h in top + headers)
    return head + CRLF + CRLF + body


def png(width, height, pixel):
    """A valid RGB PNG; pixel(x, y) -> (r, g, b)."""
    raw = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def fake_pdf(rng, size):
    """A PDF signature and skeleton around a stream of random bytes, exactly size bytes long."""
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length {n} /Filter /FlateDecode >>\nstream\n"
    tail = b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    n = size - len(tail) - len(head.replace(b"{n}", b"00000"))
    head = head.replace(b"{n}", b"%05d" % n)
    data = head + rng.randbytes(n) + tail
    assert len(data) == size
    return data


CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


# --- replies from the usual clients ------------------------------------------------------------

GMAIL_TEXT = """\
Hi,

I tried the firmware update you suggested, but the printer on the 3rd floor still jams on the second page of every double-sided job. Could someone come and have a look this week? I'm in the office until Thursday.

Thanks,

-- 
Alice

On Mon, Nov 30, 2026 at 10:00 AM Desk <support+t8k2m4q9@desk.example> wrote:

> Hello Alice,
>
> Please install firmware 4.2.1 from the printer's web page, then restart
> it and try again.
>
> Regards,
> Desk
"""

GMAIL_HTML = """\
<div dir="ltr"><div>Hi,</div><div><br></div><div>I tried the firmware update you suggested, but the printer on the 3rd floor still jams on the second page of every double-sided job. Could someone come and have a look this week? I&#39;m in the office until Thursday.</div><div><br></div><div>Thanks,</div><div><br></div><span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature">Alice</div></div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, Nov 30, 2026 at 10:00 AM Desk &lt;<a href="mailto:support+t8k2m4q9@desk.example">support+t8k2m4q9@desk.example</a>&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Hello Alice,<br><br>Please install firmware 4.2.1 from the printer&#39;s web page, then restart it and try again.<br><br>Regards,<br>Desk<br></blockquote></div>
"""


@case
def gmail_reply():
    name = "gmail_reply"
    rng = rng_for(name)
    when = dt.datetime(2026, 11, 30, 11, 2, 17, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    top = ses_headers(
        name,
        env_from="alice@example.com",
        rcpt=REPLY_ADDRESS,
        ip="209.85.220.41",
        helo="mail-sor-f41.google.com",
        when=when,
        dkim="pass header.i=@example.com",
        dmarc="pass header.from=example.com",
    )
    boundary = "000000000000e4c1a2062f7d93b5"
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
        f"        d=example.com; s=google; t={ts(when)}; x={ts(when) + 604800}; darn=desk.example;",
        "        h=to:subject:message-id:date:from:in-reply-to:references",
        "         :mime-version:from:to:cc:subject:date:message-id:reply-to;",
        f"        bh={fake_b64(rng, 43)}=;",
        f"        b={fake_b64(rng, 64)}",
        f"         {fake_b64(rng, 64)}",
        f"         {fake_b64(rng, 64)}",
        f"         {fake_b64(rng, 64)}",
        f"         {fake_b64(rng, 64)}",
        f"         {fake_b64(rng, 20)}==",
        "X-Google-DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
        f"        d=1e100.net; s=20230601; t={ts(when)}; x={ts(when) + 604800};",
        "        h=to:subject:message-id:date:from:in-reply-to:references",
        "         :mime-version:x-gm-message-state:from:to:cc:subject:date:message-id",
        "         :reply-to;",
        f"        bh={fake_b64(rng, 43)}=;",
        f"        b={fake_b64(rng, 64)}",
        f"         {fake_b64(rng, 64)}",
        f"         {fake_b64(rng, 20)}==",
        f"X-Gm-Message-State: AOJu0Y{fake_b64(rng, 60)}",
        f"\t{fake_b64(rng, 40)}",
        f"X-Google-Smtp-Source: AGHT+IE{fake_b64(rng, 70)}==",
        "X-Received: by 2002:a05:6402:2713:b0:5d0:ea2e:5d4b with SMTP id",
        " 4fb4d7f45d1cf-5d3ebe5ab1fmr3190462a12.21.1795932137914; Mon, 30 Nov 2026",
        " 02:02:17 -0800 (PST)",
        "MIME-Version: 1.0",
        "References: <CAGx7Rk1pZ=F3uT0qWm5dJ8sVb2nEhL4yX9cA6oQ@mail.gmail.com>",
        f" <{NOTIFICATION_ID}>",
        f"In-Reply-To: <{NOTIFICATION_ID}>",
        "From: Alice Martin <alice@example.com>",
        f"Date: {rfc2822(when)}",
        "Message-ID: <CAF=abcQ2x7Lk9mPz8Rt+WnV4sE1hJ6dY3uG0bN5cT@mail.gmail.com>",
        "Subject: Re: [#T8K2M4Q9] Printer still jams",
        f"To: Desk <{REPLY_ADDRESS}>",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    body = multipart(
        boundary,
        [
            part(
                ['Content-Type: text/plain; charset="UTF-8"', "Content-Transfer-Encoding: quoted-printable"],
                qp(GMAIL_TEXT, "utf-8"),
            ),
            part(
                ['Content-Type: text/html; charset="UTF-8"', "Content-Transfer-Encoding: quoted-printable"],
                qp(GMAIL_HTML, "utf-8"),
            ),
        ],
    )
    expected = {
        "outcome": "mail",
        "from": "alice@example.com",
        "subject": "Re: [#T8K2M4Q9] Printer still jams",
        "text": (
            "Hi,\n\nI tried the firmware update you suggested, but the printer on the 3rd floor "
            "still jams on the second page of every double-sided job. Could someone come and "
            "have a look this week? I'm in the office until Thursday.\n\nThanks,"
        ),
        "textExcludes": ["Alice", "wrote:", "firmware 4.2.1", "Regards,", "-- "],
        "messageId": "CAF=abcQ2x7Lk9mPz8Rt+WnV4sE1hJ6dY3uG0bN5cT@mail.gmail.com",
        "inReplyTo": [NOTIFICATION_ID],
        "references": ["CAGx7Rk1pZ=F3uT0qWm5dJ8sVb2nEhL4yX9cA6oQ@mail.gmail.com", NOTIFICATION_ID],
        "replyToken": TOKEN,
        "attachments": [],
        "dkimAligned": True,
    }
    return message(top, own, body), expected


OUTLOOK_TEXT = """\
Hello,

I\u2019ve checked again with our bank: the invoice for \u20ac120.00 was paid on 27 November, but the reminder we received this morning still says it\u2019s overdue. Could you please correct it and send us a new copy? Our accountant (H\u00e9l\u00e8ne) needs it before Friday.

Best regards,
Bob Dupont
Dupont Caf\u00e9 SARL

________________________________
From: Desk <support+t8k2m4q9@desk.example>
Sent: Monday, November 30, 2026 10:00 AM
To: Bob Dupont <Bob.Dupont@example.fr>
Subject: [#T8K2M4Q9] Payment reminder

Hello Bob,

Our records show that invoice INV-2026-1187 (\u20ac120.00) is overdue.

Regards,
Desk
"""

OUTLOOK_HTML = """\
<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=Windows-1252">
<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>
</head>
<body dir="ltr">
<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
Hello,</div>
<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
<br>
</div>
<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
I\u2019ve checked again with our bank: the invoice for \u20ac120.00 was paid on 27 November, but the reminder we received this morning still says it\u2019s overdue. Could you please correct it and send us a new copy? Our accountant (H\u00e9l\u00e8ne) needs it before Friday.</div>
<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
<br>
</div>
<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">
Best regards,<br>
Bob Dupont<br>
Dupont Caf\u00e9 SARL</div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> Desk &lt;support+t8k2m4q9@desk.example&gt;<br>
<b>Sent:</b> Monday, November 30, 2026 10:00 AM<br>
<b>To:</b> Bob Dupont &lt;Bob.Dupont@example.fr&gt;<br>
<b>Subject:</b> [#T8K2M4Q9] Payment reminder</font>
<div>&nbsp;</div>
</div>
<div>Hello Bob,<br>
<br>
Our records show that invoice INV-2026-1187 (\u20ac120.00) is overdue.<br>
<br>
Regards,<br>
Desk</div>
</body>
</html>
"""


@case
def outlook_reply():
    name = "outlook_reply"
    rng = rng_for(name)
    when = dt.datetime(2026, 11, 30, 10, 47, 5, tzinfo=dt.timezone.utc)
    top = ses_headers(
        name,
        env_from="Bob.Dupont@example.fr",
        rcpt=REPLY_ADDRESS,
        ip="40.107.22.97",
        helo="EUR05-AM6-obe.outbound.protection.outlook.com",
        spf_domain="example.fr",
        when=when,
        dkim="pass header.i=@example.fr",
        dmarc="pass header.from=example.fr",
    )
    msgid = "AM9PR02MB73451C2E3F4A5B6C7D8E9F0A1B2C3D4E5F6A@AM9PR02MB7345.eurprd02.prod.outlook.com"
    boundary = "_000_AM9PR02MB73451C2E3F4A5B6C7D8E9F0A1B2C3D4E5F6AAM9PR02MB7345eurp_"
    own = [
        "ARC-Seal: i=1; a=rsa-sha256; s=arcselector10001; d=microsoft.com; cv=none;",
        f" b={fake_b64(rng, 70)}",
        f" {fake_b64(rng, 70)}",
        f" {fake_b64(rng, 30)}==",
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.fr;",
        " s=selector1;",
        " h=From:Date:Subject:Message-ID:Content-Type:MIME-Version:X-MS-Exchange-SenderADCheck;",
        f" bh={fake_b64(rng, 43)}=;",
        f" b={fake_b64(rng, 70)}",
        f" {fake_b64(rng, 70)}",
        f" {fake_b64(rng, 30)}==",
        "Received: from AM9PR02MB7345.eurprd02.prod.outlook.com (2603:10a6:20b:3d4::12)",
        " by AM9PR02MB7345.eurprd02.prod.outlook.com with Microsoft SMTP Server",
        " (version=TLS1_2, cipher=TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) id",
        " 15.20.8207.18; Mon, 30 Nov 2026 10:47:05 +0000",
        "From: Bob Dupont <Bob.Dupont@example.fr>",
        f"To: Desk <{REPLY_ADDRESS}>",
        "Subject: RE: [#T8K2M4Q9] Payment reminder",
        "Thread-Topic: [#T8K2M4Q9] Payment reminder",
        "Thread-Index: AQHbQ0x2h5b3J9mT0kWz8v6cLrJ1QrTxY4Ow",
        f"Date: {rfc2822(when)}",
        f"Message-ID: <{msgid}>",
        f"References: <{NOTIFICATION_ID}>",
        f"In-Reply-To: <{NOTIFICATION_ID}>",
        "Accept-Language: fr-FR, en-US",
        "Content-Language: en-GB",
        "X-MS-Has-Attach:",
        "X-MS-TNEF-Correlator:",
        "msip_labels:",
        "authentication-results: dkim=none (message not signed)",
        " header.d=none;dmarc=none action=none header.from=example.fr;",
        f"Content-Type: multipart/alternative;",
        f'\tboundary="{boundary}"',
        "MIME-Version: 1.0",
    ]
    body = multipart(
        boundary,
        [
            part(
                ['Content-Type: text/plain; charset="Windows-1252"', "Content-Transfer-Encoding: quoted-printable"],
                qp(OUTLOOK_TEXT, "cp1252"),
            ),
            part(
                ['Content-Type: text/html; charset="Windows-1252"', "Content-Transfer-Encoding: quoted-printable"],
                qp(OUTLOOK_HTML, "cp1252"),
            ),
        ],
    )
    expected = {
        "outcome": "mail",
        "from": "bob.dupont@example.fr",
        "subject": "RE: [#T8K2M4Q9] Payment reminder",
        "text": (
            "Hello,\n\nI\u2019ve checked again with our bank: the invoice for \u20ac120.00 was paid on "
            "27 November, but the reminder we received this morning still says it\u2019s overdue. "
            "Could you please correct it and send us a new copy? Our accountant (H\u00e9l\u00e8ne) "
            "needs it before Friday.\n\nBest regards,\nBob Dupont\nDupont Caf\u00e9 SARL"
        ),
        "textExcludes": ["____", "Sent:", "Our records show", "INV-2026-1187"],
        "messageId": msgid,
        "inReplyTo": [NOTIFICATION_ID],
        "references": [NOTIFICATION_ID],
        "replyToken": TOKEN,
        "attachments": [],
        "dkimAligned": True,
    }
    return message(top, own, body), expected


APPLE_TEXT = """\
Hi,

Thanks \u2013 the new badge works now. I\u2019ve also tried the caf\u00e9 door on the 2nd floor and it opens fine. One more thing: the door at the back entrance (next to the bike shed) still doesn\u2019t accept my badge, could you have a look when you\u2019re next in the building?

Carol

On 30 Nov 2026, at 10:00, Desk <support+t8k2m4q9@desk.example> wrote:

> Hello Carol,
> 
> Your new badge has been activated for all doors.
> 
> Regards,
> Desk
"""


@case
def apple_mail_reply():
    name = "apple_mail_reply"
    rng = rng_for(name)
    when = dt.datetime(2026, 11, 30, 14, 12, 3, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    top = ses_headers(
        name,
        env_from="carol@example.org",
        rcpt=REPLY_ADDRESS,
        ip="198.51.100.23",
        helo="smtp.example.org",
        when=when,
        dkim="pass header.i=@example.org",
        dmarc="pass header.from=example.org",
    )
    msgid = "6F1C2E4A-9B3D-4C7E-8A1F-2D5B7E9C0A13@example.org"
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;",
        f"\ts=mail; t={ts(when)};",
        f"\tbh={fake_b64(rng, 43)}=;",
        "\th=From:Subject:Date:References:To:In-Reply-To:Message-Id:Mime-Version:",
        "\t Content-Type;",
        f"\tb={fake_b64(rng, 70)}",
        f"\t {fake_b64(rng, 70)}",
        f"\t {fake_b64(rng, 30)}==",
        "Received: from smtpclient.apple (unknown [192.0.2.77])",
        "\tby smtp.example.org (Postfix) with ESMTPSA id 4Y2k7T1v3Qz9xR",
        f"\tfor <{REPLY_ADDRESS}>; Mon, 30 Nov 2026 14:12:03 +0100 (CET)",
        "From: Carol Nguyen <carol@example.org>",
        "Content-Type: text/plain;",
        "\tcharset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.400.131.1.6\\))",
        "Subject: Re: [#T8K2M4Q9] Badge access",
        f"Date: {rfc2822(when)}",
        f"References: <{NOTIFICATION_ID}>",
        f"To: Desk <{REPLY_ADDRESS}>",
        f"In-Reply-To: <{NOTIFICATION_ID}>",
        f"Message-Id: <{msgid}>",
        "X-Mailer: Apple Mail (2.3826.400.131.1.6)",
    ]
    expected = {
        "outcome": "mail",
        "from": "carol@example.org",
        "subject": "Re: [#T8K2M4Q9] Badge access",
        "text": (
            "Hi,\n\nThanks \u2013 the new badge works now. I\u2019ve also tried the caf\u00e9 door on the "
            "2nd floor and it opens fine. One more thing: the door at the back entrance (next to "
            "the bike shed) still doesn\u2019t accept my badge, could you have a look when you\u2019re "
            "next in the building?\n\nCarol"
        ),
        "textExcludes": ["wrote:", "activated for all doors", "Regards,"],
        "messageId": msgid,
        "inReplyTo": [NOTIFICATION_ID],
        "references": [NOTIFICATION_ID],
        "replyToken": TOKEN,
        "attachments": [],
        "dkimAligned": True,
    }
    return message(top, own, qp(APPLE_TEXT, "utf-8")), expected


# --- new messages ------------------------------------------------------------------------------

THUNDERBIRD_TEXT = """\
Hello,

since this morning my VPN connection drops every 10 minutes.
It reconnects by itself, but every open SSH session is lost.
I am on the office Wi-Fi in D\u00fcsseldorf, laptop ACME-LT-0412.

Beste Gr\u00fc\u00dfe / Kind regards,
Daniel

-- 
Daniel Weber
IT, Example GmbH
"""

THUNDERBIRD_HTML = """\
<!DOCTYPE html>
<html>
  <head>

    <meta http-equiv="content-type" content="text/html; charset=UTF-8">
  </head>
  <body>
    <p>Hello,</p>
    <p>since this morning my VPN connection drops every 10 minutes.<br>
      It reconnects by itself, but every open SSH session is lost.<br>
      I am on the office Wi-Fi in D\u00fcsseldorf, laptop ACME-LT-0412.</p>
    <p>Beste Gr\u00fc\u00dfe / Kind regards,<br>
      Daniel<br>
    </p>
    <div class="moz-signature">-- <br>
      Daniel Weber<br>
      IT, Example GmbH</div>
  </body>
</html>
"""


@case
def new_ticket_alternative():
    name = "new_ticket_alternative"
    rng = rng_for(name)
    when = dt.datetime(2026, 11, 30, 9, 14, 52, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    top = ses_headers(
        name,
        env_from="daniel.weber@example.de",
        rcpt="support@desk.example",
        ip="203.0.113.45",
        helo="mout.example.de",
        when=when,
        dkim="pass header.i=@example.de",
        dmarc="pass header.from=example.de",
    )
    msgid = "3b8f1c2e-7d4a-4f9b-9e21-6a0c5d8e7f12@example.de"
    boundary = "------------8Jk2LmN4pQ6rS8tU0vW2xY4z"
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.de;",
        f"\ts=mail2026; t={ts(when)};",
        f"\tbh={fake_b64(rng, 43)}=;",
        "\th=Date:To:From:Subject;",
        f"\tb={fake_b64(rng, 70)}",
        f"\t {fake_b64(rng, 30)}==",
        f"Message-ID: <{msgid}>",
        f"Date: {rfc2822(when)}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: en-GB",
        "To: support@desk.example",
        "From: Daniel Weber <daniel.weber@example.de>",
        "Subject: VPN connection drops every 10 minutes",
        "Content-Type: multipart/alternative;",
        f' boundary="{boundary}"',
    ]
    body = multipart(
        boundary,
        [
            part(
                ["Content-Type: text/plain; charset=UTF-8; format=flowed", "Content-Transfer-Encoding: 8bit"],
                lines(THUNDERBIRD_TEXT).encode("utf-8"),
            ),
            part(
                ["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: 8bit"],
                lines(THUNDERBIRD_HTML).encode("utf-8"),
            ),
        ],
        preamble="This is a multi-part message in MIME format.",
    )
    expected = {
        "outcome": "mail",
        "from": "daniel.weber@example.de",
        "subject": "VPN connection drops every 10 minutes",
        "text": (
            "Hello,\n\nsince this morning my VPN connection drops every 10 minutes.\n"
            "It reconnects by itself, but every open SSH session is lost.\n"
            "I am on the office Wi-Fi in D\u00fcsseldorf, laptop ACME-LT-0412.\n\n"
            "Beste Gr\u00fc\u00dfe / Kind regards,\nDaniel"
        ),
        "textExcludes": ["Daniel Weber", "Example GmbH", "-- "],
        "messageId": msgid,
        "inReplyTo": [],
        "references": [],
        "replyToken": None,
        "attachments": [],
        "dkimAligned": True,
    }
    return message(top, own, body), expected


HTML_ONLY = """\
<html><head><meta charset="utf-8"><title>Order problem</title>
<style>
  body { font-family: Arial, Helvetica, sans-serif; font-size: 14px; }
  .footer { color: #888888; }
</style></head>
<body>
<p>Good afternoon,</p>
<p>My order <b>48213</b> arrived damaged: the box was crushed and two of the six mugs are broken.</p>
<p>Could you send replacements to our R&amp;D department?</p>
<ul>
<li>Order number 48213</li>
<li>Delivered on 27&nbsp;November</li>
</ul>
<p>Many thanks,<br>Zo&euml; Hart</p>
<p class="footer">Sent from WebMail</p>
</body></html>
"""


@case
def html_only():
    name = "html_only"
    when = dt.datetime(2026, 11, 30, 15, 31, 40, tzinfo=dt.timezone.utc)
    top = ses_headers(
        name,
        env_from="zoe.hart@example.net",
        rcpt="support@desk.example",
        ip="198.51.100.140",
        helo="webmail.example.net",
        when=when,
        dkim="pass header.i=@example.net",
        dmarc="pass header.from=example.net",
    )
    rng = rng_for(name)
    msgid = "20261130153140.7f3a9c1e@webmail.example.net"
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=wm;",
        f" h=From:To:Subject:Date:Message-ID; bh={fake_b64(rng, 43)}=;",
        f" b={fake_b64(rng, 70)}",
        f" {fake_b64(rng, 30)}==",
        "MIME-Version: 1.0",
        f"Date: {rfc2822(when)}",
        "From: =?UTF-8?Q?Zo=C3=AB_Hart?= <zoe.hart@example.net>",
        "To: support@desk.example",
        "Subject: Damaged order 48213",
        f"Message-ID: <{msgid}>",
        "X-Mailer: WebMail 5.2",
        "Content-Type: text/html; charset=UTF-8",
        "Content-Transfer-Encoding: quoted-printable",
    ]
    expected = {
        "outcome": "mail",
        "from": "zoe.hart@example.net",
        "subject": "Damaged order 48213",
        "textContains": [
            "Good afternoon,",
            "arrived damaged",
            "two of the six mugs are broken",
            "our R&D department?",
            "Order number 48213",
            "Zo\u00eb Hart",
        ],
        "textExcludes": ["<p>", "<b>", "&amp;", "&euml;", "font-family"],
        "messageId": msgid,
        "inReplyTo": [],
        "references": [],
        "replyToken": None,
        "attachments": [],
        "dkimAligned": True,
    }
    return message(top, own, qp(HTML_ONLY, "utf-8")), expected


LOGO_TEXT = """\
Hello,

please find attached the signed maintenance contract for the
warehouse scanners (contract MC-2026-077).

Kind regards,
Frank

-- 
Frank Ortiz | Ortiz Logistics
+34 600 000 000
"""

LOGO_HTML = """\
<!DOCTYPE html>
<html>
  <head>
    <meta http-equiv="content-type" content="text/html; charset=UTF-8">
  </head>
  <body>
    <p>Hello,</p>
    <p>please find attached the signed maintenance contract for the<br>
      warehouse scanners (contract MC-2026-077).</p>
    <p>Kind regards,<br>
      Frank</p>
    <div class="moz-signature">-- <br>
      <img src="cid:logo@sig" alt="Ortiz Logistics" width="48" height="16"><br>
      Frank Ortiz | Ortiz Logistics<br>
      +34 600 000 000</div>
  </body>
</html>
"""


@case
def inline_logo_signature():
    name = "inline_logo_signature"
    rng = rng_for(name)
    when = dt.datetime(2026, 12, 1, 8, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    top = ses_headers(
        name,
        env_from="frank@ortiz-logistics.example",
        rcpt="support@desk.example",
        ip="203.0.113.88",
        helo="mx-out.ortiz-logistics.example",
        when=when,
        dkim="pass header.i=@ortiz-logistics.example",
        dmarc="pass header.from=ortiz-logistics.example",
    )
    logo = png(48, 16, lambda x, y: (0x1F, 0x4E, 0x79) if (x // 4 + y // 4) % 2 else (0xF2, 0xA9, 0x00))
    assert len(logo) < 4096
    pdf = fake_pdf(rng, 30720)
    msgid = "9d0e6b1a-42c8-4f6e-b3a7-5c1d2e3f4a5b@ortiz-logistics.example"
    outer, alt, rel = (
        "------------mX0aB1cD2eF3gH4iJ5kL6mN7",
        "------------pQ8rS9tU0vW1xY2zA3bC4dE5",
        "------------fG6hI7jK8lM9nO0pQ1rS2tU3",
    )
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
        f"\td=ortiz-logistics.example; s=s1; t={ts(when)};",
        f"\tbh={fake_b64(rng, 43)}=;",
        "\th=Date:To:From:Subject;",
        f"\tb={fake_b64(rng, 70)}",
        f"\t {fake_b64(rng, 30)}==",
        f"Message-ID: <{msgid}>",
        f"Date: {rfc2822(when)}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: en-GB",
        "To: support@desk.example",
        "From: Frank Ortiz <frank@ortiz-logistics.example>",
        "Subject: Signed maintenance contract",
        "Content-Type: multipart/mixed;",
        f' boundary="{outer}"',
    ]
    related = multipart(
        rel,
        [
            part(["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: 7bit"], lines(LOGO_HTML).encode()),
            part(
                [
                    'Content-Type: image/png; name="logo.png"',
                    'Content-Disposition: inline; filename="logo.png"',
                    "Content-Id: <logo@sig>",
                    "Content-Transfer-Encoding: base64",
                ],
                b64(logo),
            ),
        ],
    )
    alternative = multipart(
        alt,
        [
            part(
                ["Content-Type: text/plain; charset=UTF-8; format=flowed", "Content-Transfer-Encoding: 7bit"],
                lines(LOGO_TEXT).encode(),
            ),
            part(["Content-Type: multipart/related;", f' boundary="{rel}"'], related),
        ],
    )
    body = multipart(
        outer,
        [
            part(["Content-Type: multipart/alternative;", f' boundary="{alt}"'], alternative),
            part(
                [
                    'Content-Type: application/pdf; name="MC-2026-077 signed.pdf"',
                    'Content-Disposition: attachment; filename="MC-2026-077 signed.pdf"',
                    "Content-Transfer-Encoding: base64",
                ],
                b64(pdf),
            ),
        ],
        preamble="This is a multi-part message in MIME format.",
    )
    expected = {
        "outcome": "mail",
        "from": "frank@ortiz-logistics.example",
        "subject": "Signed maintenance contract",
        "text": (
            "Hello,\n\nplease find attached the signed maintenance contract for the\n"
            "warehouse scanners (contract MC-2026-077).\n\nKind regards,\nFrank"
        ),
        "textExcludes": ["Ortiz Logistics", "+34", "cid:"],
        "messageId": msgid,
        "inReplyTo": [],
        "references": [],
        "replyToken": None,
        "attachments": [
            {"filename": "MC-2026-077 signed.pdf", "contentType": "application/pdf", "size": len(pdf)}
        ],
        "dkimAligned": True,
    }
    return message(top, own, body), expected


ATTACH_TEXT = """\
Hi,

the import page shows the error in the attached screenshot when I
upload my r\u00e9sum\u00e9 export (also attached, as CSV).

Thanks,
Hannah
"""

RESUME_CSV = (
    "name,role,city,since\r\n"
    "Hannah Schmidt,Engineer,M\u00fcnchen,2019\r\n"
    "Jos\u00e9 N\u00fa\u00f1ez,Designer,Sevilla,2021\r\n"
    "Ren\u00e9e L\u00e9vesque,Analyst,Qu\u00e9bec,2023\r\n"
)


@case
def attachments():
    name = "attachments"
    rng = rng_for(name)
    when = dt.datetime(2026, 12, 1, 13, 40, 11, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    top = ses_headers(
        name,
        env_from="hannah.schmidt@example.com",
        rcpt="support@desk.example",
        ip="203.0.113.12",
        helo="smtp.example.com",
        when=when,
        dkim="pass header.i=@example.com",
        dmarc="pass header.from=example.com",
    )
    pixels = rng.randbytes(58 * 58 * 3)
    shot = png(58, 58, lambda x, y: pixels[(y * 58 + x) * 3 : (y * 58 + x) * 3 + 3])
    csv = RESUME_CSV.encode("utf-8")
    msgid = "c5e1f0a2-8b3d-4e6f-9a7b-1c2d3e4f5a6b@example.com"
    outer = "------------Z1y2X3w4V5u6T7s8R9q0P1o2"
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com;",
        f"\ts=mail; t={ts(when)};",
        f"\tbh={fake_b64(rng, 43)}=;",
        "\th=Date:To:From:Subject;",
        f"\tb={fake_b64(rng, 70)}",
        f"\t {fake_b64(rng, 30)}==",
        f"Message-ID: <{msgid}>",
        f"Date: {rfc2822(when)}",
        "MIME-Version: 1.0",
        "User-Agent: Mozilla Thunderbird",
        "Content-Language: en-US",
        "To: support@desk.example",
        "From: Hannah Schmidt <hannah.schmidt@example.com>",
        "Subject: Import fails with my CSV",
        "Content-Type: multipart/mixed;",
        f' boundary="{outer}"',
    ]
    body = multipart(
        outer,
        [
            part(
                ["Content-Type: text/plain; charset=UTF-8; format=flowed", "Content-Transfer-Encoding: 8bit"],
                lines(ATTACH_TEXT).encode("utf-8"),
            ),
            part(
                [
                    'Content-Type: image/png; name="import-error.png"',
                    'Content-Disposition: attachment; filename="import-error.png"',
                    "Content-Transfer-Encoding: base64",
                ],
                b64(shot, 72),
            ),
            part(
                [
                    'Content-Type: text/csv; charset=UTF-8; name="=?UTF-8?Q?r=C3=A9sum=C3=A9=2Ecsv?="',
                    "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.csv",
                    "Content-Transfer-Encoding: base64",
                ],
                b64(csv, 72),
            ),
        ],
        preamble="This is a multi-part message in MIME format.",
    )
    expected = {
        "outcome": "mail",
        "from": "hannah.schmidt@example.com",
        "subject": "Import fails with my CSV",
        "text": (
            "Hi,\n\nthe import page shows the error in the attached screenshot when I\n"
            "upload my r\u00e9sum\u00e9 export (also attached, as CSV).\n\nThanks,\nHannah"
        ),
        "textExcludes": ["Hannah Schmidt,Engineer"],
        "messageId": msgid,
        "inReplyTo": [],
        "references": [],
        "replyToken": None,
        "attachments": [
            {"filename": "import-error.png", "contentType": "image/png", "size": len(shot)},
            {"filename": "r\u00e9sum\u00e9.csv", "contentType": "text/csv", "size": len(csv)},
        ],
        "dkimAligned": True,
    }
    return message(top, own, body), expected


# --- character sets ----------------------------------------------------------------------------

LATIN1_TEXT = """\
Bonjour,

Caf\u00e9 cr\u00e8me, o\u00f9 est ma facture ?

J'ai pay\u00e9 la commande n\u00b0 1042 le 27 novembre, mais je n'ai re\u00e7u
aucune facture. Pourriez-vous me l'envoyer \u00e0 cette adresse ?

Merci d'avance,
Fran\u00e7oise

-- 
Fran\u00e7oise Lef\u00e8vre
Caf\u00e9 des Arts, Lyon
"""


@case
def latin1_body():
    name = "latin1_body"
    when = dt.datetime(2026, 11, 30, 16, 20, 44, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    top = ses_headers(
        name,
        env_from="francoise@cafe-des-arts.example",
        rcpt="support@desk.example",
        ip="192.0.2.150",
        helo="mail.cafe-des-arts.example",
        when=when,
        dkim="none",
        dmarc="none header.from=cafe-des-arts.example",
    )
    msgid = "aRz3k2Xp9LmQwE4t@cafe-des-arts.example"
    own = [
        "Received: by mail.cafe-des-arts.example (Postfix, from userid 1000)",
        "\tid 4Y2m1q0Hk7z1fT; Mon, 30 Nov 2026 16:20:44 +0100 (CET)",
        f"Date: {rfc2822(when)}",
        "From: =?iso-8859-1?Q?Fran=E7oise_Lef=E8vre?= <francoise@cafe-des-arts.example>",
        "To: support@desk.example",
        "Subject: =?iso-8859-1?Q?O=F9_est_ma_facture_=3F?=",
        f"Message-ID: <{msgid}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=iso-8859-1",
        "Content-Disposition: inline",
        "Content-Transfer-Encoding: 8bit",
        "User-Agent: Mutt/2.2.13 (2024-03-09)",
    ]
    expected = {
        "outcome": "mail",
        "from": "francoise@cafe-des-arts.example",
        "subject": "O\u00f9 est ma facture ?",
        "text": (
            "Bonjour,\n\nCaf\u00e9 cr\u00e8me, o\u00f9 est ma facture ?\n\n"
            "J'ai pay\u00e9 la commande n\u00b0 1042 le 27 novembre, mais je n'ai re\u00e7u\n"
            "aucune facture. Pourriez-vous me l'envoyer \u00e0 cette adresse ?\n\n"
            "Merci d'avance,\nFran\u00e7oise"
        ),
        "textExcludes": ["Lef\u00e8vre", "Caf\u00e9 des Arts"],
        "messageId": msgid,
        "inReplyTo": [],
        "references": [],
        "replyToken": None,
        "attachments": [],
        "dkimAligned": False,
    }
    return message(top, own, lines(LATIN1_TEXT).encode("iso-8859-1")), expected


SJIS_TEXT = """\
\u30b5\u30dd\u30fc\u30c8\u62c5\u5f53\u8005\u69d8

\u304a\u4e16\u8a71\u306b\u306a\u3063\u3066\u304a\u308a\u307e\u3059\u3002\u682a\u5f0f\u4f1a\u793e\u30b5\u30f3\u30d7\u30eb\u306e\u7530\u4e2d\u3067\u3059\u3002
\u5148\u6708\u5206\u306e\u8acb\u6c42\u66f8\u304c\u307e\u3060\u5c4a\u3044\u3066\u3044\u307e\u305b\u3093\u3002
\u304a\u624b\u6570\u3067\u3059\u304c\u3001\u3054\u78ba\u8a8d\u3092\u304a\u9858\u3044\u3044\u305f\u3057\u307e\u3059\u3002

\u7530\u4e2d \u592a\u90ce
"""

SJIS_SUBJECT = "\u8acb\u6c42\u66f8\u304c\u5c4a\u304b\u306a\u3044\u4ef6"  # 請求書が届かない件


@case
def shift_jis_body():
    name = "shift_jis_body"
    rng = rng_for(name)
    when = dt.datetime(2026, 12, 1, 9, 30, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    top = ses_headers(
        name,
        env_from="tanaka@example.jp",
        rcpt="support@desk.example",
        ip="203.0.113.201",
        helo="smtp.example.jp",
        when=when,
        dkim="pass header.i=@example.jp",
        dmarc="pass header.from=example.jp",
    )
    msgid = "20261201093000.1A2B3C4D5E@smtp.example.jp"
    subject_word = "=?shift_jis?B?" + base64.b64encode(SJIS_SUBJECT.encode("shift_jis")).decode() + "?="
    name_word = "=?shift_jis?B?" + base64.b64encode("\u7530\u4e2d \u592a\u90ce".encode("shift_jis")).decode() + "?="
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.jp; s=default;",
        f" h=From:To:Subject:Date:Message-Id; bh={fake_b64(rng, 43)}=;",
        f" b={fake_b64(rng, 70)}",
        f" {fake_b64(rng, 30)}==",
        f"Date: {rfc2822(when)}",
        f"From: {name_word} <tanaka@example.jp>",
        "To: support@desk.example",
        f"Subject: {subject_word}",
        f"Message-Id: <{msgid}>",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="Shift_JIS"',
        "Content-Transfer-Encoding: base64",
        "X-Mailer: Becky! ver. 2.81.04 [ja]",
    ]
    body = lines(SJIS_TEXT).encode("shift_jis")
    expected = {
        "outcome": "mail",
        "from": "tanaka@example.jp",
        "subject": SJIS_SUBJECT,
        "text": SJIS_TEXT.strip(),
        "messageId": msgid,
        "inReplyTo": [],
        "references": [],
        "replyToken": None,
        "attachments": [],
        "dkimAligned": True,
    }
    return message(top, own, b64(body)), expected


ENCODED_SUBJECT = "R\u00e9clamation : commande n\u00b0 4521 \u2014 colis endommag\u00e9 \U0001F4E6"


@case
def encoded_subject():
    name = "encoded_subject"
    rng = rng_for(name)
    when = dt.datetime(2026, 12, 1, 10, 2, 33, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    top = ses_headers(
        name,
        env_from="lucie.moreau@example.fr",
        rcpt="support@desk.example",
        ip="198.51.100.61",
        helo="smtp-out.example.fr",
        when=when,
        dkim="pass header.i=@example.fr",
        dmarc="pass header.from=example.fr",
    )
    # first word (Q) ends with the space after 4521, so nothing is lost between the words
    first = "=?UTF-8?Q?R=C3=A9clamation_=3A_commande_n=C2=B0_4521_?="
    second = "=?UTF-8?B?" + base64.b64encode("\u2014 colis endommag\u00e9 \U0001F4E6".encode()).decode() + "?="
    msgid = "E7A0C1B2-3D4E-4F50-8A9B-0C1D2E3F4A5B@example.fr"
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.fr; s=mail;",
        f" h=From:To:Subject:Date:Message-ID; bh={fake_b64(rng, 43)}=;",
        f" b={fake_b64(rng, 70)}",
        f" {fake_b64(rng, 30)}==",
        "From: Lucie Moreau <lucie.moreau@example.fr>",
        "To: support@desk.example",
        f"Subject: {first}",
        f" {second}",
        f"Date: {rfc2822(when)}",
        f"Message-ID: <{msgid}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
    ]
    text = "Bonjour,\n\nLe colis de la commande 4521 est arriv\u00e9 ouvert et le vase est cass\u00e9.\n\nLucie\n"
    expected = {
        "outcome": "mail",
        "from": "lucie.moreau@example.fr",
        "subject": ENCODED_SUBJECT,
        "text": text.strip(),
        "messageId": msgid,
        "inReplyTo": [],
        "references": [],
        "replyToken": None,
        "attachments": [],
        "dkimAligned": True,
    }
    return message(top, own, qp(text, "utf-8")), expected


@case
def missing_message_id():
    name = "missing_message_id"
    when = dt.datetime(2026, 12, 1, 11, 15, 2, tzinfo=dt.timezone(dt.timedelta(hours=-5)))
    top = ses_headers(
        name,
        env_from="gina@example.net",
        rcpt="support@desk.example",
        ip="192.0.2.33",
        helo="ws-reception.example.net",
        when=when,
        spf="none",
        dkim="none",
        dmarc="none header.from=example.net",
    )
    own = [
        "From: \"Gina Russo\" <gina@example.net>",
        "To: <support@desk.example>",
        "Subject: Scanner at reception not sending e-mails",
        f"Date: {rfc2822(when)}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
        "X-Mailer: Microsoft CDO for Windows 2000",
    ]
    text = (
        "Hello,\n\nThe scanner at reception stopped sending scans by e-mail yesterday.\n"
        "The display shows \"SMTP error 535\".\n\nGina\n"
    )
    expected = {
        "outcome": "mail",
        "from": "gina@example.net",
        "subject": "Scanner at reception not sending e-mails",
        "text": text.strip(),
        "messageId": None,
        "inReplyTo": [],
        "references": [],
        "replyToken": None,
        "attachments": [],
        "dkimAligned": False,
    }
    return message(top, own, lines(text).encode()), expected


# --- messages to ignore ------------------------------------------------------------------------


@case
def out_of_office():
    name = "out_of_office"
    when = dt.datetime(2026, 11, 30, 10, 0, 9, tzinfo=dt.timezone.utc)
    top = ses_headers(
        name,
        env_from="ivan.petrov@example.net",
        rcpt=REPLY_ADDRESS,
        ip="40.107.21.58",
        helo="EUR05-VI1-obe.outbound.protection.outlook.com",
        spf_domain="example.net",
        when=when,
        dkim="pass header.i=@example.net",
        dmarc="pass header.from=example.net",
    )
    own = [
        "From: Ivan Petrov <ivan.petrov@example.net>",
        f"To: Desk <{REPLY_ADDRESS}>",
        "Subject: Automatic reply: [#T8K2M4Q9] Printer still jams",
        "Thread-Topic: [#T8K2M4Q9] Printer still jams",
        "Thread-Index: AQHbQ1c9xYz8wV7uT6sR5qP4oN3mLg==",
        f"Date: {rfc2822(when)}",
        "Message-ID: <DB9PR03MB8471E0F1A2B3C4D5E6F7A8B9C0D1E2F3@DB9PR03MB8471.eurprd03.prod.outlook.com>",
        f"References: <{NOTIFICATION_ID}>",
        f"In-Reply-To: <{NOTIFICATION_ID}>",
        "Auto-Submitted: auto-replied",
        "X-MS-Has-Attach:",
        "X-Auto-Response-Suppress: All",
        "X-MS-Exchange-Inbox-Rules-Loop: ivan.petrov@example.net",
        "X-MS-TNEF-Correlator:",
        "X-Autoreply: yes",
        'Content-Type: text/plain; charset="us-ascii"',
        "Content-Transfer-Encoding: 7bit",
        "MIME-Version: 1.0",
    ]
    text = "I am out of the office until 7 December with limited access to e-mail.\nFor urgent matters please contact facilities@example.net.\n"
    return message(top, own, lines(text).encode()), {"outcome": "ignored", "reason": "auto_reply"}


@case
def bulk_precedence():
    name = "bulk_precedence"
    rng = rng_for(name)
    when = dt.datetime(2026, 12, 1, 7, 0, 3, tzinfo=dt.timezone.utc)
    env = "bounces+4417723-9f3c-support=desk.example@em4417.shop.example"
    top = ses_headers(
        name,
        env_from=env,
        rcpt="support@desk.example",
        ip="198.51.100.201",
        helo="o1.ptr4417.shop.example",
        when=when,
        dkim="pass header.i=@shop.example",
        dmarc="pass header.from=shop.example",
    )
    boundary = "8b2e7c4d1f0a9e6b5c3d2a1f0e9d8c7b"
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=shop.example;",
        "\th=content-type:from:mime-version:subject:list-unsubscribe:",
        "\tlist-unsubscribe-post:to:cc:content-type:from:subject:to;",
        f"\ts=s1; bh={fake_b64(rng, 43)}=;",
        f"\tb={fake_b64(rng, 70)}",
        f"\t{fake_b64(rng, 30)}==",
        "Date: Tue, 01 Dec 2026 07:00:03 +0000 (UTC)",
        "From: Shop Example <news@shop.example>",
        "To: support@desk.example",
        "Subject: Cyber week: 30% off all office chairs",
        "Message-ID: <Xb7kT2mQRgq3wV5yZ1aB9c@geopod-ismtpd-7>",
        "Precedence: bulk",
        "List-Unsubscribe: <https://shop.example/unsubscribe?u=4417723&t=9f3c>,",
        " <mailto:unsubscribe-4417723-9f3c@shop.example>",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    text = "Cyber week is here!\n\n30% off all office chairs until Sunday.\nShop now: https://shop.example/chairs\n\nUnsubscribe: https://shop.example/unsubscribe?u=4417723&t=9f3c\n"
    html = '<html><body><h1>Cyber week is here!</h1><p>30% off all office chairs until Sunday.</p><p><a href="https://shop.example/chairs">Shop now</a></p><p style="font-size:11px"><a href="https://shop.example/unsubscribe?u=4417723&amp;t=9f3c">Unsubscribe</a></p></body></html>\n'
    body = multipart(
        boundary,
        [
            part(["Content-Transfer-Encoding: quoted-printable", "Content-Type: text/plain; charset=us-ascii", "Mime-Version: 1.0"], qp(text, "ascii")),
            part(["Content-Transfer-Encoding: quoted-printable", "Content-Type: text/html; charset=us-ascii", "Mime-Version: 1.0"], qp(html, "ascii")),
        ],
    )
    return message(top, own, body), {"outcome": "ignored", "reason": "bulk"}


@case
def bounce_dsn():
    name = "bounce_dsn"
    when = dt.datetime(2026, 12, 1, 3, 12, 44, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    top = ses_headers(
        name,
        env_from="",
        rcpt="support@desk.example",
        ip="203.0.113.9",
        helo="mail.example.net",
        spf_domain="mail.example.net",
        when=when,
        dkim="none",
        dmarc="none header.from=mail.example.net",
    )
    boundary = "4Y2nS03kWqz1xQ.1795925564/mail.example.net"
    own = [
        "Received: by mail.example.net (Postfix)",
        "\tid 4Y2nS03kWqz1xQ; Tue,  1 Dec 2026 03:12:44 +0100 (CET)",
        f"Date: Tue,  1 Dec 2026 03:12:44 +0100 (CET)",
        "From: MAILER-DAEMON@mail.example.net (Mail Delivery System)",
        "Subject: Undelivered Mail Returned to Sender",
        "To: support@desk.example",
        "MIME-Version: 1.0",
        "Content-Type: multipart/report; report-type=delivery-status;",
        f'\tboundary="{boundary}"',
        "Content-Transfer-Encoding: 8bit",
        "Message-Id: <20261201021244.4Y2nS03kWqz1xQ@mail.example.net>",
    ]
    notice = (
        "This is the mail system at host mail.example.net.\n\n"
        "I'm sorry to have to inform you that your message could not\n"
        "be delivered to one or more recipients. It's attached below.\n\n"
        "For further assistance, please send mail to postmaster.\n\n"
        "If you do so, please include this problem report. You can\n"
        "delete your own text from the attached returned message.\n\n"
        "                   The mail system\n\n"
        "<old.user@example.net>: host mailstore.example.net[192.0.2.10] said: 550\n"
        "    5.1.1 <old.user@example.net>: Recipient address rejected: User unknown\n"
        "    (in reply to RCPT TO command)\n"
    )
    status = (
        "Reporting-MTA: dns; mail.example.net\n"
        "X-Postfix-Queue-ID: 4Y2nS03kWqz1xQ\n"
        "X-Postfix-Sender: rfc822; support@desk.example\n"
        "Arrival-Date: Tue,  1 Dec 2026 03:12:43 +0100 (CET)\n\n"
        "Final-Recipient: rfc822; old.user@example.net\n"
        "Original-Recipient: rfc822;old.user@example.net\n"
        "Action: failed\n"
        "Status: 5.1.1\n"
        "Remote-MTA: dns; mailstore.example.net\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <old.user@example.net>: Recipient address\n"
        "    rejected: User unknown\n"
    )
    original = (
        "Return-Path: <support@desk.example>\n"
        "From: Desk <support@desk.example>\n"
        "To: old.user@example.net\n"
        "Subject: Your invoice is ready\n"
        "Date: Tue, 01 Dec 2026 02:12:40 +0000\n"
        "Message-ID: <20261201021240.77aa@spam-relay.example>\n"
    )
    body = multipart(
        boundary,
        [
            part(["Content-Description: Notification", "Content-Type: text/plain; charset=us-ascii"], lines(notice).encode()),
            part(["Content-Description: Delivery report", "Content-Type: message/delivery-status"], lines(status).encode()),
            part(["Content-Description: Undelivered Message Headers", "Content-Type: text/rfc822-headers"], lines(original).encode()),
        ],
        preamble="This is a MIME-encapsulated message.\r\n",
    )
    return message(top, own, body), {"outcome": "ignored", "reason": "bounce"}


def simple_text_message(name, *, top_kwargs, own, text):
    top = ses_headers(name, **top_kwargs)
    return message(top, own, lines(text).encode())


@case
def spam_verdict():
    name = "spam_verdict"
    when = dt.datetime(2026, 12, 1, 4, 44, 12, tzinfo=dt.timezone.utc)
    raw = simple_text_message(
        name,
        top_kwargs=dict(
            env_from="winner@prize-center.example",
            rcpt="support@desk.example",
            ip="192.0.2.201",
            helo="vps-31337.prize-center.example",
            when=when,
            spam="FAIL",
            spf="softfail",
            dkim="none",
            dmarc="none header.from=prize-center.example",
        ),
        own=[
            "From: Prize Center <winner@prize-center.example>",
            "To: support@desk.example",
            "Subject: Congratulations! You have won an iPhone",
            f"Date: {rfc2822(when)}",
            "Message-ID: <a1b2c3d4e5@prize-center.example>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=us-ascii",
        ],
        text="Dear winner,\n\nClaim your prize now at https://prize-center.example/claim\n",
    )
    return raw, {"outcome": "ignored", "reason": "spam"}


@case
def virus_verdict():
    name = "virus_verdict"
    rng = rng_for(name)
    when = dt.datetime(2026, 12, 1, 5, 2, 51, tzinfo=dt.timezone.utc)
    top = ses_headers(
        name,
        env_from="accounts@invoices-portal.example",
        rcpt="support@desk.example",
        ip="192.0.2.202",
        helo="mail.invoices-portal.example",
        when=when,
        virus="FAIL",
        dkim="none",
        dmarc="none header.from=invoices-portal.example",
    )
    boundary = "----=_Part_1042_99887766.1795932171000"
    own = [
        "From: Accounts <accounts@invoices-portal.example>",
        "To: support@desk.example",
        "Subject: Overdue invoice 2026-3391",
        f"Date: {rfc2822(when)}",
        "Message-ID: <1042.99887766.1795932171000@invoices-portal.example>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
    ]
    zipdata = b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + rng.randbytes(600)
    body = multipart(
        boundary,
        [
            part(["Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit"], lines("Please see the attached invoice.\n").encode()),
            part(
                [
                    'Content-Type: application/zip; name="invoice-2026-3391.zip"',
                    "Content-Transfer-Encoding: base64",
                    'Content-Disposition: attachment; filename="invoice-2026-3391.zip"',
                ],
                b64(zipdata),
            ),
        ],
    )
    return message(top, own, body), {"outcome": "ignored", "reason": "virus"}


@case
def forged_verdict_below():
    name = "forged_verdict_below"
    when = dt.datetime(2026, 12, 1, 6, 18, 30, tzinfo=dt.timezone.utc)
    raw = simple_text_message(
        name,
        top_kwargs=dict(
            env_from="offers@cheap-meds.example",
            rcpt="support@desk.example",
            ip="192.0.2.203",
            helo="mta7.cheap-meds.example",
            when=when,
            spam="FAIL",
            spf="none",
            dkim="none",
            dmarc="none header.from=cheap-meds.example",
        ),
        own=[
            "X-SES-Spam-Verdict: PASS",
            "X-SES-Virus-Verdict: PASS",
            "From: Offers <offers@cheap-meds.example>",
            "To: support@desk.example",
            "Subject: Your order is waiting",
            f"Date: {rfc2822(when)}",
            "Message-ID: <77f0e1d2c3b4@cheap-meds.example>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=us-ascii",
        ],
        text="Best prices, no prescription: https://cheap-meds.example/\n",
    )
    return raw, {"outcome": "ignored", "reason": "spam"}


# --- agents' addresses and DKIM alignment --------------------------------------------------------


@case
def forged_authentication_results():
    name = "forged_authentication_results"
    when = dt.datetime(2026, 12, 1, 12, 4, 19, tzinfo=dt.timezone.utc)
    top = ses_headers(
        name,
        env_from="agent.bob@desk.example",
        rcpt=REPLY_ADDRESS,
        ip="192.0.2.66",
        helo="relay.attacker.example",
        spf="fail",
        spf_domain="desk.example",
        when=when,
        dkim="fail header.i=@desk.example",
        dmarc="fail header.from=desk.example",
    )
    own = [
        "Authentication-Results: amazonses.com;",
        " spf=pass (spfCheck: domain of desk.example designates 192.0.2.66 as permitted sender) client-ip=192.0.2.66; envelope-from=agent.bob@desk.example; helo=relay.attacker.example;",
        " dkim=pass header.i=@desk.example;",
        " dmarc=pass header.from=desk.example;",
        "From: Bob (Desk) <agent.bob@desk.example>",
        f"To: {REPLY_ADDRESS}",
        "Subject: Re: [#T8K2M4Q9] Printer still jams",
        f"Date: {rfc2822(when)}",
        "Message-ID: <forged-0001@relay.attacker.example>",
        f"In-Reply-To: <{NOTIFICATION_ID}>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
    ]
    text = "Closing this ticket. Please send your password to it-verify@attacker.example to confirm.\n"
    expected = {
        "outcome": "mail",
        "from": "agent.bob@desk.example",
        "subject": "Re: [#T8K2M4Q9] Printer still jams",
        "text": text.strip(),
        "messageId": "forged-0001@relay.attacker.example",
        "inReplyTo": [NOTIFICATION_ID],
        "references": [],
        "replyToken": TOKEN,
        "attachments": [],
        "dkimAligned": False,
    }
    return message(top, own, lines(text).encode()), expected


@case
def spoofed_agent():
    name = "spoofed_agent"
    rng = rng_for(name)
    when = dt.datetime(2026, 12, 1, 12, 30, 0, tzinfo=dt.timezone.utc)
    top = ses_headers(
        name,
        env_from="bounce@attacker.example",
        rcpt="support@desk.example",
        ip="192.0.2.67",
        helo="mail.attacker.example",
        when=when,
        dkim="pass header.i=@attacker.example",
        dmarc="fail header.from=desk.example",
    )
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=attacker.example; s=k1;",
        f" h=From:To:Subject:Date:Message-ID; bh={fake_b64(rng, 43)}=;",
        f" b={fake_b64(rng, 70)}",
        f" {fake_b64(rng, 30)}==",
        "From: Bob <agent.bob@desk.example>",
        "To: support@desk.example",
        "Subject: Please reset the admin password",
        f"Date: {rfc2822(when)}",
        "Message-ID: <20261201123000.5511@mail.attacker.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
    ]
    text = "Hi team,\n\nplease reset the admin password and send the new one to this address.\n\nBob\n"
    expected = {
        "outcome": "mail",
        "from": "agent.bob@desk.example",
        "subject": "Please reset the admin password",
        "text": text.strip(),
        "messageId": "20261201123000.5511@mail.attacker.example",
        "inReplyTo": [],
        "references": [],
        "replyToken": None,
        "attachments": [],
        "dkimAligned": False,
    }
    return message(top, own, lines(text).encode()), expected


AGENT_TEXT = """\
Hi Alice,

a technician will come by tomorrow at 10:00 to replace the fuser unit.

Bob

On Mon, Nov 30, 2026 at 11:02 AM Alice Martin <alice@example.com> wrote:

> Hi,
>
> I tried the firmware update you suggested, but the printer still jams.
"""


@case
def agent_aligned():
    name = "agent_aligned"
    rng = rng_for(name)
    when = dt.datetime(2026, 11, 30, 13, 5, 44, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    top = ses_headers(
        name,
        env_from="agent.bob@desk.example",
        rcpt=REPLY_ADDRESS,
        ip="209.85.220.73",
        helo="mail-sor-f73.google.com",
        when=when,
        dkim="pass header.i=@desk.example",
        dmarc="pass header.from=desk.example",
    )
    boundary = "000000000000b7d3f1062f7e0a44"
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;",
        f"        d=desk.example; s=google; t={ts(when)}; x={ts(when) + 604800}; darn=desk.example;",
        "        h=to:subject:message-id:date:from:in-reply-to:references",
        "         :mime-version:from:to:cc:subject:date:message-id:reply-to;",
        f"        bh={fake_b64(rng, 43)}=;",
        f"        b={fake_b64(rng, 64)}",
        f"         {fake_b64(rng, 64)}",
        f"         {fake_b64(rng, 20)}==",
        "MIME-Version: 1.0",
        "References: <CAF=abcQ2x7Lk9mPz8Rt+WnV4sE1hJ6dY3uG0bN5cT@mail.gmail.com>",
        f"In-Reply-To: <{NOTIFICATION_ID}>",
        "From: Bob Keller <agent.bob@desk.example>",
        f"Date: {rfc2822(when)}",
        "Message-ID: <CAH9vQm2=kP4rX7tL1wZ8nB3cF6yD0sJ5gE2aU@mail.gmail.com>",
        "Subject: Re: [#T8K2M4Q9] Printer still jams",
        f"To: {REPLY_ADDRESS}",
        f'Content-Type: multipart/alternative; boundary="{boundary}"',
    ]
    html = (
        '<div dir="ltr">Hi Alice,<div><br></div><div>a technician will come by tomorrow at 10:00 '
        "to replace the fuser unit.</div><div><br></div><div>Bob</div></div><br>"
        '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, '
        "Nov 30, 2026 at 11:02 AM Alice Martin &lt;<a href=\"mailto:alice@example.com\">alice@example.com</a>&gt; "
        'wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
        'border-left:1px solid rgb(204,204,204);padding-left:1ex">Hi,<br><br>I tried the firmware '
        "update you suggested, but the printer still jams.</blockquote></div>\n"
    )
    body = multipart(
        boundary,
        [
            part(['Content-Type: text/plain; charset="UTF-8"'], lines(AGENT_TEXT).encode()),
            part(
                ['Content-Type: text/html; charset="UTF-8"', "Content-Transfer-Encoding: quoted-printable"],
                qp(html, "utf-8"),
            ),
        ],
    )
    expected = {
        "outcome": "mail",
        "from": "agent.bob@desk.example",
        "subject": "Re: [#T8K2M4Q9] Printer still jams",
        "text": "Hi Alice,\n\na technician will come by tomorrow at 10:00 to replace the fuser unit.\n\nBob",
        "textExcludes": ["wrote:", "firmware"],
        "messageId": "CAH9vQm2=kP4rX7tL1wZ8nB3cF6yD0sJ5gE2aU@mail.gmail.com",
        "inReplyTo": [NOTIFICATION_ID],
        "references": ["CAF=abcQ2x7Lk9mPz8Rt+WnV4sE1hJ6dY3uG0bN5cT@mail.gmail.com"],
        "replyToken": TOKEN,
        "attachments": [],
        "dkimAligned": True,
    }
    return message(top, own, body), expected


@case
def loop_from_desk():
    """A notification of ours that a customer's mailbox forwarded straight back (SRS envelope)."""
    name = "loop_from_desk"
    rng = rng_for(name)
    when = dt.datetime(2026, 11, 30, 10, 0, 0, tzinfo=dt.timezone.utc)
    top = ses_headers(
        name,
        env_from="SRS0=Hx4f=2B=desk.example=noreply@example.com",
        rcpt="support@desk.example",
        ip="209.85.220.69",
        helo="mail-sor-f69.google.com",
        spf_domain="example.com",
        when=when,
        dkim="pass header.i=@desk.example",
        dmarc="pass header.from=desk.example",
    )
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; q=dns/txt; c=relaxed/simple;",
        f"\ts=desk2026; d=desk.example; t={ts(when)};",
        "\th=From:To:Subject:Message-ID:Date:MIME-Version:Content-Type;",
        f"\tbh={fake_b64(rng, 43)}=;",
        f"\tb={fake_b64(rng, 70)}",
        f"\t{fake_b64(rng, 30)}==",
        "From: Desk <noreply@desk.example>",
        "To: alice@example.com",
        "Subject: [#T8K2M4Q9] New reply on your ticket",
        f"Reply-To: {REPLY_ADDRESS}",
        f"Message-ID: <{NOTIFICATION_ID}>",
        f"Date: {rfc2822(when)}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 7bit",
    ]
    text = "Hello Alice,\n\nPlease install firmware 4.2.1 from the printer's web page, then restart\nit and try again.\n\nRegards,\nDesk\n"
    return message(top, own, lines(text).encode()), {"outcome": "ignored", "reason": "from_desk"}


@case
def stranger_to_reply_address():
    name = "stranger_to_reply_address"
    rng = rng_for(name)
    when = dt.datetime(2026, 12, 1, 14, 0, 0, tzinfo=dt.timezone.utc)
    top = ses_headers(
        name,
        env_from="mallory@evil.example",
        rcpt=REPLY_ADDRESS,
        ip="192.0.2.99",
        helo="smtp.evil.example",
        when=when,
        dkim="pass header.i=@evil.example",
        dmarc="pass header.from=evil.example",
    )
    own = [
        "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=evil.example; s=m1;",
        f" h=From:To:Subject:Date:Message-ID; bh={fake_b64(rng, 43)}=;",
        f" b={fake_b64(rng, 70)}",
        f" {fake_b64(rng, 30)}==",
        "From: Mallory <mallory@evil.example>",
        f"To: {REPLY_ADDRESS}",
        "Subject: Re: [#T8K2M4Q9] Printer still jams",
        f"Date: {rfc2822(when)}",
        "Message-ID: <b3f9e2d1-0c7a-4e55-9d21-8f6a5b4c3d2e@evil.example>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=us-ascii",
        "Content-Transfer-Encoding: 7bit",
    ]
    text = "Hi,\n\nI'm from the printer vendor. Please reply with the admin password of the printer.\n\nMallory\n"
    expected = {
        "outcome": "mail",
        "from": "mallory@evil.example",
        "subject": "Re: [#T8K2M4Q9] Printer still jams",
        "text": text.strip(),
        "messageId": "b3f9e2d1-0c7a-4e55-9d21-8f6a5b4c3d2e@evil.example",
        "inReplyTo": [],
        "references": [],
        "replyToken": TOKEN,
        "attachments": [],
        "dkimAligned": True,
    }
    return message(top, own, lines(text).encode()), expected


# --- broken and oversized ----------------------------------------------------------------------


@case
def malformed():
    """Bytes that are no message: no header line (no ':' at all), no line ends, no blank line."""
    rng = rng_for("malformed")
    data = bytes(b for b in rng.randbytes(1400) if b not in b":\r\n")[:1024]
    assert len(data) == 1024
    return data, {"outcome": "ignored", "reason": "malformed"}


@case
def malformed_no_from():
    name = "malformed_no_from"
    when = dt.datetime(2026, 12, 1, 15, 45, 0, tzinfo=dt.timezone.utc)
    raw = simple_text_message(
        name,
        top_kwargs=dict(
            env_from="cron@build01.example.com",
            rcpt="support@desk.example",
            ip="198.51.100.77",
            helo="build01.example.com",
            when=when,
            spf="none",
            dkim="none",
            dmarc="none header.from=example.com",
        ),
        own=[
            "To: support@desk.example",
            "Subject: Nightly build report",
            f"Date: {rfc2822(when)}",
            "Message-ID: <20261201154500.3141@build01.example.com>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=us-ascii",
        ],
        text="Build 8812 finished: 0 failures.\n",
    )
    return raw, {"outcome": "ignored", "reason": "no_sender"}


@case
def many_parts():
    name = "many_parts"
    when = dt.datetime(2026, 12, 1, 16, 0, 0, tzinfo=dt.timezone.utc)
    top = ses_headers(
        name,
        env_from="parts@example.org",
        rcpt="support@desk.example",
        ip="198.51.100.9",
        helo="smtp.example.org",
        when=when,
        dkim="pass header.i=@example.org",
        dmarc="pass header.from=example.org",
    )
    boundary = "=_many_parts_c0ffee"
    own = [
        "From: Parts <parts@example.org>",
        "To: support@desk.example",
        "Subject: 300 parts",
        f"Date: {rfc2822(when)}",
        "Message-ID: <many-parts-300@example.org>",
        "MIME-Version: 1.0",
        f'Content-Type: multipart/mixed; boundary="{boundary}"',
    ]
    parts = [part(["Content-Type: text/plain; charset=us-ascii"], b"part %d\r\n" % i) for i in range(1, 301)]
    return message(top, own, multipart(boundary, parts)), {"outcome": "ignored", "reason": "too_many_parts"}


def main():
    for name, build in CASES.items():
        raw, expected = build()
        (HERE / f"{name}.eml").write_bytes(raw)
        (HERE / f"{name}.json").write_text(json.dumps(expected, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} cases to {HERE}")


if __name__ == "__main__":
    main()
