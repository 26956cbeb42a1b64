//! The corpus under `tests/mail/`: real-world shapes of inbound mail (replies from Gmail,
//! Outlook and Apple Mail with their quoted history, legacy charsets, inline logos and
//! attachments, auto-replies, bounces, SES verdicts, forged headers, loops, strangers), each
//! `<case>.eml` read as the function reads it and compared with `<case>.json`, the expected
//! result (tests/mail/README.md says its fields). Only the fields a case states are compared.

use std::path::PathBuf;

use serde_json::{json, Value};
use tickets_mail::{Inbox, Limits, Reading};

fn corpus() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/mail")
}

/// A reading as the expected files write it.
fn described(reading: &Reading) -> Value {
    match reading {
        Reading::Ignored(ignored) => json!({"outcome": "ignored", "reason": ignored.reason()}),
        Reading::Mail(mail) => json!({
            "outcome": "mail",
            "from": mail.from,
            "subject": mail.subject,
            "text": mail.text,
            "messageId": mail.message_id,
            "inReplyTo": mail.in_reply_to,
            "references": mail.references,
            "replyToken": mail.reply_token,
            "attachments": mail.attachments.iter().map(|file| json!({
                "filename": file.filename, "contentType": file.content_type, "size": file.bytes.len(),
            })).collect::<Vec<_>>(),
            "dkimAligned": mail.authenticated,
        }),
    }
}

/// What differs between the reading and the expected fields.
fn differences(name: &str, reading: &Reading, expected: &Value) -> Vec<String> {
    let got = described(reading);
    let mut problems = Vec::new();
    for (field, want) in expected.as_object().expect("an object") {
        match field.as_str() {
            "textContains" | "textExcludes" => {
                let text = got["text"].as_str().unwrap_or_default();
                for phrase in want
                    .as_array()
                    .expect("a list")
                    .iter()
                    .filter_map(Value::as_str)
                {
                    let found = text.contains(phrase);
                    if found != (field == "textContains") {
                        problems.push(format!("{name}: {field} {phrase:?}, text {text:?}"));
                    }
                }
            }
            _ if got.get(field) != Some(want) => problems.push(format!(
                "{name}: {field} is {}, expected {want}",
                got.get(field).unwrap_or(&Value::Null)
            )),
            _ => {}
        }
    }
    problems
}

#[test]
fn every_case_of_the_corpus_reads_as_expected() {
    let inbox = Inbox::new(
        ["support@desk.example", "noreply@desk.example"],
        Limits::default(),
    );
    let mut cases: Vec<PathBuf> = std::fs::read_dir(corpus())
        .expect("tests/mail")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "the corpus has {} cases", cases.len());
    let mut problems = Vec::new();
    for case in &cases {
        let name = case.file_stem().unwrap().to_string_lossy().into_owned();
        let raw = std::fs::read(case).expect("read the case");
        let expected: Value = serde_json::from_slice(
            &std::fs::read(case.with_extension("json")).expect("every case has its .json"),
        )
        .expect("the expected result is JSON");
        problems.extend(differences(&name, &inbox.read(&raw), &expected));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
