//! Idempotent requests: the key a request is remembered under, the fingerprint that tells a retry
//! from a different request under the same key, and the record a store keeps of the first answer.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::access::Caller;
use crate::error::DomainError;
use crate::model::Timestamp;
use crate::store::IdempotencyRecord;

/// How long an idempotency key is remembered: a retry within it gets the first answer.
pub const IDEMPOTENCY_WINDOW_HOURS: i64 = 24;

/// The key a request is made idempotent on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// A client's `Idempotency-Key`, scoped to the caller: the same key from two callers names
    /// two records.
    pub fn of_caller(caller: &Caller, key: &str) -> Self {
        IdempotencyKey(format!("{}:{}#{key}", caller.id.len(), caller.id))
    }

    /// Another service's message id (a redelivered message opens no second ticket).
    pub fn of_message(message_id: &str) -> Self {
        IdempotencyKey(format!("ingest#{message_id}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// What the store keeps under this key: the request's fingerprint and its first answer,
    /// forgotten `IDEMPOTENCY_WINDOW_HOURS` after `now`.
    pub fn record(&self, fingerprint: &str, answer: &str, now: Timestamp) -> IdempotencyRecord {
        IdempotencyRecord {
            key: self.0.clone(),
            fingerprint: fingerprint.to_owned(),
            response: answer.to_owned(),
            at: now,
            expires_at: Timestamp::from(
                now.as_datetime() + chrono::Duration::hours(IDEMPOTENCY_WINDOW_HOURS),
            ),
        }
    }
}

/// A digest of a request as the server understood it: who sent it, what it acts on (`target`,
/// e.g. the route and ticket id) and its typed body, whose serialisation is one canonical text
/// whatever the key order sent.
pub fn fingerprint<T: Serialize>(caller: &Caller, target: &str, body: &T) -> String {
    let mut digest = Sha256::new();
    digest.update(caller.id.as_bytes());
    digest.update([0]);
    digest.update(target.as_bytes());
    digest.update([0]);
    digest.update(serde_json::to_vec(body).unwrap_or_default());
    digest
        .finalize()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The first answer, when the request under its key is the same one (`fingerprint`);
/// `IdempotencyKeyReused` when the key was used for a different request.
pub fn replay(
    first_fingerprint: &str,
    fingerprint: &str,
    answer: String,
) -> Result<String, DomainError> {
    if first_fingerprint == fingerprint {
        Ok(answer)
    } else {
        Err(DomainError::IdempotencyKeyReused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Role;

    #[test]
    fn keys_are_scoped_to_their_caller() {
        let a = Caller::new("ab", Role::Agent);
        let b = Caller::new("a", Role::Agent);
        // "2:ab#c" and "1:a#bc" cannot collide, whatever the ids and keys.
        assert_ne!(
            IdempotencyKey::of_caller(&a, "c"),
            IdempotencyKey::of_caller(&b, "bc")
        );
    }

    #[test]
    fn a_fingerprint_depends_on_caller_target_and_body() {
        let agent = Caller::new("agent-1", Role::Agent);
        let other = Caller::new("agent-2", Role::Agent);
        let body = serde_json::json!({"sources": ["a"], "comment": "x"});
        let same = fingerprint(&agent, "merge T1", &body);
        assert_eq!(same, fingerprint(&agent, "merge T1", &body));
        assert_ne!(same, fingerprint(&other, "merge T1", &body));
        assert_ne!(same, fingerprint(&agent, "merge T2", &body));
        assert_ne!(
            same,
            fingerprint(&agent, "merge T1", &serde_json::json!({"sources": ["b"]}))
        );
    }

    #[test]
    fn a_replay_answers_the_first_answer_only_for_the_same_request() {
        assert_eq!(replay("f", "f", "first".into()).unwrap(), "first");
        assert!(matches!(
            replay("f", "g", "first".into()),
            Err(DomainError::IdempotencyKeyReused)
        ));
    }
}
