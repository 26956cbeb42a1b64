//! The reader on arbitrary input: bytes, and messages built from header-shaped and MIME-shaped
//! pieces. It never panics, and what it takes always has a sender.

use proptest::prelude::*;
use tickets_mail::{Inbox, Limits, Reading};

fn inbox() -> Inbox {
    Inbox::new(["support@desk.example"], Limits::default())
}

const PIECES: &[&str] = &[
    "From: a@b.example\r\n",
    "From: =?utf-8?B?w6k=?= <x@y.example>\r\n",
    "To: support+abcd1234@desk.example\r\n",
    "Subject: =?shift_jis?B?gqCCog==?=\r\n",
    "Content-Type: multipart/mixed; boundary=b\r\n",
    "Content-Type: text/plain; charset=windows-1252\r\n",
    "Content-Transfer-Encoding: base64\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n",
    "Content-Disposition: attachment; filename*=UTF-8''%C3%A9.txt\r\n",
    "Content-ID: <logo>\r\n",
    "Authentication-Results: amazonses.com; dkim=pass header.i=@b.example\r\n",
    "X-SES-Spam-Verdict: PASS\r\n",
    "In-Reply-To: <a@b>\r\n",
    "\r\n",
    "--b\r\n",
    "--b--\r\n",
    "=C3=A9=\r\n",
    "aGVsbG8=\r\n",
    "> quoted\r\n",
    "-- \r\n",
    "\u{0}\u{ff}",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = inbox().read(&raw);
    }

    #[test]
    fn arbitrary_mime_never_panics(pieces in proptest::collection::vec(0..PIECES.len(), 0..80)) {
        let raw: String = pieces.iter().map(|&i| PIECES[i]).collect();
        if let Reading::Mail(mail) = inbox().read(raw.as_bytes()) {
            prop_assert!(mail.from.contains('@'));
        }
    }
}
